"""Arguments as jitnet values, shared by ``lax`` and (above it) ``jitnet.numpy``: NumPy values
as ``ArrayImpl``s, Python scalars as typed 0-d values, dtype conversion, NumPy broadcasting."""
from __future__ import annotations

import numpy as np

from ..core import dtypes
from ..prims import elementwise as ew
from ..prims import shape as sh
from ..prims.util import get_aval
from ..trace.array import Array, ArrayImpl

SCALARS = (int, float, bool, complex)


def as_jitnet(x):
    """NumPy values become ``ArrayImpl`` (canonical dtype); jitnet values pass through."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return ArrayImpl(np.array(x, dtypes.canonicalize_dtype(x.dtype)))
    return x


def scalar_to(x, dtype, weak: bool):
    """A Python scalar as a 0-d value of ``dtype`` (a literal when traced)."""
    return ArrayImpl(np.asarray(x, dtype), weak)


def convert(x, dtype, weak: bool = False):
    """``x`` converted to ``dtype`` with the given weak-type flag (no-op when it already is)."""
    if type(x) in SCALARS:
        return scalar_to(x, dtype, weak)
    x = as_jitnet(x)
    a = get_aval(x)
    if a.dtype == dtype and a.weak_type == weak:
        return x
    return ew.convert_element_type(x, dtype, weak)


def broadcast_to_shape(x, shape):
    """NumPy broadcasting of ``x`` to ``shape`` (0-d values stay 0-d: primitives accept them)."""
    xs = tuple(get_aval(x).shape)
    if xs == tuple(shape) or not xs:
        return x
    nd = len(shape)
    lead = nd - len(xs)
    keep = [i for i, d in enumerate(xs) if d == shape[lead + i]]
    if len(keep) != len(xs):  # drop size-1 dims being stretched, then broadcast
        x = sh.reshape(x, tuple(xs[i] for i in keep))
    return sh.broadcast_in_dim(x, tuple(shape), tuple(lead + i for i in keep))


def full(shape: tuple, fill_value, dtype=None):
    """``fill_value`` as ``dtype`` (default: its own; weak for a Python scalar) broadcast to
    ``shape`` (a tuple of ints)."""
    if type(fill_value) in SCALARS:
        d, weak = dtypes.dtype_and_weak(fill_value)
        v = convert(fill_value, dtype or d, weak and dtype is None)
    else:
        v = as_jitnet(fill_value)
        if dtype is not None:
            v = convert(v, dtype)
    vs = tuple(get_aval(v).shape)
    if vs == shape:
        return v
    if not vs:
        return sh.broadcast_in_dim(v, shape, ())
    return broadcast_to_shape(v, shape)

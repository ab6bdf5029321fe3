"""Arguments as jitnet values, shared by ``lax`` and (above it) ``jitnet.numpy``: NumPy values
as ``ArrayImpl``s, Python scalars as typed 0-d values, dtype conversion, axis checks, NumPy
promotion (to inexact types) and broadcasting."""
from __future__ import annotations

import operator

import numpy as np

from ..core import dtypes
from ..core.dtypes import kind_of
from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims import shape as sh
from ..prims.util import get_aval
from ..trace.array import Array, ArrayImpl
from ..trace.tracer import Tracer

SCALARS = (int, float, bool, complex)
ARRAYS = (ArrayImpl, Tracer)   # the concrete types of jitnet values (fast-path checks)


def as_jitnet(x):
    """NumPy values become ``ArrayImpl`` (canonical dtype); jitnet values pass through."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return ArrayImpl(np.array(x, dtypes.canonicalize_dtype(x.dtype)))
    return x


def as_array(x):
    """Any array-like as a jitnet value (``jnp.asarray`` without a dtype): Python scalars as
    weak 0-d values, lists and NumPy values as ``ArrayImpl`` (canonical dtype)."""
    if isinstance(x, Array):
        return x
    if type(x) in SCALARS:
        return scalar_to(x, *dtypes.dtype_and_weak(x))
    return as_jitnet(np.asarray(x))


def canonicalize_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """``axis`` in ``[0, ndim)`` (negative counts from the end), else ``ValueError``."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} {axis} is out of bounds for an array of dimension {ndim}"
                         f"{user_line()}")
    return axis % ndim


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


# -- argument checks, promotion and broadcasting (the jnp rules lax's composites share) --------

def check_arraylike(name: str, *args) -> None:
    for a in args:
        if not (isinstance(a, (Array, np.ndarray, np.generic)) or type(a) in SCALARS):
            if isinstance(a, (list, tuple)):
                raise TypeError(f"{name} requires ndarray or scalar arguments, got "
                                f"{type(a).__name__}; use jnp.asarray() to convert it"
                                f"{user_line()}")
            raise TypeError(f"{name}: value of type {type(a).__name__} is not a valid array: "
                            f"{a!r}{user_line()}")


def broadcast_shapes(name: str, *shapes) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"{name}: incompatible shapes for broadcasting: "
                         + " and ".join(str(tuple(s)) for s in shapes) + user_line()) from None


def broadcast_all(name, args):
    shapes = [tuple(get_aval(a).shape) for a in args]
    if len(set(s for s in shapes if s)) <= 1:
        return args
    shape = broadcast_shapes(name, *shapes)
    return [broadcast_to_shape(a, shape) for a in args]


def promote_to(name: str, args, kind=None):
    """The arguments converted to their common dtype on JAX's lattice (mapped by ``kind``,
    e.g. ``dtypes.to_inexact_dtype``) and broadcast to one shape (0-d values stay 0-d)."""
    check_arraylike(name, *args)
    args = [as_jitnet(a) for a in args]
    dtype, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    if kind is not None:
        dtype = kind(dtype)
    return broadcast_all(name, [convert(a, dtype, weak) for a in args])


def promote_args_inexact(name: str, *args):
    """The arguments promoted to one inexact dtype (JAX's lattice, then integer and bool
    become floating: float32, or float64 for 64-bit integers, as JAX's ``to_inexact_dtype``)
    and broadcast to one shape (0-d values stay 0-d)."""
    if len(args) == 1 and type(args[0]) in ARRAYS and kind_of(args[0].dtype) in "fc":
        return args  # fast path: already inexact
    return promote_to(name, args, dtypes.to_inexact_dtype)

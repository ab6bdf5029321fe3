"""Small helpers shared by primitive rules: constants, zeros, error text, batching moves."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.adtypes import Zero
from ..core.aval import ShapedArray, aval_of
from ..core.source_info import user_line
from ..trace.array import ArrayImpl


def shape_str(s) -> str:
    return str(tuple(s))


def shape_error(msg: str) -> ValueError:
    return ValueError(msg + user_line())


def dtype_error(msg: str) -> TypeError:
    return TypeError(msg + user_line())


def const(x, value):
    """A weakly typed 0-d constant of ``x``'s dtype (keeps ``x``'s weak type intact)."""
    dtype = x.dtype if hasattr(x, "dtype") else aval_of(x).dtype
    return ArrayImpl(np.asarray(value, dtype), True)


def zeros_of(aval: ShapedArray):
    from .shape import broadcast_in_dim
    z = ArrayImpl(np.zeros((), aval.dtype), aval.weak_type)
    return broadcast_in_dim(z, aval.shape, ()) if aval.shape else z


def full_of(aval: ShapedArray, value):
    from .shape import broadcast_in_dim
    v = ArrayImpl(np.asarray(value, aval.dtype), aval.weak_type)
    return broadcast_in_dim(v, aval.shape, ()) if aval.shape else v


def instantiate(t):
    """Materialize a symbolic ``Zero``; other tangents pass through."""
    return zeros_of(t.aval) if type(t) is Zero else t


def get_aval(x) -> ShapedArray:
    """The abstract value of ``x``; a concrete array serves as its own (it has shape, dtype,
    weak_type), which keeps eager dispatch from building avals."""
    if type(x) is ArrayImpl:
        return x
    return x.aval if hasattr(x, "aval") else aval_of(x)


def is_float_dtype(dtype) -> bool:
    return kind_of(np.dtype(dtype)) in "fc"


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """Tangent space of a value: same type for inexact dtypes, float0 otherwise."""
    if kind_of(aval.dtype) in "fc":
        return aval
    return ShapedArray(aval.shape, dtypes.float0)


# -- batching helpers -----------------------------------------------------------

def moveaxis(x, src: int, dst: int):
    from .shape import transpose
    if src == dst:
        return x
    perm = [i for i in range(len(x.shape)) if i != src]
    perm.insert(dst, src)
    return transpose(x, tuple(perm))


def bdim_to_front(x, d):
    """Move batch dim ``d`` to axis 0 (``d`` None means unbatched: returned as is)."""
    return x if d is None or d == 0 else moveaxis(x, d, 0)


def batch_size(args, dims) -> int:
    for a, d in zip(args, dims):
        if d is not None:
            return a.shape[d]
    raise ValueError("no batched argument")


def broadcast_batch(x, d, size: int):
    """``x`` with its batch dim at 0, materializing the batch dim if unbatched."""
    from .shape import broadcast_in_dim
    if d is None:
        return broadcast_in_dim(x, (size,) + tuple(x.shape), tuple(range(1, len(x.shape) + 1)))
    return bdim_to_front(x, d)

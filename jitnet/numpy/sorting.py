"""Sorting and searching: sort, argsort, lexsort, searchsorted, unique-free helpers."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from ..core import dtypes
from ..prims.util import get_aval
from .util import as_jitnet, canonicalize_axis, check_arraylike, convert


def _prep(name, a, axis):
    check_arraylike(name, a)
    a = as_jitnet(a)
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    return a, canonicalize_axis(axis, get_aval(a).ndim)


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Sorted copy of ``a`` along ``axis`` (NaNs last, as NumPy)."""
    a, axis = _prep("sort", a, axis)
    out = lax.sort(a, axis, is_stable=stable)
    return lax.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Indices that sort ``a`` along ``axis``; stable, so ties keep their order."""
    a, axis = _prep("argsort", a, axis)
    shape = tuple(get_aval(a).shape)
    iota = lax.broadcasted_iota(dtypes.index_dtype(shape[axis]), shape, axis)
    if descending:  # stable descending: sort the reversed array, then map indices back
        ra = lax.rev(a, (axis,))
        _, idx = lax.sort((ra, iota), axis, is_stable=True, num_keys=1)
        idx = lax.sub(convert(shape[axis] - 1, get_aval(idx).dtype, True), idx)
        return lax.rev(idx, (axis,))
    _, idx = lax.sort((a, iota), axis, is_stable=True, num_keys=1)
    return idx


def lexsort(keys, axis=-1):
    keys = [as_jitnet(k) for k in keys]
    shape = tuple(get_aval(keys[0]).shape)
    axis = canonicalize_axis(axis, len(shape))
    iota = lax.broadcasted_iota(dtypes.index_dtype(shape[axis]), shape, axis)
    outs = lax.sort(tuple(keys[::-1]) + (iota,), axis, is_stable=True, num_keys=len(keys))
    return outs[-1]


def searchsorted(a, v, side="left", sorter=None, *, method=None):
    """Insertion points of ``v`` in sorted 1-D ``a`` (a compare-and-count, exact for any dtype)."""
    check_arraylike("searchsorted", a, v)
    a, v = as_jitnet(a), as_jitnet(v)
    if sorter is not None:
        from .indexing import take
        a = take(a, sorter)
    from .util import promote_dtypes_numeric
    a, v = promote_dtypes_numeric(a, v)
    n = get_aval(a).shape[0]
    vshape = tuple(get_aval(v).shape)
    vb = lax.broadcast_in_dim(v, vshape + (n,), tuple(range(len(vshape))))
    ab = lax.broadcast_in_dim(a, vshape + (n,), (len(vshape),))
    cmp = lax.lt(ab, vb) if side == "left" else lax.le(ab, vb)
    if kind_of(get_aval(a).dtype) in "fc":  # NaN sorts last (as NumPy): it is above everything
        a_nan, v_nan = lax.ne(ab, ab), lax.ne(vb, vb)
        if side == "left":  # a < v  <=>  a < v, or v is NaN and a is not
            cmp = lax.bitwise_or(cmp, lax.bitwise_and(v_nan, lax.bitwise_not(a_nan)))
        else:  # a <= v  <=>  a <= v, or v is NaN
            cmp = lax.bitwise_or(cmp, v_nan)
    from .reductions import sum
    return sum(cmp, axis=-1, dtype=np.int32)  # int32 even with x64, as JAX


def partition(a, kth, axis=-1):
    return sort(a, axis)


def argpartition(a, kth, axis=-1):
    return argsort(a, axis)


def sort_complex(a):
    """``a`` sorted (real part, then imaginary), returned as complex, as NumPy."""
    from .. import numpy as jnp
    a = sort(a, axis=-1)
    return a if a.dtype.kind == "c" else a.astype(jnp.result_type(a.dtype, np.dtype(np.complex64)))

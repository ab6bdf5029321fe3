"""Reductions: sum, prod, max, min, mean, var, std, argmax, argmin, all, any, cumsum..."""
from __future__ import annotations

import builtins
import math

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from ..core import dtypes
from ..prims.util import get_aval
from . import ufuncs
from .util import (as_jitnet, canonicalize_axes, canonicalize_axis, check_arraylike, convert,
                   squared_modulus, to_dtype)


def _arg(name, a):
    check_arraylike(name, a)
    return as_jitnet(a)


def _upcast_int(dtype):
    """Sums and products of narrow ints and bools accumulate in the default int (as JAX)."""
    if dtype == np.bool_:
        return dtypes.default_int()
    if dtype.kind == "i" and dtype.itemsize < dtypes.default_int().itemsize:
        return dtypes.default_int()
    if dtype.kind == "u" and dtype.itemsize < dtypes.default_int().itemsize:
        return np.dtype(f"u{dtypes.default_int().itemsize}")
    return dtype


def _upcast_low(dtype):
    """float16/bfloat16 sums, products, means and variances accumulate in float32 and are
    rounded once at the end (as JAX's ``upcast_f16_for_computation``)."""
    return dtypes.float32 if dtypes.is_low_precision(dtype) else dtype


def _keep(out, shape, axes, keepdims):
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _where_fill(a, where, identity):
    if where is None:
        return a
    from .ufuncs import where as _where
    return _where(where, a, convert(identity, get_aval(a).dtype, True))


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
        promote_integers=True):
    a = _arg("sum", a)
    aval = get_aval(a)
    dt = to_dtype(dtype) or (_upcast_int(aval.dtype) if promote_integers else aval.dtype)
    cdt = _upcast_low(dt)
    a = convert(a, cdt, False)  # reductions are never weakly typed (as in JAX)
    a = _where_fill(a, where, 0)
    axes = canonicalize_axes(axis, aval.ndim)
    out_ = lax.reduce_sum(a, axes)
    if initial is not None:
        out_ = lax.add(out_, convert(initial, cdt, True))
    return _keep(convert(out_, dt, False), aval.shape, axes, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
         promote_integers=True):
    a = _arg("prod", a)
    aval = get_aval(a)
    dt = to_dtype(dtype) or (_upcast_int(aval.dtype) if promote_integers else aval.dtype)
    cdt = _upcast_low(dt)
    a = convert(a, cdt, False)
    a = _where_fill(a, where, 1)
    axes = canonicalize_axes(axis, aval.ndim)
    out_ = lax.reduce_prod(a, axes)
    if initial is not None:
        out_ = lax.mul(out_, convert(initial, cdt, True))
    return _keep(convert(out_, dt, False), aval.shape, axes, keepdims)


def _extremum(name, reducer, pick, ident_sign):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a = _arg(name, a)
        aval = get_aval(a)
        a = convert(a, aval.dtype, False)
        axes = canonicalize_axes(axis, aval.ndim)
        if where is not None:
            if initial is None:
                raise ValueError(f"reduction operation {name} with where= requires initial=")
            a = _where_fill(a, where, initial)
        if initial is None and builtins.any(aval.shape[i] == 0 for i in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             f"identity")
        out_ = reducer(a, axes)
        if initial is not None:
            out_ = pick(out_, convert(initial, aval.dtype, True))
        return _keep(out_, aval.shape, axes, keepdims)
    f.__name__ = name
    return f


max = amax = _extremum("max", lax.reduce_max, lax.max, -1)
min = amin = _extremum("min", lax.reduce_min, lax.min, 1)


def _bool_reduce(name, reducer):
    def f(a, axis=None, out=None, keepdims=False, where=None):
        a = _arg(name, a)
        aval = get_aval(a)
        if aval.dtype != np.bool_:
            a = lax.ne(a, convert(0, aval.dtype, True))
        if where is not None:
            a = _where_fill(a, where, name == "all")
        axes = canonicalize_axes(axis, aval.ndim)
        return _keep(reducer(a, axes), aval.shape, axes, keepdims)
    f.__name__ = name
    return f


all = _bool_reduce("all", lax.reduce_and)
any = _bool_reduce("any", lax.reduce_or)


def _count(shape, axes):
    return math.prod(shape[i] for i in axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    a = _arg("mean", a)
    aval = get_aval(a)
    dt = to_dtype(dtype) or dtypes.to_inexact_dtype(aval.dtype)
    cdt = _upcast_low(dt)
    a = convert(a, cdt, False)
    axes = canonicalize_axes(axis, aval.ndim)
    if where is None:
        total = lax.reduce_sum(a, axes)
        return convert(_keep(lax.div(total, convert(_count(aval.shape, axes), cdt, True)),
                             aval.shape, axes, keepdims), dt, False)
    total = sum(a, axis=axes, where=where, keepdims=keepdims)
    n = sum(where_mask(where, aval.shape), axis=axes, dtype=cdt, keepdims=keepdims)
    return convert(lax.div(total, n), dt, False)


def where_mask(where, shape):
    from .manipulation import broadcast_to
    return broadcast_to(as_jitnet(where), shape)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    a = _arg("var", a)
    aval = get_aval(a)
    if correction is not None:
        ddof = correction
    out_dt = to_dtype(dtype) or dtypes.to_inexact_dtype(aval.dtype)
    dt = _upcast_low(out_dt)
    a = convert(a, dt, False)
    axes = canonicalize_axes(axis, aval.ndim)
    centered = ufuncs.subtract(a, mean(a, axes, keepdims=True, where=where))
    sq = squared_modulus(centered)
    if dt.kind == "c":  # the mean squared modulus: real, as in NumPy and JAX
        dt = out_dt = np.finfo(dt).dtype
    if where is None:
        n = builtins.max(_count(aval.shape, axes) - ddof, 0)  # as NumPy: 0 gives inf/nan
        out_ = lax.div(lax.reduce_sum(sq, axes), convert(n, dt, True))
        return convert(_keep(out_, aval.shape, axes, keepdims), out_dt, False)
    total = sum(sq, axis=axes, where=where, keepdims=keepdims)
    n = sum(where_mask(where, aval.shape), axis=axes, dtype=dt, keepdims=keepdims)
    n = lax.max(lax.sub(n, convert(ddof, dt, True)), convert(0, dt, True))
    return convert(lax.div(total, n), out_dt, False)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def _argext(name, prim):
    def f(a, axis=None, out=None, keepdims=False):
        a = _arg(name, a)
        aval = get_aval(a)
        if axis is None:
            flat = lax.reshape(a, (aval.size,))
            res = prim(flat, 0, dtypes.index_dtype(aval.size))
            return lax.reshape(res, (1,) * aval.ndim) if keepdims else res
        ax = canonicalize_axis(axis, aval.ndim)
        res = prim(a, ax, dtypes.index_dtype(aval.shape[ax]))
        return lax.expand_dims(res, (ax,)) if keepdims else res
    f.__name__ = name
    return f


argmax = _argext("argmax", lax.argmax)
argmin = _argext("argmin", lax.argmin)


def _cumulative(name, prim):
    def f(a, axis=None, dtype=None, out=None):
        a = _arg(name, a)
        aval = get_aval(a)
        if axis is None or aval.ndim == 0:
            a = lax.reshape(a, (aval.size,))
            axis = 0
        # JAX keeps integer dtypes (no widening, unlike sum); bool becomes the default int
        dt = to_dtype(dtype) or (dtypes.default_int() if aval.dtype == np.bool_
                                 else aval.dtype)
        a = convert(a, dt, False)
        ax = canonicalize_axis(axis, len(get_aval(a).shape))
        return prim(a, ax)
    f.__name__ = name
    return f


cumsum = cumulative_sum = _cumulative("cumsum", lax.cumsum)
cumprod = cumulative_prod = _cumulative("cumprod", lax.cumprod)


def ptp(a, axis=None, out=None, keepdims=False):
    return lax.sub(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def count_nonzero(a, axis=None, keepdims=False):
    a = _arg("count_nonzero", a)
    nz = lax.ne(a, convert(0, get_aval(a).dtype, True))
    return sum(nz, axis=axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        from .manipulation import broadcast_to
        avg = mean(a, axis, keepdims=keepdims)
        n = _count(get_aval(as_jitnet(a)).shape,
                   canonicalize_axes(axis, get_aval(as_jitnet(a)).ndim))
        wsum = broadcast_to(convert(n, get_aval(avg).dtype), get_aval(avg).shape)
    else:
        from .ufuncs import multiply
        from .manipulation import broadcast_to
        a = _arg("average", a)
        w = as_jitnet(weights)
        if get_aval(w).shape != get_aval(a).shape:
            if axis is None or get_aval(w).ndim != 1:
                raise ValueError("average: 1-D weights require an axis; otherwise weights "
                                 "must match the array's shape")
            ax = canonicalize_axis(axis, get_aval(a).ndim)
            w = lax.broadcast_in_dim(w, get_aval(a).shape, (ax,))
        wsum = sum(w, axis, keepdims=keepdims, dtype=None)
        avg = lax.div(*_promote_pair(sum(multiply(a, w), axis, keepdims=keepdims), wsum))
        wsum = broadcast_to(wsum, get_aval(avg).shape)
    return (avg, wsum) if returned else avg


def _promote_pair(x, y):
    from .util import promote_args_inexact
    return promote_args_inexact("average", x, y)


# -- NaN-ignoring variants -------------------------------------------------------------

def _nan_replace(a, value):
    from .ufuncs import isnan, where
    a = as_jitnet(a)
    if kind_of(get_aval(a).dtype) not in "fc":
        return a
    return where(isnan(a), convert(value, get_aval(a).dtype, True), a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return sum(_nan_replace(a, 0), axis, dtype, keepdims=keepdims, initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return prod(_nan_replace(a, 1), axis, dtype, keepdims=keepdims, initial=initial, where=where)


def _all_nan_to_nan(out, a, axis, keepdims, where):
    """NaN where a slice had no non-NaN element (nanmax/nanmin, as NumPy)."""
    from .ufuncs import isnan, logical_not, where as _where
    a = as_jitnet(a)
    if kind_of(get_aval(a).dtype) not in "fc":
        return out
    valid = logical_not(isnan(a))
    has = any(valid, axis, keepdims=keepdims, where=where)
    return _where(has, out, convert(np.nan, get_aval(out).dtype, True))


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    res = max(_nan_replace(a, -np.inf), axis, keepdims=keepdims, initial=initial, where=where)
    return res if initial is not None else _all_nan_to_nan(res, a, axis, keepdims, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    res = min(_nan_replace(a, np.inf), axis, keepdims=keepdims, initial=initial, where=where)
    return res if initial is not None else _all_nan_to_nan(res, a, axis, keepdims, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    from .ufuncs import isnan, logical_not
    a = _arg("nanmean", a)
    if kind_of(get_aval(a).dtype) not in "fc":
        return mean(a, axis, dtype, keepdims=keepdims, where=where)
    valid = logical_not(isnan(a))
    n = sum(valid, axis, dtype=get_aval(a).dtype, keepdims=keepdims)
    return lax.div(nansum(a, axis, dtype, keepdims=keepdims), n)

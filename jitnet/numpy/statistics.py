"""Order statistics, NaN-aware reductions, covariance and histograms: ``quantile`` and its
family, ``nanvar``/``nanstd``/``nanarg*``/``nancum*``, ``cov``/``corrcoef``, ``histogram*``,
``bincount``, ``digitize``, ``interp``.

Quantiles sort along the axis and interpolate between neighbours, so they are
differentiable (the gradient flows to the one or two order statistics used), as in JAX.
Sizes that depend on values (``bincount`` without ``length``, ``histogram`` bins from data
under ``jit``) need static arguments, as in JAX.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import numpy as jnp
from ..core import dtypes
from ..core.source_info import user_line
from .util import as_jitnet, canonicalize_axes, check_arraylike, concrete_value, squared_modulus

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")  # JAX's, of NumPy's 13


def _inexact(a):
    a = as_jitnet(a)
    if a.dtype.kind not in "fc":
        a = a.astype(dtypes.default_float())
    return a


def _move_axes_last(a, axis):
    """``a`` with the reduced axes flattened into one last axis; the kept shape."""
    axes = canonicalize_axes(axis, a.ndim)
    kept = [i for i in range(a.ndim) if i not in axes]
    a = jnp.transpose(a, kept + list(axes))
    kept_shape = tuple(a.shape[:len(kept)])
    return jnp.reshape(a, kept_shape + (-1,) if kept_shape or a.size else (a.size,)), axes


def _quantile(name, a, q, axis, method, keepdims, ignore_nan):
    check_arraylike(name, a, q)
    if method not in _METHODS:
        raise ValueError(f"{name}: method {method!r} is not supported; choose one of "
                         f"{', '.join(_METHODS)}{user_line()}")
    a = _inexact(a)
    q = jnp.asarray(q, a.dtype)
    shape = tuple(a.shape)
    flat, axes = _move_axes_last(a, axis)
    s = jnp.sort(flat, axis=-1)  # NaNs sort last
    n_total = flat.shape[-1]
    if ignore_nan:
        n = jnp.sum(~jnp.isnan(flat), axis=-1)  # per slice
    else:
        n = jnp.full(flat.shape[:-1], n_total)
    # positions q * (n - 1) per (q, slice): q's axes first, as NumPy
    qb = q.reshape(q.shape + (1,) * (s.ndim - 1))
    pos = qb * (n - 1).astype(a.dtype)
    lo = jnp.floor(pos)
    hi = jnp.ceil(pos)
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi
    elif method == "nearest":
        lo = hi = jnp.round(pos)  # round half to even, as NumPy
    last = jnp.maximum(n - 1, 0)
    lo_i = jnp.clip(lo.astype(jnp.int32), 0, last)
    hi_i = jnp.clip(hi.astype(jnp.int32), 0, last)
    sb = jnp.broadcast_to(s, q.shape + s.shape)
    v_lo = jnp.take_along_axis(sb, lo_i[..., None], axis=-1)[..., 0]
    v_hi = jnp.take_along_axis(sb, hi_i[..., None], axis=-1)[..., 0]
    if method == "linear":
        w = pos - lo
        out = v_lo + (v_hi - v_lo) * w
    elif method == "midpoint":
        out = (v_lo + v_hi) * 0.5
    else:
        out = v_lo
    if ignore_nan:
        out = jnp.where(n == 0, jnp.nan, out)
    else:
        out = jnp.where(jnp.any(jnp.isnan(flat), axis=-1), jnp.nan, out)
    if keepdims:
        kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
        out = out.reshape(q.shape + kept)
    return out


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, interpolation=None):
    """The ``q``-th quantiles of ``a`` along ``axis`` (``q`` in [0, 1]), as ``numpy.quantile``."""
    return _quantile("quantile", a, q, axis, interpolation or method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, interpolation=None):
    return _quantile("nanquantile", a, q, axis, interpolation or method, keepdims, True)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, interpolation=None):
    """``quantile`` with ``q`` in percent."""
    return _quantile("percentile", a, jnp.asarray(q) / 100, axis, interpolation or method,
                     keepdims, False)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, interpolation=None):
    return _quantile("nanpercentile", a, jnp.asarray(q) / 100, axis, interpolation or method,
                     keepdims, True)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile("median", a, 0.5, axis, "linear", keepdims, False)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile("nanmedian", a, 0.5, axis, "linear", keepdims, True)


# -- NaN-ignoring variance, arg-extrema and cumulative reductions -------------------------

def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    a = _inexact(a)
    valid = ~jnp.isnan(a)
    if where is not None:
        valid = valid & where
    n = jnp.sum(valid, axis=axis, keepdims=True).astype(a.dtype)
    mean = jnp.sum(jnp.where(valid, a, 0), axis=axis, keepdims=True) / n
    dev = jnp.where(valid, a - mean, 0)
    out_ = jnp.sum(squared_modulus(dev), axis=axis, keepdims=keepdims)   # real for complex
    n = jnp.real(n if keepdims else jnp.squeeze(n, axis=canonicalize_axes(axis, a.ndim)))
    return out_ / jnp.maximum(n - ddof, 0)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    return jnp.sqrt(nanvar(a, axis, dtype, None, ddof, keepdims, where))


def _nanarg(name, fill, pick):
    def f(a, axis=None, out=None, keepdims=False):
        a = as_jitnet(a)
        if a.dtype.kind not in "fc":
            return pick(a, axis=axis, keepdims=keepdims)
        nan = jnp.isnan(a)
        res = pick(jnp.where(nan, fill, a), axis=axis, keepdims=keepdims)
        return jnp.where(jnp.all(nan, axis=axis, keepdims=keepdims), -1, res)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``{pick.__name__}`` ignoring NaNs; -1 for an all-NaN slice (NumPy raises, "
                 f"which a traced function cannot do; JAX returns -1 too).")
    return f


nanargmax = _nanarg("nanargmax", -np.inf, jnp.argmax)
nanargmin = _nanarg("nanargmin", np.inf, jnp.argmin)


def nancumsum(a, axis=None, dtype=None, out=None):
    a = as_jitnet(a)
    if a.dtype.kind in "fc":
        a = jnp.where(jnp.isnan(a), 0, a)
    return jnp.cumsum(a, axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    a = as_jitnet(a)
    if a.dtype.kind in "fc":
        a = jnp.where(jnp.isnan(a), 1, a)
    return jnp.cumprod(a, axis=axis, dtype=dtype)


# -- covariance ----------------------------------------------------------------------------

def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``m`` (columns if not ``rowvar``)."""
    check_arraylike("cov", m)
    x = jnp.atleast_2d(_inexact(m))
    if x.ndim > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {x.shape}){user_line()}")
    if not rowvar and x.shape[0] != 1:
        x = x.T
    if y is not None:
        yy = jnp.atleast_2d(_inexact(y))
        if not rowvar and yy.shape[0] != 1:
            yy = yy.T
        x = jnp.concatenate([x, yy], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = jnp.asarray(fweights).astype(x.dtype)
    if aweights is not None:
        aw = jnp.asarray(aweights).astype(x.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = jnp.mean(x, axis=1)
        fact = n - ddof
    else:
        w_sum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * jnp.sum(w * jnp.asarray(aweights).astype(x.dtype)) / w_sum
    xc = x - avg[:, None]
    xw = xc if w is None else xc * w
    c = jnp.matmul(xw, jnp.conj(xc).T) / fact
    return jnp.squeeze(c)


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients, clipped to [-1, 1] as NumPy."""
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = jnp.sqrt(jnp.diag(c).real)
    c = c / d[:, None] / d[None, :]
    return jnp.clip(c.real, -1, 1) if c.dtype.kind != "c" else c


# -- histograms and binning ------------------------------------------------------------------

def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """Edges of ``bins`` equal bins over ``range`` (or over the data's min..max)."""
    a = _inexact(a).ravel()
    if not isinstance(bins, (int, np.integer)):
        return jnp.asarray(bins, a.dtype)  # explicit edges
    if range is None:
        lo, hi = jnp.min(a), jnp.max(a)
    else:
        lo, hi = jnp.asarray(range[0], a.dtype), jnp.asarray(range[1], a.dtype)
    same = lo == hi  # NumPy widens an empty range by 0.5 on each side
    lo = jnp.where(same, lo - 0.5, lo)
    hi = jnp.where(same, hi + 0.5, hi)
    return jnp.linspace(lo, hi, int(bins) + 1, dtype=a.dtype)


def _bin_index(x, edges):
    """Bin of each value (last bin closed on the right, as NumPy); out of range -> -1/nbins."""
    nb = edges.shape[0] - 1
    idx = jnp.searchsorted(edges, x, side="right") - 1
    idx = jnp.where(x == edges[-1], nb - 1, idx)  # right edge belongs to the last bin
    return jnp.where((x < edges[0]) | (x > edges[-1]) | jnp.isnan(x), -1, idx)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """(counts, edges); with ``density`` the counts are normalized to integrate to 1."""
    check_arraylike("histogram", a)
    a = _inexact(a).ravel()
    edges = histogram_bin_edges(a, bins, range)
    nb = edges.shape[0] - 1
    idx = _bin_index(a, edges)
    w = jnp.ones_like(a) if weights is None else jnp.asarray(weights, a.dtype).ravel()
    counts = jnp.zeros(nb, w.dtype).at[jnp.where(idx < 0, nb, idx)].add(w, mode="drop")
    if density:
        counts = counts / jnp.diff(edges) / jnp.sum(counts)
    return counts, edges


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    """Multidimensional histogram of the rows of ``sample`` (N, D)."""
    check_arraylike("histogramdd", sample)
    s = _inexact(sample)
    if s.ndim == 1:
        s = s[:, None]
    d = s.shape[1]
    bins_ = bins if isinstance(bins, (list, tuple)) else [bins] * d
    ranges = range if range is not None else [None] * d
    edges = [histogram_bin_edges(s[:, k], bins_[k], ranges[k]) for k in builtins.range(d)]
    sizes = [e.shape[0] - 1 for e in edges]
    flat = jnp.zeros(s.shape[0], jnp.int32)
    bad = jnp.zeros(s.shape[0], bool)
    for k in builtins.range(d):
        i = _bin_index(s[:, k], edges[k])
        bad = bad | (i < 0)
        flat = flat * sizes[k] + jnp.maximum(i, 0)
    total = int(np.prod(sizes))
    w = jnp.ones(s.shape[0], s.dtype) if weights is None else jnp.asarray(weights, s.dtype)
    counts = jnp.zeros(total, w.dtype).at[jnp.where(bad, total, flat)].add(w, mode="drop")
    counts = counts.reshape(sizes)
    if density:
        vol = 1.0
        for k in builtins.range(d):
            shape = [1] * d
            shape[k] = sizes[k]
            vol = vol * jnp.diff(edges[k]).reshape(shape)
        counts = counts / vol / jnp.sum(counts)
    return counts, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    counts, edges = histogramdd(jnp.stack([jnp.ravel(x), jnp.ravel(y)], axis=1), bins, range,
                                weights, density)
    return counts, edges[0], edges[1]


def bincount(x, weights=None, minlength=0, *, length=None):
    """Counts of each non-negative integer in ``x``; under ``jit`` pass ``length`` (static),
    as JAX requires. Values outside [0, length) are dropped."""
    check_arraylike("bincount", x)
    x = as_jitnet(x)
    if x.dtype.kind not in "iub":
        raise TypeError(f"bincount: x must be an integer array, got {x.dtype}{user_line()}")
    if x.ndim != 1:
        raise ValueError(f"bincount: x must be 1-D, got shape {x.shape}{user_line()}")
    if length is None:
        xv = concrete_value(x, "bincount: length (from the largest value of x) must be known "
                               "while tracing (it sets the output size); pass length=")
        length = builtins.max(int(minlength), int(xv.max()) + 1 if xv.size else 0)
    length = builtins.max(int(length), int(minlength))
    w = jnp.ones(x.shape, dtypes.default_int()) if weights is None else jnp.asarray(weights)
    idx = jnp.where(x < 0, length, x)
    return jnp.zeros(length, w.dtype).at[idx].add(w, mode="drop")


def digitize(x, bins, right=False, *, method=None):
    """Index of the bin each value falls in (``bins`` increasing or decreasing)."""
    check_arraylike("digitize", x, bins)
    bins = as_jitnet(bins)
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {bins.shape}{user_line()}")
    n = bins.shape[0]
    side = "left" if right else "right"
    inc = jnp.searchsorted(bins, x, side=side)
    if n == 0:
        return inc
    dec = n - jnp.searchsorted(bins[::-1], x, side=side)
    return jnp.where(bins[0] <= bins[-1], inc, dec)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at ``x`` (``xp`` increasing)."""
    check_arraylike("interp", x, xp, fp)
    x, xp, fp = jnp.asarray(x), _inexact(xp), _inexact(fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ValueError(f"interp: xp and fp must be 1-D of equal length, got {xp.shape} and "
                         f"{fp.shape}{user_line()}")
    dt = jnp.result_type(x, xp, fp)
    x = x.astype(dt) if jnp.issubdtype(dt, jnp.floating) else x.astype(dtypes.default_float())
    if period is not None:
        period = abs(period)
        x = x % period
        xp = xp % period
        order = jnp.argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = jnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = jnp.concatenate([fp[-1:], fp, fp[:1]])
    i = jnp.clip(jnp.searchsorted(xp, x, side="right"), 1, xp.shape[0] - 1)
    x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    dx = x1 - x0
    t = jnp.where(dx == 0, 0.0, (x - x0) / jnp.where(dx == 0, 1.0, dx))
    out = f0 + t * (f1 - f0)
    if period is None:
        out = jnp.where(x < xp[0], fp[0] if left is None else left, out)
        out = jnp.where(x > xp[-1], fp[-1] if right is None else right, out)
    return out

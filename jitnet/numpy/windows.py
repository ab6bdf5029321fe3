"""Window functions (``bartlett``, ``blackman``, ``hamming``, ``hanning``, ``kaiser``) and
``i0``, the modified Bessel function of order 0 that ``kaiser`` needs, as NumPy defines them."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..core import dtypes
from .util import as_jitnet, check_arraylike


def _n(M):
    return jnp.arange(int(M), dtype=dtypes.default_float())


def _empty_or_one(M):
    M = int(M)
    if M < 1:
        return jnp.zeros(0, dtypes.default_float())
    if M == 1:
        return jnp.ones(1, dtypes.default_float())
    return None


def bartlett(M):
    """Triangular window of ``M`` points (zero at both ends)."""
    early = _empty_or_one(M)
    if early is not None:
        return early
    n = _n(M)
    return 1 - jnp.abs(2 * n / (M - 1) - 1)


def _cosine_window(a):
    def window(M):
        early = _empty_or_one(M)
        if early is not None:
            return early
        t = 2 * np.pi * _n(M) / (M - 1)
        w = a[0] - a[1] * jnp.cos(t)
        if len(a) > 2:
            w = w + a[2] * jnp.cos(2 * t)
        return w
    return window


blackman = _cosine_window((0.42, 0.5, 0.08))
hamming = _cosine_window((0.54, 0.46))
hanning = _cosine_window((0.5, 0.5))
for _f, _name in ((blackman, "blackman"), (hamming, "hamming"), (hanning, "hanning")):
    _f.__name__ = _f.__qualname__ = _name
    _f.__doc__ = f"The {_name.capitalize()} window of ``M`` points, as ``numpy.{_name}``."


def kaiser(M, beta):
    """Kaiser window: ``i0(beta * sqrt(1 - (2n/(M-1) - 1)**2)) / i0(beta)``."""
    early = _empty_or_one(M)
    if early is not None:
        return early
    r = 2 * _n(M) / (M - 1) - 1
    return i0(beta * jnp.sqrt(jnp.clip(1 - r * r, 0, None))) / i0(jnp.asarray(beta, r.dtype))


_SERIES_TERMS, _ASYMPTOTIC_TERMS, _SWITCH = 60, 25, 15.0


def i0(x):
    """Modified Bessel function of the first kind, order 0 (differentiable: i0' = i1).

    Power series ``sum ((x/2)^2k / k!^2)`` below |x| = 15, the asymptotic expansion
    ``e^|x| / sqrt(2 pi |x|) * sum prod (2j-1)^2 / (8 j |x|)`` above (both to float64
    rounding there); each branch sees a safe argument, so no inf/nan leaks into gradients."""
    check_arraylike("i0", x)
    x = as_jitnet(x)
    if x.dtype.kind not in "f":
        x = x.astype(dtypes.default_float())
    ax = jnp.abs(x)
    small = ax <= _SWITCH
    xs = jnp.where(small, ax, 0.0)
    q = (xs * 0.5) ** 2
    term = jnp.ones_like(xs)
    total = term
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * k)
        total = total + term
    xb = jnp.where(small, 2 * _SWITCH, ax)
    term = jnp.ones_like(xb)
    series = term
    for j in range(1, _ASYMPTOTIC_TERMS):
        term = term * ((2 * j - 1) ** 2) / (8 * j * xb)
        series = series + term
    big = jnp.exp(xb) / jnp.sqrt(2 * np.pi * xb) * series
    return jnp.where(small, total, big)

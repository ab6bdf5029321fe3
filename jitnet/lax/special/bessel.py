"""The exponentially scaled modified Bessel functions ``i0e`` and ``i1e`` (``lax.bessel_i0e``,
``lax.bessel_i1e``; ``jitnet.scipy.special`` builds ``i0``/``i1`` on them), with JAX's
derivative rules."""
from __future__ import annotations

import numpy as np

from ...hop.custom import custom_jvp
from ...prims import elementwise as ew
from ...prims.util import get_aval
from ..control_flow import fori_loop
from .common import full_like, where

_SWITCH = 20.0  # series below, asymptotic expansion above: both reach eps64 there
_SERIES_TERMS = 48
_ASYMPTOTIC_TERMS = 48


def _scaled_bessel_i(order, x):
    """``e^-x I_order(x)`` for ``x >= 0`` (order 0 or 1).

    Below ``_SWITCH`` the power series ``(x/2)^order sum_k (x^2/4)^k / (k! (k+order)!)``
    (positive terms: no cancellation); above, the asymptotic expansion
    ``(2 pi x)^-1/2 sum_k (-1)^k prod_j (4 order^2 - (2j-1)^2) / (k! (8x)^k)``, whose smallest
    term at ``x = 20`` is below 1e-16.
    """
    dtype = get_aval(x).dtype
    small = x <= _SWITCH
    xs = where(small, x, 1.0)
    y = 0.25 * xs * xs

    def series_term(k, carry):
        term, total = carry
        kf = ew.convert_element_type(k + 1, dtype)
        term = term * y / (kf * (kf + order))
        return term, total + term
    one = full_like(x, 1)
    _, series = fori_loop(0, _SERIES_TERMS, series_term, (one, one))
    if order == 1:
        series = series * 0.5 * xs
    series = series * ew.exp(-xs)

    xl = where(~small, x, 2 * _SWITCH)
    mu = 4.0 * order * order

    def asymptotic_term(k, carry):
        term, total = carry
        kf = ew.convert_element_type(k + 1, dtype)
        term = -term * (mu - (2 * kf - 1) ** 2) / (8 * kf * xl)
        return term, total + term
    _, asymptotic = fori_loop(0, _ASYMPTOTIC_TERMS, asymptotic_term, (one, one))
    asymptotic = asymptotic / ew.sqrt(2 * np.pi * xl)
    return where(small, series, asymptotic)


@custom_jvp
def i0e(x):
    """``e^-|x| I_0(x)`` for floating ``x``. Derivative rule (as JAX's):
    ``i1e(x) - sign(x) i0e(x)``."""
    return _scaled_bessel_i(0, ew.abs(x))


@custom_jvp
def i1e(x):
    """``e^-|x| I_1(x)`` (odd in ``x``) for floating ``x``. Derivative rule (as JAX's):
    ``i1e_derivative``."""
    return ew.sign(x) * _scaled_bessel_i(1, ew.abs(x))


def i1e_derivative(x, out):
    """``d/dx i1e(x) = i0e(x) - i1e(x) (sign(x) + 1/x)`` given ``out = i1e(x)``; 1/2 at
    ``|x| <= eps``."""
    eps = float(np.finfo(get_aval(x).dtype).eps)
    tiny = ew.abs(x) <= eps
    xs = where(~tiny, x, 1.0)
    return where(tiny, full_like(x, 0.5), i0e(xs) - out * (ew.sign(xs) + 1 / xs))


i0e.defjvps(lambda t, out, x: t * (i1e(x) - ew.sign(x) * out))
i1e.defjvps(lambda t, out, x: t * i1e_derivative(x, out))

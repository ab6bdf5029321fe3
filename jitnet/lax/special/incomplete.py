"""Regularized incomplete gamma and beta functions (``lax.igamma``, ``lax.igammac``,
``lax.igamma_grad_a``, ``lax.betainc``; ``scipy.special``'s ``gammainc``, ``gammaincc``,
``betainc``), from their series and continued fractions, with JAX's derivative rules.
Operands share one floating dtype and are broadcast (0-d ones may stay 0-d)."""
from __future__ import annotations

import numpy as np

from ...hop.custom import custom_jvp
from ...prims import elementwise as ew
from ...prims.util import get_aval
from ..control_flow import fori_loop
from .common import betaln, full_like, gammaln, isnan, where, xlogy
from .continued_fractions import fraction_tiny, real_fraction

_IGAMMA_TERMS = 256  # enough for a up to ~1e3 in float64 (both expansions need O(sqrt(a)))


def _igamma_series(a, x):
    """``P(a, x)`` from ``x^a e^-x / Gamma(a+1) * sum_k x^k / ((a+1)...(a+k))``, for
    ``x < a + 1``, where the terms fall at least geometrically."""
    def add_term(i, carry):
        term, total, ap = carry
        ap = ap + 1
        term = term * x / ap
        return term, total + term, ap
    one = full_like(x, 1)
    _, total, _ = fori_loop(0, _IGAMMA_TERMS, add_term, (one, one, a))
    return ew.exp(a * ew.log(x) - x - gammaln(a + 1)) * total


def _igammac_fraction(a, x):
    """``Q(a, x)`` from Legendre's continued fraction (modified Lentz), for ``x >= a + 1``."""
    h = real_fraction(x + 1 - a, 2.0, lambda k: -k * (k - a), _IGAMMA_TERMS)
    return ew.exp(a * ew.log(x) - x - gammaln(a)) * h


def _igamma_pair(a, x):
    """``(P, Q)``, nan for ``a <= 0`` or ``x < 0``: each expansion evaluated only where it
    converges fast (the other one gets a harmless stand-in input, so no branch produces nan
    or inf for ``where``)."""
    series = x < a + 1
    x_series = where(series & (x > 0), x, 0.5 * full_like(x, 1))
    x_frac = where(series | ~ew.is_finite(x), a + 1, x)
    a_safe = where(a > 0, a, full_like(a, 1))
    p_series = _igamma_series(a_safe, x_series)
    q_frac = _igammac_fraction(a_safe, x_frac)
    p = where(series, p_series, 1 - q_frac)
    q = where(series, 1 - p_series, q_frac)
    zero, one = full_like(p, 0), full_like(p, 1)
    p = where(x == 0, zero, where(x == np.inf, one, p))
    q = where(x == 0, one, where(x == np.inf, zero, q))
    invalid = (a <= 0) | (x < 0) | isnan(a) | isnan(x)
    nan = full_like(p, np.nan)
    return where(invalid, nan, p), where(invalid, nan, q)


@custom_jvp
def igamma(a, x):
    """Regularized lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)``; nan for
    ``a <= 0`` or ``x < 0``. Derivative rules as JAX's: the density ``x^(a-1) e^-x / Gamma(a)``
    in ``x``, ``igamma_grad_a`` (the derivative of the expansions) in ``a``."""
    return _igamma_pair(a, x)[0]


@custom_jvp
def igammac(a, x):
    """Regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``, accurate where ``P`` is
    near 1; nan for ``a <= 0`` or ``x < 0``. Derivative rules: minus ``igamma``'s."""
    return _igamma_pair(a, x)[1]


def gamma_density(a, x):
    """``d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)`` (``xlogy`` keeps ``a = 1, x = 0`` at 1)."""
    return ew.exp(xlogy(a - 1, x) - x - gammaln(a))


def igamma_grad_a(a, x):
    """``d/da P(a, x)``, differentiating the series/continued fraction that give ``P``."""
    from ...api.ad import jvp   # when called: the api package imports lax
    return jvp(lambda a_: _igamma_pair(a_, x)[0], (a,), (full_like(a, 1),))[1]


igamma.defjvps(lambda t, out, a, x: t * igamma_grad_a(a, x),
               lambda t, out, a, x: t * gamma_density(a, x))
igammac.defjvps(lambda t, out, a, x: -t * igamma_grad_a(a, x),
                lambda t, out, a, x: -t * gamma_density(a, x))


# -- regularized incomplete beta function ----------------------------------------------------

def _betainc_fraction(a, b, x):
    """``I_x(a, b)`` from its continued fraction (modified Lentz), which converges fast for
    ``x < (a + 1) / (a + b + 2)``."""
    tiny = fraction_tiny(x)
    dtype = get_aval(x).dtype

    def guard(v):
        return where(ew.abs(v) < tiny, tiny, v)

    def two_terms(i, carry):
        c, d, h = carry
        m = ew.convert_element_type(i + 1, dtype)
        for coeff in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                      -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 / guard(1 + coeff * d)
            c = guard(1 + coeff / c)
            h = h * d * c
        return c, d, h
    d = 1 / guard(1 - (a + b) * x / (a + 1))
    _, _, h = fori_loop(0, _IGAMMA_TERMS, two_terms, (full_like(x, 1), d, d))
    return ew.exp(a * ew.log(x) + b * ew.log1p(-x) - betaln(a, b)) / a * h


def betainc(a, b, x):
    """Regularized incomplete beta function ``I_x(a, b)``; nan for ``a <= 0``, ``b <= 0`` or
    ``x`` outside ``[0, 1]``. Uses ``I_x(a, b) = 1 - I_{1-x}(b, a)`` above the mean-like
    point ``(a + 1) / (a + b + 2)`` so that the continued fraction always converges fast."""
    invalid = (a <= 0) | (b <= 0) | (x < 0) | (x > 1) | isnan(a) | isnan(b) | isnan(x)
    one = full_like(x, 1)
    a = where(invalid, one, a)
    b = where(invalid, one, b)
    swap = x > (a + 1) / (a + b + 2)
    inside = (x > 0) & (x < 1)
    x_safe = where(inside, x, 0.5 * one)
    direct = _betainc_fraction(where(swap, b, a), where(swap, a, b),
                               where(swap, 1 - x_safe, x_safe))
    out = where(swap, 1 - direct, direct)
    out = where(x == 0, full_like(x, 0), where(x == 1, one, out))
    return where(invalid, full_like(x, np.nan), out)

"""Regularized incomplete gamma and beta functions (``gammainc``, ``gammaincc``, ``betainc``)."""
from __future__ import annotations

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from .gamma_functions import betaln, gammaln
from .logarithmic import xlogy
from .util import as_float, fraction_tiny, real_fraction


_IGAMMA_TERMS = 256  # enough for a up to ~1e3 in float64 (both expansions need O(sqrt(a)))


def _igamma_series(a, x):
    """``P(a, x)`` from ``x^a e^-x / Gamma(a+1) * sum_k x^k / ((a+1)...(a+k))``, for
    ``x < a + 1``, where the terms fall at least geometrically."""
    def add_term(i, carry):
        term, total, ap = carry
        ap = ap + 1
        term = term * x / ap
        return term, total + term, ap
    one = jnp.ones_like(x)
    _, total, _ = lax.fori_loop(0, _IGAMMA_TERMS, add_term, (one, one, a))
    return jnp.exp(a * jnp.log(x) - x - gammaln(a + 1)) * total


def _igammac_fraction(a, x):
    """``Q(a, x)`` from Legendre's continued fraction (modified Lentz), for ``x >= a + 1``."""
    h = real_fraction(x + 1 - a, 2.0, lambda k: -k * (k - a), _IGAMMA_TERMS)
    return jnp.exp(a * jnp.log(x) - x - gammaln(a)) * h


def _igamma_pair(a, x):
    """``(P, Q)``, nan for ``a <= 0`` or ``x < 0``: each expansion evaluated only where it
    converges fast (the other one gets a harmless stand-in input, so no branch produces nan
    or inf for ``where``)."""
    series = x < a + 1
    x_series = jnp.where(series & (x > 0), x, 0.5 * jnp.ones_like(x))
    x_frac = jnp.where(series | ~jnp.isfinite(x), a + 1, x)
    a_safe = jnp.where(a > 0, a, jnp.ones_like(a))
    p_series = _igamma_series(a_safe, x_series)
    q_frac = _igammac_fraction(a_safe, x_frac)
    p = jnp.where(series, p_series, 1 - q_frac)
    q = jnp.where(series, 1 - p_series, q_frac)
    zero, one = jnp.zeros_like(p), jnp.ones_like(p)
    p = jnp.where(x == 0, zero, jnp.where(x == jnp.inf, one, p))
    q = jnp.where(x == 0, one, jnp.where(x == jnp.inf, zero, q))
    invalid = (a <= 0) | (x < 0) | jnp.isnan(a) | jnp.isnan(x)
    nan = jnp.full_like(p, jnp.nan)
    return jnp.where(invalid, nan, p), jnp.where(invalid, nan, q)


def gammainc(a, x):
    """Regularized lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)``; nan for
    ``a <= 0`` or ``x < 0``. Derivative rules as JAX's ``lax.igamma``: the density
    ``x^(a-1) e^-x / Gamma(a)`` in ``x``, ``igamma_grad_a`` (the derivative of the
    expansions) in ``a``."""
    return _gammainc(*as_float("gammainc", a, x))


def gammaincc(a, x):
    """Regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``, accurate where ``P`` is
    near 1; nan for ``a <= 0`` or ``x < 0``. Derivative rules: minus ``gammainc``'s."""
    return _gammaincc(*as_float("gammaincc", a, x))


@custom_jvp
def _gammainc(a, x):
    return _igamma_pair(a, x)[0]


@custom_jvp
def _gammaincc(a, x):
    return _igamma_pair(a, x)[1]


def gamma_density(a, x):
    """``d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)`` (``xlogy`` keeps ``a = 1, x = 0`` at 1)."""
    return jnp.exp(xlogy(a - 1, x) - x - gammaln(a))


def igamma_grad_a(a, x):
    """``d/da P(a, x)``, differentiating the series/continued fraction that give ``P``."""
    from ... import jvp
    return jvp(lambda a_: _igamma_pair(a_, x)[0], (a,), (jnp.ones_like(a),))[1]


_gammainc.defjvps(lambda t, out, a, x: t * igamma_grad_a(a, x),
                  lambda t, out, a, x: t * gamma_density(a, x))
_gammaincc.defjvps(lambda t, out, a, x: -t * igamma_grad_a(a, x),
                   lambda t, out, a, x: -t * gamma_density(a, x))


# -- regularized incomplete beta function ----------------------------------------------------

def _betainc_fraction(a, b, x):
    """``I_x(a, b)`` from its continued fraction (modified Lentz), which converges fast for
    ``x < (a + 1) / (a + b + 2)``."""
    tiny = fraction_tiny(x)

    def guard(v):
        return jnp.where(jnp.abs(v) < tiny, tiny, v)

    def two_terms(i, carry):
        c, d, h = carry
        m = (i + 1).astype(x.dtype)
        for coeff in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                      -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 / guard(1 + coeff * d)
            c = guard(1 + coeff / c)
            h = h * d * c
        return c, d, h
    d = 1 / guard(1 - (a + b) * x / (a + 1))
    _, _, h = lax.fori_loop(0, _IGAMMA_TERMS, two_terms, (jnp.ones_like(x), d, d))
    return jnp.exp(a * jnp.log(x) + b * jnp.log1p(-x) - betaln(a, b)) / a * h


def betainc(a, b, x):
    """Regularized incomplete beta function ``I_x(a, b)``; nan for ``a <= 0``, ``b <= 0`` or
    ``x`` outside ``[0, 1]``. Uses ``I_x(a, b) = 1 - I_{1-x}(b, a)`` above the mean-like
    point ``(a + 1) / (a + b + 2)`` so that the continued fraction always converges fast."""
    a, b, x = as_float("betainc", a, b, x)
    invalid = (a <= 0) | (b <= 0) | (x < 0) | (x > 1) | jnp.isnan(a) | jnp.isnan(b) | jnp.isnan(x)
    one = jnp.ones_like(x)
    a = jnp.where(invalid, one, a)
    b = jnp.where(invalid, one, b)
    swap = x > (a + 1) / (a + b + 2)
    inside = (x > 0) & (x < 1)
    x_safe = jnp.where(inside, x, 0.5 * one)
    direct = _betainc_fraction(jnp.where(swap, b, a), jnp.where(swap, a, b),
                               jnp.where(swap, 1 - x_safe, x_safe))
    out = jnp.where(swap, 1 - direct, direct)
    out = jnp.where(x == 0, jnp.zeros_like(x), jnp.where(x == 1, one, out))
    return jnp.where(invalid, jnp.full_like(x, jnp.nan), out)


"""Exponential, sine and cosine integrals: ``expi``, ``exp1``, ``expn``, ``sici``.

Each uses a convergent power series for small arguments and a continued fraction (or, for
``expi``, an asymptotic series) for large ones, in fixed-length loops so that they trace
once and vectorize; derivative rules are JAX's closed forms."""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from ...lax.special.continued_fractions import complex_fraction, complex_mul, real_fraction
from .gamma_functions import digamma
from .util import EULER_GAMMA, as_float, where_safe

_SERIES_TERMS = 40
_FRACTION_TERMS = 128
_EXPI_SERIES_TERMS = 128  # the series' terms x^k / (k k!) peak at k ~ x: 40 + margin
_EXPI_ASYMPTOTIC = 40.0  # above, e^x / x sum k! / x^k: smallest term e^-40 sqrt(80 pi)


# -- E_n ------------------------------------------------------------------------------------

def _expn_series(n, x):
    """``E_n(x)`` for ``0 < x <= 1``: ``(-x)^(n-1) / (n-1)! (psi(n) - log x)`` plus
    ``-sum_(k != n-1) (-x)^k / ((k - n + 1) k!)`` (terms past ``k = 40`` are below 1e-48)."""
    log_term = digamma(where_safe(n >= 1, n, 1.0)) - jnp.log(x)

    def add_term(k, carry):
        power, total = carry  # power = (-x)^k / k!
        kf = k.astype(x.dtype)
        special = kf == n - 1
        denom = where_safe(~special, kf - n + 1, 1.0)
        total = total + jnp.where(special, power * log_term, -power / denom)
        return power * -x / (kf + 1), total
    _, total = lax.fori_loop(0, _SERIES_TERMS, add_term, (jnp.ones_like(x), jnp.zeros_like(x)))
    return total


def _expn_fraction(n, x):
    """``E_n(x)`` for ``x > 1`` from its continued fraction (modified Lentz), ``e^-x`` times
    ``1 / (x + n - 1 n / (x + n + 2 - 2 (n + 1) / (x + n + 4 - ...)))``."""
    h = real_fraction(x + n, 2.0, lambda k: -k * (n - 1 + k), _FRACTION_TERMS)
    return h * jnp.exp(-x)


def expn(n, x):
    """Generalized exponential integral ``E_n(x) = int_1^inf e^(-x t) / t^n dt`` for integer
    ``n >= 0`` (a float array of integer values) and ``x >= 0``.

    nan for ``n < 0``, non-integer ``n`` or ``x < 0``; ``inf`` at ``x = 0`` for ``n <= 1``,
    ``1 / (n - 1)`` there for ``n >= 2``; ``e^-x / x`` for ``n = 0``. Derivative rule in ``x``
    (as JAX): ``-E_(n-1)(x)`` (``-E_-1 = d/dx e^-x / x``); ``n`` is not differentiated.
    """
    n, x = as_float("expn", n, x)
    return _expn(n, x)


@custom_jvp
def _expn(n, x):
    invalid = (n < 0) | (n != jnp.floor(n)) | (x < 0) | jnp.isnan(x)
    positive = (x > 0) & (n >= 1)
    n_ok = where_safe(positive, n, 1.0)
    small = x <= 1
    series = _expn_series(n_ok, where_safe(positive & small, x, 0.5))
    fraction = _expn_fraction(n_ok, where_safe(positive & ~small, x, 2.0))
    out = jnp.where(small, series, fraction)
    x_safe = where_safe(x > 0, x, 1.0)
    out = jnp.where(n == 0, jnp.exp(-x_safe) / x_safe, out)
    at_zero = jnp.where(n <= 1, jnp.full_like(x, jnp.inf), 1 / where_safe(n >= 2, n - 1, 1.0))
    out = jnp.where(x == 0, at_zero, jnp.where(x == jnp.inf, jnp.zeros_like(x), out))
    return jnp.where(invalid | jnp.isnan(n), jnp.full_like(x, jnp.nan), out)


def _expn_derivative(n, x):
    """``-E_(n-1)(x)``; for ``n = 0``, ``d/dx e^-x / x`` (JAX's ``E_-1`` is nan, which
    leaves ``exp1`` without a second derivative)."""
    x_safe = where_safe(x > 0, x, 1.0)
    zeroth = -jnp.exp(-x_safe) / x_safe * (1 + 1 / x_safe)
    zeroth = jnp.where(x > 0, zeroth, jnp.full_like(x, jnp.nan))
    return jnp.where(n == 0, zeroth, -_expn(n - 1, x))


_expn.defjvps(None, lambda t, out, n, x: t * _expn_derivative(n, x))


def exp1(x):
    """Exponential integral ``E_1(x) = int_x^inf e^-t / t dt`` = ``expn(1, x)``; nan for
    ``x < 0`` (as JAX), ``inf`` at 0. Derivative ``-e^-x / x``."""
    x = as_float("exp1", x)
    return _expn(jnp.ones_like(x), x)


# -- Ei -------------------------------------------------------------------------------------

def expi(x):
    """Exponential integral ``Ei(x) = -PV int_-x^inf e^-t / t dt``: ``-E_1(-x)`` for ``x < 0``;
    for ``x > 0`` the series ``gamma + log x + sum x^k / (k k!)`` (positive terms), and above
    40 the asymptotic series ``e^x / x sum k! / x^k``. ``-inf`` at 0. Derivative rule (as JAX):
    ``e^x / x``. Near its root (x = 0.3725) the error is absolute (~1e-16), not relative."""
    return _expi(as_float("expi", x))


@custom_jvp
def _expi(x):
    negative = x < 0
    series_region = (x > 0) & (x <= _EXPI_ASYMPTOTIC)
    xs = where_safe(series_region, x, 1.0)

    def add_term(k, carry):
        power, total = carry  # power = x^k / k!
        kf = (k + 1).astype(x.dtype)
        power = power * xs / kf
        return power, total + power / kf
    _, total = lax.fori_loop(0, _EXPI_SERIES_TERMS, add_term,
                             (jnp.ones_like(x), jnp.zeros_like(x)))
    series = EULER_GAMMA + jnp.log(xs) + total

    xl = where_safe(x > _EXPI_ASYMPTOTIC, x, 2 * _EXPI_ASYMPTOTIC)
    term, asymptotic = jnp.ones_like(x), jnp.ones_like(x)
    for k in range(1, int(_EXPI_ASYMPTOTIC)):
        term = term * (k / xl)
        asymptotic = asymptotic + term
    asymptotic = jnp.exp(xl) / xl * asymptotic

    below = -_expn(jnp.ones_like(x), where_safe(negative, -x, 1.0))
    out = jnp.where(negative, below, jnp.where(series_region, series, asymptotic))
    out = jnp.where(x == 0, jnp.full_like(x, -jnp.inf), out)
    return jnp.where(jnp.isnan(x) | (x == jnp.inf), x, out)


_expi.defjvps(lambda t, out, x: t * jnp.exp(x) / x)


# -- Si, Ci ---------------------------------------------------------------------------------

def _sici_series(x):
    """Power series for ``0 < x <= 4``: ``Si = sum (-1)^k x^(2k+1) / ((2k+1) (2k+1)!)``,
    ``Ci = gamma + log x + sum_(k>=1) (-1)^k x^(2k) / (2k (2k)!)``."""
    def add_terms(k, carry):
        power, si, ci = carry  # power = (-1)^k x^(2k) / (2k)!, before this step's terms
        kf = k.astype(x.dtype)
        odd = power * x / (2 * kf + 1)  # (-1)^k x^(2k+1) / (2k+1)!
        si = si + odd / (2 * kf + 1)
        power = -odd * x / (2 * kf + 2)
        ci = ci + power / (2 * kf + 2)
        return power, si, ci
    _, si, ci = lax.fori_loop(0, _SERIES_TERMS // 2, add_terms,
                              (jnp.ones_like(x), jnp.zeros_like(x), jnp.zeros_like(x)))
    return si, EULER_GAMMA + jnp.log(x) + ci


def _sici_fraction(x):
    """``E_1(ix) = -Ci(x) + i (Si(x) - pi/2)`` for ``x > 4``, from the continued fraction
    ``E_1(z) = e^-z / (z + 1 - 1 / (z + 3 - 4 / (z + 5 - ...)))`` at ``z = ix``."""
    h = complex_fraction(1.0, 2.0, x, lambda k: -k * k, _FRACTION_TERMS)
    e1 = complex_mul(h, (jnp.cos(x), -jnp.sin(x)))
    return 0.5 * np.pi + e1[1], -e1[0]


def sici(x):
    """Sine and cosine integrals ``(Si(x), Ci(x))``. ``Si`` is odd; for ``x < 0``, ``Ci`` is
    the real part, ``Ci(|x|)`` (as SciPy and JAX); ``Ci(0) = -inf``, ``Ci(-inf)`` nan.
    Derivative rules (as JAX): ``sin(x) / x`` (1 at 0) and ``cos(x) / x``."""
    return _sici(as_float("sici", x))


@custom_jvp
def _sici(x):
    ax = jnp.abs(x)
    small = ax <= 4
    finite = jnp.isfinite(ax)
    si_s, ci_s = _sici_series(where_safe(small & (ax > 0), ax, 1.0))
    si_f, ci_f = _sici_fraction(where_safe(~small & finite, ax, 8.0))
    si = jnp.where(small, si_s, si_f)
    ci = jnp.where(small, ci_s, ci_f)
    si = jnp.where(ax == jnp.inf, jnp.full_like(x, 0.5 * np.pi), si)
    ci = jnp.where(ax == jnp.inf, jnp.zeros_like(x), ci)
    si = jnp.where(ax == 0, jnp.zeros_like(x), jnp.sign(x) * si)
    ci = jnp.where(ax == 0, jnp.full_like(x, -jnp.inf), ci)
    ci = jnp.where(x == -jnp.inf, jnp.full_like(x, jnp.nan), ci)
    nan = jnp.isnan(x)
    return jnp.where(nan, x, si), jnp.where(nan, x, ci)


@_sici.defjvp
def _sici_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _sici(x), (t * jnp.sinc(x / np.pi), t * jnp.cos(x) / x)

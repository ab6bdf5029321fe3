"""``jitnet.scipy.special``: ``scipy.special`` functions with ``jax.scipy.special``'s semantics.

Everything is built from ``jitnet.numpy``/``jitnet.lax`` operations, so it runs eagerly, traces
and differentiates like any other jitnet code. Integer and bool inputs are promoted to the
default float type. Where a formula has a removable singularity (``0 * log 0``) or an
infinite intermediate in a branch ``where`` discards, the discarded branch is fed a safe input
so that reverse-mode gradients do not pick up ``0 * inf = nan``.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..hop.custom import custom_jvp
from ..numpy.util import canonicalize_axes, promote_args_inexact

__all__ = ["beta", "betainc", "betaln", "digamma", "entr", "erf", "erfc", "erfinv", "expit",
           "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "kl_div", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma",
           "rel_entr", "softmax", "xlog1py", "xlogy"]

# Python floats, not NumPy scalars: they are weakly typed, so they keep the input's dtype.
_SQRT_HALF = float(np.sqrt(0.5))
_SQRT_2PI = float(np.sqrt(2 * np.pi))
_HALF_LOG_2PI = float(0.5 * np.log(2 * np.pi))


def _float(name, *args):
    """Promote to a common inexact dtype and broadcast (ints and bools become floats)."""
    out = promote_args_inexact(name, *args)
    return out[0] if len(out) == 1 else out


# -- thin wrappers of primitives -------------------------------------------------------

def erf(x):
    """Error function."""
    return lax.erf(_float("erf", x))


def erfc(x):
    """Complementary error function ``1 - erf(x)``, accurate where ``erf(x)`` is near 1."""
    return lax.erfc(_float("erfc", x))


def erfinv(x):
    """Inverse error function; ``erfinv(+-1) = +-inf``, nan outside ``[-1, 1]``."""
    return lax.erf_inv(_float("erfinv", x))


def expit(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return lax.logistic(_float("expit", x))


def gammaln(x):
    """``log|Gamma(x)|``; ``+inf`` at the poles and at ``-inf`` (as JAX)."""
    x = _float("gammaln", x)
    return jnp.where(x == -jnp.inf, jnp.full_like(x, jnp.inf), lax.lgamma(x))


def betaln(a, b):
    """``log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    a, b = _float("betaln", a, b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def digamma(x):
    """``d/dx log Gamma(x)``; nan at the poles ``0, -1, -2, ...`` (as JAX: the sign of the
    infinity depends on the side of approach, so no infinity is right). The nan is added,
    not selected, so the derivative there stays ``trigamma``'s ``+inf`` (as JAX)."""
    x = _float("digamma", x)
    pole = (x <= 0) & (x == jnp.floor(x))
    return lax.digamma(x) + jnp.where(pole, jnp.full_like(x, jnp.nan), jnp.zeros_like(x))


# -- composite functions -----------------------------------------------------------------

def logit(x):
    """``log(x / (1 - x))``; near ``x = 1/2`` it uses ``log1p`` so the result keeps relative
    accuracy where it crosses zero. Its derivative is the rule ``1 / (x (1 - x))`` (as JAX),
    so no branch the ``where`` discards leaks inf or nan into it near 0 and 1."""
    return _logit(_float("logit", x))


@custom_jvp
def _logit(x):
    near_half = jnp.abs(x - 0.5) < 0.25
    central = jnp.log1p((2 * x - 1) / (1 - x))  # 2x - 1 is exact, so this is accurate
    return jnp.where(near_half, central, jnp.log(x / (1 - x)))


_logit.defjvps(lambda t, out, x: t / (x * (1 - x)))


def xlogy(x, y):
    """``x * log(y)``, defined as 0 where ``x == 0`` (unless ``y`` is nan).

    The derivative is JAX's rule ``(log(y), x / y)``: ``log(y)`` in ``x`` even at ``x = 0``
    (``-inf`` at ``(0, 0)``), ``0 / 0 = nan`` in ``y`` at ``(0, 0)``.
    """
    return _xlogy(*_float("xlogy", x, y))


@custom_jvp
def _xlogy(x, y):
    # y is replaced by 1 where x == 0 and log(y) is not finite: the value there is 0
    bad = (x == 0) & ((y <= 0) | (y == jnp.inf))
    return x * jnp.log(jnp.where(bad, jnp.ones_like(y), y))


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlogy(x, y), tx * jnp.log(y) + ty * (x / y)


def xlog1py(x, y):
    """``x * log1p(y)``, defined as 0 where ``x == 0`` (unless ``y`` is nan); derivative
    ``(log1p(y), x / (1 + y))`` as JAX (singular at ``(0, -1)``)."""
    return _xlog1py(*_float("xlog1py", x, y))


@custom_jvp
def _xlog1py(x, y):
    bad = (x == 0) & ((y <= -1) | (y == jnp.inf))
    return x * jnp.log1p(jnp.where(bad, jnp.zeros_like(y), y))


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlog1py(x, y), tx * jnp.log1p(y) + ty * (x / (1 + y))


def entr(x):
    """Elementwise entropy ``-x log x``: 0 at 0, ``-inf`` for ``x < 0``, nan for nan.

    The derivative is ``-(log x + 1)``, ``+inf`` at 0 (as JAX); below 0 the value is the
    constant ``-inf``, with derivative 0.
    """
    x = _float("entr", x)
    neg = x < 0
    out = jnp.where(neg, jnp.full_like(x, -jnp.inf),
                    -_xlogx(jnp.where(neg, jnp.ones_like(x), x)))
    return jnp.where(jnp.isnan(x), x, out)


@custom_jvp
def _xlogx(x):
    """``x log x`` for ``x >= 0`` (0 at 0), with derivative ``log x + 1``."""
    pos = x > 0
    safe = jnp.where(pos, x, jnp.ones_like(x))
    return jnp.where(pos, safe * jnp.log(safe), jnp.zeros_like(x))


_xlogx.defjvps(lambda t, out, x: t * (jnp.log(x) + 1))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow or underflow.

    The maximum is subtracted first (under ``stop_gradient``: the result does not depend on
    it, so gradients are unchanged). An infinite or nan maximum is replaced by 0 so that
    ``-inf`` rows give ``-inf`` and ``+inf`` entries give ``+inf`` instead of ``inf - inf``.
    Terms with ``b == 0`` are dropped. A negative sum gives nan unless ``return_sign``, which
    returns ``(log|sum|, sign(sum))``.
    """
    if b is None:
        a = _float("logsumexp", a)
    else:
        a, b = _float("logsumexp", a, b)
        a = jnp.where(b != 0, a, jnp.full_like(a, -jnp.inf))
    axes = canonicalize_axes(axis, a.ndim)
    amax = jnp.max(a, axis=axes, keepdims=True, where=where, initial=-jnp.inf)
    amax = lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, jnp.zeros_like(amax)))
    terms = jnp.exp(a - amax)
    if b is not None:
        terms = terms * b
    total = jnp.sum(terms, axis=axes, keepdims=keepdims, where=where)
    sign = jnp.sign(total)
    if not keepdims:
        amax = jnp.reshape(amax, total.shape)
    out = jnp.log(jnp.abs(total)) + amax
    if return_sign:
        return out, sign
    return jnp.where(sign < 0, jnp.full_like(out, jnp.nan), out)


def ndtr(x):
    """Standard normal CDF. Uses ``erfc`` away from 0 so the left tail keeps relative
    accuracy down to underflow (``0.5 + 0.5 * erf`` would round it to 0)."""
    x = _float("ndtr", x)
    z = x * _SQRT_HALF
    w = jnp.abs(z)
    tail = jnp.where(z > 0, 1 - 0.5 * lax.erfc(w), 0.5 * lax.erfc(w))
    return jnp.where(w < _SQRT_HALF, 0.5 + 0.5 * lax.erf(z), tail)


def log_ndtr(x, series_order=3):
    """``log(ndtr(x))``, accurate in both tails.

    Three regions: ``log1p(-ndtr(-x))`` for ``x > 0`` (tiny ``ndtr(-x)`` stays accurate);
    ``log(ndtr(x))`` down to ``lower``; below that the asymptotic series
    ``log phi(x) - log(-x) + log(1 + sum_k (-1)^k (2k-1)!! / x^(2k))`` with ``series_order``
    terms. ``lower`` is just above where ``ndtr`` leaves the normal floats (-37 in float64,
    -10 in float32): the series' truncation error falls like ``x^-(2 series_order + 2)``, so
    switching late keeps the default order accurate (JAX switches at -20 in float64, with a
    truncation error of ~4e-9 there). Each branch gets an input clamped to its region, so
    untaken branches stay finite.
    """
    if not isinstance(series_order, int) or isinstance(series_order, bool):
        raise TypeError("series_order must be a Python integer.")
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    x = _float("log_ndtr", x)
    lower = -37.0 if x.dtype == np.float64 else -10.0
    low, high = x < lower, x > 0
    mid = ~(low | high)  # nan lands here and propagates through ndtr
    # select (not min/max, whose derivative splits ties) keeps d/dx = 1 up to each boundary
    x_low = jnp.where(low, x, jnp.full_like(x, lower))
    x_mid = jnp.where(mid, x, jnp.zeros_like(x))
    x_high = jnp.where(high, x, jnp.ones_like(x))
    return jnp.where(low, _log_ndtr_asymptotic(x_low, series_order),
                     jnp.where(mid, jnp.log(ndtr(x_mid)), jnp.log1p(-ndtr(-x_high))))


def _log_ndtr_asymptotic(x, series_order):
    """Asymptotic expansion of ``log ndtr(x)`` for ``x`` far below 0."""
    x2 = x * x
    inv_x2 = 1 / x2
    series = jnp.ones_like(x)
    term = jnp.ones_like(x)
    for k in range(1, series_order + 1):
        term = term * -(2 * k - 1) * inv_x2  # (-1)^k (2k-1)!! / x^(2k)
        series = series + term
    return -0.5 * x2 - jnp.log(-x) - _HALF_LOG_2PI + jnp.log(series)


# Rational approximations of the inverse normal CDF from the Cephes library (S. L. Moshier).
# Central region |p - 1/2| <= 1/2 - exp(-2), in w = (p - 1/2)^2:
_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
       1.39312609387279679503e1, -1.23916583867381258016e0)
_Q0 = (1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
       -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
       1.59056225126211695515e1, -1.18331621121330003142e0)
# Tails, in z = 1 / sqrt(-2 log p): for 2 <= 1/z < 8 ...
_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
       4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
       -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_Q1 = (1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
       1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
       -3.80806407691578277194e-2, -9.33259480895457427372e-4)
# ... and for 1/z >= 8 (p below exp(-32)).
_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
       1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
       3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
       2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
       2.89247864745380683936e-6, 6.79019408009981274425e-9)
_EXP_M2 = float(np.exp(-2.0))


def _horner(coeffs, x):
    """Polynomial with coefficients from the highest degree down."""
    acc = jnp.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def ndtri(p):
    """Inverse of ``ndtr``: ``-inf`` at 0, ``inf`` at 1, nan outside ``[0, 1]``.

    Cephes' algorithm: a rational function of ``(p - 1/2)^2`` in the centre; in the tails,
    with ``t = sqrt(-2 log q)`` (``q`` = the smaller of ``p`` and ``1 - p``),
    ``t - log(t)/t - R(1/t)``. Working from the small tail probability keeps the left tail
    accurate down to the smallest normal floats.

    The derivative is the rule ``sqrt(2 pi) exp(ndtri(p)^2 / 2)`` (the inverse function's),
    not the derivative of the approximation: nan outside ``[0, 1]``, ``+inf`` at 0 and 1
    (the one-sided limit; JAX's 0 there comes from differentiating the constant).
    """
    return _ndtri(_float("ndtri", p))


@custom_jvp
def _ndtri(p):
    upper = p > 1 - _EXP_M2
    q = jnp.where(upper, 1 - p, p)
    central = q > _EXP_M2
    one, half = jnp.ones_like(p), jnp.full_like(p, 0.5)

    w = jnp.where(central, p, half) - 0.5
    w2 = w * w
    x_central = _SQRT_2PI * (w + w * (w2 * _horner(_P0, w2) / _horner(_Q0, w2)))

    q_tail = jnp.where(central | ~(q > 0), jnp.full_like(p, 0.01), q)  # keeps log finite
    t = jnp.sqrt(-2 * jnp.log(q_tail))
    z = 1 / t
    r = jnp.where(t < 8, z * _horner(_P1, z) / _horner(_Q1, z),
                  z * _horner(_P2, z) / _horner(_Q2, z))
    x_tail = (t - jnp.log(t) / t) - r
    out = jnp.where(central, x_central, jnp.where(upper, x_tail, -x_tail))

    out = jnp.where(p == 0, -jnp.inf * one, jnp.where(p == 1, jnp.inf * one, out))
    return jnp.where((p < 0) | (p > 1) | jnp.isnan(p), jnp.nan * one, out)


# -- regularized incomplete gamma functions -------------------------------------------------

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
    tiny = float(np.finfo(x.dtype).tiny) * 1e6

    def next_term(i, carry):
        b, c, d, h = carry
        k = (i + 1).astype(x.dtype)
        an = -k * (k - a)
        b = b + 2
        d = an * d + b
        d = jnp.where(jnp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = jnp.where(jnp.abs(c) < tiny, tiny, c)
        d = 1 / d
        return b, c, d, h * d * c
    b = x + 1 - a
    d = 1 / b
    _, _, _, h = lax.fori_loop(0, _IGAMMA_TERMS, next_term, (b, jnp.full_like(x, 1 / tiny), d, d))
    return jnp.exp(a * jnp.log(x) - x - gammaln(a)) * h


def _igamma_pair(name, a, x):
    """``(P, Q, invalid)``: each expansion evaluated only where it converges fast (the other
    one gets a harmless stand-in input, so no branch produces nan or inf for ``where``)."""
    a, x = _float(name, a, x)
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
    return p, q, invalid


def gammainc(a, x):
    """Regularized lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)``; nan for
    ``a <= 0`` or ``x < 0``. Differentiable in both arguments (through the expansions)."""
    p, _, invalid = _igamma_pair("gammainc", a, x)
    return jnp.where(invalid, jnp.full_like(p, jnp.nan), p)


def gammaincc(a, x):
    """Regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``, accurate where ``P`` is
    near 1; nan for ``a <= 0`` or ``x < 0``."""
    _, q, invalid = _igamma_pair("gammaincc", a, x)
    return jnp.where(invalid, jnp.full_like(q, jnp.nan), q)


# -- regularized incomplete beta function ----------------------------------------------------

def _betainc_fraction(a, b, x):
    """``I_x(a, b)`` from its continued fraction (modified Lentz), which converges fast for
    ``x < (a + 1) / (a + b + 2)``."""
    tiny = float(np.finfo(x.dtype).tiny) * 1e6

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
    a, b, x = _float("betainc", a, b, x)
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

_ndtri.defjvps(lambda t, out, p: t * (_SQRT_2PI * jnp.exp(0.5 * out * out)))


# -- gamma family, relative entropies, softmax ---------------------------------------------

def gammasgn(x):
    """Sign of ``Gamma(x)``: 1 for ``x > 0``, alternating between the poles below 0 (-1 on
    ``(-1, 0)``), nan at the poles ``0, -1, -2, ...`` and for nan."""
    x = _float("gammasgn", x)
    odd = jnp.remainder(jnp.floor(x), 2) == 1
    sign = jnp.where((x > 0) | ~odd, jnp.ones_like(x), -jnp.ones_like(x))
    pole = (x <= 0) & (x == jnp.floor(x))
    return jnp.where(pole | jnp.isnan(x), jnp.full_like(x, jnp.nan), sign)


def gamma(x):
    """``Gamma(x) = gammasgn(x) exp(gammaln(x))``; nan at the poles."""
    x = _float("gamma", x)
    return gammasgn(x) * jnp.exp(gammaln(x))


def beta(a, b):
    """``B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)``, from ``betaln`` and the signs."""
    a, b = _float("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * jnp.exp(betaln(a, b))


def multigammaln(a, d: int):
    """Log of the multivariate gamma function of dimension ``d`` (a Python int)."""
    if not isinstance(d, int) or isinstance(d, bool) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive Python int, got {d!r}")
    a = _float("multigammaln", a)
    terms = sum(gammaln(a - 0.5 * j) for j in range(d))
    return terms + (d * (d - 1) / 4) * float(np.log(np.pi))


def polygamma(n, x):
    """``psi^(n)(x)``, the ``n``-th derivative of ``digamma``, for ``n`` = 0 or 1 (Python
    ints; higher orders need the Hurwitz zeta function, which jitnet does not have)."""
    if n not in (0, 1) or isinstance(n, bool):
        raise NotImplementedError(f"polygamma: order n={n!r}; jitnet has n = 0 (digamma) "
                                  f"and n = 1 (trigamma)")
    x = _float("polygamma", x)
    if n == 0:
        return digamma(x)
    from ..prims.elementwise import trigamma
    return trigamma(x)


def rel_entr(x, y):
    """``x log(x / y)`` for ``x, y > 0``; 0 where ``x == 0 <= y``; ``inf`` otherwise."""
    x, y = _float("rel_entr", x, y)
    both = (x > 0) & (y > 0)
    safe_x = jnp.where(both, x, jnp.ones_like(x))
    safe_y = jnp.where(both, y, jnp.ones_like(y))
    zero = (x == 0) & (y >= 0)
    out = jnp.where(both, safe_x * jnp.log(safe_x / safe_y),
                    jnp.where(zero, jnp.zeros_like(x), jnp.full_like(x, jnp.inf)))
    return jnp.where(jnp.isnan(x) | jnp.isnan(y), x + y, out)


def kl_div(x, y):
    """``x log(x / y) - x + y`` for ``x, y > 0``; ``y`` where ``x == 0 <= y``; ``inf``
    otherwise."""
    x, y = _float("kl_div", x, y)
    both = (x > 0) & (y > 0)
    zero = (x == 0) & (y >= 0)
    out = jnp.where(both, rel_entr(x, y) - x + y,
                    jnp.where(zero, y, jnp.full_like(x, jnp.inf)))
    return jnp.where(jnp.isnan(x) | jnp.isnan(y), x + y, out)


def softmax(x, axis=None):
    """``jax.nn.softmax`` with SciPy's default ``axis=None`` (all axes)."""
    from ..nn import softmax as _softmax
    return _softmax(x, axis=axis)


def log_softmax(x, axis=None):
    """``jax.nn.log_softmax`` with SciPy's default ``axis=None`` (all axes)."""
    from ..nn import log_softmax as _log_softmax
    return _log_softmax(x, axis=axis)

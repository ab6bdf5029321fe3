"""The error function family: ``erf``, ``erfc``, ``erfinv``, ``erfcx``, Dawson's integral, the
normal CDF ``ndtr``, its log and inverse, Owen's T."""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from ...lax.special.continued_fractions import complex_fraction, complex_mul, real_fraction
from .util import SQRT_2PI, as_float, exp_square, horner, where_safe

_SQRT_HALF = float(np.sqrt(0.5))
_HALF_LOG_2PI = float(0.5 * np.log(2 * np.pi))


def erf(x):
    """Error function."""
    return lax.erf(as_float("erf", x))


def erfc(x):
    """Complementary error function ``1 - erf(x)``, accurate where ``erf(x)`` is near 1."""
    return lax.erfc(as_float("erfc", x))


def erfinv(x):
    """Inverse error function; ``erfinv(+-1) = +-inf``, nan outside ``[-1, 1]``."""
    return lax.erf_inv(as_float("erfinv", x))


def ndtr(x):
    """Standard normal CDF. Uses ``erfc`` away from 0 so the left tail keeps relative
    accuracy down to underflow (``0.5 + 0.5 * erf`` would round it to 0)."""
    x = as_float("ndtr", x)
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
    x = as_float("log_ndtr", x)
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
    return _ndtri(as_float("ndtri", p))


@custom_jvp
def _ndtri(p):
    upper = p > 1 - _EXP_M2
    q = jnp.where(upper, 1 - p, p)
    central = q > _EXP_M2
    one, half = jnp.ones_like(p), jnp.full_like(p, 0.5)

    w = jnp.where(central, p, half) - 0.5
    w2 = w * w
    x_central = SQRT_2PI * (w + w * (w2 * horner(_P0, w2) / horner(_Q0, w2)))

    q_tail = jnp.where(central | ~(q > 0), jnp.full_like(p, 0.01), q)  # keeps log finite
    t = jnp.sqrt(-2 * jnp.log(q_tail))
    z = 1 / t
    r = jnp.where(t < 8, z * horner(_P1, z) / horner(_Q1, z),
                  z * horner(_P2, z) / horner(_Q2, z))
    x_tail = (t - jnp.log(t) / t) - r
    out = jnp.where(central, x_central, jnp.where(upper, x_tail, -x_tail))

    out = jnp.where(p == 0, -jnp.inf * one, jnp.where(p == 1, jnp.inf * one, out))
    return jnp.where((p < 0) | (p > 1) | jnp.isnan(p), jnp.nan * one, out)


_ndtri.defjvps(lambda t, out, p: t * (SQRT_2PI * jnp.exp(0.5 * out * out)))



# -- scaled complementary error function, Dawson's integral, Owen's T -----------------------

_SQRT_PI = float(np.sqrt(np.pi))
_ERFCX_FRACTION_TERMS = 64  # enough for 1e-15 from x = 2 on


def erfcx(x):
    """Scaled complementary error function ``exp(x^2) erfc(x)``, finite where ``erfc``
    underflows: below 2, ``exp(x^2) erfc(x)`` (with ``exp(x^2)`` split for accuracy); from 2
    on, Laplace's continued fraction ``1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / ...))))``.
    ``inf`` as ``x -> -inf``. Derivative rule (as JAX): ``2 x erfcx(x) - 2 / sqrt(pi)``."""
    return _erfcx(as_float("erfcx", x))


@custom_jvp
def _erfcx(x):
    large = x >= 2
    xs = where_safe(~large, x, 1.0)
    direct = exp_square(xs) * lax.erfc(xs)
    xl = where_safe(large & (x < jnp.inf), x, 4.0)
    fraction = real_fraction(xl, 0.0, lambda k: 0.5 * k, _ERFCX_FRACTION_TERMS) / _SQRT_PI
    out = jnp.where(large, fraction, direct)
    out = jnp.where(x == jnp.inf, jnp.zeros_like(out), out)
    return jnp.where(x == -jnp.inf, -x, out)


_erfcx.defjvps(lambda t, out, x: t * (2 * x * out - 2 / _SQRT_PI))

_DAWSN_SWITCH = 6.5  # the asymptotic series' smallest term there is below 1e-17
_DAWSN_SERIES_TERMS = 128  # the series' terms x^(2k+1) / k! peak at k ~ x^2 = 42


def dawsn(x):
    """Dawson's integral ``exp(-x^2) int_0^x exp(t^2) dt`` (odd in ``x``).

    Below 6.5, ``exp(-x^2) sum_k x^(2k+1) / (k! (2k+1))``, a series of positive terms (the
    textbook alternating one cancels); above, ``1/(2x) sum_k (2k-1)!! / (2x^2)^k``.
    Derivative rule (as JAX): ``1 - 2 x dawsn(x)``."""
    return _dawsn(as_float("dawsn", x))


@custom_jvp
def _dawsn(x):
    ax = jnp.abs(x)
    small = ax <= _DAWSN_SWITCH
    xs = where_safe(small, ax, 1.0)
    x2 = xs * xs

    def add_term(k, carry):
        power, total = carry  # power = x^(2k+1) / k!
        kf = (k + 1).astype(x.dtype)
        power = power * x2 / kf
        return power, total + power / (2 * kf + 1)
    _, series = lax.fori_loop(0, _DAWSN_SERIES_TERMS, add_term, (xs, xs))
    series = exp_square(xs, -1.0) * series

    xl = where_safe(~small, ax, 2 * _DAWSN_SWITCH)
    t = 1 / (2 * xl * xl)
    term, total = jnp.ones_like(x), jnp.ones_like(x)
    for k in range(1, 40):
        term = term * (2 * k - 1) * t
        total = total + term
    return jnp.sign(x) * jnp.where(small, series, total / (2 * xl))


_dawsn.defjvps(lambda t, out, x: t * (1 - 2 * x * out))

# Gauss-Legendre rule on [-1, 1] for Owen's T integral over [0, a], |a| <= 1
_GL_NODES, _GL_WEIGHTS = (tuple(float(v) for v in arr)
                          for arr in np.polynomial.legendre.leggauss(24))


def owens_t(h, a):
    """Owen's T function ``1/(2 pi) int_0^a exp(-h^2 (1 + u^2) / 2) / (1 + u^2) du``.

    Even in ``h``, odd in ``a``. For ``|a| <= 1`` a 24-point Gauss-Legendre rule; for
    ``|a| > 1`` the reflection ``T(h, a) = (E(h) + E(ah) - E(h) E(ah)) / 4 - T(ah, 1/a)``
    with ``E(v) = erfc(v / sqrt 2)``. Derivative rules (as JAX):
    ``dT/dh = -exp(-h^2/2) erf(a h / sqrt 2) / (2 sqrt(2 pi))``,
    ``dT/da = exp(-(1 + a^2) h^2 / 2) / (2 pi (1 + a^2))``."""
    return _owens_t(*as_float("owens_t", h, a))


def _owens_t_small_a(h, a):
    """``T(h, a)`` for ``0 <= a <= 1`` by quadrature."""
    total = jnp.zeros_like(h)
    for node, weight in zip(_GL_NODES, _GL_WEIGHTS):
        u2 = jnp.square(0.5 * a * (node + 1))
        total = total + weight * jnp.exp(-0.5 * h * h * (1 + u2)) / (1 + u2)
    return total * a / (4 * np.pi)


@custom_jvp
def _owens_t(h, a):
    h_abs, a_abs = jnp.abs(h), jnp.abs(a)
    small = a_abs <= 1
    direct = _owens_t_small_a(h_abs, where_safe(small, a_abs, 0.5))
    a_big = jnp.where(small, jnp.full_like(a, 2.0), a_abs)
    ah = a_big * h_abs
    e_h, e_ah = lax.erfc(h_abs * _SQRT_HALF), lax.erfc(ah * _SQRT_HALF)
    reflected = 0.25 * (e_h + e_ah - e_h * e_ah) - _owens_t_small_a(ah, 1 / a_big)
    out = jnp.where(small, direct, reflected)
    out = jnp.where(h == 0, jnp.arctan(a_abs) / (2 * np.pi), out)
    out = jnp.sign(a) * out
    return jnp.where(jnp.isnan(h) | jnp.isnan(a), jnp.full_like(out, jnp.nan), out)


@_owens_t.defjvp
def _owens_t_jvp(primals, tangents):
    (h, a), (th, ta) = primals, tangents
    d_h = -jnp.exp(-0.5 * h * h) * lax.erf(a * h * _SQRT_HALF) / (2 * SQRT_2PI)
    d_a = jnp.exp(-0.5 * (1 + a * a) * h * h) / (2 * np.pi * (1 + a * a))
    return _owens_t(h, a), th * d_h + ta * d_a


_FRESNEL_SWITCH = 1.5
_FRESNEL_SERIES_TERMS = 40
_FRESNEL_FRACTION_TERMS = 128


def fresnel(x):
    """Fresnel integrals ``(S(x), C(x)) = int_0^x (sin, cos)(pi t^2 / 2) dt`` (both odd,
    1/2 at ``+inf``), as ``scipy.special.fresnel``.

    Up to ``|x| = 1.5`` their power series; above, ``C + iS = (1 + i)/2 - x e^(i pi x^2/2) F``
    with ``F`` the continued fraction of ``erfc`` at ``z = sqrt(pi)/2 (1 - i) x``,
    ``1 / (2z^2 + 1 - 1 2 / (2z^2 + 5 - 3 4 / (2z^2 + 9 - ...)))``. Derivative rules:
    ``sin(pi x^2 / 2)`` and ``cos(pi x^2 / 2)``."""
    return _fresnel(as_float("fresnel", x))


def _fresnel_series(x):
    """``(S, C)`` from ``sum_k (pi x^2 / 2)^k x / (k! (2k + 1))`` with the signs
    ``+, +, -, -, ...``: even ``k`` feed ``C``, odd ``k`` feed ``S``."""
    w = 0.5 * np.pi * x * x

    def add_pair(k, carry):
        term, s, c = carry  # term = (-1)^k w^(2k) x / (2k)!
        kf = k.astype(x.dtype)
        c = c + term / (4 * kf + 1)
        odd = term * w / (2 * kf + 1)
        s = s + odd / (4 * kf + 3)
        return -odd * w / (2 * kf + 2), s, c
    zero = jnp.zeros_like(x)
    _, s, c = lax.fori_loop(0, _FRESNEL_SERIES_TERMS // 2, add_pair, (x, zero, zero))
    return s, c


@custom_jvp
def _fresnel(x):
    ax = jnp.abs(x)
    small = ax <= _FRESNEL_SWITCH
    s_series, c_series = _fresnel_series(where_safe(small, ax, 1.0))
    xl = where_safe(~small & jnp.isfinite(ax), ax, 2 * _FRESNEL_SWITCH)
    theta = 0.5 * np.pi * xl * xl
    f = complex_fraction(1.0, 4.0, -np.pi * xl * xl, lambda k: -(2 * k - 1) * (2 * k),
                         _FRESNEL_FRACTION_TERMS)
    g = complex_mul((jnp.cos(theta), jnp.sin(theta)), f)
    s = jnp.where(small, s_series, 0.5 - xl * g[1])
    c = jnp.where(small, c_series, 0.5 - xl * g[0])
    half = jnp.full_like(x, 0.5)
    s, c = jnp.where(ax == jnp.inf, half, s), jnp.where(ax == jnp.inf, half, c)
    sign = jnp.sign(x)
    return jnp.where(jnp.isnan(x), x, sign * s), jnp.where(jnp.isnan(x), x, sign * c)


@_fresnel.defjvp
def _fresnel_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    theta = 0.5 * np.pi * x * x
    return _fresnel(x), (t * jnp.sin(theta), t * jnp.cos(theta))


# -- Faddeeva function -------------------------------------------------------------------------

def _weideman_coefficients(n: int):
    """Weideman's (1994) rational expansion of ``w`` in the upper half-plane: the polynomial
    coefficients (highest degree first) and the scale ``L``, from an FFT of the transformed
    integrand. n = 40 terms give ~1e-14 relative error against ``scipy.special.wofz``."""
    m = 2 * n
    scale = np.sqrt(n / np.sqrt(2))
    t = scale * np.tan(np.arange(-m + 1, m) * np.pi / (2 * m))
    f = np.concatenate([[0.0], np.exp(-t * t) * (scale * scale + t * t)])
    a = np.real(np.fft.fft(np.fft.fftshift(f))) / (2 * m)
    return float(scale), [float(c) for c in a[1:n + 1][::-1]]


_W_SCALE, _W_COEFFS = _weideman_coefficients(40)


def wofz(z):
    """Faddeeva function ``w(z) = exp(-z^2) erfc(-i z)`` (``scipy.special.wofz``): complex
    output (complex64 for float32/complex64 input). Upper half-plane by Weideman's rational
    expansion, lower half-plane by ``w(z) = 2 exp(-z^2) - w(-z)`` (overflowing as SciPy's does
    far below the real axis). Built from complex arithmetic and real transcendentals, so it
    compiles under ``jit`` and differentiates (``w' = -2 z w + 2i / sqrt(pi)``)."""
    z = jnp.asarray(z)
    if z.dtype.kind != "c":
        x = as_float("wofz", z)
        z = lax.complex(x, jnp.zeros_like(x))
    lower = jnp.imag(z) < 0
    zu = jnp.where(lower, -z, z)
    iz = lax.complex(-jnp.imag(zu), jnp.real(zu))              # i z, in the upper half-plane
    den = _W_SCALE - iz
    w = 2.0 * horner(_W_COEFFS, (_W_SCALE + iz) / den) / (den * den) + (1 / np.sqrt(np.pi)) / den
    x, y = jnp.real(z), jnp.imag(z)
    e = jnp.exp(jnp.where(lower, y * y - x * x, 0.0))          # |exp(-z^2)|, used below the axis
    ez = lax.complex(e * jnp.cos(2 * x * y), -e * jnp.sin(2 * x * y))
    return jnp.where(lower, 2.0 * ez - w, w)

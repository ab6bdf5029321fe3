"""Hypergeometric functions: the confluent ``hyp1f1`` and Gauss's ``hyp2f1``."""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from . import double_float as df
from .gamma_functions import digamma, gammaln, gammasgn
from .util import as_float, where_safe

_SWITCH = 40.0  # series up to here, asymptotic expansion above
_SERIES_TERMS = 300  # the terms peak near k = x: to x ~ 150 with 10 sqrt(x) margin
_ASYMPTOTIC_TERMS = 40


def _series(a, b, x):
    """``sum_k (a)_k / (b)_k x^k / k!`` (terminates by itself for ``a = 0, -1, ...``)."""
    def add_term(k, carry):
        term, total = carry
        kf = k.astype(x.dtype)
        term = term * (a + kf) / (b + kf) * x / (kf + 1)
        return term, total + term
    one = jnp.ones_like(x)
    return lax.fori_loop(0, _SERIES_TERMS, add_term, (one, one))[1]


def _series_df(ratio, terms, like):
    """``sum_k t_k`` with ``t_0 = 1``, ``t_(k+1) = t_k ratio(k)`` (a pair of the float ``k``),
    in double-float arithmetic, for float32. Where the terms cancel, float32 loses digits to
    the rounding of each term (up to all of them); the pairs carry 48 bits, so the sum is
    good to float32's precision."""
    def add_term(k, carry):
        term, total = carry
        term = df.mul(term, ratio(k.astype(like.dtype)))
        return term, df.add(total, term)
    one = df.from_float(jnp.ones_like(like))
    return lax.fori_loop(0, terms, add_term, (one, one))[1][0]


def _series_float32(a, b, x):
    """``_series`` in double-float arithmetic; ``a`` is a pair (Kummer's ``b - a``, exact)."""
    def ratio(kf):
        num = df.mul_float(df.add_float(a, kf), x)
        return df.div(num, df.mul_float(df.two_sum(b, kf), kf + 1))
    return _series_df(ratio, _SERIES_TERMS, x)


def _asymptotic(a, b, x, a_lo=None):
    """``Gamma(b) / Gamma(a) e^x x^(a-b) sum_k (b-a)_k (1-a)_k / (k! x^k)`` for large ``x > 0``
    (the exponentially smaller second series is dropped). ``a_lo``: float32's low part of
    the pair ``a``, which ``1 / Gamma(a)`` amplifies near its zeros ``a = 0, -1, ...``."""
    term, total = jnp.ones_like(x), jnp.ones_like(x)
    for k in range(_ASYMPTOTIC_TERMS):
        term = term * (b - a + k) * (1 - a + k) / ((k + 1) * x)
        total = total + term
    if x.dtype == np.float32:
        # rounding x + rest would cost ~x eps relative: e^(hi + lo) = e^hi (1 + lo); and
        # log|Gamma(a + a_lo)| to first order in a_lo
        rest = gammaln(b) - (gammaln(a) + a_lo * digamma(a)) + (a - b) * jnp.log(x)
        hi, lo = df.two_sum(x, rest)
        scale = jnp.exp(hi) * (1 + lo)
    else:
        scale = jnp.exp(gammaln(b) - gammaln(a) + x + (a - b) * jnp.log(x))
    return gammasgn(b) * gammasgn(a) * scale * total


def _hyp1f1_positive(a, b, x):
    """``1F1(a; b; x)`` for ``x >= 0``; in float32 ``a`` is a double-float pair, and the
    series is summed in double-float (its terms cancel where ``a < 0``)."""
    a_pair = a
    if x.dtype == np.float32:
        a = a_pair[0]
    terminating = (a <= 0) & (a == jnp.floor(a))
    # the asymptotic terms shrink fast enough only once x >> |(b - a)(1 - a)|
    use_series = (x <= jnp.maximum(_SWITCH, 4 * jnp.abs((b - a) * (1 - a)))) | terminating
    x_series = where_safe(use_series, x, 1.0)
    if x.dtype == np.float32:
        series = _series_float32(a_pair, b, x_series)
    else:
        series = _series(a, b, x_series)
    asymptotic = _asymptotic(where_safe(~use_series, a, 1.0), b,
                             where_safe(~use_series, x, 2 * _SWITCH),
                             where_safe(~use_series, a_pair[1], 0.0) if x.dtype == np.float32
                             else None)
    return jnp.where(use_series, series, asymptotic)


def _hyp1f1_raw(a, b, x):
    negative = x < 0
    # Kummer's transformation 1F1(a; b; x) = e^x 1F1(b - a; b; -x) makes x >= 0
    if x.dtype == np.float32:  # b - a exact as a pair: the series amplifies its rounding
        a_t = df.select(negative, df.two_sum(b, -a), df.from_float(a))
    else:
        a_t = jnp.where(negative, b - a, a)
    value = _hyp1f1_positive(a_t, b, jnp.abs(x))
    out = jnp.where(negative, jnp.exp(x) * value, value)
    out = jnp.where(a == b, jnp.exp(x), out)
    out = jnp.where(a == 0, jnp.ones_like(out), out)
    b_pole = (b <= 0) & (b == jnp.floor(b)) & (a != 0)
    return jnp.where(b_pole, jnp.full_like(out, jnp.inf), out)


def hyp1f1(a, b, x):
    """Kummer's confluent hypergeometric function
    ``1F1(a; b; x) = sum_k (a)_k / (b)_k x^k / k!`` for real arguments.

    ``x < 0`` goes through Kummer's transformation ``e^x 1F1(b - a; b; -x)``; then the power
    series up to ``x = max(40, 4 |(b - a)(1 - a)|)`` (and for terminating ``a = 0, -1, ...``),
    the large-``x`` asymptotic expansion above; in float32 the series in double-float
    arithmetic, as its terms cancel for ``x < 0`` (``b - a < 0``). As JAX: 1 for ``a = 0``
    (also at ``b = 0``), ``e^x`` for ``a = b``, ``inf`` for ``b = 0, -1, ...``. Large ``|a|``,
    ``|b|`` comparable to ``x`` are outside the expansions' reach (as in JAX). Derivative rules:
    ``(a / b) 1F1(a + 1; b + 1; x)`` in ``x``; in ``a`` and ``b`` the derivative of the
    summation (JAX: of its series).
    """
    return _hyp1f1(*as_float("hyp1f1", a, b, x))


def _partial(raw, argnum):
    """The rule ``t * d raw / d args[argnum]``: the jvp of the summation itself."""
    def rule(t, out, *args):
        from ... import jvp

        def along(v):
            return raw(*args[:argnum], v, *args[argnum + 1:])
        return jvp(along, (args[argnum],), (t,))[1]
    return rule


@custom_jvp
def _hyp1f1(a, b, x):
    return _hyp1f1_raw(a, b, x)


_hyp1f1.defjvps(_partial(_hyp1f1_raw, 0), _partial(_hyp1f1_raw, 1),
                lambda t, out, a, b, x: t * (a / b) * _hyp1f1(a + 1, b + 1, x))


# -- Gauss's hypergeometric function -----------------------------------------------------------

_HYP2F1_TERMS = 500  # after the transformations z <= ~0.93 in most of the domain: z^500 < 1e-16


def _hyp2f1_series(a, b, c, z):
    """``sum_k (a)_k (b)_k / ((c)_k k!) z^k`` (terminates by itself for ``a`` or ``b`` in
    ``0, -1, ...``)."""
    def add_term(k, carry):
        term, total = carry
        kf = k.astype(z.dtype)
        term = term * (a + kf) * (b + kf) / ((c + kf) * (kf + 1)) * z
        return term, total + term
    one = jnp.ones_like(z)
    return lax.fori_loop(0, _HYP2F1_TERMS, add_term, (one, one))[1]


def _hyp2f1_series_df(a, b, c, z):
    """``_hyp2f1_series`` in double-float arithmetic (``_series_df``), for float32: ``a``,
    ``b`` and ``z`` are pairs."""
    def ratio(kf):
        num = df.mul(df.mul(df.add_float(a, kf), df.add_float(b, kf)), z)
        return df.div(num, df.mul_float(df.two_sum(c, kf), kf + 1))
    return _series_df(ratio, _HYP2F1_TERMS, z[0])


def _hyp2f1_transformed(a, b, c, x, below):
    """``prefactor * 2F1(a2, b2; c; z)`` for ``x < 1``. Pfaff: ``2F1(a, b; c; x) = (1 - x)^-a
    2F1(a, c - b; c; x / (x - 1))`` brings ``x < 0`` to ``[0, 1)``; Euler: ``2F1(a, b1; c; z) =
    (1 - z)^(c - a - b1) 2F1(c - a, c - b1; c; z)`` where ``c - a - b1 <= -1`` makes the
    series' terms fall like ``k^(a + b1 - c - 1)`` instead of growing."""
    prefactor = jnp.where(below, jnp.power(1 - x, -a), jnp.ones_like(x))
    if x.dtype != np.float32:
        z = jnp.where(below, x / (x - 1), x)
        b1 = jnp.where(below, c - b, b)
        d = c - a - b1
        euler = d <= -1
        a2, b2 = jnp.where(euler, c - a, a), jnp.where(euler, c - b1, b1)
        prefactor = prefactor * jnp.where(euler, jnp.power(1 - z, d), jnp.ones_like(z))
        return prefactor * _hyp2f1_series(a2, b2, c, z)
    # float32: the transformed arguments are pairs, exact but for the division, so that
    # their rounding is not amplified where the series cancels
    z = df.select(below, df.div(df.from_float(x), df.two_sum(x, -1.0)), df.from_float(x))
    b1 = df.select(below, df.two_sum(c, -b), df.from_float(b))
    c_b1 = df.add_float(df.neg(b1), c)
    d = df.add_float(c_b1, -a)[0]
    euler = d <= -1
    a2 = df.select(euler, df.two_sum(c, -a), df.from_float(a))
    b2 = df.select(euler, c_b1, b1)
    one_minus_z = df.add_float(df.neg(z), 1.0)[0]
    prefactor = prefactor * jnp.where(euler, jnp.power(one_minus_z, d), jnp.ones_like(x))
    return prefactor * _hyp2f1_series_df(a2, b2, c, z)


def _hyp2f1_raw(a, b, c, x):
    below = x < 0
    inside = (x < 1) & ~below
    out = _hyp2f1_transformed(a, b, c, where_safe(below | inside, x, 0.5), below)

    one_minus = where_safe(inside | below, 1 - x, 1.0)
    out = jnp.where((b == c) & (x < 1), jnp.power(one_minus, -a), out)
    out = jnp.where((a == c) & (x < 1), jnp.power(one_minus, -b), out)
    d0 = c - a - b
    gauss_ok = d0 > 0
    ca, cb = where_safe(gauss_ok, c - a, 1.0), where_safe(gauss_ok, c - b, 1.0)
    cs, ds = where_safe(gauss_ok, c, 1.0), where_safe(gauss_ok, d0, 1.0)
    gauss = (gammasgn(cs) * gammasgn(ds) * gammasgn(ca) * gammasgn(cb)
             * jnp.exp(gammaln(cs) + gammaln(ds) - gammaln(ca) - gammaln(cb)))
    inf = jnp.full_like(out, jnp.inf)
    out = jnp.where(x == 1, jnp.where(gauss_ok, gauss, inf), out)
    out = jnp.where(x > 1, inf, out)
    c_pole = (c <= 0) & (c == jnp.floor(c)) & (a != c) & (b != c)
    out = jnp.where(c_pole, inf, out)
    trivial = (x == 0) | (((a == 0) | (b == 0)) & (c != 0))
    out = jnp.where(trivial, jnp.ones_like(out), out)
    return jnp.where(jnp.isnan(a) | jnp.isnan(b) | jnp.isnan(c) | jnp.isnan(x),
                     jnp.full_like(out, jnp.nan), out)


def hyp2f1(a, b, c, x):
    """Gauss's hypergeometric function ``2F1(a, b; c; x)`` for real arguments, ``x <= 1``.

    ``x < 0`` goes to ``x / (x - 1)`` in ``[0, 1)`` by Pfaff's transformation; where
    ``c - a - b <= -1`` Euler's transformation makes the series' terms fall; then 500 terms
    of the series, so convergence slows as the (transformed) argument nears 1 (``x`` near 1,
    or ``x`` far below -1); in float32, in double-float arithmetic, as the terms can cancel.
    Closed forms for ``a = c``, ``b = c`` and at ``x = 1`` (Gauss's sum, ``inf`` unless
    ``c - a - b > 0``); as JAX: 1 for ``x = 0`` or ``a`` or ``b`` = 0, ``inf`` for ``x > 1``
    and for ``c = 0, -1, ...``. Derivative rules:
    ``(a b / c) 2F1(a + 1, b + 1; c + 1; x)`` in ``x``, the derivative of the summation in
    ``a``, ``b``, ``c``.
    """
    return _hyp2f1(*as_float("hyp2f1", a, b, c, x))


@custom_jvp
def _hyp2f1(a, b, c, x):
    return _hyp2f1_raw(a, b, c, x)


_hyp2f1.defjvps(_partial(_hyp2f1_raw, 0), _partial(_hyp2f1_raw, 1), _partial(_hyp2f1_raw, 2),
                lambda t, out, a, b, c, x: t * (a * b / c) * _hyp2f1(a + 1, b + 1, c + 1, x))

"""Confluent hypergeometric function ``hyp1f1``."""
from __future__ import annotations

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from .gamma_functions import gammaln, gammasgn
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


def _asymptotic(a, b, x):
    """``Gamma(b) / Gamma(a) e^x x^(a-b) sum_k (b-a)_k (1-a)_k / (k! x^k)`` for large ``x > 0``
    (the exponentially smaller second series is dropped)."""
    term, total = jnp.ones_like(x), jnp.ones_like(x)
    for k in range(_ASYMPTOTIC_TERMS):
        term = term * (b - a + k) * (1 - a + k) / ((k + 1) * x)
        total = total + term
    log_scale = gammaln(b) - gammaln(a) + x + (a - b) * jnp.log(x)
    return gammasgn(b) * gammasgn(a) * jnp.exp(log_scale) * total


def _hyp1f1_positive(a, b, x):
    """``1F1(a; b; x)`` for ``x >= 0``."""
    terminating = (a <= 0) & (a == jnp.floor(a))
    # the asymptotic terms shrink fast enough only once x >> |(b - a)(1 - a)|
    use_series = (x <= jnp.maximum(_SWITCH, 4 * jnp.abs((b - a) * (1 - a)))) | terminating
    series = _series(a, b, where_safe(use_series, x, 1.0))
    asymptotic = _asymptotic(where_safe(~use_series, a, 1.0), b,
                             where_safe(~use_series, x, 2 * _SWITCH))
    return jnp.where(use_series, series, asymptotic)


def _hyp1f1_raw(a, b, x):
    negative = x < 0
    # Kummer's transformation 1F1(a; b; x) = e^x 1F1(b - a; b; -x) makes x >= 0
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
    the large-``x`` asymptotic expansion above. As JAX: 1 for ``a = 0`` (also at ``b = 0``),
    ``e^x`` for ``a = b``, ``inf`` for ``b = 0, -1, ...``. Large ``|a|``, ``|b|`` comparable
    to ``x`` are outside the expansions' reach (as in JAX). Derivative rules:
    ``(a / b) 1F1(a + 1; b + 1; x)`` in ``x``; in ``a`` and ``b`` the derivative of the
    summation (JAX: of its series).
    """
    return _hyp1f1(*as_float("hyp1f1", a, b, x))


def _partial(argnum):
    def rule(t, out, a, b, x):
        from ... import jvp
        args = [a, b, x]

        def along(v):
            return _hyp1f1_raw(*args[:argnum], v, *args[argnum + 1:])
        return jvp(along, (args[argnum],), (t,))[1]
    return rule


@custom_jvp
def _hyp1f1(a, b, x):
    return _hyp1f1_raw(a, b, x)


_hyp1f1.defjvps(_partial(0), _partial(1),
                lambda t, out, a, b, x: t * (a / b) * _hyp1f1(a + 1, b + 1, x))

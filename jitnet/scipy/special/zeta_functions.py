"""The Hurwitz zeta function and what is built on it: ``polygamma``, ``bernoulli``, and the
dilogarithm ``spence`` (whose series uses the same Bernoulli numbers)."""
from __future__ import annotations

import math
import operator

import numpy as np

from ... import numpy as jnp
from ...lax.special.zeta_functions import bernoulli_exact
from ...lax.special.zeta_functions import polygamma as _polygamma
from ...lax.special.zeta_functions import zeta as _zeta
from .util import as_float, horner, where_safe

_EXACT = 100
_B = bernoulli_exact(32)
_PI2_6 = float(np.pi ** 2 / 6)


def bernoulli(n: int):
    """The Bernoulli numbers ``B_0 .. B_n`` (``B_1 = -1/2``, as SciPy and JAX), as an array of
    the default float type. ``n`` must be a concrete non-negative integer.

    Up to ``B_100`` from exact fractions; beyond, from
    ``|B_2m| = 2 (2m)! zeta(2m) / (2 pi)^(2m)`` (in logs, so overflow gives inf, not nan).
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"bernoulli: n must be a concrete integer, got {n!r}") from None
    if n < 0:
        raise ValueError(f"bernoulli: n must be non-negative, got {n}")
    values = [float(b) for b in bernoulli_exact(min(n, _EXACT))]
    for m in range(_EXACT // 2 + 1, n // 2 + 1):
        zeta_2m = sum(k ** (-2.0 * m) for k in range(1, 12))
        log_b = math.log(2 * zeta_2m) + math.lgamma(2 * m + 1) - 2 * m * math.log(2 * np.pi)
        b = math.exp(log_b) if log_b < 709 else math.inf
        values += [0.0, b if m % 2 else -b]  # B_(2m-1) = 0, sign (-1)^(m+1)
    return jnp.asarray(np.array(values[:n + 1]), dtype=jnp.zeros(()).dtype)


def zeta(x, q=None):
    """Hurwitz zeta function ``sum_k (k + q)^-x``; as in JAX, ``q`` is required (no Riemann
    zeta, ``NotImplementedError``). Euler-Maclaurin summation (``lax.special.zeta_functions``,
    whose docstring gives the method and the values at the edges: nan for ``x < 1``, inf at
    ``x = 1`` and at the poles of ``q``, 0 at ``q = inf``), differentiable in both arguments."""
    if q is None:
        raise NotImplementedError("zeta: the Riemann zeta function (q=None) is not implemented, "
                                  "as in JAX; pass q (q=1 gives the Riemann zeta for x > 1)")
    return _zeta(*as_float("zeta", x, q))


def polygamma(n, x):
    """``psi^(n)(x)``, the ``n``-th derivative of ``digamma``; ``n`` must have an integer
    dtype (as JAX). ``(-1)^(n+1) n! zeta(n + 1, x)`` for ``n >= 1``, ``digamma`` for ``n = 0``,
    nan for ``n < 0``. Derivative rule in ``x``: ``polygamma(n + 1, x)`` (as JAX)."""
    if not jnp.issubdtype(jnp.result_type(n), jnp.integer):
        raise ValueError(f"polygamma: n must have an integer dtype, got {jnp.result_type(n)}")
    return _polygamma(*as_float("polygamma", n, x))


# Li2(1 - e^-u) = u - u^2/4 + sum_m B_2m u^(2m+1) / (2m+1)!: coefficients of u^2m, m = 10..1
_LI2_COEFFS = [float(_B[2 * m] / math.factorial(2 * m + 1)) for m in range(10, 0, -1)]


def _li2_of_log(u):
    """``Li2(1 - e^-u)`` for ``|u| <= log 2`` (the series' terms fall like ``(u / 2 pi)^2``)."""
    u2 = u * u
    return u - 0.25 * u2 + u * u2 * horner(_LI2_COEFFS, u2)


def spence(x):
    """Spence's function ``int_1^x log t / (1 - t) dt = Li2(1 - x)`` for ``x >= 0``; nan for
    ``x < 0`` (as JAX; SciPy's real ``spence`` is nan there too).

    The dilogarithm's reflections bring every ``x`` to a Bernoulli series in a logarithm of
    modulus at most ``log 2``: directly on ``[1/2, 2]``, through ``Li2(z) + Li2(1 - z)``
    below and ``Li2(z) + Li2(1/z)`` above.
    """
    x = as_float("spence", x)
    mid = (x >= 0.5) & (x <= 2)
    low, high = x < 0.5, x > 2
    x_mid = where_safe(mid, x, 1.0)
    x_low = where_safe(low & (x > 0), x, 0.25)
    x_high = where_safe(high, x, 4.0)
    val_mid = _li2_of_log(-jnp.log(x_mid))
    val_low = _PI2_6 - jnp.log(x_low) * jnp.log1p(-x_low) - _li2_of_log(-jnp.log1p(-x_low))
    log_high = jnp.log(x_high - 1)
    val_high = -_PI2_6 - 0.5 * log_high * log_high - _li2_of_log(jnp.log1p(-1 / x_high))
    out = jnp.where(mid, val_mid, jnp.where(low, val_low, val_high))
    out = jnp.where(x == 0, jnp.full_like(x, _PI2_6), out)
    return jnp.where((x < 0) | jnp.isnan(x), jnp.full_like(x, jnp.nan), out)

"""The gamma function family: ``gamma``, its log, sign and derivatives, ``beta``."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ...hop.custom import custom_jvp
from ...lax.special.common import betaln as _betaln
from ...lax.special.common import digamma as _digamma
from ...lax.special.common import gammaln as _gammaln
from .util import as_float, where_safe


def gammaln(x):
    """``log|Gamma(x)|``; ``+inf`` at the poles and at ``-inf`` (as JAX)."""
    return _gammaln(as_float("gammaln", x))


def betaln(a, b):
    """``log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    return _betaln(*as_float("betaln", a, b))


def digamma(x):
    """``d/dx log Gamma(x)``; nan at the poles ``0, -1, -2, ...`` (as JAX: the sign of the
    infinity depends on the side of approach, so no infinity is right). The nan is added,
    not selected, so the derivative there stays ``trigamma``'s ``+inf`` (as JAX)."""
    return _digamma(as_float("digamma", x))


def gammasgn(x):
    """Sign of ``Gamma(x)``: 1 for ``x > 0``, alternating between the poles below 0 (-1 on
    ``(-1, 0)``), nan at the poles ``0, -1, -2, ...`` and for nan."""
    x = as_float("gammasgn", x)
    odd = jnp.remainder(jnp.floor(x), 2) == 1
    sign = jnp.where((x > 0) | ~odd, jnp.ones_like(x), -jnp.ones_like(x))
    pole = (x <= 0) & (x == jnp.floor(x))
    return jnp.where(pole | jnp.isnan(x), jnp.full_like(x, jnp.nan), sign)


def gamma(x):
    """``Gamma(x) = gammasgn(x) exp(gammaln(x))``; nan at the poles."""
    x = as_float("gamma", x)
    return gammasgn(x) * jnp.exp(gammaln(x))


def beta(a, b):
    """``B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)``, from ``betaln`` and the signs."""
    a, b = as_float("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * jnp.exp(betaln(a, b))


def multigammaln(a, d: int):
    """Log of the multivariate gamma function of dimension ``d`` (a Python int)."""
    if not isinstance(d, int) or isinstance(d, bool) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive Python int, got {d!r}")
    a = as_float("multigammaln", a)
    terms = sum(gammaln(a - 0.5 * j) for j in range(d))
    return terms + (d * (d - 1) / 4) * float(np.log(np.pi))


def loggamma(x):
    """Principal branch of ``log Gamma(x)`` for real ``x``: ``gammaln(x)`` for ``x > 0``, nan
    for ``x <= 0`` (the real function is not defined there; as JAX and SciPy)."""
    x = as_float("loggamma", x)
    return jnp.where(x > 0, gammaln(x), jnp.full_like(x, jnp.nan))


def factorial(n, exact: bool = False):
    """``n! = Gamma(n + 1)`` as a float (also for non-integer ``n``); 0 for ``n < 0``.
    ``exact=True`` (arbitrary-precision integers) is not supported, as in JAX."""
    if exact:
        raise NotImplementedError("factorial: exact=True is not supported (as in JAX)")
    n = as_float("factorial", n)
    negative = n < 0
    value = jnp.exp(gammaln(jnp.where(negative, jnp.zeros_like(n), n) + 1))
    return jnp.where(negative, jnp.zeros_like(n), value)


def comb(N, k, *, repetition: bool = False):
    """``N choose k = N! / (k! (N - k)!)`` as a float, from ``gammaln``; 0 unless
    ``0 <= k <= N``. With ``repetition``, ``comb(N + k - 1, k)`` (1 for ``k = 0 <= N``)."""
    N, k = as_float("comb", N, k)
    if repetition:
        out = comb(N + k - 1, k)
        return jnp.where((k == 0) & (N >= 0), jnp.ones_like(out), out)
    ok = (k <= N) & (N >= 0) & (k >= 0)
    Ns = jnp.where(ok, N, jnp.zeros_like(N))
    ks = jnp.where(ok, k, jnp.zeros_like(k))
    value = jnp.exp(gammaln(Ns + 1) - gammaln(ks + 1) - gammaln(Ns - ks + 1))
    return jnp.where(ok, value, jnp.zeros_like(value))


def poch(z, m):
    """Pochhammer symbol ``(z)_m = Gamma(z + m) / Gamma(z)``; 1 for ``m = 0``; where ``z`` is
    a pole of Gamma, 0 (or the limit, if ``z + m`` is one too), as SciPy. Computed from
    ``gammaln`` and the signs, so it does not overflow where the two Gammas would.
    Derivative rules as JAX: ``(digamma(z + m) - digamma(z)) poch`` in ``z``,
    ``digamma(z + m) poch`` in ``m``.
    """
    z, m = as_float("poch", z, m)
    return _poch(z, m)


@custom_jvp
def _poch(z, m):
    sign = gammasgn(z + m) * gammasgn(z)
    out = sign * jnp.exp(gammaln(z + m) - gammaln(z))
    z_pole = (z <= 0) & (z == jnp.floor(z))
    zm_pole = (z + m <= 0) & (z + m == jnp.floor(z + m))
    out = jnp.where(z_pole & ~zm_pole, jnp.zeros_like(out), out)
    # both poles: the limit Gamma(-k) / Gamma(-n) = (-1)^(n-k) n! / k!
    n, k = where_safe(z_pole, -z, 0.0), where_safe(zm_pole, -(z + m), 0.0)
    ratio = jnp.exp(gammaln(n + 1) - gammaln(k + 1))
    ratio = jnp.where(jnp.remainder(n - k, 2) == 1, -ratio, ratio)
    out = jnp.where(z_pole & zm_pole, ratio, out)
    return jnp.where(m == 0, jnp.ones_like(out), out)


_poch.defjvps(lambda t, out, z, m: t * (digamma(z + m) - digamma(z)) * out,
              lambda t, out, z, m: t * digamma(z + m) * out)

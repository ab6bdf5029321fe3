"""The Hurwitz zeta function and ``polygamma`` built on it (``lax.zeta``, ``lax.polygamma``;
``scipy.special``'s ``zeta``, ``polygamma``), and the exact Bernoulli numbers their series
(and ``scipy.special``'s ``bernoulli`` and ``spence``) use."""
from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

from ...hop.custom import custom_jvp
from ...prims import elementwise as ew
from ...prims.util import get_aval
from .common import digamma, full_like, gammaln, isnan, where


@functools.lru_cache(maxsize=None)
def bernoulli_exact(n: int) -> tuple:
    """``B_0 .. B_n`` as exact fractions (Akiyama-Tanigawa), ``B_1 = -1/2``; for small ``n``."""
    row, out = [], []
    for m in range(n + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        out.append(row[0])
    if n >= 1:
        out[1] = -out[1]  # the recurrence gives B_1 = +1/2
    return tuple(out)


# Euler-Maclaurin coefficients B_2j / (2j)!, j = 1..16
_EM_COEFFS = [float(bernoulli_exact(32)[2 * j] / math.factorial(2 * j)) for j in range(1, 17)]


def zeta(x, q):
    """Hurwitz zeta function ``sum_k (k + q)^-x``.

    Euler-Maclaurin summation (Johansson 2015): ``N`` terms summed directly, then the
    integral, half the last term and ``N`` Bernoulli corrections (``N`` = 16 in float64, 8
    in float32). Differentiable in both arguments through the formula, as JAX's derivative
    rule (the jvp of the same expansion): ``d/dq = -x zeta(x + 1, q)`` to rounding.
    nan for ``x < 1`` and for ``q <= 0`` unless ``x`` is an integer (then the terms are
    defined and the sum is used), inf at ``x = 1`` and at poles ``q = 0, -1, ...``, 0 at
    ``q = inf`` (as SciPy).
    """
    n_terms = 8 if get_aval(x).dtype == np.float32 else 16
    integer_x = x == ew.floor(x)
    pole = (q <= 0) & (q == ew.floor(q))
    valid = (x > 1) & ((q > 0) | integer_x) & ~pole
    xs = where(valid, x, 2.0)
    qs = where(valid, q, 1.0)
    total = full_like(xs, 0)
    for k in range(n_terms):
        total = total + ew.pow(qs + k, -xs)
    a = qs + n_terms
    a_pow = ew.pow(a, -xs)
    total = total + a * a_pow / (xs - 1) + 0.5 * a_pow
    rising = xs / a  # x (x + 1) ... (x + 2j - 2) / a^(2j - 1)
    correction = full_like(xs, 0)
    for j in range(n_terms):
        correction = correction + _EM_COEFFS[j] * rising
        rising = rising * (xs + 2 * j + 1) * (xs + 2 * j + 2) / (a * a)
    total = total + a_pow * correction
    inf = (x == 1) | (pole & (x > 1)) | (q == 0)
    out = where(valid, total, full_like(total, np.nan))
    out = where((q == np.inf) & (x > 1), full_like(out, 0), out)  # (JAX: nan)
    return where(inf & ~isnan(x), full_like(total, np.inf), out)


def polygamma(n, x):
    """``psi^(n)(x)``, the ``n``-th derivative of ``digamma``, for a floating ``n`` of the
    dtype of ``x`` (as JAX's ``lax.polygamma``): ``(-1)^(n+1) n! zeta(n + 1, x)`` for
    ``n >= 1``, ``digamma`` for ``n = 0``, nan for ``n < 0`` and where ``n`` is not an
    integer. Derivative rule in ``x``: ``polygamma(n + 1, x)`` (as JAX)."""
    out = _polygamma(n, x)
    return where(n == ew.floor(n), out, full_like(out, np.nan))


@custom_jvp
def _polygamma(n, x):
    order = where(n >= 1, n, 1.0)
    ones = full_like(x, 1)
    sign = where(ew.rem(order, full_like(order, 2)) == 1, ones, -ones)
    higher = sign * ew.exp(gammaln(order + 1)) * zeta(order + 1, x)
    out = where(n == 0, digamma(x), higher)
    return where(n < 0, full_like(out, np.nan), out)


_polygamma.defjvps(None, lambda t, out, n, x: t * _polygamma(n + 1, x))

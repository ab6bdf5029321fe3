"""``lax.random_gamma_grad``: the derivative of a Gamma(a) sample with respect to ``a``.

A sample ``x = F^-1(u; a)`` moves with ``a`` at fixed ``u`` (implicit reparameterization,
Figurnov et al. 2018): ``dx/da = -(dP(a, x)/da) / p(x; a)`` with ``P`` the regularized lower
incomplete gamma function and ``p`` the Gamma density. Both factors are written over the same
prefactor ``x^a e^-x / Gamma(a)``, which cancels, so nothing underflows for tiny or huge ``x``:

* ``x < a + 1``, the series ``P = x^a e^-x / Gamma(a+1) * S``, ``S = sum_k t_k``,
  ``t_k = t_{k-1} x / (a + k)``:  ``dx/da = -(x / a) (S (log x - digamma(a + 1)) + dS/da)``;
* otherwise Legendre's continued fraction ``Q = 1 - P = x^a e^-x / Gamma(a) * h``:
  ``dx/da = x (h (log x - digamma(a)) + dh/da)``.

The a-derivatives of ``S`` and ``h`` are carried through the iterations (the fraction through
its three-term recurrences for numerator and denominator), which stop once both the value
and its derivative have converged, element by element.
"""
from __future__ import annotations

import numpy as np

from ...core.aval import ShapedArray
from ...core.source_info import user_line
from ...prims import elementwise as ew
from ...prims.reduce import reduce_and
from ...prims.util import full_of, get_aval
from ..control_flow import while_loop
from ..values import promote_args_inexact
from .common import full_like, isnan, where

_MAX_TERMS = 20_000  # ~sqrt(a) terms are needed near x = a: enough beyond a = 1e7


def _close(new, old, scale, eps):
    return abs(new - old) <= eps * scale


def _init_flags(x):
    """The loop's start: the term counter 0 and "converged" false for every element."""
    return full_of(ShapedArray((), get_aval(x).dtype), 0), full_of(
        ShapedArray(get_aval(x).shape, np.bool_), False)


def _running(c):
    """Iterate while under the term limit and any element has not converged."""
    flags = c[1]
    return (c[0] < _MAX_TERMS) & ~reduce_and(flags, tuple(range(len(get_aval(flags).shape))))


def _series(a, x, eps):
    """``(S, dS/da)`` of the series of ``P(a, x)``. Each element stops (keeps its values)
    once both sums have stopped moving."""
    def body(c):
        k, done, t, dt, s, ds = c
        k = k + 1
        r = x / (a + k)
        t, dt = t * r, r * (dt - t / (a + k))
        s_new, ds_new = s + t, ds + dt
        conv = _close(s_new, s, abs(s_new), eps) & _close(ds_new, ds, abs(ds_new), eps)
        return (k, done | conv, t, dt, where(done, s, s_new), where(done, ds, ds_new))

    one, zero = full_like(x, 1), full_like(x, 0)
    out = while_loop(_running, body, _init_flags(x) + (one, zero, one, zero))
    return out[4], out[5]


def _fraction(a, x, eps):
    """``(h, dh/da)`` of the continued fraction of ``Q(a, x)``:
    ``h = 1 / (b_0 + a_1 / (b_1 + a_2 / (b_2 + ...)))`` with ``b_n = x + 2n + 1 - a`` and
    ``a_n = n (a - n)``. The convergents of the denominator are ``A_n / B_n`` with
    ``A_n = b_n A_{n-1} + a_n A_{n-2}`` (``B`` likewise), so ``h = B_n / A_n``; the
    a-derivatives follow the differentiated recurrence. Every step rescales the last two
    terms by ``1 / A_n`` (the recurrence is linear), which keeps them in range. Each element
    stops (keeps its values) once ``h`` and ``dh`` have stopped moving."""
    def body(c):
        n, done, prev, cur, h, dh = c[0], c[1], c[2:6], c[6:10], c[10], c[11]
        n = n + 1
        an, bn = n * (a - n), x + 2 * n + 1 - a
        (pa, pb, pda, pdb), (ca, cb, cda, cdb) = prev, cur
        na, nb = bn * ca + an * pa, bn * cb + an * pb
        nda = bn * cda - ca + an * pda + n * pa  # db_n/da = -1, da_n/da = n
        ndb = bn * cdb - cb + an * pdb + n * pb
        s = 1 / na
        h_new, db, hda = nb * s, ndb * s, nb * s * nda * s
        dh_new = db - hda  # d(B/A) with A scaled to 1
        conv = _close(h_new, h, abs(h_new), eps) & _close(dh_new, dh, abs(db) + abs(hda), eps)
        return (n, done | conv, ca * s, cb * s, cda * s, cdb * s,
                full_like(na, 1), h_new, nda * s, db,
                where(done, h, h_new), where(done, dh, dh_new))

    zero, one = full_like(x, 0), full_like(x, 1)
    r = 1 / (x + 1 - a)  # 1 / b_0
    # (A_{-1}, B_{-1}) = (1, 0), (A_0, B_0) = (b_0, 1), dA_0/da = -1: all scaled by 1 / b_0
    init = _init_flags(x) + (r, zero, zero, zero, one, r, -r, zero, r, r * r)
    out = while_loop(_running, body, init)
    return out[10], out[11]


def random_gamma_grad(a, x):
    """``d x / d a`` for a standard Gamma(``a``) sample ``x`` (``a`` and ``x`` broadcast,
    floating). Zero at ``x = 0``; nan for ``a <= 0`` or ``x < 0``."""
    a, x = promote_args_inexact("random_gamma_grad", a, x)
    dt = get_aval(a).dtype
    if dt.kind != "f":
        raise TypeError(f"random_gamma_grad requires real floating arguments, got {dt}"
                        f"{user_line()}")
    eps = float(4 * np.finfo(dt).eps)
    series = x < a + 1
    ok = (a > 0) & (x > 0) & ew.is_finite(x)
    one = full_like(x, 1)
    # each expansion sees only the points where it converges fast; elsewhere a stand-in
    a_s = where(ok, a, one)
    x_ser = where(ok & series, x, 0.5 * one)
    x_frac = where(ok & ~series, x, a_s + 2)
    s, ds = _series(a_s, x_ser, eps)
    h, dh = _fraction(a_s, x_frac, eps)
    g_ser = -(x_ser / a_s) * (s * (ew.log(x_ser) - ew.digamma(a_s + 1)) + ds)
    g_frac = x_frac * (h * (ew.log(x_frac) - ew.digamma(a_s)) + dh)
    out = where(series, g_ser, g_frac)
    out = where(x == 0, 0.0, out)
    bad = (a <= 0) | (x < 0) | isnan(a) | isnan(x)
    return where(bad, np.nan, out)

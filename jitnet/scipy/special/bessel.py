"""Bessel functions: modified ``i0``, ``i1`` (and their scaled ``i0e``, ``i1e``, computed by
``lax.special.bessel``) and ``bessel_jn`` (``J_0 .. J_v`` of integer order)."""
from __future__ import annotations

import operator

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from ...lax.special.bessel import i0e as _i0e
from ...lax.special.bessel import i1e as _i1e
from ...lax.special.bessel import i1e_derivative as _i1e_derivative
from .util import as_float, where_safe


def i0e(x):
    """Exponentially scaled modified Bessel function ``e^-|x| I_0(x)``.

    Derivative rule (as ``lax.bessel_i0e`` in JAX): ``i1e(x) - sign(x) i0e(x)``."""
    return _i0e(as_float("i0e", x))


def i1e(x):
    """Exponentially scaled modified Bessel function ``e^-|x| I_1(x)`` (odd in ``x``).

    Derivative rule (as ``lax.bessel_i1e`` in JAX): ``i0e(x) - i1e(x) (sign(x) + 1/x)``,
    1/2 at ``|x| <= eps``."""
    return _i1e(as_float("i1e", x))


def i0(x):
    """Modified Bessel function of the first kind of order 0, ``e^|x| i0e(x)``.

    Derivative rule ``I_0' = I_1``. (JAX differentiates ``exp(|x|) i0e(x)``, whose pieces'
    ``|x|'(0) = 1`` and ``sign(0) = 0`` disagree, giving ``i0'(0) = 1``; the true value, 0,
    is returned here.)"""
    return _i0(as_float("i0", x))


@custom_jvp
def _i0(x):
    return jnp.exp(jnp.abs(x)) * _i0e(x)


def i1(x):
    """Modified Bessel function of the first kind of order 1, ``e^|x| i1e(x)``; derivative
    rule ``I_1' = I_0 - I_1 / x`` (1/2 at 0)."""
    return _i1(as_float("i1", x))


@custom_jvp
def _i1(x):
    return jnp.exp(jnp.abs(x)) * _i1e(x)


_i0.defjvps(lambda t, out, x: t * _i1(x))
# d/dx (e^|x| i1e(x)) = e^|x| i1e'(x) + sign(x) I_1(x), which is I_0 - I_1 / x (1/2 at 0)
_i1.defjvps(lambda t, out, x: t * (jnp.exp(jnp.abs(x)) * _i1e_derivative(x, _i1e(x))
                                   + jnp.sign(x) * out))


def bessel_jn(z, *, v: int, n_iter: int = 50):
    """Bessel functions of the first kind ``J_0(z) .. J_v(z)``, shape ``(v + 1, *z.shape)``.

    Miller's backward recurrence ``J_(k-1) = (2k / z) J_k - J_(k+1)`` from ``k = n_iter``
    (as JAX's), normalized by ``J_0 + 2 sum J_2k = 1``. Accurate while ``n_iter`` is well
    above ``|z|`` (50 suits ``|z|`` up to ~25). Every step rescales the values to at most 1
    (the growth per step is ``2k / |z|``), so small ``|z|`` does not overflow; ``J_k(0)`` is
    exact.
    """
    try:
        v, n_iter = operator.index(v), operator.index(n_iter)
    except TypeError:
        raise TypeError(f"bessel_jn: v and n_iter must be Python integers, got v={v!r}, "
                        f"n_iter={n_iter!r}") from None
    if v < 0 or n_iter < v + 1:
        raise ValueError(f"bessel_jn: need 0 <= v < n_iter, got v={v}, n_iter={n_iter}")
    z = as_float("bessel_jn", z)
    nonzero = z != 0
    zs = where_safe(nonzero, z, 1.0)
    f_next, f = jnp.zeros_like(zs), jnp.full_like(zs, 1e-30)
    norm = jnp.zeros_like(zs)
    kept = {}
    for k in range(n_iter, 0, -1):
        if k <= v:
            kept[k] = f
        if k % 2 == 0:
            norm = norm + 2 * f
        f_next, f = f, (2.0 * k / zs) * f - f_next
        scale = lax.stop_gradient(1 / jnp.maximum(jnp.abs(f), 1.0))
        f, f_next, norm = f * scale, f_next * scale, norm * scale
        kept = {j: val * scale for j, val in kept.items()}
    kept[0] = f
    norm = norm + f
    rows = [jnp.where(nonzero, kept[k] / norm, jnp.full_like(zs, 1.0 if k == 0 else 0.0))
            for k in range(v + 1)]
    return jnp.stack(rows)

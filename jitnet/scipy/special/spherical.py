"""Spherical harmonics (``sph_harm_y``) from the orthonormalised associated Legendre
recurrence, which stays in range for any degree (no factorials formed)."""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as jnp
from ...core.source_info import user_line
from ...numpy.util import concrete_value
from .util import as_float


def sph_harm_y(n, m, theta, phi, diff_n=None, n_max=None):
    """``Y_n^m(theta, phi)`` (``scipy.special.sph_harm_y``: ``theta`` the polar angle in
    [0, pi], ``phi`` the azimuth), with the Condon-Shortley phase, orthonormal on the sphere.
    ``n_max`` (JAX's extra argument) bounds the degree: needed under ``jit`` where ``n`` is
    traced, otherwise ``max(n)``; degrees above it are clipped to it, as in JAX. ``|m| > n``
    gives 0 (SciPy's value; JAX leaves it undefined)."""
    if diff_n not in (None, 0):
        raise NotImplementedError(f"sph_harm_y: diff_n={diff_n} is not supported (as in JAX)"
                                  f"{user_line()}")
    n, m = jnp.asarray(n), jnp.asarray(m)
    for name, v in (("n", n), ("m", m)):
        if v.dtype.kind not in "iu":
            raise TypeError(f"sph_harm_y: {name} must be an integer array, got {v.dtype}"
                            f"{user_line()}")
    if n_max is None:
        n_max = int(np.max(concrete_value(n, "sph_harm_y: n is traced; pass n_max (the "
                                             "largest degree) as a Python int")))
    theta, phi = as_float("sph_harm_y", theta, phi)
    n = jnp.minimum(n, n_max)
    n, m, theta, phi = jnp.broadcast_arrays(n, m, theta, phi)
    mm = jnp.abs(m).astype(theta.dtype)
    x, s = jnp.cos(theta), jnp.sin(theta)
    odd = (jnp.abs(m) % 2) == 1
    # P_m^m: (-1)^m sqrt((2m+1)/(4 pi) prod_{k<=m} (2k-1)/(2k)) sin^m(theta)
    prod = jnp.ones_like(x)
    for k in range(1, n_max + 1):
        prod = prod * jnp.where(k <= mm, (2 * k - 1) / (2 * k), 1.0)
    cur = jnp.where(odd, -1.0, 1.0) * jnp.sqrt((2 * mm + 1) / (4 * np.pi) * prod) * s ** mm
    out = jnp.where(n == mm, cur, jnp.zeros_like(cur))
    prev = jnp.zeros_like(cur)
    for l in range(1, n_max + 1):     # P_l^m from P_{l-1}^m and P_{l-2}^m, from l = m + 1 on
        a = jnp.sqrt((4 * l * l - 1) / jnp.where(l > mm, l * l - mm * mm, 1.0))
        b = jnp.sqrt(jnp.maximum((l - 1) ** 2 - mm * mm, 0.0) / (4 * (l - 1) ** 2 - 1))
        new = jnp.where(l == mm + 1, x * jnp.sqrt(2 * mm + 3) * cur,
                        jnp.where(l > mm + 1, a * (x * cur - b * prev), cur))
        prev, cur = jnp.where(l > mm, cur, prev), new
        out = jnp.where((n == l) & (l >= mm), cur, out)
    angle = mm * phi
    y = lax.complex(out * jnp.cos(angle), out * jnp.sin(angle))
    # Y_n^{-m} = (-1)^m conj(Y_n^m)
    return jnp.where(m < 0, jnp.where(odd, -1.0, 1.0) * jnp.conj(y), y)

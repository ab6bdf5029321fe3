"""Dirichlet distribution on the simplex (``jax.scipy.stats.dirichlet``)."""
from __future__ import annotations

from ... import numpy as jnp
from ...core.source_info import user_line
from .. import special
from ._util import floats


def logpdf(x, alpha):
    """Density at ``x`` of shape ``(K, ...)`` (or ``(K - 1, ...)``: the last component is then
    ``1 - sum``) for concentrations ``alpha`` of shape ``(K,)``; ``-inf`` off the simplex
    (a component <= 0, or a sum off 1 by more than 1e-6, as JAX)."""
    x, alpha = jnp.asarray(x), jnp.asarray(alpha)
    if alpha.ndim != 1:
        raise ValueError(f"jax.scipy.stats.dirichlet.logpdf: alpha must have shape (K,), got "
                         f"{alpha.shape}{user_line()}")
    K = alpha.shape[0]
    if x.ndim == 0 or x.shape[0] not in (K, K - 1):
        raise ValueError(f"jax.scipy.stats.dirichlet.logpdf: x must have shape ({K}, ...) or "
                         f"({K - 1}, ...) for alpha of shape {alpha.shape}, got {x.shape}"
                         f"{user_line()}")
    if x.shape[0] == K - 1:
        x = jnp.concatenate([x, 1 - jnp.sum(x, axis=0, keepdims=True)], axis=0)
    x, alpha = floats("dirichlet.logpdf", x, jnp.reshape(alpha, (K,) + (1,) * (x.ndim - 1)))
    normalize = jnp.sum(special.gammaln(alpha), axis=0) - special.gammaln(jnp.sum(alpha, axis=0))
    out = jnp.sum(special.xlogy(alpha - 1, x), axis=0) - normalize
    on_simplex = jnp.all(x > 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1) < 1e-6)
    return jnp.where(on_simplex, out, jnp.full_like(out, -jnp.inf))


def pdf(x, alpha):
    return jnp.exp(logpdf(x, alpha))

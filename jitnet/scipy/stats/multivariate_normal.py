"""Multivariate normal distribution (``jax.scipy.stats.multivariate_normal``)."""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as jnp
from ...core.source_info import user_line
from ._util import floats

_LOG_2PI = float(np.log(2 * np.pi))


def logpdf(x, mean, cov, allow_singular=None):
    """Log density of ``x`` (shape ``(..., n)``) under ``N(mean, cov)``.

    ``cov`` is an ``(..., n, n)`` positive-definite matrix (factored by Cholesky), or a scalar
    variance shared by all ``n`` components. A scalar ``mean`` makes it the univariate normal.
    ``allow_singular`` is not supported (as JAX).
    """
    if allow_singular is not None:
        raise NotImplementedError("jax.scipy.stats.multivariate_normal.logpdf: allow_singular "
                                  f"is not supported{user_line()}")
    x, mean, cov = jnp.asarray(x), jnp.asarray(mean), jnp.asarray(cov)
    if mean.ndim == 0:
        x, mean, cov = floats("multivariate_normal.logpdf", x, mean, cov)
        return -0.5 * jnp.square(x - mean) / cov - 0.5 * (_LOG_2PI + jnp.log(cov))
    n = mean.shape[-1]
    if x.ndim == 0 or x.shape[-1] != n:
        raise ValueError(f"jax.scipy.stats.multivariate_normal.logpdf: x must have shape "
                         f"(..., {n}) for mean of shape {mean.shape}, got {x.shape}"
                         f"{user_line()}")
    if cov.ndim == 0:
        y, cov = floats("multivariate_normal.logpdf", x - mean, cov)
        return -0.5 * jnp.sum(y * y, axis=-1) / cov - 0.5 * n * (_LOG_2PI + jnp.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError(f"jax.scipy.stats.multivariate_normal.logpdf: cov must have shape "
                         f"(..., {n}, {n}) for mean of shape {mean.shape}, got {cov.shape}"
                         f"{user_line()}")
    x, mean, _ = floats("multivariate_normal.logpdf", x, mean, jnp.zeros((), cov.dtype))
    diff = x - mean
    cov = cov.astype(diff.dtype)
    batch = jnp.broadcast_shapes(diff.shape[:-1], cov.shape[:-2])
    diff = jnp.broadcast_to(diff, batch + (n,))[..., None]
    cov = jnp.broadcast_to(cov, batch + (n, n))
    L = jnp.linalg.cholesky(cov)
    y = lax.linalg.triangular_solve(L, diff, left_side=True, lower=True)[..., 0]
    log_det = jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * jnp.sum(y * y, axis=-1) - 0.5 * n * _LOG_2PI - log_det


def pdf(x, mean, cov):
    return jnp.exp(logpdf(x, mean, cov))

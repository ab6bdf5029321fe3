"""Exponential distribution (``jax.scipy.stats.expon``)."""
from __future__ import annotations

from ... import numpy as jnp
from ._util import exp_of, floats, nan_where, neg_inf_where, standardize


def logpdf(x, loc=0, scale=1):
    """``-inf`` for ``x < loc``."""
    z, scale = standardize("expon.logpdf", x, loc, scale)
    return neg_inf_where(z < 0, -z - jnp.log(scale))


pdf = exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = standardize("expon.cdf", x, loc, scale)
    return jnp.where(z < 0, jnp.zeros_like(z), -jnp.expm1(-jnp.maximum(z, 0)))


def sf(x, loc=0, scale=1):
    z, _ = standardize("expon.sf", x, loc, scale)
    return jnp.where(z < 0, jnp.ones_like(z), jnp.exp(-jnp.maximum(z, 0)))


def ppf(q, loc=0, scale=1):
    """nan outside ``[0, 1]``."""
    q, loc, scale = floats("expon.ppf", q, loc, scale)
    return nan_where((q < 0) | (q > 1), -jnp.log1p(-q) * scale + loc)


def logcdf(x, loc=0, scale=1):
    """``log(1 - exp(-z))``; ``-inf`` below ``loc``."""
    z, _ = standardize("expon.logcdf", x, loc, scale)
    zc = jnp.where(z > 0, z, jnp.ones_like(z))
    return neg_inf_where(z <= 0, jnp.log(-jnp.expm1(-zc)))


def logsf(x, loc=0, scale=1):
    """``-z`` above ``loc``, 0 below."""
    z, _ = standardize("expon.logsf", x, loc, scale)
    return jnp.where(z < 0, jnp.zeros_like(z), -z)

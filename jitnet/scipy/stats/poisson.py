"""Poisson distribution with mean ``mu`` (``jax.scipy.stats.poisson``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, neg_inf_where


def logpmf(k, mu, loc=0):
    """``-inf`` unless ``k - loc`` is a non-negative integer."""
    k, mu, loc = floats("poisson.logpmf", k, mu, loc)
    x = k - loc
    safe = jnp.where(x < 0, jnp.zeros_like(x), x)
    out = special.xlogy(safe, mu) - special.gammaln(safe + 1) - mu
    return neg_inf_where((x < 0) | (x != jnp.round(x)), out)


pmf = exp_of(logpmf)


def cdf(k, mu, loc=0):
    """``P(K <= k) = gammaincc(floor(k - loc) + 1, mu)``; 0 below ``loc``."""
    k, mu, loc = floats("poisson.cdf", k, mu, loc)
    x = jnp.floor(k - loc)
    out = special.gammaincc(jnp.maximum(x, 0) + 1, mu)
    return jnp.where(x < 0, jnp.zeros_like(out), out)

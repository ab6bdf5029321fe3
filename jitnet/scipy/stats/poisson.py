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

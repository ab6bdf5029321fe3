"""Bernoulli distribution with success probability ``p`` (``jax.scipy.stats.bernoulli``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, nan_where, neg_inf_where


def logpmf(k, p, loc=0):
    """``-inf`` unless ``k - loc`` is 0 or 1."""
    k, p, loc = floats("bernoulli.logpmf", k, p, loc)
    x = k - loc
    out = special.xlogy(x, p) + special.xlog1py(1 - x, -p)
    return neg_inf_where((x != 0) & (x != 1), out)


pmf = exp_of(logpmf)


def cdf(k, p):
    """0 below 0, ``1 - p`` on ``[0, 1)``, 1 from 1 on; nan for ``p`` outside ``[0, 1]``."""
    k, p = floats("bernoulli.cdf", k, p)
    out = jnp.where(k < 0, jnp.zeros_like(p), jnp.where(k < 1, 1 - p, jnp.ones_like(p)))
    return nan_where((p < 0) | (p > 1) | jnp.isnan(k), out)


def ppf(q, p):
    """The smallest ``k`` in {0, 1} with ``cdf(k) >= q``; nan for ``q`` or ``p`` outside [0, 1]."""
    q, p = floats("bernoulli.ppf", q, p)
    out = jnp.where(q <= 1 - p, jnp.zeros_like(q), jnp.ones_like(q))
    return nan_where((q < 0) | (q > 1) | (p < 0) | (p > 1) | jnp.isnan(q) | jnp.isnan(p), out)

"""Binomial distribution of ``n`` trials (``jax.scipy.stats.binom``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, neg_inf_where


def logpmf(k, n, p, loc=0):
    """``-inf`` for ``k - loc`` outside ``[0, n]``."""
    k, n, p, loc = floats("binom.logpmf", k, n, p, loc)
    y = k - loc
    inside = (y >= 0) & (y <= n)
    y = jnp.where(inside, y, jnp.zeros_like(y))
    comb = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    return neg_inf_where(~inside, comb + special.xlogy(y, p) + special.xlog1py(n - y, -p))


pmf = exp_of(logpmf)

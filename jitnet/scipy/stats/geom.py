"""Geometric distribution on ``1, 2, ...`` (``jax.scipy.stats.geom``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, neg_inf_where


def logpmf(k, p, loc=0):
    """Probability that the first success is trial ``k - loc``; ``-inf`` for ``k - loc < 1``."""
    k, p, loc = floats("geom.logpmf", k, p, loc)
    x = k - loc
    return neg_inf_where(x <= 0, special.xlog1py(x - 1, -p) + jnp.log(p))


pmf = exp_of(logpmf)

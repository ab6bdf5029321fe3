"""Pareto distribution with shape ``b`` (``jax.scipy.stats.pareto``)."""
from __future__ import annotations

from ... import numpy as jnp
from ._util import exp_of, floats, neg_inf_where


def logpdf(x, b, loc=0, scale=1):
    """``-inf`` below ``loc + scale``."""
    x, b, loc, scale = floats("pareto.logpdf", x, b, loc, scale)
    z = (x - loc) / scale
    safe = jnp.where(z >= 1, z, jnp.ones_like(z))
    return neg_inf_where(z < 1, jnp.log(b) - jnp.log(scale) - (b + 1) * jnp.log(safe))


pdf = exp_of(logpdf)

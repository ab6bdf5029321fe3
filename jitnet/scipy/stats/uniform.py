"""Uniform distribution on ``[loc, loc + scale]`` (``jax.scipy.stats.uniform``)."""
from __future__ import annotations

from ... import numpy as jnp
from ._util import exp_of, floats, nan_where, neg_inf_where


def logpdf(x, loc=0, scale=1):
    x, loc, scale = floats("uniform.logpdf", x, loc, scale)
    return neg_inf_where((x < loc) | (x > loc + scale), -jnp.log(scale) * jnp.ones_like(x))


pdf = exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    x, loc, scale = floats("uniform.cdf", x, loc, scale)
    return jnp.clip((x - loc) / scale, 0, 1)


def ppf(q, loc=0, scale=1):
    """nan outside ``[0, 1]``."""
    q, loc, scale = floats("uniform.ppf", q, loc, scale)
    return nan_where((q < 0) | (q > 1), loc + q * scale)

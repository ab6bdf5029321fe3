"""Gamma distribution with shape ``a`` (``jax.scipy.stats.gamma``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, neg_inf_where


def logpdf(x, a, loc=0, scale=1):
    """``-inf`` for ``x < loc``."""
    x, a, loc, scale = floats("gamma.logpdf", x, a, loc, scale)
    z = (x - loc) / scale
    out = special.xlogy(a - 1, z) - z - special.gammaln(a) - jnp.log(scale)
    return neg_inf_where(z < 0, out)


pdf = exp_of(logpdf)

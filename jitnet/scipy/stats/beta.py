"""Beta distribution on ``[loc, loc + scale]`` (``jax.scipy.stats.beta``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, neg_inf_where


def logpdf(x, a, b, loc=0, scale=1):
    """``-inf`` outside ``[loc, loc + scale]``."""
    x, a, b, loc, scale = floats("beta.logpdf", x, a, b, loc, scale)
    z = (x - loc) / scale
    out = (special.xlogy(a - 1, z) + special.xlog1py(b - 1, -z)
           - special.betaln(a, b) - jnp.log(scale))
    return neg_inf_where((z < 0) | (z > 1), out)


pdf = exp_of(logpdf)

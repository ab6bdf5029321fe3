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


def cdf(x, a, b, loc=0, scale=1):
    """``betainc(a, b, z)`` with ``z = (x - loc) / scale`` clipped to ``[0, 1]``."""
    x, a, b, loc, scale = floats("beta.cdf", x, a, b, loc, scale)
    return special.betainc(a, b, jnp.clip((x - loc) / scale, 0, 1))


def sf(x, a, b, loc=0, scale=1):
    """``1 - cdf`` as ``I_{1-z}(b, a)``, accurate in the right tail."""
    x, a, b, loc, scale = floats("beta.sf", x, a, b, loc, scale)
    return special.betainc(b, a, jnp.clip(1 - (x - loc) / scale, 0, 1))


def logcdf(x, a, b, loc=0, scale=1):
    return jnp.log(cdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    return jnp.log(sf(x, a, b, loc, scale))

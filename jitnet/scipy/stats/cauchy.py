"""Cauchy distribution (``jax.scipy.stats.cauchy``)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ._util import exp_of, floats, standardize

_LOG_PI = float(np.log(np.pi))


def logpdf(x, loc=0, scale=1):
    z, scale = standardize("cauchy.logpdf", x, loc, scale)
    return -_LOG_PI - jnp.log(scale) - jnp.log1p(z * z)


pdf = exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = standardize("cauchy.cdf", x, loc, scale)
    return 0.5 + jnp.arctan(z) / np.pi


def sf(x, loc=0, scale=1):
    z, _ = standardize("cauchy.sf", x, loc, scale)
    return 0.5 - jnp.arctan(z) / np.pi


def ppf(q, loc=0, scale=1):
    q, loc, scale = floats("cauchy.ppf", q, loc, scale)
    return loc + scale * jnp.tan(np.pi * (q - 0.5))


def isf(q, loc=0, scale=1):
    q, loc, scale = floats("cauchy.isf", q, loc, scale)
    return loc + scale * jnp.tan(np.pi * (0.5 - q))


def logcdf(x, loc=0, scale=1):
    """``log(cdf)``, from ``log1p`` of the right tail where the cdf is near 1."""
    z, _ = standardize("cauchy.logcdf", x, loc, scale)
    return jnp.where(z > 0, jnp.log1p(-(0.5 - jnp.arctan(z) / np.pi)),
                     jnp.log(0.5 + jnp.arctan(z) / np.pi))


def logsf(x, loc=0, scale=1):
    """``log(sf)``: ``logcdf`` mirrored (the distribution is symmetric)."""
    x, loc, scale = floats("cauchy.logsf", x, loc, scale)
    return logcdf(-x, -loc, scale)

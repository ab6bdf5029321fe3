"""Normal distribution ``N(loc, scale^2)`` (``jax.scipy.stats.norm``)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, standardize

_HALF_LOG_2PI = float(0.5 * np.log(2 * np.pi))


def logpdf(x, loc=0, scale=1):
    z, scale = standardize("norm.logpdf", x, loc, scale)
    return -0.5 * z * z - jnp.log(scale) - _HALF_LOG_2PI


pdf = exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = standardize("norm.cdf", x, loc, scale)
    return special.ndtr(z)


def logcdf(x, loc=0, scale=1):
    z, _ = standardize("norm.logcdf", x, loc, scale)
    return special.log_ndtr(z)


def sf(x, loc=0, scale=1):
    """Survival function ``1 - cdf``, accurate in the right tail."""
    z, _ = standardize("norm.sf", x, loc, scale)
    return special.ndtr(-z)


def logsf(x, loc=0, scale=1):
    z, _ = standardize("norm.logsf", x, loc, scale)
    return special.log_ndtr(-z)


def ppf(q, loc=0, scale=1):
    """Quantile function (inverse of ``cdf``)."""
    q, loc, scale = floats("norm.ppf", q, loc, scale)
    return special.ndtri(q) * scale + loc


def isf(q, loc=0, scale=1):
    """Inverse survival function."""
    q, loc, scale = floats("norm.isf", q, loc, scale)
    return -special.ndtri(q) * scale + loc

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


def cdf(x, a, loc=0, scale=1):
    """``gammainc(a, (x - loc) / scale)``, 0 below ``loc``."""
    x, a, loc, scale = floats("gamma.cdf", x, a, loc, scale)
    z = (x - loc) / scale
    return special.gammainc(a, jnp.maximum(z, 0))


def sf(x, a, loc=0, scale=1):
    """``1 - cdf`` via ``gammaincc``, accurate in the right tail."""
    x, a, loc, scale = floats("gamma.sf", x, a, loc, scale)
    z = (x - loc) / scale
    return special.gammaincc(a, jnp.maximum(z, 0))


def logcdf(x, a, loc=0, scale=1):
    """``log(cdf)``; from ``log1p(-sf)`` where the cdf is near 1."""
    c, s = cdf(x, a, loc, scale), sf(x, a, loc, scale)
    return jnp.where(c > 0.5, jnp.log1p(-s), jnp.log(c))


def logsf(x, a, loc=0, scale=1):
    """``log(sf)``; from ``log1p(-cdf)`` where the survival function is near 1."""
    c, s = cdf(x, a, loc, scale), sf(x, a, loc, scale)
    return jnp.where(s > 0.5, jnp.log1p(-c), jnp.log(s))

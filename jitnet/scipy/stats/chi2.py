"""Chi-squared distribution with ``df`` degrees of freedom (``jax.scipy.stats.chi2``)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, neg_inf_where

_LOG2 = float(np.log(2.0))


def logpdf(x, df, loc=0, scale=1):
    """``-inf`` for ``x < loc``."""
    x, df, loc, scale = floats("chi2.logpdf", x, df, loc, scale)
    z = (x - loc) / scale
    k = 0.5 * df
    out = special.xlogy(k - 1, z) - 0.5 * z - k * _LOG2 - special.gammaln(k) - jnp.log(scale)
    return neg_inf_where(z < 0, out)


pdf = exp_of(logpdf)


def cdf(x, df, loc=0, scale=1):
    """``gammainc(df / 2, z / 2)``, 0 below ``loc``."""
    x, df, loc, scale = floats("chi2.cdf", x, df, loc, scale)
    z = (x - loc) / scale
    return special.gammainc(0.5 * df, 0.5 * jnp.maximum(z, 0))


def sf(x, df, loc=0, scale=1):
    x, df, loc, scale = floats("chi2.sf", x, df, loc, scale)
    z = (x - loc) / scale
    return special.gammaincc(0.5 * df, 0.5 * jnp.maximum(z, 0))


def logcdf(x, df, loc=0, scale=1):
    """``log(cdf)``; from ``log1p(-sf)`` where the cdf is near 1."""
    c, s = cdf(x, df, loc, scale), sf(x, df, loc, scale)
    return jnp.where(c > 0.5, jnp.log1p(-s), jnp.log(c))


def logsf(x, df, loc=0, scale=1):
    """``log(sf)``; from ``log1p(-cdf)`` where the survival function is near 1."""
    c, s = cdf(x, df, loc, scale), sf(x, df, loc, scale)
    return jnp.where(s > 0.5, jnp.log1p(-c), jnp.log(s))

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

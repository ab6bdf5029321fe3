"""Student's t distribution (``jax.scipy.stats.t``)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats

_HALF_LOG_PI = float(0.5 * np.log(np.pi))


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = floats("t.logpdf", x, df, loc, scale)
    z = (x - loc) / scale
    half = 0.5 * (df + 1)
    norm = (special.gammaln(half) - special.gammaln(0.5 * df) - 0.5 * jnp.log(df)
            - _HALF_LOG_PI - jnp.log(scale))
    return norm - half * jnp.log1p(z * z / df)


pdf = exp_of(logpdf)

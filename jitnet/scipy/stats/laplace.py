"""Laplace (double exponential) distribution (``jax.scipy.stats.laplace``)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ._util import exp_of, standardize

_LOG2 = float(np.log(2.0))


def logpdf(x, loc=0, scale=1):
    z, scale = standardize("laplace.logpdf", x, loc, scale)
    return -jnp.abs(z) - _LOG2 - jnp.log(scale)


pdf = exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = standardize("laplace.cdf", x, loc, scale)
    half_tail = 0.5 * jnp.exp(-jnp.abs(z))
    return jnp.where(z < 0, half_tail, 1 - half_tail)

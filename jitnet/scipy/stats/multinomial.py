"""Multinomial distribution of ``n`` draws over the categories of ``p``
(``jax.scipy.stats.multinomial``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import floats


def logpmf(x, n, p):
    """Counts ``x`` (last axis: categories) with probabilities ``p``; ``-inf`` unless the
    counts sum to ``n``."""
    x, p = floats("multinomial.logpmf", x, p)
    n = jnp.asarray(n, x.dtype)
    out = (special.gammaln(n + 1)
           + jnp.sum(special.xlogy(x, p) - special.gammaln(x + 1), axis=-1))
    return jnp.where(jnp.sum(x, axis=-1) == n, out, jnp.full_like(out, -jnp.inf))


def pmf(x, n, p):
    return jnp.exp(logpmf(x, n, p))

"""Negative binomial distribution: failures before the ``n``-th success
(``jax.scipy.stats.nbinom``)."""
from __future__ import annotations

from .. import special
from ._util import exp_of, floats, neg_inf_where


def logpmf(k, n, p, loc=0):
    """``-inf`` for ``k - loc < 0``."""
    k, n, p, loc = floats("nbinom.logpmf", k, n, p, loc)
    y = k - loc
    comb = special.gammaln(n + y) - special.gammaln(y + 1) - special.gammaln(n)
    return neg_inf_where(y < 0, comb + special.xlogy(n, p) + special.xlog1py(y, -p))


pmf = exp_of(logpmf)

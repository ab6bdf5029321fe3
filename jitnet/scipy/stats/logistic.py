"""Logistic distribution (``jax.scipy.stats.logistic``)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from ._util import exp_of, floats, standardize


def logpdf(x, loc=0, scale=1):
    """Written with ``|z|`` so that neither tail overflows."""
    z, scale = standardize("logistic.logpdf", x, loc, scale)
    a = jnp.abs(z)
    return -a - 2 * jnp.log1p(jnp.exp(-a)) - jnp.log(scale)


pdf = exp_of(logpdf)


def cdf(x, loc=0, scale=1):
    z, _ = standardize("logistic.cdf", x, loc, scale)
    return special.expit(z)


def sf(x, loc=0, scale=1):
    z, _ = standardize("logistic.sf", x, loc, scale)
    return special.expit(-z)


def ppf(x, loc=0, scale=1):
    x, loc, scale = floats("logistic.ppf", x, loc, scale)
    return special.logit(x) * scale + loc


def isf(x, loc=0, scale=1):
    x, loc, scale = floats("logistic.isf", x, loc, scale)
    return -special.logit(x) * scale + loc

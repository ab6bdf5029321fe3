"""``jitnet.scipy.stats``: ``jax.scipy.stats``'s distributions, one module each.

Every function is built from ``jitnet.numpy`` operations (it runs eagerly, traces, ``grad``s
and ``vmap``s); arguments broadcast against each other and integers become floats. Densities
are ``-inf`` (log) or 0 outside their support, as in JAX.
"""
from . import (bernoulli, beta, binom, cauchy, chi2, dirichlet, expon, gamma,  # noqa: F401
               geom, laplace, logistic, multinomial, multivariate_normal, nbinom, norm, pareto,
               poisson, t, uniform)

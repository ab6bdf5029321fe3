"""``jitnet.random``: JAX's counter-based PRNG (threefry2x32, partitionable layout).

The same seed, key operations, shapes and dtypes give the same numbers as
``jax.random`` in JAX 0.10.2's default configuration: bit for bit for keys, bits, integers
and uniforms, up to the rounding of transcendental functions for the other samplers, which
use JAX's algorithms and key splitting (``docs/RANDOM.md``). Keys are explicit values:
``key = PRNGKey(0)`` (raw ``uint32[2]``) or ``key = key(0)`` (a typed ``KeyArray``),
then ``split``/``fold_in`` to derive independent keys and pass one to a sampler.
"""
from __future__ import annotations

from .distributions import (bernoulli, bits, categorical, choice, exponential, gumbel,  # noqa: F401
                            laplace, logistic, normal, orthogonal, permutation, rademacher,
                            randint, truncated_normal, uniform)
from .continuous import (cauchy, double_sided_maxwell, lognormal, maxwell,  # noqa: F401
                         multivariate_normal, pareto, rayleigh, triangular, wald, weibull_min)
from .counts import binomial, geometric, multinomial, poisson  # noqa: F401
from .gamma_family import (ball, beta, chisquare, dirichlet, f, gamma,  # noqa: F401
                           generalized_normal, loggamma, t)
from .keys import (KeyArray, PRNGKey, clone, fold_in, key, key_data, key_dtype,  # noqa: F401
                   key_impl, split, wrap_key_data)
from .threefry import threefry2x32  # noqa: F401

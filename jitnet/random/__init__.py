"""``jitnet.random``: JAX's counter-based PRNG (threefry2x32, partitionable layout).

The same seed, key operations, shapes and dtypes give the same numbers as
``jax.random`` in JAX 0.10.2's default configuration. Keys are explicit values:
``key = PRNGKey(0)`` (raw ``uint32[2]``) or ``key = key(0)`` (a typed ``KeyArray``),
then ``split``/``fold_in`` to derive independent keys and pass one to a sampler.
"""
from __future__ import annotations

from .distributions import (bernoulli, bits, categorical, choice, exponential, gumbel,  # noqa: F401
                            laplace, logistic, normal, orthogonal, permutation, rademacher,
                            randint, truncated_normal, uniform)
from .keys import (KeyArray, PRNGKey, clone, fold_in, key, key_data, key_dtype,  # noqa: F401
                   key_impl, split, wrap_key_data)
from .threefry import threefry2x32  # noqa: F401

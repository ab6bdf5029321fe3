"""jitnet.random under jit and vmap gives the same numbers as eagerly (JAX's semantics)."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import random

SAMPLERS = {
    "uniform": lambda k: random.uniform(k, (5,)),
    "normal": lambda k: random.normal(k, (5,)),
    "randint": lambda k: random.randint(k, (5,), 0, 10),
    "bernoulli": lambda k: random.bernoulli(k, 0.3, (5,)),
    "truncated_normal": lambda k: random.truncated_normal(k, -1.0, 2.0, (5,)),
    "categorical": lambda k: random.categorical(k, jnp.log(jnp.array([0.1, 0.6, 0.3])), shape=(5,)),
    "permutation": lambda k: random.permutation(k, 6),
    "gumbel": lambda k: random.gumbel(k, (5,)),
}


# compiled: the samplers whose code differs in kind (the erf_inv transform, integer ranges,
# sorting, an argmax over Gumbel noise); the others, which reuse those operations, run jit's
# traced program on the reference interpreter (a compile each was most of this file's time)
COMPILED = {"normal", "randint", "permutation", "categorical"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_jit_equals_eager(name):
    f = SAMPLERS[name]
    key = random.PRNGKey(42)
    jitted = jax.jit(f, backend=None if name in COMPILED else "interpreter")
    np.testing.assert_array_equal(np.asarray(jitted(key)), np.asarray(f(key)))


def test_vmap_over_keys_and_split():
    keys = random.split(random.PRNGKey(0), 4)
    out = jax.vmap(lambda k: random.normal(k, (3,)))(keys)
    want = np.stack([np.asarray(random.normal(k, (3,))) for k in keys])
    np.testing.assert_array_equal(np.asarray(out), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(random.split)(random.PRNGKey(0))),
                                  np.asarray(random.split(random.PRNGKey(0))))
    folded = jax.vmap(lambda d: random.fold_in(random.PRNGKey(1), d))(jnp.arange(4))
    want = np.stack([np.asarray(random.fold_in(random.PRNGKey(1), d)) for d in range(4)])
    np.testing.assert_array_equal(np.asarray(folded), want)


def test_grad_through_sampler_parameters():
    key = random.PRNGKey(3)
    g = jax.grad(lambda lo, hi: jnp.sum(random.uniform(key, (4,), minval=lo, maxval=hi)),
                 argnums=(0, 1))(0.0, 2.0)
    u = np.asarray(random.uniform(key, (4,)))
    assert float(g[0]) == pytest.approx(np.sum(1 - u), rel=1e-5)
    assert float(g[1]) == pytest.approx(np.sum(u), rel=1e-5)

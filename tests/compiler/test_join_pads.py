"""compiler/join_pads.py: split's gradient (zero pads of the pieces, added) becomes one
concatenate; pieces that do not touch, or overlap, stay pads."""
import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.compiler import prepare


def _prims(f, *args):
    return [e.prim.name for e in prepare(jax.jit(f).lower(*args).traced.ir).eqns]


def test_split_gradient_is_one_concatenate():
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    w = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32)

    def loss(x):
        a, b, c = jnp.split(x, 3, axis=1)
        return jnp.sum(a * w[0]) + jnp.sum(jnp.sin(b) * w[1]) + jnp.sum(c * c * w[2])
    g = jax.grad(loss)
    prims = _prims(g, x)
    assert "pad" not in prims and prims.count("concatenate") == 1, prims
    a, b, c = np.split(x, 3, axis=1)
    want = np.concatenate([w[0], np.cos(b) * w[1], 2 * c * w[2]], axis=1)
    np.testing.assert_allclose(np.asarray(jax.jit(g)(x)), want, rtol=1e-6)


def test_partial_cover_keeps_one_pad():
    """Two touching pieces that do not cover the axis: a pad of their concatenate."""
    x, y = np.ones((2, 3), np.float32), 2 * np.ones((2, 4), np.float32)

    def f(x, y):
        return lax.pad(x, 0.0, [(0, 0, 0), (1, 5, 0)]) + lax.pad(y, 0.0, [(0, 0, 0), (4, 1, 0)])
    prims = _prims(f, x, y)
    assert prims.count("pad") == 1 and prims.count("concatenate") == 1, prims
    want = np.zeros((2, 9), np.float32)
    want[:, 1:4], want[:, 4:8] = 1, 2
    np.testing.assert_array_equal(np.asarray(jax.jit(f)(x, y)), want)


def test_pieces_with_a_gap_stay_pads():
    x = np.ones((2, 3), np.float32)

    def f(x):
        return lax.pad(x, 0.0, [(0, 0, 0), (0, 4, 0)]) + lax.pad(x, 0.0, [(0, 0, 0), (4, 0, 0)])
    assert _prims(f, x).count("pad") == 2

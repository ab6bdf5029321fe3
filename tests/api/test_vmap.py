import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.testing import check_vmap


def test_in_axes_variants(rng):
    x = rng.randn(4, 3).astype(np.float32)
    y = rng.randn(3, 4).astype(np.float32)
    f = lambda a, b: jnp.sin(a) * b
    check_vmap(f, [x, y], in_axes=(0, 1))
    check_vmap(f, [x, y[:, 0]], in_axes=(0, None))
    check_vmap(f, [x, y], in_axes=(-2, -1))


def test_out_axes_and_pytrees(rng):
    x = rng.randn(5, 3).astype(np.float32)
    out = jax.vmap(lambda a: {"s": jnp.sum(a), "v": a * 2}, out_axes={"s": 0, "v": 1})(x)
    np.testing.assert_allclose(out["s"], x.sum(1), rtol=1e-6)
    np.testing.assert_allclose(out["v"], (x * 2).T)
    out = jax.vmap(lambda a, b: a["p"] + b, in_axes=({"p": 0}, None))({"p": x}, 1.0)
    np.testing.assert_allclose(out, x + 1)


def test_out_axes_none_and_axis_size():
    out = jax.vmap(lambda: jnp.ones(2), axis_size=3, in_axes=())()
    assert out.shape == (3, 2)
    c = jax.vmap(lambda a: 7.0, out_axes=None)(jnp.ones(3))
    assert float(c) == 7.0


def test_nested_vmap(rng):
    x = rng.randn(2, 3, 4).astype(np.float32)
    out = jax.vmap(jax.vmap(lambda v: jnp.dot(v, v)))(x)
    np.testing.assert_allclose(out, np.einsum("abc,abc->ab", x, x), rtol=1e-5)


def test_mismatched_sizes_error():
    with pytest.raises(ValueError, match=r"(?s)inconsistent sizes.*size 3.*size 4"):
        jax.vmap(lambda a, b: a + b)(jnp.ones(3), jnp.ones(4))


def test_bad_in_axes():
    with pytest.raises(ValueError, match="axis 2"):
        jax.vmap(lambda a: a, in_axes=2)(jnp.ones((2, 3)))


def test_batched_selector_or_bound_with_unbatched_scalar_operands():
    """Regression: vmap(grad(where(x < 1, x, 0.0))) produced select_n with a batched
    selector and 0-d unbatched cases, which its shape rule rejects; clamp had the same
    problem with a batched bound."""
    from jitnet import lax
    pts = np.array([-16.0, -3.0, 0.0, 2.0], np.float32)
    g = jax.vmap(jax.grad(lambda x: jnp.where(x < 1, x, 0.0)))(pts)
    np.testing.assert_array_equal(np.asarray(g), (pts < 1).astype(np.float32))
    g = jax.jit(jax.vmap(jax.grad(lambda x: jnp.where(x < 1, 3.0, x) * 2)))(pts)
    np.testing.assert_array_equal(np.asarray(g), np.where(pts < 1, 0.0, 2.0))
    out = jax.vmap(lambda p: lax.select_n(p, 1.0, 2.0))(pts > -5)
    np.testing.assert_array_equal(np.asarray(out), np.where(pts > -5, 2.0, 1.0))
    out = jax.vmap(lambda lo: lax.clamp(lo, np.float32(0.5), np.float32(2.0)))(pts)
    np.testing.assert_array_equal(np.asarray(out), np.clip(0.5, pts, 2.0))
    sel = np.array([[True, False], [False, False]])
    out = jax.vmap(lambda p: lax.select_n(p, jnp.ones(2), jnp.zeros(2)))(sel)
    np.testing.assert_array_equal(np.asarray(out), np.where(sel, 0.0, 1.0))

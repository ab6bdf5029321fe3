import functools

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.testing import check_grads


@jax.custom_jvp
def safe_log1pexp(x):
    return jnp.log1p(jnp.exp(x))


@safe_log1pexp.defjvp
def _safe_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return safe_log1pexp(x), t / (1 + jnp.exp(-x))


def test_custom_jvp_used_and_stable():
    # the naive derivative exp(x)/(1+exp(x)) is nan at x=100; the rule is not
    g = jax.grad(safe_log1pexp)(100.0)
    assert float(g) == pytest.approx(1.0)
    np.testing.assert_allclose(jax.vmap(jax.grad(safe_log1pexp))(jnp.zeros(3)), 0.5)


def test_custom_jvp_rule_overrides_derivative():
    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 3.0 * t

    assert float(jax.grad(f)(0.3)) == pytest.approx(3.0)
    np.testing.assert_allclose(jax.grad(lambda x: jnp.sum(jax.vmap(f)(x)))(jnp.ones(2)), 3.0)
    assert float(jax.jvp(f, (0.3,), (1.0,))[1]) == pytest.approx(3.0)
    assert float(f(0.3)) == pytest.approx(np.sin(0.3), rel=1e-6)


def test_custom_jvp_second_order_x64(x64):
    @jax.custom_jvp
    def f(x):
        return x ** 3

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 3 * x ** 2 * t

    check_grads(f, (np.array([0.5, -1.2]),), order=2)


def test_custom_jvp_nondiff_argnums():
    @functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
    def scale(n, x):
        return x * n

    @scale.defjvp
    def scale_jvp(n, primals, tangents):
        return scale(n, primals[0]), tangents[0] * n * 10
    assert float(jax.grad(lambda x: scale(2.0, x))(1.0)) == pytest.approx(20.0)


def test_custom_vjp_used_and_pytree_residuals():
    @jax.custom_vjp
    def clip_grad(x, y):
        return x * y

    def fwd(x, y):
        return clip_grad(x, y), {"x": x, "y": y}

    def bwd(res, ct):
        return (jnp.clip(ct * res["y"], -1.0, 1.0), ct * res["x"])

    clip_grad.defvjp(fwd, bwd)
    gx, gy = jax.grad(clip_grad, argnums=(0, 1))(2.0, 5.0)
    assert float(gx) == 1.0 and float(gy) == 2.0
    per = jax.vmap(jax.grad(clip_grad))(jnp.ones(3), jnp.array([0.5, 2.0, -3.0]))
    np.testing.assert_allclose(per, [0.5, 1.0, -1.0])
    total = jax.grad(lambda y: jnp.sum(jax.vmap(clip_grad, in_axes=(0, None))(jnp.arange(3.0), y)))(
        1.0)
    assert float(total) == 3.0


def test_custom_vjp_forward_mode_errors():
    @jax.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda r, g: (g,))
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(f, (1.0,), (1.0,))


def test_checkpoint_recomputes_and_matches(rng):
    def block(x):
        return jnp.sin(jnp.tanh(x) * 2.0)

    x = rng.randn(4).astype(np.float32)
    loss = lambda x: jnp.sum(jax.checkpoint(block)(x))
    np.testing.assert_allclose(jax.grad(loss)(x), jax.grad(lambda x: jnp.sum(block(x)))(x),
                               rtol=1e-6)
    listing = str(jax.make_jaxpr(jax.grad(loss))(x))
    # the backward pass holds a remat block that recomputes tanh from the input
    assert listing.count("remat") == 2 and listing.count("tanh") == 2
    np.testing.assert_allclose(jax.vmap(jax.grad(lambda v: jnp.sum(jax.checkpoint(block)(v))))(
        np.stack([x, x])), np.stack([jax.grad(loss)(x)] * 2), rtol=1e-6)


def test_checkpoint_higher_order_x64(x64):
    f = jax.checkpoint(lambda x: jnp.sum(jnp.sin(x) * x))
    check_grads(f, (np.array([0.1, 0.7]),), order=2)

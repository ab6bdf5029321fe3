"""grad / vjp / jvp / jacobians / linearize against closed forms and finite differences,
including nested compositions."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.testing import check_grads


def f_scalar(x):
    return jnp.sum(jnp.tanh(x) ** 2 * jnp.exp(-jnp.abs(x)))


def test_grad_closed_form(rng):
    x = rng.randn(5).astype(np.float32)
    t = np.tanh(x)
    want = (2 * t * (1 - t ** 2) - t ** 2 * np.sign(x)) * np.exp(-np.abs(x))
    np.testing.assert_allclose(jax.grad(f_scalar)(x), want, rtol=1e-5, atol=1e-6)


def test_value_and_grad_argnums_tuple_and_pytrees(rng):
    params = {"w": rng.randn(3, 2).astype(np.float32), "b": rng.randn(2).astype(np.float32)}
    x = rng.randn(4, 3).astype(np.float32)

    def loss(p, x):
        return jnp.sum((x @ p["w"] + p["b"]) ** 2)

    val, (gp, gx) = jax.value_and_grad(loss, argnums=(0, 1))(params, x)
    y = x @ params["w"] + params["b"]
    np.testing.assert_allclose(val, np.sum(y ** 2), rtol=1e-5)
    np.testing.assert_allclose(gp["w"], x.T @ (2 * y), rtol=1e-4)
    np.testing.assert_allclose(gp["b"], (2 * y).sum(0), rtol=1e-4)
    np.testing.assert_allclose(gx, 2 * y @ params["w"].T, rtol=1e-4)


def test_has_aux():
    def f(x):
        return jnp.sum(x ** 2), {"mean": jnp.mean(x)}
    (val, aux), g = jax.value_and_grad(f, has_aux=True)(jnp.arange(3.0))
    assert float(val) == 5.0 and float(aux["mean"]) == 1.0
    np.testing.assert_allclose(g, [0.0, 2.0, 4.0])
    g2, aux2 = jax.grad(f, has_aux=True)(jnp.arange(3.0))
    np.testing.assert_allclose(g2, [0.0, 2.0, 4.0])


def test_grad_of_grad_and_third_order():
    f = lambda x: x ** 4
    assert float(jax.grad(jax.grad(f))(2.0)) == pytest.approx(48.0)
    assert float(jax.grad(jax.grad(jax.grad(f)))(2.0)) == pytest.approx(48.0)


def test_closure_over_outer_tracer():
    # d/dx [ d/dy (x*y)^2 at y=1 ] = d/dx 2x^2 = 4x
    def outer(x):
        return jax.grad(lambda y: (x * y) ** 2)(1.0)
    assert float(jax.grad(outer)(3.0)) == pytest.approx(12.0)


def test_jvp_and_linearize(rng):
    x = rng.randn(4).astype(np.float32)
    t = rng.randn(4).astype(np.float32)
    y, ty = jax.jvp(jnp.sin, (x,), (t,))
    np.testing.assert_allclose(ty, np.cos(x) * t, rtol=1e-6)
    y2, f_jvp = jax.linearize(jnp.sin, x)
    np.testing.assert_allclose(f_jvp(t), np.cos(x) * t, rtol=1e-6)
    np.testing.assert_allclose(y2, y)


def test_jacobians_and_hessian(rng):
    A = rng.randn(3, 4).astype(np.float32)
    f = lambda x: jnp.tanh(A @ x)
    x = rng.randn(4).astype(np.float32)
    want = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    np.testing.assert_allclose(jax.jacfwd(f)(x), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.jacrev(f)(x), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.jacfwd(jax.jacrev(f))(x), jax.jacrev(jax.jacfwd(f))(x),
                               rtol=1e-4, atol=1e-5)
    H = jax.hessian(lambda x: jnp.sum(x ** 3))(x)
    np.testing.assert_allclose(H, np.diag(6 * x), rtol=1e-5, atol=1e-6)


def test_jacobian_pytrees():
    f = lambda p: {"a": p["x"] * 2.0, "b": jnp.sum(p["y"])}
    p = {"x": jnp.ones(2), "y": jnp.ones(3)}
    J = jax.jacrev(f)(p)
    assert J["a"]["x"].shape == (2, 2) and J["a"]["y"].shape == (2, 3)
    assert J["b"]["x"].shape == (2,) and J["b"]["y"].shape == (3,)
    Jf = jax.jacfwd(f)(p)
    for k1 in J:
        for k2 in J[k1]:
            np.testing.assert_allclose(J[k1][k2], Jf[k1][k2])


def test_per_example_gradients(rng):
    w = rng.randn(3).astype(np.float32)
    xs = rng.randn(5, 3).astype(np.float32)
    loss = lambda w, x: jnp.sum(jnp.tanh(x @ w))
    per_ex = jax.vmap(jax.grad(loss), in_axes=(None, 0))(w, xs)
    want = np.stack([jax.grad(loss)(w, x) for x in xs])
    # the batched and the single products may round x @ w differently by an ulp, and float32
    # tanh is accurate to 4.7 ulp (runtime/numba_transcendental.py; XLA's: 4.2), so y = tanh
    # of neighbouring inputs can differ by ~5 ulp: the gradient x * (1 - y**2) then differs
    # by up to |x| * 2 * 5 * 6e-8 ~ 1e-6 absolute where tanh saturates (1 - y**2 ~ 0.005)
    np.testing.assert_allclose(per_ex, want, rtol=1e-5, atol=2e-6)
    want64 = np.stack([xs[i] * (1 - np.tanh(xs[i].astype(np.float64) @ w) ** 2)
                       for i in range(len(xs))])
    np.testing.assert_allclose(per_ex, want64, rtol=1e-5, atol=2e-6)
    # grad of vmap equals the sum of per-example gradients
    total = jax.grad(lambda w: jnp.sum(jax.vmap(loss, in_axes=(None, 0))(w, xs)))(w)
    np.testing.assert_allclose(total, want.sum(0), rtol=1e-5, atol=5 * 2e-6)  # five terms


def test_nested_compositions_x64(x64, rng):
    x = rng.randn(3)
    f = lambda x: jnp.sum(jnp.sin(x) * jnp.cos(x[::-1]))
    check_grads(f, (x,), order=3)
    check_grads(jax.grad(f), (x,), order=1)
    check_grads(lambda x: jax.vmap(jax.grad(lambda y: jnp.sin(y) ** 2))(x), (x,), order=2)


def test_grad_errors():
    with pytest.raises(TypeError, match=r"scalar-output.*shape: \(3,\)"):
        jax.grad(lambda x: x * 2)(jnp.ones(3))
    with pytest.raises(TypeError, match="real- or complex-valued inputs.*int32"):
        jax.grad(lambda x: x * 2)(jnp.int32(3))
    with pytest.raises(TypeError, match="argnums"):
        jax.grad(lambda x, y: x, argnums=2)(1.0, 2.0)


def test_int_inputs_get_float0_cotangents():
    y, pullback = jax.vjp(lambda x, i: x * i, 2.0, 3)
    gx, gi = pullback(1.0)
    assert float(gx) == 3.0
    assert gi.dtype == jax.dtypes.float0


def test_stop_gradient():
    f = lambda x: jax.lax.stop_gradient(x) * x
    assert float(jax.grad(f)(3.0)) == 3.0
    g = jax.grad(lambda p: jnp.sum(jax.lax.stop_gradient(p)["a"] * p["b"]))
    out = g({"a": jnp.ones(2) * 2, "b": jnp.ones(2)})
    np.testing.assert_allclose(out["a"], 0.0)
    np.testing.assert_allclose(out["b"], 2.0)

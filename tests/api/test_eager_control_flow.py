"""Python control flow on values under differentiation outside jit/vmap (issue 18, item 2).

As in JAX, grad/jvp/vjp/jacobians called eagerly see concrete values, so ``if x > 0:``,
``while``, ``int(n)``, ``.item()``, boolean masks and ``jnp.nonzero`` work there; under jit or
vmap the values are abstract and the helpful error stays. References are closed forms and
float64 central differences."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp


def piecewise(x):
    if x > 0:
        return x ** 3
    return jnp.sin(x) * 2.0


def piecewise_np(x):
    return x ** 3 if x > 0 else 2.0 * np.sin(x)


def left_difference(f, x, h=1e-7):  # one-sided, so x = 0 stays on the branch it takes
    return (f(x) - f(x - h)) / h


@pytest.mark.parametrize("x", [2.0, -1.5, 0.0])
def test_grad_and_second_order_follow_the_branch(x, x64):
    g = jax.grad(piecewise)(x)
    g_true = 3 * x ** 2 if x > 0 else 2.0 * np.cos(x)
    assert np.isclose(float(g), g_true, atol=1e-12)
    assert np.isclose(float(g), left_difference(piecewise_np, x), rtol=1e-5, atol=1e-6)
    h_true = 6 * x if x > 0 else -2.0 * np.sin(x)
    assert np.isclose(float(jax.grad(jax.grad(piecewise))(x)), h_true, atol=1e-10)
    assert np.isclose(float(jax.hessian(piecewise)(x)), h_true, atol=1e-10)
    assert np.isclose(float(jax.jacfwd(piecewise)(x)), float(g))
    assert np.isclose(float(jax.jacrev(piecewise)(x)), float(g))
    y, t = jax.jvp(piecewise, (x,), (1.0,))
    assert np.isclose(float(y), piecewise_np(x)) and np.isclose(float(t), float(g))
    y, pull = jax.vjp(piecewise, x)
    assert np.isclose(float(pull(1.0)[0]), float(g))
    y, lin = jax.linearize(piecewise, x)
    assert np.isclose(float(lin(1.0)), float(g))
    v, g2 = jax.value_and_grad(piecewise)(x)
    assert np.isclose(float(v), piecewise_np(x)) and np.isclose(float(g2), float(g))


def test_while_loop_in_python(x64):
    def f(x):
        n = 0
        while x < 10.0:
            x = x * 2.0
            n += 1
        return x * n
    # at x=3: 3 -> 6 -> 12, n = 2, f = 4x * 2 = 8x
    assert np.isclose(float(jax.grad(f)(3.0)), 8.0)
    assert np.isclose(float(jax.grad(f)(11.0)), 0.0)  # no iteration: n = 0


def test_int_index_item_and_tolist():
    table = jnp.array([1.0, 10.0, 100.0])
    assert float(jax.grad(lambda x: x * table[int(x)])(2.0)) == 100.0
    assert float(jax.grad(lambda x: x * table[x.astype(jnp.int32)])(1.0)) == 10.0
    assert float(jax.grad(lambda x: x * x.item())(3.0)) == 3.0  # .item() is a constant
    assert float(jax.grad(lambda x: x * len(jnp.zeros(3)[: int(x)].tolist()))(2.0)) == 2.0
    assert float(jax.grad(lambda x: jnp.sum(jnp.arange(x.astype(jnp.int32)) * x))(4.0)) == 6.0


def test_boolean_mask_and_nonzero():
    x = jnp.array([1.0, -1.0, 2.0])
    g = jax.grad(lambda x: jnp.sum(x[x > 0] ** 2))(x)
    np.testing.assert_allclose(np.asarray(g), [2.0, 0.0, 4.0])
    g = jax.grad(lambda x: jnp.sum(x[jnp.nonzero(x > 0)] * 3.0))(x)
    np.testing.assert_allclose(np.asarray(g), [3.0, 0.0, 3.0])


def test_array_condition_and_vector_output():
    def f(x):
        return x ** 2 if jnp.all(x > 0) else -x
    np.testing.assert_allclose(np.asarray(jax.grad(lambda x: jnp.sum(f(x)))(jnp.ones(3))), 2.0)
    np.testing.assert_allclose(np.asarray(jax.jacrev(f)(-jnp.ones(2))), -np.eye(2))
    np.testing.assert_allclose(np.asarray(jax.jacfwd(f)(jnp.ones(2) * 3)), 6 * np.eye(2))


def test_pytree_args_and_aux():
    def loss(p, x):
        y = p["w"] * x + p["b"]
        aux = {"branch": 1 if y > 0 else 0}
        return (y ** 2 if y > 0 else -y), aux
    g, aux = jax.grad(loss, has_aux=True)({"w": 2.0, "b": 1.0}, 3.0)
    assert aux["branch"] == 1
    assert np.isclose(float(g["w"]), 2 * 7.0 * 3.0) and np.isclose(float(g["b"]), 14.0)
    g, aux = jax.grad(loss, has_aux=True)({"w": -2.0, "b": 1.0}, 3.0)
    assert aux["branch"] == 0
    assert np.isclose(float(g["w"]), -3.0) and np.isclose(float(g["b"]), -1.0)


def test_lax_inside_a_branch_and_jit_inside():
    inner = jax.jit(lambda y: jnp.tanh(y) * 2.0)

    def f(x):
        if x > 0:
            return jax.lax.cond(x > 1.0, lambda y: y ** 3, lambda y: y ** 2, x) + inner(x)
        return x
    x = 2.0
    expected = 3 * x ** 2 + 2.0 * (1 - np.tanh(x) ** 2)
    assert np.isclose(float(jax.grad(f)(x)), expected, rtol=1e-5)


def test_still_an_error_under_jit_and_vmap():
    with pytest.raises(jax.TracerBoolConversionError, match="grad inside jit"):
        jax.jit(jax.grad(piecewise))(1.0)
    with pytest.raises(jax.TracerBoolConversionError, match="grad inside vmap"):
        jax.vmap(jax.grad(piecewise))(jnp.ones(2))
    with pytest.raises(jax.TracerBoolConversionError, match="lax.cond"):
        jax.jit(piecewise)(1.0)


def test_float_and_numpy_conversion_still_raise_as_in_jax():
    # JAX keeps these errors under eager grad: they would silently drop the derivative
    with pytest.raises(jax.ConcretizationTypeError, match="float"):
        jax.grad(lambda x: x * float(x))(2.0)
    with pytest.raises(jax.TracerArrayConversionError):
        jax.grad(lambda x: x * np.asarray(x))(2.0)


def test_plain_functions_trace_once():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2.0
    jax.grad(f)(1.0)
    assert len(calls) == 1  # no second, value-knowing trace without control flow

    def g(x):
        calls.append(1)
        return x if x > 0 else -x
    calls.clear()
    jax.grad(g)(1.0)
    assert len(calls) == 2  # abstract trace, then the value-knowing one

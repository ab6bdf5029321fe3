"""experimental.ode.odeint: values against closed forms and SciPy, adjoint gradients against
finite differences (check_grads in reverse mode: forward mode is not defined, as in JAX)."""
import numpy as np
import pytest
import scipy.integrate as si

import jitnet
import jitnet.numpy as jnp
from jitnet.experimental.ode import odeint
from jitnet.testing import check_grads


def decay(y, t, k):
    return -k * y + jnp.sin(t)


def test_linear_ode_closed_form(x64):
    # y' = -k y  =>  y = y0 exp(-k t)
    t = np.linspace(0.0, 3.0, 5)
    ys = odeint(lambda y, t, k: -k * y, np.array([1.0, -2.0]), t, 0.9)
    np.testing.assert_allclose(np.asarray(ys), np.exp(-0.9 * t)[:, None] * [1.0, -2.0],
                               rtol=1e-7)


def test_matches_scipy_and_pytrees(x64):
    """A pendulum with its state as a dict; SciPy's LSODA at tight tolerances as reference."""
    def pendulum(state, t, g):
        return {"theta": state["omega"], "omega": -g * jnp.sin(state["theta"])}

    t = np.array([0.0, 0.5, 1.7, 2.0])
    ys = odeint(pendulum, {"theta": 1.0, "omega": 0.0}, t, 9.81, rtol=1e-10, atol=1e-10)
    ref = si.odeint(lambda s, t: [s[1], -9.81 * np.sin(s[0])], [1.0, 0.0], t, rtol=1e-12,
                    atol=1e-12)
    np.testing.assert_allclose(np.asarray(ys["theta"]), ref[:, 0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(np.asarray(ys["omega"]), ref[:, 1], rtol=1e-7, atol=1e-9)


@pytest.mark.slow
def test_float32_and_jit():
    t = np.linspace(0.0, 2.0, 3).astype(np.float32)
    y0 = np.array([1.0, 2.0], np.float32)
    run = jitnet.jit(lambda y0, t, k: odeint(decay, y0, t, k, rtol=1e-6, atol=1e-6))
    ys = run(y0, t, np.float32(0.7))
    assert ys.dtype == np.float32
    ref = si.odeint(lambda y, t: -0.7 * y + np.sin(t), [1.0, 2.0], t.astype(np.float64),
                    rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ys), ref, rtol=1e-5)


def test_adjoint_gradients(x64):
    t = np.array([0.0, 0.4, 1.1, 2.0])

    def loss(y0, t, k):
        return jnp.sum(odeint(decay, y0, t, k, rtol=1e-11, atol=1e-11) ** 2)

    check_grads(loss, (np.array([1.0, 2.0]), t, np.array(0.7)), order=1, modes=("rev",),
                atol=1e-6, rtol=1e-6)


def test_neural_ode_gradient_with_pytree_params(x64):
    """A tiny neural ODE: parameters as a pytree argument. (Eager: jitting this gradient
    works but its first compile takes ~2 minutes on 2 cores, too long for the suite.)"""
    rng = np.random.RandomState(0)
    params = {"w1": rng.randn(2, 3) * 0.5, "w2": rng.randn(3, 2) * 0.5}

    def field(y, t, p):
        return jnp.tanh(y @ p["w1"]) @ p["w2"]

    def loss(p, y0):
        ys = odeint(field, y0, jnp.array([0.0, 0.5, 1.0]), p, rtol=1e-10, atol=1e-10)
        return jnp.sum(ys[-1] ** 2) + jnp.sum(ys[1])

    y0 = np.array([0.3, -0.8])
    g = jitnet.grad(loss)(params, y0)
    eps = 1e-6
    for name in params:
        for idx in np.ndindex(params[name].shape):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name][idx] += eps
            down[name][idx] -= eps
            fd = (float(loss(up, y0)) - float(loss(down, y0))) / (2 * eps)
            assert abs(float(g[name][idx]) - fd) < 1e-6, (name, idx)


def test_gradient_reaches_closed_over_values(x64):
    """func may close over what is differentiated (as JAX's closure_convert allows), and
    integer arguments are carried along."""
    t = np.linspace(0.0, 1.0, 3)

    def by_closure(k):
        return jnp.sum(odeint(lambda y, t: -k * y + jnp.sin(t), jnp.array([1.0, 2.0]), t,
                              rtol=1e-10, atol=1e-10) ** 2)

    def by_argument(k, n):
        return jnp.sum(odeint(lambda y, t, k, n: -k * y * n + jnp.sin(t), jnp.array([1.0, 2.0]),
                              t, k, n, rtol=1e-10, atol=1e-10) ** 2)

    check_grads(by_closure, (0.7,), order=1, modes=("rev",), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(float(jitnet.grad(by_closure)(0.7)),
                               float(jitnet.grad(by_argument)(0.7, 1)), rtol=1e-9)
    check_grads(lambda k: by_argument(k, 2), (0.7,), order=1, modes=("rev",), atol=1e-6,
                rtol=1e-6)


def test_mxstep_gives_nan_and_errors():
    ys = odeint(lambda y, t: -50.0 * y, np.ones(1, np.float32), np.array([0.0, 1.0, 2.0]),
                mxstep=3)
    assert np.isnan(np.asarray(ys)[1:]).all()
    with pytest.raises(ValueError, match="odeint: the times t must be increasing"):
        odeint(decay, np.ones(2), np.array([0.0, 1.0, 0.5]), 0.7)
    with pytest.raises(ValueError, match="odeint: t must be a 1-d"):
        odeint(decay, np.ones(2), np.ones((2, 2)), 0.7)
    with pytest.raises(TypeError, match="odeint: args must be arrays"):
        odeint(decay, np.ones(2), np.linspace(0, 1, 3), "k")
    with pytest.raises(TypeError, match="odeint: y0 must be floating"):
        odeint(decay, np.ones(2, np.int32), np.linspace(0, 1, 3), 0.7)

"""example_libraries.optimizers against NumPy implementations of the update rules."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.example_libraries import optimizers

PARAMS = {"w": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": (np.array([0.3, -0.1]),)}
TARGET = {"w": np.array([[0.0, 1.0], [1.0, 0.0]]), "b": (np.array([1.0, 1.0]),)}


def grads_np(p):
    """Gradient of 0.5 * sum (x^3/3 - target x)... kept nonlinear so the steps differ."""
    return jitnet.tree_util.tree_map(lambda x, t: x * x - t, p, TARGET)


def loss(p):
    return sum(jnp.sum(x ** 3 / 3 - t * x) for x, t in zip(jitnet.tree_util.tree_leaves(p),
                                                          jitnet.tree_util.tree_leaves(TARGET)))


def np_sgd(x, g, s, i, lr=0.1):
    return x - lr * g, s


def np_momentum(x, g, v, i, lr=0.1, mass=0.9):
    v = mass * v + g
    return x - lr * v, v


def np_nesterov(x, g, v, i, lr=0.1, mass=0.9):
    v = mass * v + g
    return x - lr * (mass * v + g), v


def np_rmsprop(x, g, a, i, lr=0.1, gamma=0.9, eps=1e-8):
    a = gamma * a + (1 - gamma) * g * g
    return x - lr * g / np.sqrt(a + eps), a


def np_adam(x, g, s, i, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    m, v = s
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    mh, vh = m / (1 - b1 ** (i + 1)), v / (1 - b2 ** (i + 1))
    return x - lr * mh / (np.sqrt(vh) + eps), (m, v)


def np_adamax(x, g, s, i, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    m, u = s
    m = b1 * m + (1 - b1) * g
    u = np.maximum(b2 * u, np.abs(g))
    return x - lr / (1 - b1 ** (i + 1)) * m / (u + eps), (m, u)


def np_adagrad(x, g, s, i, lr=0.1, mom=0.9):
    gsq, m = s
    gsq = gsq + g * g
    scaled = np.where(gsq > 0, g / np.sqrt(np.where(gsq > 0, gsq, 1)), 0)
    m = (1 - mom) * scaled + mom * m
    return x - lr * m, (gsq, m)


def np_rmsprop_momentum(x, g, s, i, lr=0.1, gamma=0.9, eps=1e-8, mom=0.9):
    a, mo = s
    a = gamma * a + (1 - gamma) * g * g
    mo = mom * mo + lr * g / np.sqrt(a + eps)
    return x - mo, (a, mo)


def np_sm3(x, g, s, i, lr=0.1, mom=0.9):
    m, vs = s
    nd = g.ndim
    per_axis = [v.reshape([-1 if k == a else 1 for k in range(nd)]) for a, v in enumerate(vs)]
    accum = np.minimum.reduce(np.broadcast_arrays(*per_axis)) + g * g
    m = (1 - mom) * np.where(accum > 0, g / np.sqrt(np.where(accum > 0, accum, 1)), 0) + mom * m
    vs = [accum.max(axis=tuple(k for k in range(nd) if k != a)) for a in range(nd)]
    return x - lr * m, (m, vs)


def zeros(x):
    return np.zeros_like(x)


CASES = [
    (optimizers.sgd(0.1), np_sgd, lambda x: None),
    (optimizers.momentum(0.1, 0.9), np_momentum, zeros),
    (optimizers.nesterov(0.1, 0.9), np_nesterov, zeros),
    (optimizers.rmsprop(0.1), np_rmsprop, zeros),
    (optimizers.rmsprop_momentum(0.1), np_rmsprop_momentum, lambda x: (zeros(x), zeros(x))),
    (optimizers.adam(0.1), np_adam, lambda x: (zeros(x), zeros(x))),
    (optimizers.adamax(0.1), np_adamax, lambda x: (zeros(x), zeros(x))),
    (optimizers.adagrad(0.1), np_adagrad, lambda x: (zeros(x), zeros(x))),
    (optimizers.sm3(0.1), np_sm3, lambda x: (zeros(x), [np.zeros(d) for d in x.shape])),
]


@pytest.mark.parametrize("case", CASES, ids=[c[1].__name__[3:] for c in CASES])
def test_matches_numpy(case, x64):
    (opt_init, opt_update, get_params), ref, ref_init = case
    state = opt_init(PARAMS)
    xs = jitnet.tree_util.tree_leaves(PARAMS)
    ss = [ref_init(x) for x in xs]
    for i in range(4):
        g = jitnet.grad(loss)(get_params(state))
        state = opt_update(i, g, state)
        gs = jitnet.tree_util.tree_leaves(grads_np(dict(zip(["b", "w"], [(xs[0],), xs[1]]))))
        pairs = [ref(x, gi, s, i) for x, gi, s in zip(xs, gs, ss)]
        xs, ss = [p[0] for p in pairs], [p[1] for p in pairs]
    got = get_params(state)
    assert isinstance(got["b"], tuple)
    for a, b in zip(jitnet.tree_util.tree_leaves(got), xs):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-12)


def test_jitted_update_and_state_is_a_pytree():
    opt_init, opt_update, get_params = optimizers.adam(optimizers.exponential_decay(0.1, 10, 0.5))
    p32 = jitnet.tree_util.tree_map(lambda x: x.astype(np.float32), PARAMS)
    state = opt_init(p32)
    step = jitnet.jit(lambda i, s: opt_update(i, jitnet.grad(loss)(get_params(s)), s))
    eager = state
    for i in range(3):
        state = step(i, state)
        eager = opt_update(i, jitnet.grad(loss)(get_params(eager)), eager)
    for a, b in zip(jitnet.tree_util.tree_leaves(state), jitnet.tree_util.tree_leaves(eager)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
    with pytest.raises(TypeError, match="gradient tree"):
        opt_update(0, {"w": p32["w"]}, state)


def test_schedules():
    i = np.arange(0, 30, 3)
    np.testing.assert_allclose([float(optimizers.exponential_decay(0.1, 10, 0.5)(k)) for k in i],
                               0.1 * 0.5 ** (i / 10), rtol=1e-6)
    np.testing.assert_allclose([float(optimizers.inverse_time_decay(1.0, 5, 2.0)(k)) for k in i],
                               1 / (1 + 2.0 * i / 5), rtol=1e-6)
    np.testing.assert_allclose(
        [float(optimizers.inverse_time_decay(1.0, 5, 2.0, staircase=True)(k)) for k in i],
        1 / (1 + 2.0 * np.floor(i / 5)), rtol=1e-6)
    np.testing.assert_allclose(
        [float(optimizers.polynomial_decay(1.0, 12, 0.1, power=2.0)(k)) for k in i],
        (1 - np.minimum(i, 12) / 12) ** 2 * 0.9 + 0.1, rtol=1e-6)
    pc = optimizers.piecewise_constant([5, 10], [1.0, 0.5, 0.1])
    np.testing.assert_allclose([float(pc(k)) for k in (0, 5, 6, 10, 11)], [1, 1, 0.5, 0.5, 0.1],
                               rtol=1e-7)
    with pytest.raises(ValueError, match="one more"):
        optimizers.piecewise_constant([5, 10], [1.0, 0.5])
    assert optimizers.make_schedule(0.3)(7) == 0.3
    with pytest.raises(TypeError, match="schedule"):
        optimizers.make_schedule([0.1, 0.2])


def test_clip_and_norm():
    tree = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert float(optimizers.l2_norm(tree)) == pytest.approx(5.0)
    clipped = optimizers.clip_grads(tree, 1.0)
    np.testing.assert_allclose(np.asarray(clipped["a"]), [0.6, 0.0], rtol=1e-6)
    kept = optimizers.clip_grads(tree, 10.0)
    np.testing.assert_allclose(np.asarray(kept["b"]), [[4.0]])


def test_pack_unpack_round_trip():
    opt_init, opt_update, get_params = optimizers.momentum(0.1, 0.9)
    state = opt_update(0, PARAMS, opt_init(PARAMS))
    marked = optimizers.unpack_optimizer_state(state)
    assert isinstance(marked["w"], optimizers.JoinPoint)
    back = optimizers.pack_optimizer_state(marked)
    assert back.tree_def == state.tree_def
    for a, b in zip(jitnet.tree_util.tree_leaves(back), jitnet.tree_util.tree_leaves(state)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

"""Optax runs unchanged on jitnet (``import jax`` aliased): its optimizers, schedules,
wrappers and losses under ``jitnet.jit(value_and_grad)``, against NumPy float64 references
written here."""
import importlib.util

import numpy as np
import pytest

# the 'ecosystem' extra, installed by `make test` (not imported here: that would bind it to
# the real JAX when JAX is installed)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("optax") is None,
                                reason="optax is not installed (pip install -e '.[ecosystem]')")

_IMPORT_RNG = np.random.RandomState(0)
X = _IMPORT_RNG.randn(12, 3).astype(np.float32)
Y = (X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * _IMPORT_RNG.randn(12)).astype(np.float32)


@pytest.fixture(scope="module")
def mods(aliased):
    jax, jnp, optax = aliased("jax"), aliased("jax.numpy"), aliased("optax")
    assert jax.__name__ == "jitnet" and jnp.__name__ == "jitnet.numpy"
    return jax, jnp, optax


def np_loss_grad(w, b):
    r = X.astype(np.float64) @ w + b - Y
    return np.mean(r ** 2), {"w": 2 * X.T.astype(np.float64) @ r / len(r), "b": 2 * r.mean()}


def np_adam(lrs, steps, clip=None, wd=0.0, b1=0.9, b2=0.999, eps=1e-8):
    """Adam(W) with optional global-norm clipping, in float64: returns the losses seen."""
    p = {"w": np.zeros(3), "b": 0.0}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    losses = []
    for t in range(1, steps + 1):
        loss, g = np_loss_grad(p["w"], p["b"])
        losses.append(loss)
        if clip is not None:
            norm = np.sqrt(sum(np.sum(x ** 2) for x in g.values()))
            g = {k: x * min(1.0, clip / norm) for k, x in g.items()}
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            mh, vh = m[k] / (1 - b1 ** t), v[k] / (1 - b2 ** t)
            p[k] = p[k] - lrs(t - 1) * (mh / (np.sqrt(vh) + eps) + wd * p[k])
    return np.array(losses)


def train(mods, opt, steps):
    jax, jnp, optax = mods
    x, y = jnp.asarray(X), jnp.asarray(Y)

    def loss(p):
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    @jax.jit
    def step(p, s):
        val, g = jax.value_and_grad(loss)(p)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, val

    p = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    s = opt.init(p)
    out = []
    for _ in range(steps):
        p, s, val = step(p, s)
        out.append(float(val))
    return np.array(out), s


def test_adam_with_schedule_and_clipping(mods):
    _, _, optax = mods
    sched = optax.warmup_cosine_decay_schedule(0.0, 0.1, warmup_steps=3, decay_steps=10)
    got, _ = train(mods, optax.chain(optax.clip_by_global_norm(0.5), optax.adam(sched)), 8)

    def np_sched(t):
        if t < 3:
            return 0.1 * t / 3
        return 0.1 * 0.5 * (1 + np.cos(np.pi * min(t - 3, 7) / 7))
    np.testing.assert_allclose(got, np_adam(np_sched, 8, clip=0.5), rtol=2e-5)


def test_adamw_decays_weights(mods):
    _, _, optax = mods
    got, _ = train(mods, optax.adamw(0.05, weight_decay=0.1), 6)
    np.testing.assert_allclose(got, np_adam(lambda t: 0.05, 6, wd=0.1), rtol=2e-5)


def test_multisteps_accumulates(mods):
    """MultiSteps(k=2): the mean of two gradients every second step; the first step of each
    pair leaves the parameters alone (as the reference's repeated losses show)."""
    _, _, optax = mods
    got, _ = train(mods, optax.MultiSteps(optax.adam(0.1), every_k_schedule=2), 6)
    ref = np_adam(lambda t: 0.1, 3)   # same gradient twice: its mean is itself
    np.testing.assert_allclose(got, np.repeat(ref, 2), rtol=2e-5)


def test_inject_hyperparams_changes_lr_without_retrace(mods):
    jax, jnp, optax = mods
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    p = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    s = opt.init(p)
    update = jax.jit(opt.update)
    g = {"w": jnp.ones(3), "b": jnp.asarray(2.0)}
    u1, s = update(g, s, p)
    s.hyperparams["learning_rate"] = jnp.asarray(0.01, jnp.float32)   # same type: no retrace
    u2, s = update(g, s, p)
    np.testing.assert_allclose(np.asarray(u1["w"]), [-0.1] * 3, rtol=1e-6)
    np.testing.assert_allclose(float(u2["b"]), -0.02, rtol=1e-6)
    assert update.trace_count() == 1


def test_losses_match_numpy(mods, generator):
    _, jnp, optax = mods
    logits = generator.standard_normal((4, 5)).astype(np.float32)
    labels = np.array([0, 3, 4, 1])
    lse = np.log(np.exp(logits.astype(np.float64)).sum(-1))
    ce = lse - logits[np.arange(4), labels]
    np.testing.assert_allclose(
        optax.losses.softmax_cross_entropy_with_integer_labels(jnp.asarray(logits), labels),
        ce, rtol=1e-5)
    onehot = np.eye(5, dtype=np.float32)[labels]
    np.testing.assert_allclose(optax.losses.softmax_cross_entropy(logits, onehot), ce, rtol=1e-5)
    z = np.array([-3.0, -0.5, 0.0, 2.0, 4.0], np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], np.float32)
    z64 = z.astype(np.float64)
    bce = np.maximum(z64, 0) - z64 * t + np.log1p(np.exp(-np.abs(z64)))
    np.testing.assert_allclose(optax.losses.sigmoid_binary_cross_entropy(z, t), bce, rtol=1e-5)
    np.testing.assert_allclose(optax.losses.l2_loss(z, t), 0.5 * (z64 - t) ** 2, rtol=1e-6)
    a = np.abs(z64 - t)
    huber = np.where(a <= 1.0, 0.5 * a ** 2, a - 0.5)
    np.testing.assert_allclose(optax.losses.huber_loss(z, t, delta=1.0), huber, rtol=1e-6)

"""Issue 19's drifting recurrent programs, reduced: a tanh RNN (Python loop under ``grad``, as
in the autograd examples) and an LSTM (``lax.scan``, sigmoid gates, jitted ``value_and_grad``)
trained for a few steps.

The drift was float32 rounding amplified by training, not an error: at the same parameters,
jitnet's float32 gradients are as close to float64 as JAX's (relative error ~1e-6 for both;
see docs/SCIPY.md). These tests pin the parts that would catch a real error: float64
gradients against finite differences, float64 losses against a NumPy forward pass, and the
float32 run tracking the float64 run step by step over a short, well-conditioned training.
"""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.testing import check_grads

I, H, T, B = 4, 5, 6, 3
rs = np.random.RandomState(0)
XS = np.eye(I)[rs.randint(0, I, size=(T, B))]
YS = np.eye(I)[rs.randint(0, I, size=(T, B))]
P_RNN = {"W": rs.randn(I + H, H) * 0.4, "b": rs.randn(H) * 0.1, "Wo": rs.randn(H, I) * 0.4}
P_LSTM = {"W": rs.randn(I + H, 4 * H) * 0.4, "b": rs.randn(4 * H) * 0.1,
          "Wo": rs.randn(H, I) * 0.4}


def rnn_loss(p, xs, ys):
    """Python loop over time (traced step by step under grad)."""
    h = jnp.zeros((B, H), xs.dtype)
    total = 0.0
    for x, y in zip(xs, ys):
        h = jnp.tanh(jnp.concatenate([x, h], axis=1) @ p["W"] + p["b"])
        total = total - jnp.sum(jitnet.nn.log_softmax(h @ p["Wo"]) * y)
    return total / (T * B)


def lstm_gates(p, xs):
    """Forget gates and hidden states of every step, on lax.scan."""
    def cell(carry, x):
        h, c = carry
        i, f, o, g = jnp.split(jnp.concatenate([x, h], axis=1) @ p["W"] + p["b"], 4, axis=1)
        f = jitnet.nn.sigmoid(f)
        c = f * c + jitnet.nn.sigmoid(i) * jnp.tanh(g)
        h = jitnet.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), (h, f)
    h0 = jnp.zeros((B, H), xs.dtype)
    return lax.scan(cell, (h0, h0), xs)[1]


def lstm_loss(p, xs, ys):
    hs, _ = lstm_gates(p, xs)
    return -jnp.mean(jnp.sum(jitnet.nn.log_softmax(hs @ p["Wo"]) * ys, -1))


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def np_rnn_loss(p, xs, ys):
    h, total = np.zeros((B, H)), 0.0
    for x, y in zip(xs, ys):
        h = np.tanh(np.concatenate([x, h], 1) @ p["W"] + p["b"])
        total -= np.sum(np_log_softmax(h @ p["Wo"]) * y)
    return total / (T * B)


def np_lstm_loss(p, xs, ys):
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = c = np.zeros((B, H))
    hs = []
    for x in xs:
        i, f, o, g = np.split(np.concatenate([x, h], 1) @ p["W"] + p["b"], 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        hs.append(h)
    return -np.mean(np.sum(np_log_softmax(np.stack(hs) @ p["Wo"]) * ys, -1))


CASES = {"rnn": (rnn_loss, np_rnn_loss, P_RNN), "lstm": (lstm_loss, np_lstm_loss, P_LSTM)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_loss_and_gradient(name, x64):
    loss, np_loss, p = CASES[name]
    np.testing.assert_allclose(float(loss(p, XS, YS)), np_loss(p, XS, YS), rtol=1e-13)
    check_grads(lambda p: loss(p, XS, YS), (p,), order=1, modes=("rev",))


def _train(loss, p, dtype, steps, lr=0.3):
    p = {k: jnp.asarray(v.astype(dtype)) for k, v in p.items()}
    xs, ys = XS.astype(dtype), YS.astype(dtype)
    step = jitnet.value_and_grad(loss)
    losses = []
    for _ in range(steps):
        value, g = step(p, xs, ys)
        losses.append(float(value))
        p = {k: p[k] - lr * g[k] for k in p}
    return np.array(losses), p


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_training_tracks_float64(name):
    loss, _, p0 = CASES[name]
    losses32, p32 = _train(loss, p0, np.float32, 8)
    old = jitnet.config.jax_enable_x64
    jitnet.config.update("jax_enable_x64", True)
    try:
        losses64, p64 = _train(loss, p0, np.float64, 8)
        p64 = {k: np.asarray(v) for k, v in p64.items()}
        gates64 = np.asarray(lstm_gates(p64, XS)[1]) if name == "lstm" else None
    finally:
        jitnet.config.update("jax_enable_x64", old)
    np.testing.assert_allclose(losses32, losses64, rtol=2e-6)
    for k in p64:
        np.testing.assert_allclose(np.asarray(p32[k]), p64[k], atol=2e-6)
    if name == "lstm":  # the symptom: forget-gate outputs off by 9e-4
        gates32 = np.asarray(lstm_gates(p32, XS.astype(np.float32))[1])
        np.testing.assert_allclose(gates32, gates64, atol=2e-6)

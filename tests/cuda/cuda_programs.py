"""Whole programs the CUDA tests run (and compile to PTX): small training steps and control
flow, each as (name, function, argument maker)."""
from __future__ import annotations

import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax

LR = 0.1


def cross_entropy(logits, y):
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))


def mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = jax.nn.relu(x @ w1 + b1)
    return cross_entropy(h @ w2 + b2, y)


def sgd(loss):
    def step(params, *data):
        value, grads = jax.value_and_grad(loss)(params, *data)
        return jax.tree_map(lambda p, g: p - LR * g, params, grads), value
    return step


def mlp_args(rng, batch=4, sizes=(6, 8, 3)):
    params = [(rng.standard_normal((m, n)).astype(np.float32) / np.sqrt(m),
               (0.1 * rng.standard_normal(n)).astype(np.float32))
              for m, n in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.randint(0, sizes[-1], batch)]
    return params, x, y


def rnn_loss(params, xs, targets):
    wx, wh, b, wo = params

    def cell(h, x):
        h = jnp.tanh(x @ wx + h @ wh + b)
        return h, h

    h0 = jnp.zeros((xs.shape[1], wh.shape[0]), jnp.float32)
    _, hs = lax.scan(cell, h0, xs)                   # (T, B, H)
    return cross_entropy(hs @ wo, targets)


def rnn_args(rng, t=5, b=2, e=3, h=4, v=3):
    params = [(rng.standard_normal(s) * 0.5).astype(np.float32)
              for s in [(e, h), (h, h), (h,), (h, v)]]
    xs = rng.standard_normal((t, b, e)).astype(np.float32)
    targets = np.eye(v, dtype=np.float32)[rng.randint(0, v, (t, b))]
    return params, xs, targets


def cnn_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = lax.conv_general_dilated(x, w1, (1, 1), "SAME",
                                 dimension_numbers=("NCHW", "OIHW", "NCHW"))
    h = jax.nn.relu(h + b1[None, :, None, None])
    h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    h = h.reshape(h.shape[0], -1)
    return cross_entropy(h @ w2 + b2, y)


def cnn_args(rng, n=2, c=2, hw=4, k=3):
    params = [(rng.standard_normal((c, 1, 3, 3)) * 0.5).astype(np.float32),
              np.zeros(c, np.float32),
              (rng.standard_normal((c * (hw // 2) ** 2, k)) * 0.3).astype(np.float32),
              np.zeros(k, np.float32)]
    x = rng.standard_normal((n, 1, hw, hw)).astype(np.float32)
    y = np.eye(k, dtype=np.float32)[rng.randint(0, k, n)]
    return params, x, y


def control(p, i, x, n):
    a = lax.cond(p, lambda v: v * 2.0, lambda v: v - 1.0, x)
    b = lax.switch(i, [lambda v: v + 1.0, jnp.sin, lambda v: v], x)

    def collatz(c):
        m, k = c
        return jnp.where(m % 2 == 0, m // 2, 3 * m + 1), k + 1
    steps = lax.while_loop(lambda c: c[0] != 1, collatz, (n, 0))[1]
    f = lax.fori_loop(1, 4, lambda j, c: c * 0.5 + j, 0.0)
    c, ys = lax.scan(lambda c, xi: ((c[1], c[0] + xi), c[0] * xi), (0.0, 1.0), x, reverse=True)
    return a, b, steps, f, c, ys


def control_args(rng):
    return (True, np.int32(1), rng.standard_normal(5).astype(np.float32), np.int32(6))


PROGRAMS = [
    ("mlp_step", sgd(mlp_loss), lambda rng: mlp_args(rng)),
    ("rnn_step", sgd(rnn_loss), lambda rng: rnn_args(rng)),
    ("cnn_step", sgd(cnn_loss), lambda rng: cnn_args(rng)),
    ("control_flow", control, control_args),
]

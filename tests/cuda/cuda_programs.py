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


# the programs of tests/runtime/test_lower_control.py
_W = np.random.RandomState(7).randn(3).astype(np.float32)


def cond_switch(p, i, x):
    a = lax.cond(p, lambda x: (x["a"] * _W, x["b"]), lambda x: (x["a"] - 1.0, x["b"] * 2), x)
    b = lax.switch(i, [lambda v: v + 1.0, lambda v: jnp.sin(v), lambda v: v], x["a"])
    return a, b


def cond_switch_args(p, i):
    return lambda rng: (p, np.int32(i), {"a": rng.randn(3).astype(np.float32),
                                         "b": np.float32(3)})


def scan_int_carry(reverse):
    w = np.random.RandomState(8).randn(2, 2).astype(np.float32)

    def f(h0, xs):
        def step(c, x):
            h, k = c
            h = jnp.tanh(h @ w + x)
            return (h, k + 1), (jnp.sum(h), h * k)
        return lax.scan(step, (h0, 0), xs, reverse=reverse)
    return f


def permuted_carries(a, b, xs):
    return lax.scan(lambda c, x: ((c[1], c[0], x), c[2] + c[0]), (a, b, 0.0), xs)


def fori_and_empty_scan(x, n):
    y = lax.fori_loop(1, n, lambda i, c: c * 0.5 + i, 0.0)  # a literal init carry
    c, ys = lax.scan(lambda c, xi: (c + xi, c), x, jnp.zeros((0, 2)))
    return y, c, ys


def rnn_scan_loss(w, h0, xs):
    def step(h, x):
        h = jnp.tanh(h @ w.T + x)
        return h, jnp.sum(h ** 2)
    h, ys = lax.scan(step, h0, xs)
    return jnp.sum(h) + jnp.sum(ys)


def nested_and_vmapped_while(x, xs, lane_x):
    def outer(c, xi):
        inner = lambda c: lax.scan(lambda a, b: (a * jnp.cos(b) + b, a), c, xs)[0]  # noqa
        c = lax.cond(xi > 0, inner, lambda c: c * xi, c)
        c = lax.while_loop(lambda s: jnp.sum(s ** 2) > 4.0, lambda s: s * 0.5, c)
        return c, jnp.sum(c)

    def lanes(x):  # lanes leave the loop at different steps
        return lax.while_loop(lambda c: c[1] < 10.0,
                              lambda c: (c[0] * 2.0, c[1] + c[0], c[2] + 1), (x, 0.0, 0))
    return lax.scan(outer, x, xs[:, 0]), jax.vmap(lanes)(lane_x)


def nested_args(rng):
    xs = rng.randn(4, 2).astype(np.float32)
    xs[:, 0] = [0.5, -0.3, 0.8, -1.0]
    return (rng.randn(2).astype(np.float32), xs,
            np.array([1.0, 3.0, 0.5, 20.0], np.float32))


@jax.custom_jvp
def _softplus(x):
    return jnp.log1p(jnp.exp(x))


_softplus.defjvp(lambda p, t: (_softplus(p[0]), t[0] * jax.nn.sigmoid(p[0])))
_inner = jax.jit(lambda c, x: c * 0.9 + _softplus(x))


def jit_in_loop(xs):
    return lax.scan(lambda c, x: (_inner(c, x), c), jnp.zeros(3), xs)


PROGRAMS = [
    ("mlp_step", sgd(mlp_loss), lambda rng: mlp_args(rng)),
    ("rnn_step", sgd(rnn_loss), lambda rng: rnn_args(rng)),
    ("cnn_step", sgd(cnn_loss), lambda rng: cnn_args(rng)),
    ("control_flow", control, control_args),
]
for _p, _i in [(True, -1), (False, 1), (True, 9)]:
    PROGRAMS.append((f"cond_switch_{_p}_{_i}", cond_switch, cond_switch_args(_p, _i)))
PROGRAMS += [
    ("scan_int_carry", scan_int_carry(False),
     lambda rng: (rng.randn(2).astype(np.float32), rng.randn(6, 2).astype(np.float32))),
    ("scan_int_carry_reverse", scan_int_carry(True),
     lambda rng: (rng.randn(2).astype(np.float32), rng.randn(6, 2).astype(np.float32))),
    ("permuted_carries", permuted_carries,
     lambda rng: (np.float32(1), np.float32(2), np.arange(5, dtype=np.float32))),
    ("fori_and_empty_scan", fori_and_empty_scan,
     lambda rng: (rng.randn(2).astype(np.float32), np.int32(6))),
    ("fori_zero_trips", fori_and_empty_scan,
     lambda rng: (rng.randn(2).astype(np.float32), np.int32(0))),
    ("grad_rnn_scan", jax.grad(rnn_scan_loss, argnums=(0, 1, 2)),
     lambda rng: (rng.randn(3, 3).astype(np.float32) * 0.5, rng.randn(3).astype(np.float32),
                  rng.randn(7, 3).astype(np.float32))),
    ("nested_and_vmapped_while", nested_and_vmapped_while, nested_args),
    ("jit_custom_jvp_in_loop", jit_in_loop, lambda rng: (rng.randn(5, 3).astype(np.float32),)),
]

"""Fusion quality as numbers: how many kernels a program becomes, and what they store."""
import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.fuse import fuse
from jitnet.fuse.kernels import LoopKernel, OpKernel
from jitnet.compiler import prepare


def _program(f, *args):
    return fuse(prepare(jax.make_jaxpr(f)(*args).ir))


def _loops(p):
    return [k for k in p.kernels if isinstance(k, LoopKernel)]


def test_ten_op_chain_plus_sum_is_one_loop():
    def f(x):
        y = jnp.tanh(x * 1.5 + 0.5)
        y = jnp.exp(-jnp.abs(y)) * y - 2.0
        y = jnp.sqrt(y * y + 1.0) / (y + 3.0)
        return jnp.sum(y)
    p = _program(f, np.ones(1000, np.float32))
    assert len(p.kernels) == 1
    (k,) = p.kernels
    assert len(k.eqns) >= 10 and len(k.reductions) == 1
    assert k.stores == []  # no intermediate array is allocated


def test_w1_is_one_loop():
    p = _program(lambda x: jnp.sum(jnp.tanh(1.5 * x + 0.5) ** 2 * jnp.exp(-jnp.abs(x))),
                 np.ones(100, np.float32))
    assert len(p.kernels) == 1 and not p.kernels[0].stores


def test_broadcast_and_transpose_loads_fuse():
    x = np.ones((8, 4), np.float32)
    b = np.ones(4, np.float32)
    p = _program(lambda x, b: jnp.maximum(x + b, 0.0) * x.T.T, x, b)
    assert len(p.kernels) == 1
    p = _program(lambda x: x + x.T[::-1].T, np.ones((4, 4), np.float32))
    assert len(p.kernels) == 1


def test_softmax_kernel_count():
    # max over rows; max with the -inf initial value; exp and sum over rows; normalize
    x = np.random.RandomState(0).randn(16, 10).astype(np.float32)
    p = _program(lambda x: jax.nn.softmax(x, axis=-1), x)
    assert len(p.kernels) <= 4 and all(isinstance(k, LoopKernel) for k in p.kernels)
    np.testing.assert_allclose(jax.jit(jax.nn.softmax)(x), jax.nn.softmax(x), rtol=1e-6)


def test_dense_layer_is_matmul_plus_one_epilogue():
    x = np.ones((32, 64), np.float32)
    w = np.ones((64, 16), np.float32)
    b = np.ones(16, np.float32)
    p = _program(lambda x, w, b: jax.nn.relu(x @ w + b), x, w, b)
    kinds = [type(k).__name__ for k in p.kernels]
    assert kinds == ["OpKernel", "LoopKernel"]


def test_reductions_sharing_a_loop():
    p = _program(lambda x: (jnp.sum(x), jnp.sum(x * x)), np.ones(100, np.float32))
    assert len(p.kernels) == 1 and len(p.kernels[0].reductions) == 2


def test_values_read_elsewhere_are_stored():
    def f(x):
        y = jnp.exp(x)
        return jnp.sum(y), y @ np.ones((4, 4), np.float32)
    p = _program(f, np.ones((4, 4), np.float32))
    stored = [v for k in _loops(p) for v in k.stores]
    assert len(stored) == 1


def test_no_cycles_kernels_topologically_ordered():
    def f(x, w):
        a = jnp.tanh(x)
        b = a @ w          # op kernel reads a
        return a * 2 + b   # must not join a's loop before b exists
    p = _program(f, np.ones((4, 4), np.float32), np.ones((4, 4), np.float32))
    seen = set()
    for k in p.kernels:
        reads = (k.eqn.inputs if isinstance(k, OpKernel) else
                 [a for e in k.eqns + k.reductions for a in e.inputs])
        for a in reads:
            for j in p.kernels:
                if j is not k and a in j.outputs:
                    assert id(j) in seen, "kernel reads a value computed later"
        seen.add(id(k))
    out = jax.jit(f)(np.ones((4, 4), np.float32), np.ones((4, 4), np.float32))
    np.testing.assert_allclose(out, np.tanh(1) * 2 + np.tanh(1) * 4, rtol=1e-6)


def test_reduction_epilogues_run_in_the_reducing_kernel():
    def f(x):
        m = jnp.mean(x, axis=-1)            # sum, then a division per row
        return jnp.log(jnp.sum(jnp.exp(x - m[:, None]), axis=-1)) + m
    x = np.random.RandomState(0).randn(6, 5).astype(np.float32)
    p = fuse(prepare(jax.make_jaxpr(f)(x).ir), epilogues=True)
    # mean's division and the log run after their reductions, in the same kernels, and so
    # does the final ``+ m``: it reads the first kernel's epilogue value from memory
    assert len(p.kernels) == 2 and all(k.epilogue for k in p.kernels)
    assert [e.prim.name for e in p.kernels[1].epilogue] == ["log", "add"]
    np.testing.assert_allclose(jax.jit(f)(x), f(x), rtol=1e-6)
    x64 = x.astype(np.float64)
    m = x64.mean(axis=-1)
    np.testing.assert_allclose(jax.jit(f)(x), np.log(np.exp(x64 - m[:, None]).sum(-1)) + m,
                               rtol=1e-5)
    # without epilogues (the CUDA generator's mode) the elementwise tails are their own loops
    assert len(fuse(prepare(jax.make_jaxpr(f)(x).ir)).kernels) == 4


def test_softmax_cross_entropy_gradient_tail_is_an_epilogue():
    """The gradient's per-row ``sum(g) / sum(exp)`` divides results of two row kernels: it
    runs in the later one's epilogue (reading the other's sums from memory), not in a loop
    of its own over the rows; the value and gradient still match float64 NumPy."""
    def loss(z, y):
        sh = z - jax.lax.stop_gradient(jnp.max(z, axis=-1, keepdims=True))
        lp = sh - jnp.log(jnp.sum(jnp.exp(sh), axis=-1, keepdims=True))
        return -jnp.mean(jnp.sum(y * lp, axis=-1))
    rng = np.random.default_rng(3)
    z = rng.standard_normal((7, 5, 13)).astype(np.float32)
    y = np.eye(13, dtype=np.float32)[rng.integers(0, 13, (7, 5))]
    vg = jax.value_and_grad(loss)
    p = fuse(prepare(jax.make_jaxpr(vg)(z, y).ir), epilogues=True)
    row_loops = [k for k in _loops(p) if len(k.shape) < 3 or k.shape[-1] == 1]
    assert [len(k.shape) for k in row_loops] == [2] and row_loops[0].reductions, p.describe()
    assert any(e.prim.name == "div" for k in _loops(p) for e in k.epilogue)
    value, grad = jax.jit(vg)(z, y)
    z64 = z.astype(np.float64)
    q = np.exp(z64 - z64.max(axis=-1, keepdims=True))
    q /= q.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(float(value), -(y * np.log(q)).sum() / 35, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(grad), (q - y) / 35, rtol=1e-4, atol=1e-7)

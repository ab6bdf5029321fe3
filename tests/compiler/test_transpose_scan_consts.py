"""compiler/scan_hoist.py ``transpose_scan_consts``: a product in a scan body that reads a
const matrix transposed (``h @ W.T``; the backward scan's ``d_t @ Wh^T``) reads a copy
transposed once before the loop, and the program computes what it did (NumPy loops written
here; the unprepared program; the compiled program)."""

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.compiler import prepare
from jitnet.compiler.scan_hoist import MAX_STEP_FLOPS, transpose_scan_consts
from jitnet.hop.control_flow import run_ir


def _ir(f, *args):
    return jax.make_jaxpr(f)(*args).ir


def _const_layouts(ir):
    """Per top-level scan, the rhs contracting dims of its body's products whose rhs is a
    const of the scan: (1,) is the transposed read, (0,) the plain one."""
    out = []
    for e in ir.eqns:
        if e.prim.name == "scan":
            body = e.params["body"]
            consts = {id(v) for v in body.invars[:e.params["num_consts"]]}
            out.append(sorted(tuple(b.params["dimension_numbers"][0][1]) for b in body.eqns
                              if b.prim.name == "dot_general" and id(b.inputs[1]) in consts))
    return out


def _cell_loop(w, xs, reverse):
    def cell(h, x):
        h = jnp.tanh(x + h @ w.T + 0.5 * (h @ w))   # w read transposed and plain
        return h, h
    return lax.scan(cell, jnp.ones((xs.shape[1], w.shape[0]), xs.dtype), xs, reverse=reverse)


def _cell_numpy(w, xs, reverse):
    h, ys = np.ones((xs.shape[1], w.shape[0]), xs.dtype), [None] * len(xs)
    for t in (range(len(xs))[::-1] if reverse else range(len(xs))):
        h = np.tanh(xs[t] + h @ w.T + 0.5 * (h @ w))
        ys[t] = h
    return h, np.stack(ys)


@pytest.mark.parametrize("b, n, reverse", [(1, 1, False), (3, 7, True), (5, 16, False),
                                           (2, 33, True)])
def test_transposed_const_read_plain(b, n, reverse):
    rng = np.random.default_rng(11)
    w = (rng.standard_normal((n, n)) / (2 * np.sqrt(n))).astype(np.float32)
    xs = rng.standard_normal((4, b, n)).astype(np.float32)
    f = lambda w, xs: _cell_loop(w, xs, reverse)  # noqa: E731
    ir = _ir(f, w, xs)
    prepared = prepare(ir)
    assert _const_layouts(prepared) == [[(0,), (0,)]]
    transposes = [e for e in prepared.eqns if e.prim.name == "transpose"]
    assert len(transposes) == 1 and transposes[0].inputs[0] is prepared.invars[0]
    want = _cell_numpy(w, xs, reverse)
    for got in (run_ir(prepared, [w, xs]), run_ir(ir, [w, xs]),
                jax.jit(f)(w, xs)):
        for a, e in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), e, rtol=2e-5, atol=2e-6)


def _rnn_loss(wh, proj):
    def cell(h, p):
        h = jnp.tanh(p + h @ wh)
        return h, h
    return jnp.sum(jnp.sin(lax.scan(cell, jnp.zeros(proj.shape[1:], proj.dtype), proj)[1]))


def _rnn_grad_numpy(wh, proj):
    """Backpropagation through time, written out (float64)."""
    hs, h = [], np.zeros(proj.shape[1:])
    for p in proj:
        h = np.tanh(p + h @ wh)
        hs.append(h)
    dwh, dproj, dh = np.zeros_like(wh), np.zeros_like(proj), np.zeros_like(h)
    for t in range(len(proj))[::-1]:
        dz = (dh + np.cos(hs[t])) * (1 - hs[t] ** 2)
        dproj[t] = dz
        dwh += (hs[t - 1] if t else np.zeros_like(h)).T @ dz
        dh = dz @ wh.T
    return dwh, dproj


@pytest.mark.parametrize("t, b, n", [(2, 1, 1), (5, 3, 7), (7, 4, 32)])
def test_backward_scan_reads_the_weight_plain(t, b, n):
    rng = np.random.default_rng(12)
    wh = (rng.standard_normal((n, n)) / (2 * np.sqrt(n))).astype(np.float32)
    proj = rng.standard_normal((t, b, n)).astype(np.float32)
    g = jax.grad(_rnn_loss, argnums=(0, 1))
    ir = _ir(g, wh, proj)
    assert (1,) in _const_layouts(ir)[1]   # the backward scan: d_t @ wh^T as traced
    prepared = prepare(ir)
    assert _const_layouts(prepared) == [[(0,)], [(0,)]]
    want = _rnn_grad_numpy(wh.astype(np.float64), proj.astype(np.float64))
    for got in (run_ir(prepared, [wh, proj]), jax.jit(g)(wh, proj)):
        for a, e in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), e, rtol=2e-5, atol=2e-6)


def test_left_alone():
    """A scan of one step, a product above MAX_STEP_FLOPS (near peak either way) and a
    batched product (batch dims: no single gemm) keep their layout: the pass returns the
    program it was given."""
    rng = np.random.default_rng(13)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    one = _ir(lambda w, xs: _cell_loop(w, xs, False), w, np.ones((1, 2, 3), np.float32))
    assert transpose_scan_consts(one) is one
    big = _ir(lambda w, xs: _cell_loop(w, xs, False), np.ones((256, 256), np.float32),
              np.ones((2, 64, 256), np.float32))   # 2 * 64 * 256 * 256 flops per step
    assert 2 * 64 * 256 * 256 > MAX_STEP_FLOPS and transpose_scan_consts(big) is big
    wb = rng.standard_normal((2, 3, 3)).astype(np.float32)

    def batched(wb, xs):
        def cell(h, x):
            return jnp.tanh(x + jnp.einsum("bij,bjk->bik", h, wb)), None
        return lax.scan(cell, jnp.ones((2, 4, 3), jnp.float32), xs)[0]
    ir = _ir(batched, wb, np.ones((3, 2, 4, 3), np.float32))
    assert transpose_scan_consts(ir) is ir

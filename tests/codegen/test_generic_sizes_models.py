"""Training steps of a small CNN and a scan RNN called at new batch sizes: no compilation
after the first (batch 1 excepted: size 1 is never a name, ``dims.choose``), each result
equal to the NumPy reference interpreter's at that batch. A batch equal to a feature size
(the classes, a layer's width) is told from it by the program generated before
(``dims._Siblings``).

The work thresholds are lowered so that, between these small batches, the decisions that
depend on the batch's value flip (a loop's ``prange`` from ``PARALLEL_WORK``, a matrix
product's row blocks from ``GEMM_PARALLEL_WORK``): their text must hold both outcomes."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.codegen.cpu import loops, ops
from jitnet.runtime import compile_log

LR = 0.05


@pytest.fixture
def low_thresholds(monkeypatch):
    monkeypatch.setattr(loops, "PARALLEL_WORK", 1 << 14)
    monkeypatch.setattr(ops, "GEMM_PARALLEL_WORK", 1 << 14)


def _compiles():
    return compile_log.counts["compile"] + compile_log.counts["cache_load"]


def _cross_entropy(logits, y):
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))


def _sgd(loss):
    def step(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return [p - LR * g for p, g in zip(params, grads)], value
    return step


def _check_batches(step, params, data, batches):
    """Call the compiled step at each batch; compare with the interpreter; count compiles."""
    compiled = jax.jit(step)
    reference = jax.jit(step, backend="interpreter")
    new = {}
    for b in batches:
        x, y = data(b)
        before = _compiles()
        got_p, got_v = compiled(params, x, y)
        new[b] = _compiles() - before
        want_p, want_v = reference(params, x, y)
        np.testing.assert_allclose(float(got_v), float(want_v), rtol=1e-5)
        for g, w in zip(got_p, want_p):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-6)
    return new


def _cnn_loss(params, x, y):
    w1, b1, w2, b2, w3, b3 = params
    dn = ("NCHW", "OIHW", "NCHW")
    h = lax.conv_general_dilated(x, w1, (1, 1), "SAME", dimension_numbers=dn)
    h = jnp.maximum(h + b1[None, :, None, None], 0.0)
    h = lax.conv_general_dilated(h, w2, (1, 1), "SAME", dimension_numbers=dn)
    h = jnp.maximum(h + b2[None, :, None, None], 0.0)
    h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    return _cross_entropy(h.reshape(h.shape[0], -1) @ w3 + b3, y)


def test_cnn_step_at_new_batch_sizes_reuses_the_program(low_thresholds):
    rng = np.random.default_rng(14)
    f32 = np.float32
    params = [rng.normal(0, 0.5, (4, 1, 3, 3)).astype(f32), rng.normal(0, 0.1, 4).astype(f32),
              rng.normal(0, 0.3, (6, 4, 3, 3)).astype(f32), rng.normal(0, 0.1, 6).astype(f32),
              rng.normal(0, 0.1, (96, 10)).astype(f32), rng.normal(0, 0.1, 10).astype(f32)]

    def data(b):
        x = rng.normal(size=(b, 1, 8, 8)).astype(f32)
        return x, np.eye(10, dtype=f32)[rng.integers(0, 10, b)]

    # 5 -> 23 -> 40: the relu loops and the dense product turn parallel; 10: the classes,
    # 96: the dense layer's inputs; 1: a new program
    new = _check_batches(_sgd(_cnn_loss), params, data, (5, 23, 40, 10, 96, 1))
    assert new[5] >= 1 and new[1] == 1, new
    assert all(new[b] == 0 for b in (23, 40, 10, 96)), new


def _rnn_loss(params, tokens, targets):
    emb, wx, wh, b, wo, bo = params
    xs = jnp.swapaxes(emb[tokens], 0, 1)              # (T, B, E)

    def cell(h, x_t):
        h = jnp.tanh(x_t @ wx + h @ wh + b)
        return h, h

    h0 = jnp.zeros((tokens.shape[0], wh.shape[0]), jnp.float32)
    _, hs = lax.scan(cell, h0, xs)                     # (T, B, H)
    return _cross_entropy(hs @ wo + bo, targets)


def test_scan_rnn_step_at_new_batch_sizes_reuses_the_program(low_thresholds):
    rng = np.random.default_rng(15)
    f32 = np.float32
    V, E, H, T = 12, 5, 9, 7
    params = [rng.normal(0, 0.3, (V, E)).astype(f32), rng.normal(0, 0.4, (E, H)).astype(f32),
              rng.normal(0, 0.3, (H, H)).astype(f32), np.zeros(H, f32),
              rng.normal(0, 0.3, (H, V)).astype(f32), np.zeros(V, f32)]

    def data(b):
        tokens = rng.integers(0, V, (b, T)).astype(np.int32)
        return tokens, np.eye(V, dtype=f32)[np.roll(tokens, -1, axis=1).T]  # (T, B, V)

    # 11 -> 29 -> 40: the loss loops over (T, B, V) and the output product turn parallel
    # (a batch under dims.SMALL on axis 1 of the targets would be a literal); 12: the
    # vocabulary, 9: the hidden width
    new = _check_batches(_sgd(_rnn_loss), params, data, (11, 29, 40, 12, 9, 1))
    assert new[11] >= 1 and new[1] == 1, new
    assert all(new[b] == 0 for b in (29, 40, 12, 9)), new

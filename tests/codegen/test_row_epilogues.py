"""Epilogues of row reductions (``codegen/cpu/loops._emit_epilogue``): elementwise work on
a reduction's results (a softmax's log, a layer norm's rsqrt, a mean's division) runs in
its own loop over the kept indices after the reduction nest, against float64 NumPy on row
lengths and batches of edge sizes; softmax cross-entropy gradients against float64 central
differences at ties, -inf logits and large logits."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp

# (kept shape, row length): batch 1, primes, rows of 1, 7, 64 and a chunk and more
SHAPES = [((1,), 1), ((1,), 7), ((13,), 64), ((3, 5), 7), ((2,), 4097), ((7, 1), 64)]


def _norms(x, y):
    """A log-sum-exp, a layer norm and a mean of the rows: each an epilogue (log, rsqrt,
    division) of row reductions, read back by a later loop (the normalization)."""
    m = jnp.max(x, axis=-1, keepdims=True)
    lse = m + jnp.log(jnp.sum(jnp.exp(x - m), axis=-1, keepdims=True))
    mu = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return lse, (x - mu) * jitnet.lax.rsqrt(var + 1e-5) * y, jnp.mean(x * y, axis=-1)


@pytest.mark.parametrize("kept, m", SHAPES)
def test_row_epilogues_match_numpy(kept, m):
    rng = np.random.default_rng(16)
    x = (3 * rng.standard_normal(kept + (m,))).astype(np.float32)
    y = rng.standard_normal(kept + (m,)).astype(np.float32)
    lse, ln, mean = (np.asarray(r) for r in jitnet.jit(_norms)(x, y))
    x64 = x.astype(np.float64)
    mx = x64.max(axis=-1, keepdims=True)
    np.testing.assert_allclose(lse, mx + np.log(np.exp(x64 - mx).sum(axis=-1, keepdims=True)),
                               rtol=1e-5, atol=1e-5)
    mu = x64.mean(axis=-1, keepdims=True)
    var = ((x64 - mu) ** 2).mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(ln, (x64 - mu) / np.sqrt(var + 1e-5) * y, rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(mean, (x64 * y).mean(axis=-1), rtol=1e-5, atol=1e-5)


def test_parallel_row_epilogue_matches_numpy():
    """Rows enough for a parallel loop (more than codegen.cpu.loops.PARALLEL_WORK work):
    the epilogue's own loop runs in parallel too, after all the sums."""
    x = np.random.default_rng(5).standard_normal((6007, 97)).astype(np.float32)
    out = jitnet.jit(lambda x: jnp.log(jnp.sum(jnp.exp(x), axis=-1)) * 2.0)(x)
    np.testing.assert_allclose(out, 2 * np.log(np.exp(x.astype(np.float64)).sum(-1)),
                               rtol=1e-5)


def test_epilogue_runs_after_the_reduction_loop():
    """The log of a row sum is computed in a loop of its own, after the rows' loop has
    stored every sum (vectorizes across rows), not once per row inside it."""
    x = np.ones((50, 64), np.float32)
    src = jitnet.jit(lambda x: jnp.log(jnp.sum(jnp.exp(x), axis=-1))).lower(x).compile()
    lines = src.source().splitlines()
    log = next(i for i, ln in enumerate(lines) if "# log" in ln)
    loops = [i for i, ln in enumerate(lines) if "for i0 in range(" in ln]
    assert len(loops) == 2 and loops[0] < loops[1] < log, "\n".join(lines)


def _ce64(z, y):
    """Softmax cross-entropy in float64 NumPy (mean over rows; -inf logits allowed)."""
    m = z.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return -(y * np.where(y > 0, z - lse, 0.0)).sum() / np.prod(z.shape[:-1])


def _ce(z, y):
    sh = z - jitnet.lax.stop_gradient(jnp.max(z, axis=-1, keepdims=True))
    lp = sh - jnp.log(jnp.sum(jnp.exp(sh), axis=-1, keepdims=True))
    return -jnp.mean(jnp.sum(jnp.where(y > 0, y * lp, 0.0), axis=-1))


@pytest.mark.parametrize("shape", [(1, 7), (3, 64), (2, 4097)])
def test_softmax_cross_entropy_gradient_at_special_points(shape):
    """Ties (a row of equal logits, two equal maxima), -inf logits and large logits
    (1e4: exp overflows without the max shift): the float64 gradient against central
    differences of the float64 NumPy loss."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal(shape)
    z[0] = 0.5                                   # a row of ties
    z[-1, : shape[-1] // 2] = -np.inf            # -inf logits (never the target)
    z[-1, -2:] = 2.5                             # two equal maxima
    if shape[0] > 1:
        z[1] = 1e4 + z[1]                        # large logits
    t = rng.integers(shape[-1] // 2, shape[-1], shape[0])
    y = np.eye(shape[-1])[t]
    with jitnet.enable_x64():
        g = np.asarray(jitnet.jit(jitnet.grad(_ce))(z, y))
    fd = np.zeros_like(z)
    h = 1e-5  # absolute: rounding of the loss (~1e-12 at logits of 1e4) over 2h stays small
    for idx in np.ndindex(*shape):
        if not np.isfinite(z[idx]):
            continue  # the loss does not depend on a -inf logit: its gradient is 0
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        fd[idx] = (_ce64(zp, y) - _ce64(zm, y)) / (zp[idx] - zm[idx])
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6)
    assert g.dtype == np.float64 and np.all(g[-1, : shape[-1] // 2] == 0)

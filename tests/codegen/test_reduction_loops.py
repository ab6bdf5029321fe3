"""Reductions in generated CPU loops (``codegen/cpu/loops.py``) over axes that are not the
trailing ones: a conv bias gradient (kept axis between reduced ones: kept loops outside,
short innermost axis in lanes) and a dense bias gradient (axis 0 summed in fixed blocks,
in parallel), against float64 NumPy, with fused stores and epilogues, and the same bits for
1 and 2 threads."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp

# (shape, axes): big ones run in parallel (more than codegen.cpu.loops.PARALLEL_WORK work)
CASES = [
    ((3, 5, 7, 2), (0, 2, 3)), ((64, 32, 28, 28), (0, 2, 3)), ((2, 3, 40), (0, 2)),
    ((4, 6, 5), (1, 2)), ((5, 1, 3, 31), (0, 3)), ((13, 7), (0,)), ((4099, 300), (0,)),
    ((3, 2001, 5), (1,)), ((17, 9, 33), (0, 1)), ((1, 4, 3), (0, 2)),
]


def _inputs(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape).astype(np.float32),
            rng.standard_normal(shape).astype(np.float32))


def _bias_grad(a, b, axes):
    y = a * b
    return y, jnp.sum(y, axis=axes), jnp.max(y, axis=axes), jnp.mean(jnp.exp(y * 0.1), axis=axes)


@pytest.mark.parametrize("shape,axes", CASES)
def test_reductions_match_numpy(shape, axes):
    a, b = _inputs(shape, 20)
    y, s, m, e = jitnet.jit(_bias_grad, static_argnums=2)(a, b, axes)
    y64 = a.astype(np.float64) * b
    np.testing.assert_allclose(np.asarray(y), y64, rtol=1e-6, atol=1e-6)
    n = np.prod([shape[d] for d in axes])
    np.testing.assert_allclose(np.asarray(s), y64.sum(axis=axes), rtol=1e-5, atol=1e-6 * n)
    np.testing.assert_array_equal(np.asarray(m), y64.max(axis=axes).astype(np.float32))
    np.testing.assert_allclose(np.asarray(e), np.exp(y64 * 0.1).mean(axis=axes), rtol=1e-5)


def test_sizes_read_at_run_time():
    """A batch size that changes between calls (the leading axis as a run-time size)."""
    f = jitnet.jit(lambda a, b: jnp.sum(a * b, axis=(0, 2, 3)))
    for n in (7, 64, 5):
        a, b = _inputs((n, 16, 28, 28), n)
        want = (a.astype(np.float64) * b).sum(axis=(0, 2, 3))
        np.testing.assert_allclose(np.asarray(f(a, b)), want, rtol=1e-5, atol=1e-3)


@pytest.fixture
def threads():
    adaptive = jitnet.config.read("adaptive_threads")
    jitnet.config.update("adaptive_threads", False)
    yield lambda n: jitnet.config.update("num_threads", n)
    jitnet.config.update("num_threads", 0)
    jitnet.config.update("adaptive_threads", adaptive)


@pytest.mark.parametrize("shape,axes", [((64, 32, 28, 28), (0, 2, 3)), ((4099, 300), (0,))])
def test_parallel_bias_sums_do_not_depend_on_the_thread_count(threads, shape, axes):
    a, b = _inputs(shape, 21)
    f = jitnet.jit(lambda a, b: jnp.sum(a * b, axis=axes))
    got = []
    for n in (1, 2, 1):
        threads(n)
        got.append(np.asarray(f(a, b)).view(np.uint32))
    np.testing.assert_array_equal(got[0], got[1])
    np.testing.assert_array_equal(got[0], got[2])


def test_loops_run_kept_axes_outside_and_block_axis_0():
    """The conv bias gradient accumulates per kept channel (no array accumulator in the
    element loop); the dense one splits axis 0 into parallel blocks."""
    a = np.ones((64, 32, 28, 28), np.float32)
    conv = jitnet.jit(lambda a: jnp.sum(a * a, axis=(0, 2, 3))).lower(a).compile().source()
    assert "for i1 in prange(32):" in conv and "[i1] +=" not in conv
    x = np.ones((4099, 300), np.float32)
    dense = jitnet.jit(lambda x: jnp.sum(x * x, axis=0)).lower(x).compile().source()
    assert "in prange(16):" in dense


# rows of a trailing-axis reduction: short and long, primes, around LANES (16) and CHUNK (4096)
# (a program each: one program for all compiled for minutes)
ROWS = [1, 15, 16, 17, 31, 33, 64, 97, 4096, 4097]


@pytest.mark.parametrize("m", ROWS)
def test_row_reductions_match_numpy(m):
    """Each row of a (kept, m) array summed, maxed and minned, of computed values (a
    buffered chunk per row) and of values read from memory (lanes per row), against NumPy:
    the buffers the rows share must start clean for each row."""
    a, b = _inputs((7, m), m)
    rows = jitnet.jit(lambda a, b: (jnp.sum(a * b, axis=-1), jnp.max(a * b, axis=-1),
                                    jnp.min(a - b, axis=-1), jnp.sum(a, axis=-1),
                                    jnp.max(b, axis=1)))
    s, mx, mn, sa, mb = (np.asarray(r) for r in rows(a, b))
    p = a.astype(np.float64) * b
    np.testing.assert_allclose(s, p.sum(axis=-1), rtol=1e-5, atol=1e-6 * m)
    np.testing.assert_array_equal(mx, p.max(axis=-1).astype(np.float32))
    np.testing.assert_array_equal(mn, (a - b).min(axis=-1))
    np.testing.assert_allclose(sa, a.astype(np.float64).sum(axis=-1), rtol=1e-5, atol=1e-6 * m)
    np.testing.assert_array_equal(mb, b.max(axis=1))


@pytest.mark.parametrize("shape", [(50, 32, 64), (3, 1, 1), (5, 2, 97), (2, 3, 4099)])
def test_softmax_cross_entropy_and_gradient_over_rows(shape):
    """Softmax cross-entropy (max, sum of exp, log, the one-hot sum) and its gradient, rows
    after rows in one program, against float64 closed forms; the one-hot rows put ties at
    the maximum when the logits repeat."""
    rng = np.random.default_rng(22)
    z = rng.standard_normal(shape).astype(np.float32)
    z[..., : shape[-1] // 2] = z[..., :1]     # ties at the row maximum in some rows
    y = np.eye(shape[-1], dtype=np.float32)[rng.integers(0, shape[-1], shape[:-1])]

    def loss(z, y):
        sh = z - jitnet.lax.stop_gradient(jnp.max(z, axis=-1, keepdims=True))
        return -jnp.mean(jnp.sum(y * (sh - jnp.log(jnp.sum(jnp.exp(sh), axis=-1,
                                                                keepdims=True))), axis=-1))
    value, grad = jitnet.jit(jitnet.value_and_grad(loss))(z, y)
    z64 = z.astype(np.float64)
    p = np.exp(z64 - z64.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    n = np.prod(shape[:-1])
    np.testing.assert_allclose(float(value), -(y * np.log(p)).sum() / n, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(grad), (p - y) / n, rtol=1e-4, atol=1e-7)


def test_row_buffers_are_allocated_once_per_loop():
    """A serial row reduction allocates its chunk buffer before the row loops, sized to
    the row (64 slots, not 4096), not once per row."""
    x = np.ones((50, 64), np.float32)
    src = jitnet.jit(lambda x: jnp.max(x * x, axis=-1)).lower(x).compile().source()
    lines = src.splitlines()
    alloc = next(i for i, ln in enumerate(lines) if "np.empty(64, np.float32)" in ln)
    rows = next(i for i, ln in enumerate(lines) if "for i0 in range(" in ln)
    assert alloc < rows and "np.empty(4096" not in src

"""Parallel matrix products split in blocks of rows or of columns (``codegen/cpu/ops._blocks``):
the larger of the result's two dims is split (a lhs stored transposed keeps row blocks), the
blocks are fixed by the sizes and the core count, so a product is identical at any thread
count; results against NumPy's float64 products. The work threshold is lowered so that small
odd shapes (1, primes, non-multiples of 16) run in blocks."""
import os

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.codegen.cpu import ops
from jitnet.codegen.dims import Dim

CORES = os.cpu_count() or 1

# (M, K, N, lhs stored transposed, rhs stored transposed)
SHAPES = [(1, 64, 97, False, False),      # one row: column blocks only
          (5, 29, 67, False, True),       # NT (a data gradient's g @ W^T): column blocks
          (3, 37, 131, False, False),     # NN, wider than tall: column blocks
          (131, 13, 17, False, False),    # taller than wide: row blocks
          (37, 7, 53, True, False),       # TN (a weight gradient's x^T @ g): row blocks
          (41, 11, 41, False, True),      # square: row blocks
          (41, 31, 47, True, True)]       # TT: row blocks


@pytest.fixture
def low_threshold(monkeypatch):
    monkeypatch.setattr(ops, "GEMM_PARALLEL_WORK", 1 << 10)


@pytest.fixture
def budget():
    adaptive = jitnet.config.read("adaptive_threads")
    jitnet.config.update("adaptive_threads", False)
    yield lambda n: jitnet.config.update("num_threads", n)
    jitnet.config.update("num_threads", 0)
    jitnet.config.update("adaptive_threads", adaptive)


def _dn(lhs_t, rhs_t):
    return (((0,) if lhs_t else (1,), (1,) if rhs_t else (0,)), ((), ()))


def _operands(rng):
    out = []
    for m, k, n, lt, rt in SHAPES:
        out.append(rng.standard_normal((k, m) if lt else (m, k), dtype=np.float32))
        out.append(rng.standard_normal((n, k) if rt else (k, n), dtype=np.float32))
    return out


def _products(*xs):
    return [lax.dot_general(a, b, _dn(lt, rt))
            for (_, _, _, lt, rt), a, b in zip(SHAPES, xs[0::2], xs[1::2])]


def test_blocks_split_the_larger_dim_unless_the_lhs_is_transposed():
    work = 1 << 30
    cols = [ops._blocks(1, m, n, work, lt)[1] for m, _, n, lt, _ in SHAPES]
    assert cols == [True, True, True, False, False, False, False]
    if CORES >= 2:
        assert ops._blocks(1, 128, 512, work, False) == (min(CORES, 512 // 16), True)
        assert ops._blocks(1, 784, 512, work, True) == (min(CORES, 784 // 16), False)
    assert ops._blocks(1, 128, 512, 1 << 10, False)[0] == 0        # small: serial
    batch = Dim(3, "S0")                                            # a run-time batch size
    S, cols = ops._blocks(1, batch, 37, batch * 37 * 4096, False)
    assert cols == "(37 > S0)" and ("S0" in S if CORES >= 2 else S == 0)
    assert ops._blocks(1, batch, 37, batch * 37 * 4096, True)[1] is False


def test_blocked_products_match_numpy_and_are_identical_across_thread_counts(
        low_threshold, budget):
    xs = _operands(np.random.default_rng(23))
    f = jitnet.jit(_products)
    src = f.lower(*xs).source()
    if CORES >= 2:
        assert src.count("prange(") == len(SHAPES)
    budget(1)
    one = [np.asarray(r) for r in f(*xs)]
    budget(2)
    two = [np.asarray(r) for r in f(*xs)]
    for (m, k, n, lt, rt), a, b, r1, r2 in zip(SHAPES, xs[0::2], xs[1::2], one, two):
        want = (np.float64(a).T if lt else np.float64(a)) @ (np.float64(b).T if rt else
                                                             np.float64(b))
        assert r1.shape == (m, n)
        np.testing.assert_allclose(r1, want, rtol=1e-4, atol=1e-4, err_msg=f"{m}x{k}x{n}")
        assert np.array_equal(r1, r2), f"{m}x{k}x{n}: differs between 1 and 2 threads"


@pytest.mark.parametrize("lhs_t", [False, True])
def test_run_time_blocks_at_new_batch_sizes(low_threshold, budget, lhs_t):
    # the batch is a run-time size after the first call: rows or columns chosen by its value
    # (37 wide: columns below a batch of 37, rows above; a transposed lhs: rows always)
    rng = np.random.default_rng(5)
    w = rng.standard_normal((29, 37), dtype=np.float32)
    if lhs_t:
        f = jitnet.jit(lambda x, w: jnp.tanh(x.T @ w))   # x stored (29, batch)
    else:
        f = jitnet.jit(lambda x, w: jnp.tanh(x @ w))
    for batch in (3, 1, 5, 61, 17, 40):
        x = rng.standard_normal((29, batch) if lhs_t else (batch, 29), dtype=np.float32)
        budget(1)
        r1 = np.asarray(f(x, w))
        budget(2)
        r2 = np.asarray(f(x, w))
        want = np.tanh((np.float64(x).T if lhs_t else np.float64(x)) @ np.float64(w))
        np.testing.assert_allclose(r1, want, rtol=1e-5, atol=1e-5, err_msg=f"batch {batch}")
        assert np.array_equal(r1, r2), f"batch {batch}: differs between 1 and 2 threads"

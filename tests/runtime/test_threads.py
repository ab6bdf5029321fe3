"""The thread budget (``config num_threads``): Numba's pool follows it, the BLAS that jitted
code calls stays on one thread, and results do not depend on the thread count."""
import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import jitnet
import jitnet.numpy as jnp
from jitnet.runtime.threads import thread_counts

CORES = numba.config.NUMBA_NUM_THREADS


@pytest.fixture
def budget():
    """Set ``num_threads`` for one test and restore the default afterwards."""
    yield lambda n: jitnet.config.update("num_threads", n)
    jitnet.config.update("num_threads", 0)


def _scipy_blas_threads():
    """threadpoolctl's own count for the OpenBLAS that scipy's cython BLAS (jitnet's) uses."""
    libs = [i for i in threadpool_info()
            if i["user_api"] == "blas" and "numpy.libs" not in i["filepath"]]
    assert libs, threadpool_info()
    return {i["num_threads"] for i in libs}


@pytest.mark.parametrize("n", [1, 2])
def test_budget_sets_numba_threads_and_keeps_blas_single_threaded(budget, n):
    budget(n)
    assert numba.get_num_threads() == min(n, CORES)
    assert _scipy_blas_threads() == {1}
    assert thread_counts() == {"numba": min(n, CORES), "blas": 1}
    f = jitnet.jit(lambda a, b: jnp.tanh(a @ b).sum())   # a parallel, blocked product
    a = np.ones((256, 256), np.float32)
    float(f(a, a))
    assert numba.get_num_threads() == min(n, CORES) and _scipy_blas_threads() == {1}


def test_zero_means_all_of_numbas_threads(budget):
    budget(np.int64(1))   # any integer type
    assert numba.get_num_threads() == 1
    budget(0)
    assert numba.get_num_threads() == CORES


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_budget_is_rejected_and_not_stored(budget, bad):
    with pytest.raises(ValueError, match="num_threads"):
        jitnet.config.update("num_threads", bad)
    assert jitnet.config.read("num_threads") == 0


def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.mean((h @ w2 + b2 - y) ** 2)


def _mlp_grads_numpy(params, x, y):
    """Float64 forward and backward pass of ``_mlp_loss``, written out."""
    (w1, b1), (w2, b2) = [(np.float64(w), np.float64(b)) for w, b in params]
    x, y = np.float64(x), np.float64(y)
    h = np.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    d_out = 2 * (out - y) / out.size
    dh = (d_out @ w2.T) * (1 - h ** 2)
    return [(x.T @ dh, dh.sum(0)), (h.T @ d_out, d_out.sum(0))]


def _run_at(budget, n, f, *args):
    budget(n)
    return jitnet.tree_util.tree_map(np.asarray, f(*args))


@pytest.mark.slow
def test_gemm_heavy_program_is_identical_across_thread_counts(budget):
    rng = np.random.default_rng(0)
    # products of 128x256x256 and larger: split in row blocks on Numba's pool; the
    # gradient takes x.T @ dh and dh @ w2.T (transposed operands in blocks)
    params = [(rng.standard_normal((256, 256), np.float32) * 0.06,
               rng.standard_normal(256, np.float32) * 0.1),
              (rng.standard_normal((256, 256), np.float32) * 0.06,
               rng.standard_normal(256, np.float32) * 0.1)]
    x = rng.standard_normal((128, 256), np.float32)
    y = rng.standard_normal((128, 256), np.float32)
    f = jitnet.jit(jitnet.grad(_mlp_loss))
    src = f.lower(params, x, y).source()
    assert src.count("prange(") == 5 and "np.bool_(True), np.bool_(False)" in src
    g1 = _run_at(budget, 1, f, params, x, y)
    g2 = _run_at(budget, 2, f, params, x, y)
    ref = _mlp_grads_numpy(params, x, y)
    for a, b, r in zip(jitnet.tree_util.tree_leaves(g1), jitnet.tree_util.tree_leaves(g2),
                       jitnet.tree_util.tree_leaves(ref)):
        assert np.array_equal(a, b)
        np.testing.assert_allclose(a, r, rtol=2e-4, atol=2e-6 * np.abs(r).max())


def test_batched_products_are_identical_across_thread_counts(budget):
    # a population of 4 layers: one product per member, the members over Numba's pool
    rng = np.random.default_rng(1)
    ws = rng.standard_normal((4, 256, 256), np.float32) * 0.06
    x = rng.standard_normal((64, 256), np.float32)
    f = jitnet.jit(jitnet.vmap(lambda w, x: jnp.tanh(x @ w), in_axes=(0, None)))
    o1 = _run_at(budget, 1, f, ws, x)
    o2 = _run_at(budget, 2, f, ws, x)
    assert np.array_equal(o1, o2)
    ref = np.tanh(np.einsum("mk,bkn->bmn", np.float64(x), np.float64(ws)))
    np.testing.assert_allclose(o1, ref, rtol=1e-5, atol=1e-5)


def test_parallel_reduction_is_identical_across_thread_counts(budget):
    x = np.random.default_rng(2).standard_normal(3_000_000, np.float32)
    f = jitnet.jit(lambda x: jnp.sum(jnp.exp(-x * x)))
    assert "prange(" in f.lower(x).source()
    s1 = _run_at(budget, 1, f, x)
    s2 = _run_at(budget, 2, f, x)
    assert s1.tobytes() == s2.tobytes()
    ref = np.exp(-np.float64(x) ** 2).sum()
    assert abs(float(s1) - ref) <= 1e-5 * ref

"""The linear-algebra kernels (jitnet/kernels/linalg.py): programs call them instead of
holding the LAPACK helpers, they loop over any batch rank and layout against NumPy's
results, and a second program reuses the compiled kernel. (Every op's flags, failures and
empty shapes against eager execution: tests/runtime/test_lower_linalg.py.)"""
import logging

import numpy as np

import jitnet
import jitnet.numpy as jnp
from jitnet.runtime import compile_log


def _spd(rng, *shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def test_programs_call_the_kernel_not_the_helpers(x64):
    f = jitnet.jit(lambda a: (jnp.linalg.cholesky(a), jnp.linalg.svd(a, compute_uv=False)))
    src = f.lower(np.eye(3)).source()
    assert "jn_linalg_cholesky_float64(" in src and "jn_linalg_svd_float64(" in src
    assert "jn_cholesky_f64" not in src and "jn_svd(" not in src
    assert "from jitnet.kernels.linalg import jn_linalg_cholesky_float64" in src


def test_batch_ranks_and_transposed_operands_match_numpy(x64):
    rng = np.random.default_rng(0)
    a = _spd(rng, 2, 3, 4, 4)          # two batch dims
    b = rng.standard_normal((2, 3, 4, 5))
    m = rng.standard_normal((5, 3))    # enters transposed: a non-contiguous view in the program

    def f(a, b, m):
        low = jnp.linalg.cholesky(a)
        x = jitnet.lax.linalg.triangular_solve(low, b, left_side=True, lower=True)
        q, r = jnp.linalg.qr(m.T)
        w, v = jnp.linalg.eigh(a)
        return low, x, q, r, w, jnp.linalg.svd(m.T, compute_uv=False)

    low, x, q, r, w, s = (np.asarray(t) for t in jitnet.jit(f)(a, b, m))
    want_low = np.linalg.cholesky(a)
    np.testing.assert_allclose(low, want_low, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x, np.linalg.solve(want_low, b), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(q @ r, m.T, atol=1e-12)
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s, np.linalg.svd(m.T, compute_uv=False), rtol=1e-12)


def test_a_second_program_does_not_build_the_kernel_again(x64, caplog):
    a = _spd(np.random.default_rng(1), 3, 3)
    jitnet.jit(lambda a: jnp.linalg.cholesky(a))(a)  # builds (or loads) the kernel
    jitnet.config.update("log_compiles", True)
    before = dict(compile_log.counts)
    try:
        with caplog.at_level(logging.WARNING, logger="jitnet"):
            got = jitnet.jit(lambda a: jnp.linalg.cholesky(a) * 2.0)(a)
    finally:
        jitnet.config.update("log_compiles", False)
    np.testing.assert_allclose(np.asarray(got), 2 * np.linalg.cholesky(a), rtol=1e-12)
    assert not [r for r in caplog.records if "jn_kernel_linalg" in r.getMessage()]
    assert compile_log.counts["compile"] + compile_log.counts["cache_load"] \
        == before["compile"] + before["cache_load"] + 1  # the program only

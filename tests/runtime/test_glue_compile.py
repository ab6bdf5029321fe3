"""The entry of a program split into several functions (it only calls them) compiles with
``numba_cache.GlueCompiler``: LLVM level 0 over the callees' already optimised code. The
results stay those of NumPy; a one-function program keeps Numba's own pipeline."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.codegen import cpu
from jitnet.runtime import compile as rc
from jitnet.runtime.numba_cache import GlueCompiler


def _f(x, y):  # three kernels: a loop, a matrix product, a reduction
    return jnp.sin(x) @ y.T + 1.0, jnp.sum(jnp.exp(-x * x) - y, axis=0)


def _pipeline(x, y):
    exe = jitnet.jit(_f).lower(x, y).traced.executable
    got = exe(x, y)
    (cres,) = exe.fn.fn.overloads.values()
    assert not cres.library.has_dynamic_globals   # Numba can cache it
    return exe.source(), exe.fn.fn._compiler.pipeline_class, got


@pytest.mark.parametrize("split", [True, False])
def test_glue_entry_compiles_with_glue_pipeline(monkeypatch, split):
    x = np.linspace(-2, 2, 24, dtype=np.float32).reshape(4, 6)
    y = np.linspace(0.5, 1.5, 24, dtype=np.float32).reshape(4, 6)
    if split:
        monkeypatch.setattr(cpu, "GROUP_LINES", 1)
        monkeypatch.setattr(cpu, "GROUP_PARALLEL_LOOPS", 1)
    rc.clear_cache()
    try:
        src, pipeline, got = _pipeline(x, y)
    finally:
        rc.clear_cache()
    assert ("\ndef f0(" in src) == split
    assert (pipeline is GlueCompiler) == split
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    np.testing.assert_allclose(got[0], np.sin(x64) @ y64.T + 1.0, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], np.sum(np.exp(-x64 * x64) - y64, axis=0), rtol=1e-6,
                               atol=1e-6)

"""A warm start (issue 14, item 3): a fresh process whose program is in the disk cache loads
it without compiling and without the imports and set-up only compiling needs, and computes
the same bits as the process that compiled it."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from jitnet.runtime import numba_math

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a small training step: a matmul (the generated GEMM), tanh, a mean, their gradients
_CHILD = r"""
import json, sys
import numpy as np
import jitnet, jitnet.numpy as jnp
from jitnet.runtime import compile_log

def loss(w, x, y):
    return jnp.mean((jnp.tanh(x @ w) - y) ** 2)

step = jitnet.jit(jitnet.value_and_grad(loss))
r = np.random.default_rng(3)
w, x, y = (r.normal(size=s).astype(np.float32) for s in ((5, 3), (8, 5), (8, 3)))
v, g = step(w, x, y)
print("RESULT " + json.dumps({
    "counts": compile_log.counts, "v": float(v), "g": np.asarray(g).tolist(),
    "modules": [m for m in ("scipy.linalg", "numba.np.arraymath", "numba.np.linalg")
                if m in sys.modules]}))
"""


def _child(env):
    p = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=ROOT, **env), timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.split("RESULT ", 1)[1])


def _reference():
    """The step in float64 NumPy, with its gradient written out by hand."""
    r = np.random.default_rng(3)
    w, x, y = (r.normal(size=s).astype(np.float32).astype(np.float64)
               for s in ((5, 3), (8, 5), (8, 3)))
    t = np.tanh(x @ w)
    d = 2 * (t - y) / t.size
    return np.mean((t - y) ** 2), x.T @ (d * (1 - t * t))


@pytest.mark.slow  # subprocesses compiling
def test_warm_process_loads_without_compiling_and_gives_the_same_bits():
    # the suite's cache (content-addressed, so shared safely): the first process compiles
    # the step or, on a later run of the suite, loads it like the second
    first = _child({})
    warm = _child({})
    assert warm["counts"]["compile"] == 0 and warm["counts"]["function_compile"] == 0
    assert warm["counts"]["cache_load"] >= 1
    assert (warm["v"], warm["g"]) == (first["v"], first["g"])
    # neither scipy.linalg's package nor Numba's compile-time registries were set up
    assert warm["modules"] == []
    v, g = _reference()
    np.testing.assert_allclose(warm["v"], v, rtol=1e-5)
    np.testing.assert_allclose(warm["g"], g, rtol=1e-4, atol=1e-6)


def test_lapack_and_blas_addresses_are_scipys():
    """The addresses read from scipy's Cython modules loaded by file are the ones Numba's own
    lookup (which imports ``scipy.linalg``) finds."""
    from numba.extending import get_cython_function_address
    for lib, name in (("blas", "sgemm"), ("blas", "dtrsm"), ("lapack", "dsyevd")):
        assert numba_math._cython_address(lib, name) == get_cython_function_address(
            f"scipy.linalg.cython_{lib}", name)

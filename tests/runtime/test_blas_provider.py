"""The BLAS library behind compiled matrix products (config ``blas_library``, runtime/blas.py):
each provider, in a fresh process (the choice is fixed per process), computes products equal
to a BLAS-free float64 reference, is the library the gemm symbol is bound to, is kept at one
thread, keys the disk cache, and refuses another choice once compiled code runs."""
import json
import subprocess
import sys

import pytest

import jitnet
from jitnet.runtime.compile_server import child_env

_CHILD = r"""
import json, os, sys
import numpy as np
import jitnet, jitnet.numpy as jnp

want = sys.argv[1]
if "JITNET_BLAS_LIBRARY" not in os.environ:   # chosen by config instead of the environment
    jitnet.config.update("blas_library", want)
from jitnet import lax
from jitnet.runtime import blas, threads
from jitnet.runtime.numba_math import jn_gemm_f32, jn_gemm_f64   # binds the library
from threadpoolctl import threadpool_info
rng = np.random.default_rng(16)
errors = []

def ref(a, b):   # float64 products without BLAS (einsum's C loop), an independent reference
    return np.einsum("...ij,...jk->...ik", a.astype(np.float64), b.astype(np.float64),
                     optimize=False)

def check(got, a, b, what):
    r = ref(a, b)
    tol = 1e-5 if got.dtype == np.float32 else 1e-12
    scale = np.sqrt(a.shape[-1]) * max(1.0, np.abs(r).max())
    err = float(np.abs(got - r).max()) / scale if got.size else 0.0
    if not err <= tol:
        errors.append(f"{what}: error {err:.3g}")

# the helpers generated code calls: every transpose, sizes 1 and primes, leading dimensions
# larger than the rows (column blocks of wider arrays), into a column block of the output
sizes = [1, 2, 7, 13, 31, 67]
for dt, gemm in ((np.float32, jn_gemm_f32), (np.float64, jn_gemm_f64)):
    scratch = np.empty(8, np.int64)
    for case in range(24):
        m, k, n = (sizes[i] for i in rng.integers(0, len(sizes), 3))
        ta, tb, pad = bool(case & 1), bool(case & 2), int(case & 4) + 1
        sa, sb = ((k, m) if ta else (m, k)), ((n, k) if tb else (k, n))
        wa = rng.standard_normal((sa[0], sa[1] + pad)).astype(dt)
        wb = rng.standard_normal((sb[0], sb[1] + 2 * pad)).astype(dt)
        a, b = wa[:, pad:], wb[:, :sb[1]]
        wide = np.full((m, n + 3), 7.0, dt)
        gemm(a, b, wide[:, 1:n + 1], ta, tb, scratch)
        check(wide[:, 1:n + 1], a.T if ta else a, b.T if tb else b,
              f"{np.dtype(dt).name} m{m} k{k} n{n} ta{ta} tb{tb} pad{pad}")
        if not (np.all(wide[:, 0] == 7) and np.all(wide[:, n + 1:] == 7)):
            errors.append(f"{np.dtype(dt).name} m{m} k{k} n{n}: wrote outside its block")

# batched dot_general in compiled programs: batch dims leading, and in the middle
def batched(x, y):
    return (jnp.einsum("bij,bjk->bik", x, y),
            lax.dot_general(x, y, (((1,), (2,)), ((0,), (0,)))))   # sum over x's i, y's k
for dt in (np.float32, np.float64):
    with jitnet.enable_x64(dt == np.float64):
        x = rng.standard_normal((3, 5, 17)).astype(dt)
        y = rng.standard_normal((3, 17, 5)).astype(dt)
        p, q = (np.asarray(v) for v in jitnet.jit(batched)(x, y))
        check(p, x, y, f"batched {np.dtype(dt).name}")
        check(q, np.swapaxes(x, 1, 2), np.swapaxes(y, 1, 2), f"batched^T {np.dtype(dt).name}")

# the symbol compiled code calls is the provider's function
from llvmlite import binding
bound = binding.address_of_symbol("jn_blas_sgemm")
if blas.provider() == "numpy":
    import ctypes
    _, lib, pattern = blas._numpy_library()
    expect = ctypes.cast(getattr(lib, pattern.format("sgemm")), ctypes.c_void_p).value
else:
    from jitnet.runtime.numba_math import _cython_address
    expect = _cython_address("blas", "sgemm")

def blas_threads(numpy_libs):
    return sorted(i["num_threads"] for i in threadpool_info()
                  if i["user_api"] == "blas" and ("numpy.libs" in i["filepath"]) == numpy_libs)

refused = []
for other in ("numpy", "scipy", "auto"):
    try:
        jitnet.config.update("blas_library", other)
    except ValueError as e:
        refused.append((other, str(e)))
from jitnet.runtime.disk_cache import environment_tag
print(json.dumps({"provider": blas.provider(), "bound": bound == expect, "errors": errors,
                  "counts": threads.thread_counts(), "numpy_lib": blas_threads(True),
                  "other_libs": blas_threads(False), "tag": environment_tag(),
                  "refused": refused}))
"""


@pytest.fixture(scope="module")
def children():
    """Both providers' reports, their processes run side by side: NumPy's chosen by the
    environment variable, SciPy's by ``config.update`` before the first compiled call."""
    env = dict(child_env(), OPENBLAS_NUM_THREADS="2")
    env.pop("JITNET_BLAS_LIBRARY")
    procs = {p: subprocess.Popen([sys.executable, "-c", _CHILD, p], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 env=dict(env, **({"JITNET_BLAS_LIBRARY": p} if p == "numpy"
                                                  else {})))
             for p in ("numpy", "scipy")}
    out = {p: proc.communicate(timeout=300) for p, proc in procs.items()}
    for p, proc in procs.items():
        assert proc.returncode == 0, out[p][1][-3000:]
    return {p: json.loads(o.strip().splitlines()[-1]) for p, (o, _) in out.items()}


@pytest.mark.parametrize("provider", ["numpy", "scipy"])
def test_provider_products_threads_and_binding(children, provider):
    r = children[provider]
    assert r["provider"] == provider
    assert r["errors"] == []
    assert r["bound"], "jn_blas_sgemm is not the provider's sgemm"
    assert r["tag"].endswith(f";blas={provider}")
    assert r["counts"]["blas"] == 1
    other = "scipy" if provider == "numpy" else "numpy"
    if provider == "numpy":   # jitnet's one thread is NumPy's library's (documented)
        assert r["numpy_lib"] == [1]
    else:                     # SciPy's on one thread, NumPy's own left as the user set it
        assert r["other_libs"] and set(r["other_libs"]) == {1}
        assert r["numpy_lib"] == [2]
    # once compiled code runs, only a choice naming the same library is accepted ("auto":
    # NumPy's, which this NumPy bundles)
    refused = dict(r["refused"])
    assert set(refused) == {other} | ({"auto"} if provider == "scipy" else set())
    assert f"already calls {provider}'s BLAS" in refused[other]


def test_unknown_library_is_a_clear_error():
    with pytest.raises(ValueError, match=r"blas_library.*'mkl'"):
        jitnet.config.update("blas_library", "mkl")
    assert jitnet.config.read("blas_library") in ("auto", "numpy", "scipy")


def test_env_var_sets_the_default(monkeypatch):
    from jitnet.core.config import Config
    monkeypatch.setenv("JITNET_BLAS_LIBRARY", " SciPy ")
    assert Config().read("blas_library") == "scipy"

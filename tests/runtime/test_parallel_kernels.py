"""Kernels compiled by child processes beside the program (``kernels/jit.py``, issue 14 item
3): the same results as compiling them in the process, a stub that waits when called early,
and a failing child that leaves the compile to the process."""
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a kernel module of the test's own, built like jitnet/kernels' (a module __getattr__)
_KERNELS = r'''
import os, sys
import numba
from numba.core import types as nbt
from jitnet.kernels.jit import c_kernel

def _c_affine(xp, op, n):
    x = numba.carray(xp, (n,))
    out = numba.carray(op, (n,))
    for i in range(n):
        out[i] = x[i] * 2.5 + 1.0 / (i + 3.0)

def __getattr__(name):
    if name != "jn_affine":
        raise AttributeError(name)
    if os.environ.get("JN_TEST_FAIL_CHILD") and sys.argv[0] == "-c":
        raise RuntimeError("this child is made to fail")
    ext = c_kernel("jn_kernel_test_affine", _c_affine,
                   nbt.void(nbt.CPointer(nbt.float64), nbt.CPointer(nbt.float64), nbt.intp))

    @numba.njit
    def call(x, out):
        ext(x.ctypes, out.ctypes, x.size)
    globals()[name] = call
    return call
'''

_PARENT = r'''
import json, sys
import numpy as np
from jitnet.kernels import jit
from jitnet.runtime import compile_log
import jn_test_kernels
mode = sys.argv[1]
jit.build([("jn_test_kernels", "jn_affine")])
call = jn_test_kernels.jn_affine
pending = "jn_kernel_test_affine" in jit._pending
if mode == "wait":
    jit.wait_all()
x = np.linspace(-2.0, 3.0, 11)
out = np.empty_like(x)
call(x, out)   # in "early" mode, through the stub with its slot still empty
print("RESULT " + json.dumps({"out": out.tolist(), "pending": pending,
                              "left": sorted(jit._pending), "counts": compile_log.counts}))
'''


def _run(tmp_path, mode, cache, **env):
    (tmp_path / "jn_test_kernels.py").write_text(_KERNELS)
    (tmp_path / "parent.py").write_text(_PARENT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]),
               JITNET_CACHE_DIR=str(tmp_path / cache), **env)
    p = subprocess.run([sys.executable, str(tmp_path / "parent.py"), mode],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.split("RESULT ", 1)[1])


def test_child_compiled_kernel_equals_the_serial_one_and_numpy(tmp_path):
    x = np.linspace(-2.0, 3.0, 11)
    want = x * 2.5 + 1.0 / (np.arange(11) + 3.0)
    serial = _run(tmp_path, "wait", "c1", JITNET_PARALLEL_COMPILE="0")
    assert not serial["pending"] and serial["counts"]["compile"] == 1
    np.testing.assert_allclose(serial["out"], want, rtol=1e-15)
    # the child compiles while the process goes on; the stub called before anything waited
    # for it waits, loads the kernel the child wrote and calls it
    early = _run(tmp_path, "early", "c2")
    assert early["pending"] and early["left"] == []
    assert early["counts"]["compile"] == 1 and early["counts"]["parallel_failed"] == 0
    assert early["out"] == serial["out"]
    # a second process finds the kernel in the cache: nothing pending, nothing compiled
    again = _run(tmp_path, "wait", "c2")
    assert not again["pending"] and again["counts"]["compile"] == 0
    assert again["counts"]["cache_load"] == 1 and again["out"] == serial["out"]


def test_failing_child_falls_back_to_compiling_here(tmp_path):
    res = _run(tmp_path, "wait", "c3", JN_TEST_FAIL_CHILD="1")
    assert res["pending"] and res["left"] == []
    assert res["counts"]["parallel_failed"] == 1 and res["counts"]["compile"] == 1
    x = np.linspace(-2.0, 3.0, 11)
    np.testing.assert_allclose(res["out"], x * 2.5 + 1.0 / (np.arange(11) + 3.0), rtol=1e-15)

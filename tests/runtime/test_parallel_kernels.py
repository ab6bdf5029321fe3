"""Kernels compiled by child processes beside the program (``runtime/c_kernel.py``, issue 14 item
3): the same results as compiling them in the process, a stub that waits when called early,
and a failing child that leaves the compile to the process."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a kernel module of the test's own, built like jitnet/kernels' (a module __getattr__); its
# float32 and float64 kernels are two overloads of one function, so two children write one
# Numba index at the same time
_KERNELS = r'''
import os, sys
import numba
from numba.core import types as nbt
from jitnet.runtime.c_kernel import c_kernel

_TYPES = {"float32": nbt.float32, "float64": nbt.float64}

def _c_affine(xp, op, n):
    x = numba.carray(xp, (n,))
    out = numba.carray(op, (n,))
    for i in range(n):
        out[i] = x[i] * 2.5 + 1.0 / (i + 3.0)

def __getattr__(name):
    dtype = name.removeprefix("jn_affine_")
    if dtype not in _TYPES:
        raise AttributeError(name)
    if os.environ.get("JN_TEST_FAIL_CHILD") and sys.argv[0] == "-c":
        raise RuntimeError("this child is made to fail")
    t = _TYPES[dtype]
    ext = c_kernel(f"jn_kernel_test_affine_{dtype}", _c_affine,
                   nbt.void(nbt.CPointer(t), nbt.CPointer(t), nbt.intp))

    @numba.njit
    def call(x, out):
        ext(x.ctypes, out.ctypes, x.size)
    globals()[name] = call
    return call
'''

_PARENT = r'''
import json, sys
import numpy as np
from jitnet.runtime import c_kernel as jit
from jitnet.runtime import compile_log
import jn_test_kernels
mode = sys.argv[1]
names = ["jn_affine_float32", "jn_affine_float64"]
if mode == "no_process":
    def refuse(*a, **k):
        raise OSError("no more processes")
    jit.subprocess.Popen = refuse
jit.build([("jn_test_kernels", n) for n in names])
pending = sorted(jit._pending)
if mode == "wait":
    jit.wait_all()
outs = []
for name, dt in zip(names, (np.float32, np.float64)):
    x = np.linspace(-2.0, 3.0, 11).astype(dt)
    out = np.empty_like(x)
    getattr(jn_test_kernels, name)(x, out)   # "early": through a stub, its slot still empty
    outs.append(out.tolist())
print("RESULT " + json.dumps({"outs": outs, "pending": pending,
                              "left": sorted(jit._pending), "counts": compile_log.counts}))
'''


def _want():
    x = np.linspace(-2.0, 3.0, 11)
    y = x * 2.5 + 1.0 / (np.arange(11) + 3.0)
    return [y.astype(np.float32).tolist(), y.tolist()]


def _run(tmp_path, mode, cache, **env):
    (tmp_path / "jn_test_kernels.py").write_text(_KERNELS)
    (tmp_path / "parent.py").write_text(_PARENT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]),
               JITNET_CACHE_DIR=str(tmp_path / cache), **env)
    p = subprocess.run([sys.executable, str(tmp_path / "parent.py"), mode],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.split("RESULT ", 1)[1])


@pytest.mark.slow  # subprocesses compiling
def test_child_compiled_kernels_equal_the_serial_ones_and_numpy(tmp_path):
    serial = _run(tmp_path, "wait", "c1", JITNET_PARALLEL_COMPILE="0")
    assert serial["pending"] == [] and serial["counts"]["compile"] == 2
    assert serial["outs"] == _want()
    # each kernel compiles in a child while the process goes on; a stub called before
    # anything waited for it waits, loads the kernel the child wrote and calls it
    early = _run(tmp_path, "early", "c2", JITNET_PARALLEL_COMPILE="1")
    assert len(early["pending"]) == 2 and early["left"] == []
    assert early["counts"]["compile"] == 2 and early["counts"]["parallel_failed"] == 0
    assert early["outs"] == serial["outs"]
    # a second process finds both in the cache, each under its own signature
    again = _run(tmp_path, "wait", "c2", JITNET_PARALLEL_COMPILE="1")
    assert again["pending"] == [] and again["counts"]["compile"] == 0
    assert again["counts"]["cache_load"] == 2 and again["outs"] == serial["outs"]


@pytest.mark.slow  # subprocesses compiling
def test_failing_children_fall_back_to_compiling_here(tmp_path):
    res = _run(tmp_path, "wait", "c3", JN_TEST_FAIL_CHILD="1", JITNET_PARALLEL_COMPILE="1")
    assert len(res["pending"]) == 2 and res["left"] == []
    assert res["counts"]["parallel_failed"] == 2 and res["counts"]["compile"] == 2
    assert res["outs"] == _want()


def test_a_save_writes_index_and_data_under_the_index_lock(tmp_path, monkeypatch):
    """Numba numbers a new data file by the entries of the index it read: two processes
    adding overloads of one function (the two children above) must not interleave."""
    from jitnet.runtime import disk_cache, numba_cache
    monkeypatch.setenv("JITNET_CACHE_DIR", str(tmp_path / "cache"))
    st = disk_cache.store()
    files = numba_cache._SignedFiles(st, "mod.f-1.py311", "stamp")
    held = []
    save_data = numba_cache._SignedFiles._save_data

    def checked(self, name, data):
        with st.locked("mod.f-1.py311.nbi", blocking=False) as free:
            held.append(not free)
        save_data(self, name, data)

    monkeypatch.setattr(numba_cache._SignedFiles, "_save_data", checked)
    files.save(("f32",), "code 32")
    files.save(("f64",), "code 64")
    assert held == [True, True]
    assert files._load_index() == {("f32",): "mod.f-1.py311.1.nbc",
                                   ("f64",): "mod.f-1.py311.2.nbc"}
    assert files.load(("f64",)) == "code 64" and files.load(("f32",)) == "code 32"


def test_processes_name_numba_functions_from_different_counters():
    """Numba names compiled functions with a per-process counter: two processes counting
    from 1 would define one name for two different functions in the machine code they cache
    (the children's kernels crashed the linalg tests that way), so each starts at random."""
    from numba.core.bytecode import FunctionIdentity
    from jitnet.runtime import numba_cache  # noqa: F401  (sets the counter)
    code = ("from numba.core.bytecode import FunctionIdentity\n"
            "import jitnet.runtime.numba_cache\n"
            "print(next(FunctionIdentity._unique_ids))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    theirs, ours = int(p.stdout), next(FunctionIdentity._unique_ids)
    assert theirs > 1000 and ours > 1000 and abs(theirs - ours) > 10 ** 6


@pytest.mark.slow  # a subprocess compiling
def test_no_child_process_compiles_here(tmp_path):
    res = _run(tmp_path, "no_process", "c4", JITNET_PARALLEL_COMPILE="1")
    assert res["pending"] == [] and res["counts"]["parallel_failed"] == 2
    assert res["counts"]["compile"] == 2 and res["outs"] == _want()

"""Eager float kernels (issue 14, item 2): the same bits as jit, cached on disk as signed
object files that a new process links without Numba and without compiling."""
import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
import scipy.special

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.runtime import compile_log, disk_cache, eager_kernels, elf_loader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPS = {"exp": (jnp.exp, np.exp), "log": (jnp.log, np.log), "log1p": (jnp.log1p, np.log1p),
       "expm1": (jnp.expm1, np.expm1), "tanh": (jnp.tanh, np.tanh),
       "logistic": (jitnet.nn.sigmoid, scipy.special.expit),
       "erf_inv": (lax.erf_inv, scipy.special.erfinv)}
_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-40, 1.0, -1.0, 0.5, -0.999]


def _inputs(dtype):
    r = np.random.default_rng(0)
    x = np.concatenate([r.uniform(-3, 3, 200), r.uniform(-100, 100, 50), _SPECIAL])
    return x.astype(dtype)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache directory and key of this test's own; loaded kernels forgotten."""
    monkeypatch.setenv("JITNET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JITNET_CACHE_KEY_FILE", str(tmp_path / "key" / "cache.key"))
    monkeypatch.setattr(eager_kernels, "_fns", {})
    return tmp_path / "cache"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eager_equals_jit_bit_for_bit_and_numpy_closely(dtype, request):
    if dtype == np.float64:
        request.getfixturevalue("x64")
    x = _inputs(dtype)
    fns = [OPS[n][0] for n in sorted(OPS)]
    jitted = jitnet.jit(lambda v: [f(v) for f in fns])(x)   # one program for all seven
    for name, got_jit in zip(sorted(OPS), jitted):
        f, ref = OPS[name]
        got = np.asarray(f(jnp.asarray(x)))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.asarray(got_jit), err_msg=name)
        with np.errstate(all="ignore"):
            want = ref(x.astype(np.float64)).astype(dtype)
        np.testing.assert_allclose(got, want, rtol=4e-7 if dtype == np.float32
                                   else 1e-13, atol=1e-30, err_msg=name)


def test_layouts_and_every_kernel_is_cacheable(cache, monkeypatch):
    """Strided, 0-d and empty inputs; all 14 kernels call nothing but libm, so every one
    goes to the disk cache, and on x86-64 every one links without LLVM, computing the same
    bits as the kernel Numba compiled in this process."""
    x = np.linspace(0.1, 2.0, 24).reshape(4, 6)
    compiled = {}
    for name in eager_kernels.KERNELS:
        for dtype in (np.float32, np.float64):
            xs = x.astype(dtype)
            want = eager_kernels.apply(name, np.ascontiguousarray(xs[:, ::2].T)).T
            np.testing.assert_array_equal(eager_kernels.apply(name, xs[:, ::2]), want)
            assert eager_kernels.apply(name, xs[1, 1]).shape == ()
            assert eager_kernels.apply(name, xs[:0]).shape == (0, 6)
            compiled[name, dtype] = want
    assert len(list(cache.glob("e_*.eager"))) == 14
    monkeypatch.setattr(eager_kernels, "_fns", {})
    if platform.machine() == "x86_64":
        monkeypatch.setattr(eager_kernels, "_link_mcjit", None)   # (calling it fails)
    before = compile_log.counts["compile"]
    for (name, dtype), want in compiled.items():
        got = eager_kernels.apply(name, x.astype(dtype)[:, ::2])
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {dtype}")
    assert compile_log.counts["compile"] == before


_CHILD = """
import json, sys, numpy as np
import jitnet, jitnet.numpy as jnp
from jitnet.runtime import compile_log
x = jnp.asarray(np.linspace(0.25, 1.5, 12, dtype=np.float32).reshape(3, 4))
# erf_inv first (as in eager normal): its code calls libm's erf, which LLVM resolves once
# the MCJIT engine exists
vals = [np.asarray(jitnet.lax.erf_inv(x * 0.5)).tolist()]
vals += [np.asarray(f(x)).tolist() for f in (jnp.tanh, jnp.exp, jnp.log, jitnet.nn.sigmoid,
                                              jnp.log1p, jnp.expm1)]
vals.append(np.asarray(jnp.sum(jnp.tanh(x) @ x.T + 1.0, axis=0)).tolist())
jitnet.config.update("jax_enable_x64", True)
x64 = jnp.asarray(np.linspace(-2.0, 3.0, 7))   # float64 tanh: its code calls libm's tanh
vals.append(np.asarray(jnp.tanh(x64)).tolist())
print("RESULT " + json.dumps({"counts": compile_log.counts, "vals": vals,
                              "numba": "numba" in sys.modules,
                              "llvm": "llvmlite.binding" in sys.modules}))
"""


def _child(cache_dir, key):
    env = dict(os.environ, JITNET_CACHE_DIR=str(cache_dir), JITNET_CACHE_KEY_FILE=str(key),
               PYTHONPATH=ROOT)
    p = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.split("RESULT ", 1)[1])


def test_second_process_neither_compiles_nor_imports_numba_or_llvm(tmp_path):
    first = _child(tmp_path / "cache", tmp_path / "key" / "cache.key")
    assert first["counts"]["compile"] == 8 and first["numba"]  # the warm-up compiled them
    second = _child(tmp_path / "cache", tmp_path / "key" / "cache.key")
    assert second["counts"]["compile"] == 0 and second["counts"]["cache_load"] == 8
    assert not second["numba"]
    # x86-64 links the object files itself (runtime/elf_loader.py), elsewhere through MCJIT
    assert second["llvm"] == (platform.machine() != "x86_64")
    assert second["vals"] == first["vals"]
    x = np.linspace(0.25, 1.5, 12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(second["vals"][1], np.tanh(x), rtol=3e-7)
    np.testing.assert_allclose(second["vals"][3], np.log(x), rtol=3e-7)
    np.testing.assert_allclose(second["vals"][-1], np.tanh(np.linspace(-2.0, 3.0, 7)),
                               rtol=1e-15)


def test_unsigned_or_unresolvable_files_are_not_loaded(cache, monkeypatch):
    x = np.array([0.5, 1.0, 2.0], np.float32)
    want = eager_kernels.apply("exp", x)
    (path,) = cache.glob("e_*.eager")
    st = disk_cache.store()
    path.write_bytes(b"\x7fELF planted, unsigned")             # not signed: deleted, compiled
    monkeypatch.setattr(eager_kernels, "_fns", {})
    before = compile_log.counts["compile"]
    np.testing.assert_array_equal(eager_kernels.apply("exp", x), want)
    assert compile_log.counts["compile"] == before + 1
    # signed anew; now a signed file calling a symbol this process lacks: compiled again
    head, obj = st.read_signed(path.name).split(b"\n", 1)
    meta = dict(json.loads(head), externals=["jitnet_no_such_symbol"])
    st.write_signed(path.name, json.dumps(meta).encode() + b"\n" + obj)
    monkeypatch.setattr(eager_kernels, "_fns", {})
    np.testing.assert_array_equal(eager_kernels.apply("exp", x), want)
    assert compile_log.counts["compile"] == before + 2


def test_a_changed_object_file_is_never_linked(cache, monkeypatch):
    """One flipped bit in the signed code: the file is deleted and the kernel compiled
    anew, the changed bytes never reach the linker."""
    x = np.array([0.5, 1.0, 2.0], np.float32)
    want = eager_kernels.apply("tanh", x)
    (path,) = cache.glob("e_*.eager")
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0x04
    path.write_bytes(bytes(blob))
    linked = []
    real = elf_loader.link
    monkeypatch.setattr(elf_loader, "link", lambda obj, *a: linked.append(obj) or real(obj, *a))
    monkeypatch.setattr(eager_kernels, "_fns", {})
    before = compile_log.counts["compile"]
    np.testing.assert_array_equal(eager_kernels.apply("tanh", x), want)
    assert compile_log.counts["compile"] == before + 1 and linked == []
    np.testing.assert_allclose(want, np.tanh(x.astype(np.float64)), rtol=3e-7)


def test_objects_the_linker_refuses_link_through_mcjit(cache, monkeypatch):
    x = np.linspace(0.1, 3.0, 11)
    eager_kernels.apply("log1p", x)                            # compiled and cached

    def refuse(*args):
        raise elf_loader.Unsupported("refused")
    monkeypatch.setattr(elf_loader, "link", refuse)
    monkeypatch.setattr(eager_kernels, "_fns", {})
    before = dict(compile_log.counts)
    np.testing.assert_allclose(eager_kernels.apply("log1p", x), np.log1p(x), rtol=1e-15)
    assert compile_log.counts["compile"] == before["compile"]
    assert compile_log.counts["cache_load"] == before["cache_load"] + 1


def test_bad_requests_name_the_kernel():
    with pytest.raises(ValueError, match="no eager kernel 'sin' for int32"):
        eager_kernels.apply("sin", np.zeros(2, np.int32))

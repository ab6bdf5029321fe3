"""The tiered start (runtime/tiered.py, runtime/compile_server.py): first calls in the
interpreter while a server process compiles, then compiled code; same results, the same
errors, no process left behind."""
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.core.config import Config
from jitnet.runtime import compile_log, compile_server, numba_backend
from jitnet.runtime.compile import clear_cache
from jitnet.runtime.numba_backend import JitCompileError
from jitnet.runtime.threads import thread_counts
from jitnet.runtime.tiered import TieredExecutable

WAIT = 300  # seconds a server compile may take on a loaded machine


@pytest.fixture
def own_cache(monkeypatch, tmp_path):
    """A cache of the test's own: the suite's persistent cache may hold its programs (the
    tier applies only to programs not in the cache)."""
    monkeypatch.setenv("JITNET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JITNET_CACHE_KEY_FILE", str(tmp_path / "key" / "cache.key"))


@pytest.fixture
def tiered(own_cache):
    old = jitnet.config.read("jit_tiered")
    jitnet.config.update("jit_tiered", True)
    yield
    jitnet.config.update("jit_tiered", old)


def _exe(f, *args, **kwargs):
    return f.lower(*args, **kwargs).traced.executable


def _mlp(params, x, *, act):
    """A pytree of parameters, a static activation name, random noise from a key."""
    key = jitnet.random.PRNGKey(3)
    h = x @ params["w"] + params["b"]
    h = jnp.tanh(h) if act == "tanh" else jnp.maximum(h, 0.0)
    noise = jitnet.random.uniform(key, h.shape)
    bits = jitnet.random.bits(key, (4,))
    return {"out": jnp.sum(h * 0.5, axis=0) + jnp.exp(-h[0]), "noise": noise, "bits": bits}


def _mlp_ref(params, x):
    h = np.tanh(x.astype(np.float64) @ params["w"] + params["b"])
    return h.sum(0) * 0.5 + np.exp(-h[0])


def test_tiers_agree_and_switch(tiered):
    r = np.random.default_rng(0)
    params = {"w": r.normal(size=(6, 5)).astype(np.float32),
              "b": r.normal(size=5).astype(np.float32)}
    x = r.normal(size=(7, 6)).astype(np.float32)
    f = jitnet.jit(_mlp, static_argnames="act", donate_argnums=1)
    # the random-bits kernel the program calls, built first: whether an earlier test in this
    # process loaded it must not change the counts below (one cache load: the program's)
    from jitnet.kernels import random as random_kernel
    random_kernel.jn_threefry2x32
    before = dict(compile_log.counts)
    exe = _exe(f, params, x, act="tanh")
    assert isinstance(exe, TieredExecutable)
    first = f(params, x, act="tanh")            # the server needs seconds: interpreted
    assert exe.calls["interpreter"] == 1 and not exe.switched
    assert exe._job.done.wait(WAIT) and exe._job.ok, exe._job.error
    second = f(params, x, act="tanh")
    assert exe.switched and exe.calls["interpreter"] == 1
    assert thread_counts()["blas"] == 1     # as after a plain first call (threads.py)
    assert compile_log.counts["interpret"] == before["interpret"] + 1
    assert compile_log.counts["switch"] == before["switch"] + 1
    # the compiled program was loaded from the cache the server wrote, not compiled here
    assert compile_log.counts["compile"] == before["compile"]
    assert compile_log.counts["cache_load"] == before["cache_load"] + 1
    want = _mlp_ref(params, x)
    for res in (first, second):
        np.testing.assert_allclose(np.asarray(res["out"]), want, rtol=2e-5, atol=1e-6)
    # rounding may differ (NumPy's tanh/exp against the compiled kernels, the order of the
    # sum); integer random bits may not, nor uniforms made from them
    np.testing.assert_allclose(np.asarray(first["out"]), np.asarray(second["out"]),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(first["bits"]), np.asarray(second["bits"]))
    np.testing.assert_array_equal(np.asarray(first["noise"]), np.asarray(second["noise"]))
    # the other static value is a new program: not compiled by the server yet
    relu = f(params, x, act="relu")
    np.testing.assert_allclose(np.asarray(relu["out"]),
                               np.maximum(x @ params["w"] + params["b"], 0).sum(0) * 0.5
                               + np.exp(-np.maximum(x[0] @ params["w"] + params["b"], 0)),
                               rtol=2e-5, atol=1e-6)


def _broken_generate(monkeypatch):
    """Make generated entries call an undefined helper: Numba's typing then fails."""
    real = numba_backend.generate

    def generate(*a, **k):
        g = real(*a, **k)
        src = re.sub(r"(def entry\([^)]*\):\n)", r"\1    jn_no_such_helper_tiered(0)\n",
                     g.source, count=1)
        return type(g)(src, g.entry, g.line_info, g.constants)

    monkeypatch.setattr(numba_backend, "generate", generate)


def test_failing_compile_raises_the_in_process_error(monkeypatch, own_cache):
    _broken_generate(monkeypatch)
    x = np.arange(3, dtype=np.float32)

    def g(v):
        return v * 3.0 - 2.0

    with pytest.raises(JitCompileError) as plain:
        jitnet.jit(g)(x)
    clear_cache()  # forget the failed executable: the same program again, tiered
    jitnet.config.update("jit_tiered", True)
    try:
        f = jitnet.jit(g)
        exe = _exe(f, x)
        np.testing.assert_allclose(np.asarray(f(x)), x * 3.0 - 2.0)  # interpreted
        assert exe._job.done.wait(WAIT) and not exe._job.ok
        assert "jn_no_such_helper_tiered" in exe._job.error
        before = compile_log.counts["server_failed"]
        with pytest.raises(JitCompileError) as tier:
            f(x)
        assert compile_log.counts["server_failed"] == before + 1
    finally:
        jitnet.config.update("jit_tiered", False)
    assert str(tier.value) == str(plain.value)


def test_crashed_server_falls_back_to_compiling_here(monkeypatch, tiered):
    monkeypatch.setattr(compile_server, "_server", {"server": None})  # a server of its own
    x = np.linspace(0, 1, 5, dtype=np.float32)
    f = jitnet.jit(lambda v: jnp.sqrt(v) + 4.0)
    exe = _exe(f, x)
    compile_server.server().proc.kill()
    assert exe._job.done.wait(WAIT) and not exe._job.ok
    np.testing.assert_allclose(np.asarray(f(x)), np.sqrt(x) + 4.0, rtol=1e-6)
    assert exe.switched
    assert compile_server.server() is None and "exited" in compile_server.broken()
    g = jitnet.jit(lambda v: v - 4.0)  # no server any more: compiled as without the tier
    assert not isinstance(_exe(g, x), TieredExecutable)


def test_server_not_used_when_off(monkeypatch):
    assert not jitnet.config.read("jit_tiered")

    def no_server():
        raise AssertionError("the compile server was asked for")

    monkeypatch.setattr(compile_server, "server", no_server)
    before = compile_log.counts["interpret"]
    x = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(jitnet.jit(lambda v: v * 2.0 + 5.0)(x)),
                                  x * 2.0 + 5.0)
    assert compile_log.counts["interpret"] == before


_SCRIPT = textwrap.dedent("""
    import os, sys, numpy as np, jitnet
    from jitnet.runtime import compile_server
    jitnet.config.update("jit_tiered", True)
    f = jitnet.jit(lambda v: v * 7.0 + 1.5)
    exe = f.lower(np.ones(3, np.float32)).traced.executable
    f(np.ones(3, np.float32))
    print(type(exe).__name__, compile_server.running_pid(), flush=True)
    if sys.argv[1] == "hard":  # no atexit: the server must notice its stdin closing
        exe._job.done.wait(300)
        os._exit(0)
""")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] in ("Z", "X")  # exited, not reaped
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("how", ["atexit", "hard"])
def test_no_server_outlives_its_process(how, own_cache):
    import time
    p = subprocess.run([sys.executable, "-c", _SCRIPT, how], capture_output=True, text=True,
                       timeout=WAIT, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("TieredExecutable") and p.stdout.split()[-1].isdigit(), \
        p.stdout + p.stderr
    pid = int(p.stdout.split()[-1])
    deadline = time.monotonic() + 30
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)


def test_config_from_environment(monkeypatch):
    for value, want in (("1", True), ("true", True), ("0", False), ("off", False)):
        monkeypatch.setenv("JITNET_TIERED", value)
        assert Config().read("jit_tiered") is want
    monkeypatch.setenv("JITNET_TIERED", "maybe")
    with pytest.raises(ValueError, match="JITNET_TIERED"):
        Config()
    with pytest.raises(TypeError, match="jit_tiered"):
        jitnet.config.update("jit_tiered", "yes")


def test_server_types_match_numba_typeof():
    """The server compiles for the types the parent's call will look up."""
    import numba
    from jitnet.runtime.numba_backend import _readonly_c
    vals = [np.zeros((2, 3), np.float32), np.float64(2.0), np.arange(4, dtype=np.int32)[::2],
            np.zeros((1, 1), bool)]
    desc = [[np.asarray(v).dtype.str, np.ndim(v)] for v in vals]
    assert compile_server.numba_types(desc) == tuple(numba.typeof(_readonly_c(np.asarray(v)))
                                                   for v in vals)


def test_warm_start_loads_in_a_thread(tiered):
    """A program already in the disk cache: interpreted while a thread of this process loads
    its machine code, no server and no compile."""
    from jitnet.runtime import disk_cache
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)

    def f(v):
        return jnp.cos(v) @ v.T

    jitnet.config.update("jit_tiered", False)
    want = np.asarray(jitnet.jit(f)(x))      # compiled here, written to the cache
    clear_cache()
    disk_cache.clear(disk=False)
    jitnet.config.update("jit_tiered", True)
    before = dict(compile_log.counts)
    g = jitnet.jit(f)
    exe = _exe(g, x)
    assert isinstance(exe, TieredExecutable)
    np.testing.assert_allclose(np.asarray(g(x)), want, rtol=1e-6)  # interpreted, then
    assert exe._job.done.wait(WAIT) and exe._job.ok and exe._job.cached  # loaded
    np.testing.assert_array_equal(np.asarray(g(x)), want)   # the same machine code
    assert exe.switched and exe.calls["interpreter"] == 1
    assert compile_log.counts["compile"] == before["compile"]
    assert compile_log.counts["cache_load"] == before["cache_load"] + 1
    np.testing.assert_allclose(want, np.cos(x.astype(np.float64)) @ x.T, rtol=1e-6)


def test_interpreter_blas_on_one_thread():
    """Interpreted calls leave the other cores to the server; the setting comes back."""
    from threadpoolctl import threadpool_info
    from jitnet.runtime.threads import one_blas_thread

    def numpy_blas():
        return [i["num_threads"] for i in threadpool_info()
                if i["user_api"] == "blas" and f"{os.sep}numpy.libs{os.sep}" in i["filepath"]]

    before = numpy_blas()
    assert before
    with one_blas_thread():
        assert set(numpy_blas()) == {1}
        t = np.ones((300, 300))
        np.testing.assert_allclose(t @ t, np.full((300, 300), 300.0))
    assert numpy_blas() == before


def test_server_that_cannot_start_says_why(monkeypatch, tiered):
    monkeypatch.setattr(compile_server, "_server", {"server": None})
    monkeypatch.setattr(compile_server, "_LAUNCH",
                        "import sys; sys.exit('jitnet test: no compiler here')")
    x = np.arange(3, dtype=np.float32)
    f = jitnet.jit(lambda v: jnp.abs(v - 1.0))
    exe = _exe(f, x)
    assert exe._job.done.wait(WAIT) and not exe._job.ok
    assert "code 1" in exe._job.error and "no compiler here" in exe._job.error
    np.testing.assert_array_equal(np.asarray(f(x)), np.abs(x - 1.0))  # compiled here
    assert exe.switched

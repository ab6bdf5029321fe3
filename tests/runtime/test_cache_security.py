"""Attacks on the compile cache, and its bounds (issue 17, items 1-5 and 13).

Each attack leaves a payload that creates a marker file when it runs; the marker must not
appear, and the program must still compute the right result. Attacks tried:

1. a planted ``__pycache__/m_<hash>.cpython-*.pyc`` beside a cached module, with a header
   copying the module's mtime and size (and an unchecked hash-based one);
2. planted Numba pickles where Numba itself would look: under ``NUMBA_CACHE_DIR`` and in the
   cache's ``__pycache__``, for generated programs (the eager kernels' object files never
   go there), and unsigned files over the eager kernels' own;
3. an unsigned pickle written over a cached (signed) index file;
4. a validly signed file of another program copied over this one's (signature bound to the
   file name), and a file signed with another key;
5. a cache directory or key file owned by another user, or writable by others (its group,
   everyone, a world-writable parent without the sticky bit), and a key shorter than 32 bytes;
6. unusable locations (a file in the way, a path under a file, a lock path that is a
   directory, an uncreatable key file, a read-only directory): one warning, right results.

Also checked: the first call (compile or load) runs under the program's lock; the memory and
disk caches are bounded (LRU) and leave no lock files; ``jitnet cache``; and a test run with
``-n 2`` writes nothing to the home or temporary directory.
"""
import contextlib
import importlib._bootstrap_external as bootstrap
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.runtime import cache_store, disk_cache, eager_kernels

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OTHER_UID = 12345


class _Payload:
    """Unpickling it creates ``marker`` (what planted code would do, harmlessly)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _payload_code(marker):
    return compile(f"open({str(marker)!r}, 'w').close()\n", "<planted>", "exec")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache directory and key for one test; in-memory modules forgotten."""
    d, k = tmp_path / "cache", tmp_path / "key" / "cache.key"
    monkeypatch.setenv("JITNET_CACHE_DIR", str(d))
    monkeypatch.setenv("JITNET_CACHE_KEY_FILE", str(k))
    jitnet.clear_caches()
    yield d
    jitnet.clear_caches()


def _program(c):
    """The test program. Float constants are run-time arguments of generated code, so
    programs differing only in ``c`` share their text; each test has its own cache
    directory (``cache``), and a test that needs two programs varies the shape's rank."""
    return jitnet.jit(lambda x: jnp.tanh(x) * c + 1.0)


def _want(x, c):
    return np.tanh(x) * np.float32(c) + np.float32(1.0)


def _run_fresh(c, x):
    """Forget everything in memory, then run the program: loads from the disk cache."""
    jitnet.clear_caches()
    f = _program(c)
    y = np.asarray(f(x))
    return y, f.lower(x).compile().fn


X = np.linspace(-1, 1, 5, dtype=np.float32)


# -- 1. bytecode is never consulted ---------------------------------------------------------

def test_planted_pyc_beside_a_cached_module_never_runs(cache, tmp_path):
    y, fn = _run_fresh(3.0, X)
    module = cache / (fn.stem + ".py")
    st = module.stat()
    marker = tmp_path / "pwned"
    pyc_dir = cache / "__pycache__"
    pyc_dir.mkdir()
    timestamp = bootstrap._code_to_timestamp_pyc(_payload_code(marker), st.st_mtime,
                                                 st.st_size)
    unchecked = bootstrap._code_to_hash_pyc(_payload_code(marker), b"\0" * 8,
                                            checked=False)
    for tag in (sys.implementation.cache_tag, "cpython-311", "cpython-312"):
        (pyc_dir / f"{fn.stem}.{tag}.pyc").write_bytes(timestamp)
        (pyc_dir / f"{fn.stem}.{tag}.opt-1.pyc").write_bytes(unchecked)
    y2, fn2 = _run_fresh(3.0, X)
    assert not marker.exists()
    assert fn2.was_cached  # the verified machine code was used
    np.testing.assert_allclose(y2, _want(X, 3.0), rtol=1e-6)


def test_first_call_compiles_or_loads_under_the_programs_lock(cache):
    import fcntl
    f = _program(9.0)
    cached = f.lower(X).compile().fn  # the module is loaded; Numba has not run yet
    inner, seen = cached.fn, []

    def probe(*args):
        try:
            fd = os.open(cache / (cached.stem + ".lock"), os.O_RDWR)
        except FileNotFoundError:
            seen.append("absent")
            return inner(*args)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append("free")
        except BlockingIOError:
            seen.append("held")
        finally:
            os.close(fd)
        return inner(*args)

    cached.fn = probe
    np.testing.assert_allclose(np.asarray(f(X)), _want(X, 9.0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(f(X)), _want(X, 9.0), rtol=1e-6)
    assert seen == ["held", "absent"]  # the second call: no lock, and no lock file left


# -- 2. Numba's own cache locations are never used --------------------------------------------

def _numba_user_dir(numba_dir, py_file):
    from numba.core.caching import _CacheLocator
    return numba_dir / _CacheLocator.get_suitable_cache_subpath(str(py_file))


def test_numba_cache_dir_pickles_never_load(cache, tmp_path, monkeypatch):
    import numba
    numba_dir = tmp_path / "numba-cache"
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(numba_dir))
    y, fn = _run_fresh(4.0, X)
    assert not numba_dir.exists()  # nothing written where Numba would put it
    names = [p.name for p in cache.glob(fn.stem + ".*.nb*")]
    assert any(n.endswith(".nbi") for n in names)
    marker = tmp_path / "pwned"
    planted = pickle.dumps(_Payload(marker))
    for where in (_numba_user_dir(numba_dir, cache / (fn.stem + ".py")), cache / "__pycache__"):
        where.mkdir(parents=True)
        for n in names:
            (where / n).write_bytes(planted)
    y2, fn2 = _run_fresh(4.0, X)
    assert not marker.exists() and fn2.was_cached
    np.testing.assert_allclose(y2, _want(X, 4.0), rtol=1e-6)


def test_eager_kernels_are_cached_signed_and_ignore_numba_locations(cache, tmp_path,
                                                                    monkeypatch):
    import numba
    numba_dir = tmp_path / "numba-cache"
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(numba_dir))
    monkeypatch.setattr(eager_kernels, "_fns", {})
    x = np.array([0.0, 1.0, -2.5])
    np.testing.assert_allclose(eager_kernels.apply("exp", x), np.exp(x), rtol=1e-15)
    np.testing.assert_allclose(eager_kernels.apply("exp", x.astype(np.float32)), np.exp(x),
                               rtol=1e-6)
    assert not numba_dir.exists()  # nothing written where Numba would put it
    signed = sorted(cache.glob("e_*.eager"))
    assert len(signed) == 2
    marker = tmp_path / "pwned"
    for p in signed:  # an unsigned file over ours: deleted, never linked, recompiled
        p.write_bytes(pickle.dumps(_Payload(marker)))
    monkeypatch.setattr(eager_kernels, "_fns", {})
    np.testing.assert_allclose(eager_kernels.apply("exp", x), np.exp(x), rtol=1e-15)
    np.testing.assert_allclose(eager_kernels.apply("exp", x.astype(np.float32)), np.exp(x),
                               rtol=1e-6)
    assert not marker.exists()
    assert all(disk_cache.store().read_signed(p.name) is not None for p in signed)


_CUDA_CHECK = """
from numba.cuda.dispatcher import CUDACache
from jitnet.runtime import disk_cache, numba_cache
st = disk_cache.store()
ns = {"__jitnet_cache__": st}
exec(compile("def k(a):\\n    a[0] = 1\\n", st.path("m_x.py"), "exec"), ns)
kernel = numba_cache.jn_cuda_jit(ns["k"])
files = kernel._cache._cache_file
assert isinstance(kernel._cache, CUDACache) and isinstance(files, numba_cache._SignedFiles)
print(kernel._cache.cache_path, files._store is st, files._index_path)
"""


def test_cuda_kernels_get_the_signed_cache(cache):
    """CUDA kernels of generated modules are cached like CPU functions (compiling one needs
    a GPU; this checks where its files would go, in a process without the CUDA simulator,
    which tests/cuda switches on)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    out = subprocess.run([sys.executable, "-c", _CUDA_CHECK], capture_output=True, text=True,
                         env=dict(env, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    tag = f"{sys.version_info[0]}{sys.version_info[1]}"
    assert out.stdout.split() == [str(cache), "True", str(cache / f"m_x.k-1.py{tag}.nbi")]


def test_signed_cache_has_numba_cudas_launch_config_state(cache):
    """numba-cuda's CUDACache (not Numba's built-in one) sets launch-config state in the
    __init__ the signed cache does not chain to, and its dispatcher reads it on every cached
    launch (a real GPU failed every kernel without it): the signed subclass sets the same."""
    from numba.core.caching import FunctionCache

    from jitnet.runtime import numba_cache

    class LaunchConfigCache(FunctionCache):  # the methods numba-cuda's dispatcher calls
        def set_launch_config_key(self, key):
            self._launch_config_key = key

        def is_launch_config_sensitive(self):
            if self._launch_config_sensitive_flag is None:
                self._launch_config_sensitive_flag = os.path.exists(
                    self._launch_config_marker_path)
            return self._launch_config_sensitive_flag

    st = disk_cache.store()
    ns = {}
    exec(compile("def k(a):\n    a[0] = 1\n", st.path("m_lc.py"), "exec"), ns)
    c = numba_cache._signed(LaunchConfigCache)(ns["k"], st)
    assert c._launch_config_key is None and not c.is_launch_config_sensitive()
    assert os.path.dirname(c._launch_config_marker_path) == st.dir
    c.set_launch_config_key((32, 1))
    assert c._launch_config_key == (32, 1)
    plain = numba_cache._signed(FunctionCache)(ns["k"], st)
    assert not hasattr(plain, "_launch_config_marker_path")


def test_a_kernel_numba_cannot_serialize_runs_uncached(cache):
    """numba-cuda refuses to pickle a kernel that links files (float16 code on a real GPU:
    every such program failed): the save is skipped, the kernel still runs; other errors
    still raise."""
    from numba.core.caching import FunctionCache

    from jitnet.runtime import numba_cache

    class Refusing(FunctionCache):
        message = "Cannot pickle CUDACodeLibrary with linking files"

        def _save_overload(self, sig, data):
            raise RuntimeError(self.message)

    st = disk_cache.store()
    ns = {}
    exec(compile("def k(a):\n    a[0] = 1\n", st.path("m_pk.py"), "exec"), ns)
    c = numba_cache._signed(Refusing)(ns["k"], st)
    c.save_overload((), object())  # skipped
    Refusing.message = "something else"
    with pytest.raises(RuntimeError, match="something else"):
        c.save_overload((), object())


# -- 3, 4. signatures ------------------------------------------------------------------------

def test_unsigned_pickle_over_a_cached_index_never_loads(cache, tmp_path):
    y, fn = _run_fresh(5.0, X)
    marker = tmp_path / "pwned"
    index = next(cache.glob(fn.stem + ".*.nbi"))
    import numba
    index.write_bytes(pickle.dumps(numba.__version__) + pickle.dumps(_Payload(marker)))
    y2, fn2 = _run_fresh(5.0, X)
    assert not marker.exists()
    assert not fn2.was_cached  # rejected, deleted and recompiled
    np.testing.assert_allclose(y2, _want(X, 5.0), rtol=1e-6)
    y3, fn3 = _run_fresh(5.0, X)
    assert fn3.was_cached  # the recompiled code was signed again


def test_signatures_are_bound_to_the_file_name_and_the_key(cache, tmp_path):
    st = disk_cache.store()
    st.write_signed("m_a.entry-1.py311.nbi", b"payload a")
    assert st.read_signed("m_a.entry-1.py311.nbi") == b"payload a"
    shutil.copy(cache / "m_a.entry-1.py311.nbi", cache / "m_b.entry-1.py311.nbi")
    assert st.read_signed("m_b.entry-1.py311.nbi") is None  # replayed under another name
    assert not (cache / "m_b.entry-1.py311.nbi").exists()  # and deleted
    other = cache_store.Store(str(cache), str(tmp_path / "other-key"))
    assert other.key != st.key and len(other.key) == cache_store.KEY_BYTES
    assert other.read_signed("m_a.entry-1.py311.nbi") is None  # signed with another key


# -- 5. ownership and modes ------------------------------------------------------------------

def _give_away(path, monkeypatch):
    """Make ``path`` belong to another user: chown as root, else (no right to chown) make
    jitnet see that owner for it."""
    if os.geteuid() == 0:
        os.chown(path, OTHER_UID, -1)
        return
    ino = os.stat(path).st_ino
    real = cache_store._owner
    monkeypatch.setattr(disk_cache, "_owner",
                        lambda st: OTHER_UID if st.st_ino == ino else real(st))


def _security_error(generator, match):
    """The error jit raises (before compiling) for an unsafe location, checked end to end."""
    with pytest.raises(jitnet.CacheSecurityError, match=match):
        _program(float(generator.random()))(X)


def test_foreign_owned_cache_directory_is_refused(cache, monkeypatch, generator):
    cache.mkdir()
    _give_away(cache, monkeypatch)
    _security_error(generator, rf"{cache} belongs to .*uid {OTHER_UID}.*JITNET_CACHE_DIR")


@pytest.mark.parametrize("mode, who", [(0o777, "its group and other users"),
                                       (0o702, "other users"), (0o720, "its group")])
def test_cache_directory_writable_by_others_is_refused(cache, mode, who, generator):
    cache.mkdir()
    cache.chmod(mode)
    _security_error(generator, rf"{cache} has mode {mode:o}: {who} can write.*chmod go-w {cache}")


def test_cache_directory_in_a_world_writable_parent_without_sticky_bit_is_refused(
        tmp_path, monkeypatch, generator):
    parent = tmp_path / "shared"
    parent.mkdir()
    parent.chmod(0o777)
    monkeypatch.setenv("JITNET_CACHE_DIR", str(parent / "cache"))
    monkeypatch.setenv("JITNET_CACHE_KEY_FILE", str(tmp_path / "key"))
    jitnet.clear_caches()
    _security_error(generator, r"anyone can write without the sticky bit")
    parent.chmod(0o777 | 0o1000)  # sticky, like /tmp: others cannot replace our directory
    assert disk_cache.store() is not None


def test_foreign_owned_or_readable_key_file_and_short_key_are_refused(cache, tmp_path,
                                                                      monkeypatch, generator):
    key = tmp_path / "key" / "cache.key"
    assert disk_cache.store() is not None and len(key.read_bytes()) == 32
    assert (key.stat().st_mode & 0o777) == 0o600
    with monkeypatch.context() as m:
        _give_away(key, m)
        disk_cache._state["settings"] = None  # same settings: check again
        _security_error(generator, rf"cache key file {key} belongs to .*uid {OTHER_UID}")
        if os.geteuid() == 0:
            os.chown(key, 0, -1)
    key.chmod(0o644)
    disk_cache._state["settings"] = None
    _security_error(generator, rf"key file {key} has mode 644: its group and other users can "
                    rf"read or write it.*chmod 600")
    key.chmod(0o600)
    key.write_bytes(b"0123456789" * 3)
    disk_cache._state["settings"] = None
    _security_error(generator, r"holds 30 bytes; a signing key needs at least 32")


# -- 6. unusable locations: one warning, compiled in memory ----------------------------------

def _one_warning(generator, cause, calls=2):
    """Run two new programs; exactly one CacheWarning naming JITNET_CACHE_DIR and ``cause``."""
    disk_cache._state["settings"] = None
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(calls):
            c = float(np.float32(generator.random()))
            np.testing.assert_allclose(np.asarray(_program(c)(X)), _want(X, c), rtol=1e-6)
    ours = [w for w in seen if issubclass(w.category, jitnet.CacheWarning)]
    msgs = [str(w.message) for w in ours]
    assert len(msgs) == 1, msgs
    assert "JITNET_CACHE_DIR" in msgs[0] and cause in msgs[0], msgs[0]
    assert ours[0].filename == __file__  # points at the user's call
    assert jitnet.cache_info()["enabled"] is False


def test_a_file_where_the_cache_directory_should_be(cache, generator):
    cache.write_text("not a directory")
    _one_warning(generator, "File exists")


def test_a_cache_path_under_a_file(cache, monkeypatch, generator):
    cache.write_text("not a directory")
    monkeypatch.setenv("JITNET_CACHE_DIR", str(cache / "sub"))
    _one_warning(generator, "Not a directory")


def test_an_uncreatable_key_file(cache, tmp_path, monkeypatch, generator):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("JITNET_CACHE_KEY_FILE", str(tmp_path / "file" / "cache.key"))
    _one_warning(generator, "Not a directory")


def test_a_lock_path_that_is_a_directory(cache, monkeypatch):
    c = 0.25
    monkeypatch.setenv("JITNET_CACHE_DIR", "off")  # learn the program's name, in memory
    disk_cache._state["settings"] = None
    stem = _program(c).lower(X).compile().fn.stem
    monkeypatch.setenv("JITNET_CACHE_DIR", str(cache))
    jitnet.clear_caches()
    disk_cache._state["settings"] = None
    assert disk_cache.store() is not None
    (cache / (stem + ".lock")).mkdir()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        np.testing.assert_allclose(np.asarray(_program(c)(X)), _want(X, c), rtol=1e-6)
    msgs = [str(w.message) for w in seen if issubclass(w.category, jitnet.CacheWarning)]
    assert len(msgs) == 1 and "Is a directory" in msgs[0] and "JITNET_CACHE_DIR" in msgs[0]


@contextlib.contextmanager
def _as_user(uid):
    """Run the block with effective uid ``uid`` (root ignores file modes). The modules that
    compiling imports lazily are imported first, as root: the other user cannot read the
    interpreter's files under /root."""
    if os.geteuid() != 0:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JITNET_CACHE_DIR", "off")
        _program(0.5)(X)
    jitnet.clear_caches()
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_read_only_cache_directory(monkeypatch, generator):
    uid = OTHER_UID if os.geteuid() == 0 else os.geteuid()
    home = tempfile.mkdtemp(prefix="jitnet-readonly-")  # a place the test user can reach
    try:
        os.chmod(home, 0o755)
        for sub in ("cache", "key"):
            os.mkdir(os.path.join(home, sub), 0o700)
            os.chown(os.path.join(home, sub), uid, -1)
        os.chmod(os.path.join(home, "cache"), 0o500)
        monkeypatch.setenv("JITNET_CACHE_DIR", os.path.join(home, "cache"))
        monkeypatch.setenv("JITNET_CACHE_KEY_FILE", os.path.join(home, "key", "cache.key"))
        jitnet.clear_caches()
        with _as_user(uid):
            # the cause names the file jitnet could not create in the directory
            _one_warning(generator, f"Permission denied: '{os.path.join(home, 'cache', '')}")
        assert os.listdir(os.path.join(home, "cache")) == []
    finally:
        shutil.rmtree(home)
        jitnet.clear_caches()


def test_off_compiles_in_memory_without_a_warning(monkeypatch):
    monkeypatch.setenv("JITNET_CACHE_DIR", "off")
    disk_cache._state["settings"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(np.asarray(_program(0.75)(X)), _want(X, 0.75), rtol=1e-6)


# -- bounds, locks, inspection ---------------------------------------------------------------

def test_in_memory_caches_are_bounded_lru():
    f = jitnet.jit(lambda x: x * 2.0 + 1.0)
    old = jitnet.config.memory_cache_entries
    jitnet.config.update("memory_cache_entries", 2)
    try:
        for n in (1, 2, 1, 3):      # 1 is used again before 3 arrives: 2 is evicted
            f(np.ones(n, np.float32))
        assert f.trace_count() == 2
        from jitnet.runtime import compile as rc
        assert len(rc._cache) <= 2 and len(disk_cache._modules) <= 2
        f(np.ones(1, np.float32))
        assert f.trace_count() == 2  # still cached
        f(np.ones(2, np.float32))   # evicted: traced again
        np.testing.assert_array_equal(np.asarray(f(np.ones(2, np.float32))), [3.0, 3.0])
    finally:
        jitnet.config.update("memory_cache_entries", old)


def test_disk_cache_is_bounded_lru_and_leaves_no_lock_files(cache):
    _run_fresh(6.0, X)
    first = {p.name.split(".")[0] for p in cache.glob("m_*")}
    size = sum(p.stat().st_size for p in cache.iterdir())
    old = jitnet.config.disk_cache_max_mb
    jitnet.config.update("disk_cache_max_mb", 1.5 * size / 2**20)  # room for one program
    try:
        _, fn = _run_fresh(7.0, X.reshape(1, 5))  # another rank: another program
    finally:
        jitnet.config.update("disk_cache_max_mb", old)
    stems = {p.name.split(".")[0] for p in cache.iterdir()}
    assert stems == {fn.stem} and not first & stems  # the older program was evicted
    assert not list(cache.glob("*.lock")) and not list(cache.glob(".tmp-*"))


def test_eviction_ignores_files_that_vanish_while_it_lists(cache, monkeypatch):
    """Other processes sharing the cache (pytest-xdist workers) release locks and rename
    temporary files while a writer lists the directory: not an error, no CacheWarning."""
    st = disk_cache.store()
    st.write("m_a.py", b"a")
    st.write("m_b.lock", b"")
    listing = os.scandir

    def racing(path):
        entries = list(listing(path))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(st.path("m_b.lock"))  # released between the listing and its stat
        return iter(entries)

    monkeypatch.setattr(cache_store.os, "scandir", racing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(st.groups()) == ["m_a"]
        assert st.evict() == 0


def test_cache_info_clear_and_command(cache):
    f = _program(8.0)
    f(X)
    info = jitnet.cache_info()
    assert info["directory"] == str(cache) and info["enabled"] and info["programs"] == 1
    assert info["bytes"] == sum(p.stat().st_size for p in cache.iterdir())
    assert info["executables_in_memory"] >= 1 and info["traces_in_memory"] >= 1
    out = subprocess.run([sys.executable, "-m", "jitnet.cache", "info"], capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=ROOT), check=True)
    assert f"directory: {cache} (in use)" in out.stdout and "programs:  1 " in out.stdout
    assert out.stderr == ""
    (cache / "__pycache__").mkdir()  # an old layout's leftovers are cleared too
    (cache / "__pycache__" / "m_old.entry-1.py311.nbi").write_bytes(b"old")
    (cache / "m_old.py.lock").write_bytes(b"")
    from jitnet.cache import main
    assert main(["cache", "clear"]) == 0
    assert list(cache.iterdir()) == []
    info = jitnet.cache_info()
    assert info["executables_in_memory"] == 0 and info["traces_in_memory"] == 0


# -- 13. hermetic test runs ------------------------------------------------------------------

@pytest.mark.slow
def test_the_suite_writes_nothing_to_home_or_the_temporary_directory(tmp_path):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JITNET_", "XDG_"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=ROOT)
    this = os.path.relpath(__file__, ROOT)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                        f"{this}::test_in_memory_caches_are_bounded_lru",
                        f"{this}::test_signatures_are_bound_to_the_file_name_and_the_key"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout
    assert list(home.iterdir()) == [] and list(tmp.iterdir()) == []


def test_the_keys_cpu_is_the_first_processors_identity_and_flags(tmp_path):
    """``host_cpu`` (without loading LLVM): the vendor, family, model and feature flags of
    the first processor; another flag is another CPU; no such fields, LLVM's name."""
    import platform

    import llvmlite.binding as llvm

    def cpu(block0, block1="processor : 1\nflags : other\n"):
        path = tmp_path / "cpuinfo"
        path.write_text(block0 + "\n" + block1)
        return disk_cache.host_cpu(str(path))

    base = ("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
            "cpu MHz\t\t: {mhz}\nflags\t\t: fpu sse2 avx2{extra}\n")
    a = cpu(base.format(mhz="2600.0", extra=""))
    if platform.machine() != "x86_64":
        assert a == llvm.get_host_cpu_name()
        return
    assert a.startswith("x86_64:")
    assert cpu(base.format(mhz="3100.5", extra=""), "flags : x\n") == a   # MHz, others: same
    assert cpu(base.format(mhz="2600.0", extra=" avx512f")) != a
    assert cpu(base.format(mhz="2600.0", extra="").replace("85", "86")) != a
    assert cpu("processor : 0\nflags : fpu\n") == llvm.get_host_cpu_name()
    assert disk_cache.host_cpu() in disk_cache.environment_tag()

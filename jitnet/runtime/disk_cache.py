"""The disk cache of generated code, shared by processes.

Layout (``JITNET_CACHE_DIR``, default ``~/.cache/jitnet``): one module per program,
``m_<hash>.py``, where the hash covers the source text and the jitnet, Numba, llvmlite,
Python versions and the CPU; Numba caches its machine code for it under ``__pycache__``.

Safety:
* modules are written atomically (temporary file + rename) and re-checked against the
  expected text before import, so a corrupt or edited module is simply rewritten;
* Numba's cache files are pickles, so they are signed with an HMAC-SHA256 whose key lives
  outside the cache directory (``~/.config/jitnet/cache.key``, mode 0600). Unsigned or
  mismatching files are deleted before Numba could load them, and the code is recompiled;
* a per-module file lock serializes concurrent compilations of the same program.
"""
from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import hmac
import importlib.util
import json
import os
import platform
import sys
import tempfile

_memo: dict = {}


def cache_dir() -> str:
    d = os.environ.get("JITNET_CACHE_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "jitnet")
    os.makedirs(d, exist_ok=True)
    return d


def _key_file() -> str:
    f = os.environ.get("JITNET_CACHE_KEY_FILE")
    if f:
        return f
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "jitnet", "cache.key")


def _secret() -> bytes:
    path = _key_file()
    try:
        with open(path, "rb") as f:
            key = f.read()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    key = os.urandom(32)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # first writer wins; a concurrent writer reads the winner's key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    with open(path, "rb") as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def environment_tag() -> str:
    import llvmlite
    import numba

    from .. import __version__
    try:
        from llvmlite import binding
        cpu = binding.get_host_cpu_name()
    except Exception:  # pragma: no cover - llvmlite always provides it
        cpu = platform.machine()
    # the helpers generated code calls are compiled into it: their source is part of the key
    from . import numba_math
    with open(numba_math.__file__, "rb") as f:
        helpers = hashlib.sha256(f.read()).hexdigest()[:16]
    return (f"jitnet={__version__};numba={numba.__version__};llvmlite={llvmlite.__version__};"
            f"python={sys.version.split()[0]};cpu={cpu};helpers={helpers}")


def _atomic_write(path: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(path: str):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(path + ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _numba_files(stem: str) -> list[str]:
    d = os.path.join(cache_dir(), "__pycache__")
    return sorted(glob.glob(os.path.join(d, stem + ".*.nbi")) +
                  glob.glob(os.path.join(d, stem + ".*.nbc")))


def _digest(path: str) -> str:
    with open(path, "rb") as f:
        return hmac.new(_secret(), f.read(), hashlib.sha256).hexdigest()


def _verify_numba_files(stem: str) -> bool:
    """Delete Numba cache files of ``stem`` unless all carry our signature; True if kept."""
    files = _numba_files(stem)
    sig_path = os.path.join(cache_dir(), stem + ".sig")
    try:
        with open(sig_path) as f:
            sigs = json.load(f)
    except (OSError, ValueError):
        sigs = None
    ok = bool(files) and isinstance(sigs, dict) and all(
        hmac.compare_digest(sigs.get(os.path.basename(p), ""), _digest(p)) for p in files)
    if not ok:
        for p in files + [sig_path]:
            with contextlib.suppress(OSError):
                os.unlink(p)
    return ok


def sign_numba_files(stem: str) -> None:
    files = _numba_files(stem)
    if files:
        sigs = {os.path.basename(p): _digest(p) for p in files}
        _atomic_write(os.path.join(cache_dir(), stem + ".sig"), json.dumps(sigs).encode())


class CachedFunction:
    """A compiled entry point; signs Numba's cache files after the first compilation."""

    def __init__(self, fn, stem: str, path: str, was_cached: bool):
        self.fn, self.stem, self.path = fn, stem, path
        self.was_cached = was_cached
        self._signed = False     # until the first call: Numba compiles or loads its cache

    def __call__(self, *args):
        if self._signed:
            return self.fn(*args)
        return self._first_call(args)

    def _first_call(self, args):
        from . import profiling
        if self.was_cached:
            with profiling.span("cache_load", self.stem):
                res = self.fn(*args)
        else:
            with profiling.span("compile", self.stem), _locked(self.path):
                res = self.fn(*args)
                sign_numba_files(self.stem)
        self._signed = True
        return res


def load_function(source: str, entry: str) -> CachedFunction:
    """Import ``entry`` from the cached module holding ``source`` (writing it if needed)."""
    tag = environment_tag()
    h = hashlib.sha256((tag + "\n" + source).encode()).hexdigest()[:40]
    hit = _memo.get(h)
    if hit is not None:
        return hit
    stem = f"m_{h}"
    d = cache_dir()
    path = os.path.join(d, stem + ".py")
    data = source.encode()
    with _locked(path):
        try:
            with open(path, "rb") as f:
                intact = f.read() == data
        except OSError:
            intact = False
        if not intact:
            _atomic_write(path, data)
            _verify_numba_files(stem)  # stale machine code for another text: drop it
            cached = False
        else:
            cached = _verify_numba_files(stem)
    name = f"jitnet_cache.{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    fn = CachedFunction(getattr(module, entry), stem, path, cached)
    _memo[h] = fn
    return fn

"""The disk cache of compiled code, shared by processes and safe to load (docs/SECURITY.md).

Layout of ``JITNET_CACHE_DIR`` (default ``~/.cache/jitnet``; ``off``: compile in memory):

* ``m_<hash>.py``: a generated module, named by a hash of its text and of the environment
  (``environment_tag``). It is written for tracebacks and for reading: jitnet never imports
  or executes it, it compiles the text it generated itself, so no bytecode file is read;
* ``m_<hash>.<function>-<line>.py3XX.nbi`` and ``.<n>.nbc``: Numba's index and machine code
  of the module's functions (pickles). They are written by jitnet's own Numba cache
  (``numba_cache.py``) here whatever ``NUMBA_CACHE_DIR`` says, each carrying an HMAC-SHA256
  of its file name and contents under a secret key (``JITNET_CACHE_KEY_FILE``, default
  ``~/.config/jitnet/cache.key``, >= 32 random bytes). The signature is checked on the bytes
  read, and only those bytes are unpickled;
* ``e_<hash>.eager``: an eager float kernel's object code (``eager_kernels.py``), signed the
  same way and linked from the verified bytes (no pickle);
* ``m_<hash>.lock``: a lock serializing the compilation of one program; it exists only
  while held.

The directory and the key file must belong to the user and not be writable (the key: not
readable either) by others, else ``CacheSecurityError`` (the checks, signatures, locks and
eviction are ``cache_store.Store``'s). A location that cannot be used
(read-only, a file in the way, ...) makes jitnet compile in memory after one
``CacheWarning``. The cache is bounded (``disk_cache_max_mb``): least recently used
programs are deleted first.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import linecache
import os
import platform
import shutil
import sys
import time
import types
import warnings

from ..core.config import config
from ..core.lru import LRU
from ..core.version import __version__
from . import compile_log, profiling
from .cache_store import (CacheSecurityError, CacheWarning, Store, cache_setting,
                          key_setting)

# -- the store in use --------------------------------------------------------------------

_state: dict = {"settings": None, "store": None, "reason": None}


def store() -> Store | None:
    """The cache of the current settings, or None when compiling in memory (``off``, or an
    unusable location: warned once). Raises CacheSecurityError for an unsafe location."""
    settings = (cache_setting(), key_setting())
    if _state["settings"] != settings:
        _state.update(settings=settings, store=None, reason=None)
        if settings[0].lower() != "off":
            try:
                _state["store"] = Store(*settings)
            except OSError as err:
                disable(err)
            except CacheSecurityError:
                _state["settings"] = None  # refused every time until fixed
                raise
    return _state["store"]


def disable(err: OSError) -> None:
    """Compile in memory from now on (for these settings), with one warning naming why."""
    if _state["reason"] is None:
        _state["reason"] = str(err)
        warnings.warn(
            f"jitnet: cannot use the compile cache at {cache_setting()} ({err}); compiling in "
            f"memory, so compiled code is not reused by other processes. Set JITNET_CACHE_DIR "
            f"to a writable directory of your own, or JITNET_CACHE_DIR=off to compile in "
            f"memory without this warning.", CacheWarning, stacklevel=_user_stacklevel())
    _state["store"] = None


def _user_stacklevel() -> int:
    """The stack level of the first frame outside jitnet, Numba and generated code (the
    warning points at the user's call)."""
    from ..core.source_info import _is_internal
    numba = sys.modules.get("numba")
    others = tuple(os.path.dirname(m.__file__) + os.sep for m in (numba,) if m is not None)
    cache = _state["settings"][0] if _state["settings"] else None
    f, level = sys._getframe(1), 1
    while f is not None:
        name = f.f_code.co_filename
        if not (_is_internal(name) or name.startswith(others) or name.startswith("<jitnet ")
                or (cache and name.startswith(os.path.abspath(cache) + os.sep))):
            break
        f, level = f.f_back, level + 1
    return level


def disabled_reason() -> str | None:
    return _state["reason"]


@contextlib.contextmanager
def compiling(stem: str):
    """Hold ``stem``'s lock while Numba compiles or loads it (nothing in memory-only mode);
    afterwards, keep the cache within its bound."""
    st = store()
    with contextlib.ExitStack() as stack:
        if st is not None:
            try:
                stack.enter_context(st.locked(stem))
            except OSError as err:
                disable(err)
                st = None
        yield
    if st is not None and st.wrote:
        try:
            st.evict(keep=stem)
        except OSError as err:
            disable(err)


def helper_sources() -> list:
    """The files whose code compiled programs contain or call: ``numba_math`` (with the
    ``numba_transcendental`` it imports), the hand-written kernels (``jitnet/kernels``), the
    C-ABI wrapping they are compiled in (``c_kernel``) and their plan
    (``codegen/kernel_plan.py``: the conv kernel compiles its ``work_split``), the hash the
    random kernel compiles (``core/threefry.py``)."""
    here = os.path.dirname(__file__)
    root = os.path.dirname(here)
    kdir = os.path.join(root, "kernels")
    return [os.path.join(here, n) for n in ("numba_math.py", "numba_transcendental.py",
                                                   "c_kernel.py")] + sorted(
        os.path.join(kdir, n) for n in os.listdir(kdir) if n.endswith(".py")) + [
        os.path.join(root, "codegen", "kernel_plan.py"),
        os.path.join(root, "core", "threefry.py")]


def host_cpu(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU, for the cache key. On Linux x86-64, a digest of the first processor's vendor,
    family, model and feature flags (``/proc/cpuinfo``): LLVM derives its host CPU name and
    features (what code is built for) from the same cpuid values, and reading them does not
    load LLVM (~20 ms), which eager kernels start without. Elsewhere LLVM's host CPU name."""
    if sys.platform.startswith("linux") and platform.machine() == "x86_64":
        fields = {}
        with contextlib.suppress(OSError), open(cpuinfo, "rb") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block only
                k, _, v = line.decode("ascii", "replace").partition(":")
                fields[k.strip()] = v.strip()
        ident = [fields.get(k) for k in ("vendor_id", "cpu family", "model", "flags")]
        if all(ident):
            return "x86_64:" + hashlib.sha256("\n".join(ident).encode()).hexdigest()[:16]
    try:
        from llvmlite import binding
        return binding.get_host_cpu_name()
    except Exception:  # pragma: no cover - llvmlite always provides it
        return platform.machine()


@functools.lru_cache(maxsize=None)
def environment_tag() -> str:
    """What compiled code depends on besides its source: versions, CPU, the helpers. Numba
    is not imported (eager kernels load without it): its version file stands for it, and
    LLVM is not loaded either (``host_cpu``)."""
    import importlib.util

    import llvmlite

    spec = importlib.util.find_spec("numba")
    with open(os.path.join(spec.submodule_search_locations[0], "_version.py"), "rb") as f:
        numba_version = hashlib.sha256(f.read()).hexdigest()[:16]
    cpu = host_cpu()
    # the helpers and kernels generated code calls are compiled into it, or called by a
    # symbol whose arguments they define: their sources are part of the key
    h = hashlib.sha256()
    for path in helper_sources():
        with open(path, "rb") as f:
            h.update(f.read())
    helpers = h.hexdigest()[:16]
    from .blas import provider   # the library compiled gemms are bound to
    return (f"jitnet={__version__};numba={numba_version};llvmlite={llvmlite.__version__};"
            f"python={sys.version.split()[0]};cpu={cpu};helpers={helpers};blas={provider()}")


# -- loading generated modules -----------------------------------------------------------

class CachedFunction:
    """A generated entry point. Its first call (Numba's compile, or its load of signed
    machine code) runs under the program's lock."""

    def __init__(self, fn, stem: str, module):
        self.fn, self.stem, self.module = fn, stem, module
        self.path = module.__file__
        self._ready = False

    @property
    def was_cached(self) -> bool:
        """Whether the first call loaded verified machine code instead of compiling."""
        return bool(sum(getattr(self.fn, "_cache_hits", {}).values()))

    def __call__(self, *args):
        if self._ready:
            return self.fn(*args)
        # Numba's loader looks the module up by name (the memo may have evicted it)
        sys.modules.setdefault(self.module.__name__, self.module)
        start = time.perf_counter()
        with compiling(self.stem):
            res = profiling.timed_first_call(self.stem, lambda: self.fn(*args),
                                             lambda: self.was_cached)
        self._ready = True
        took = time.perf_counter() - start
        kind = "cache_load" if self.was_cached else "compile"
        compile_log.record(kind, lambda: f"{self.stem} in {took:.3f} s "
                                         f"({'loaded from' if self.was_cached else 'written to'} "
                                         f"{self.path})")
        return res

    def prepare(self, argtypes: tuple) -> None:
        """Compile (or load from the cache) the entry for these Numba argument types without
        running it: the compile server's job (``runtime/tiered.py``)."""
        sys.modules.setdefault(self.module.__name__, self.module)
        start = time.perf_counter()
        with compiling(self.stem):
            self.fn.compile(tuple(argtypes))
        self._ready = True
        took = time.perf_counter() - start
        kind = "cache_load" if self.was_cached else "compile"
        compile_log.record(kind, lambda: f"{self.stem} in {took:.3f} s (ahead of its first "
                                         f"call)")

    @property
    def ready(self) -> bool:
        """Whether this function has been compiled (or loaded) in this process."""
        return self._ready


def _forget(_, fn: CachedFunction) -> None:
    sys.modules.pop(fn.module.__name__, None)
    if fn.path.startswith("<jitnet "):
        linecache.cache.pop(fn.path, None)


_modules = LRU(on_evict=_forget)


def unload(stem: str) -> None:
    """Forget the loaded module ``stem`` (its machine code stays on disk)."""
    fn = _modules.pop(stem[2:], None)
    if fn is not None:
        _forget(stem[2:], fn)


def stem_of(source: str) -> str:
    """The cache name of a generated module: a hash of its text and of the environment."""
    return "m_" + hashlib.sha256((environment_tag() + "\n" + source).encode()).hexdigest()[:40]


def loaded(source: str) -> bool:
    """Whether this process has already compiled or loaded ``source``'s entry."""
    hit = _modules.get(stem_of(source)[2:])
    return hit is not None and hit.ready


def on_disk(stem: str) -> bool:
    """Whether the store holds machine code for a function of module ``stem`` (a Numba index
    file; its signatures are checked when it is loaded)."""
    st = store()
    if st is None:
        return False
    try:
        return any(n.startswith(stem + ".") and n.endswith(".nbi") for n in os.listdir(st.dir))
    except OSError:
        return False


def load_function(source: str, entry: str) -> CachedFunction:
    """Compile ``source`` (the text jitnet generated, never a file's contents) as a module
    whose Numba functions use the signed disk cache, and return its ``entry``."""
    stem = stem_of(source)
    h = stem[2:]
    hit = _modules.get(h)
    if hit is not None:
        return hit
    st = store()
    if st is not None:
        try:
            with st.locked(stem):
                path = st.path(stem + ".py")
                try:
                    with open(path, "rb") as f:
                        intact = f.read() == source.encode()
                except FileNotFoundError:
                    intact = False
                if intact:
                    os.utime(path)  # last use, for eviction
                else:
                    st.write(stem + ".py", source.encode())
        except OSError as err:
            disable(err)
            st = None
    filename = path if st is not None else f"<jitnet {stem}>"
    name = f"jitnet_cache.{stem}"
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__jitnet_cache__ = st  # read by numba_cache.jn_njit when the functions are defined
    if st is None:  # tracebacks and Numba's messages can still show the source
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    fn = CachedFunction(getattr(module, entry), stem, module)
    _modules[h] = fn
    return fn


# -- inspection (jitnet.cache_info / clear_caches) ---------------------------------------

def info() -> dict:
    st = store()
    d = {"directory": cache_setting(), "key_file": key_setting(),
         "enabled": st is not None, "reason": disabled_reason(),
         "max_bytes": int(float(config.read("disk_cache_max_mb")) * 2**20),
         "programs": 0, "files": 0, "bytes": 0, "modules_in_memory": len(_modules)}
    if st is not None:
        groups = st.groups()
        d.update(programs=sum(s.startswith("m_") for s in groups),
                 files=sum(len(g[2]) for g in groups.values()),
                 bytes=sum(g[0] for g in groups.values()))
    return d


def clear(disk: bool = True) -> int:
    """Forget loaded modules; with ``disk``, delete every cached file not in use by a
    compilation right now. Returns the number of groups deleted."""
    for h, fn in list(_modules.items()):
        _forget(h, fn)
    _modules.clear()
    st = store() if disk else None
    if st is None:
        return 0
    # the layout of jitnet <= 0.1.0 kept Numba's files (unsigned by Numba) in __pycache__
    shutil.rmtree(st.path("__pycache__"), ignore_errors=True)
    return sum(st.remove(stem, g[2]) for stem, g in st.groups().items())

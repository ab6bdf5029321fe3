"""The disk cache of compiled code, shared by processes and safe to load (docs/SECURITY.md).

Layout of ``JITNET_CACHE_DIR`` (default ``~/.cache/jitnet``; ``off``: compile in memory):

* ``m_<hash>.py``: a generated module, named by a hash of its text and of the environment
  (``environment_tag``). It is written for tracebacks and for reading: jitnet never imports
  or executes it, it compiles the text it generated itself, so no bytecode file is read;
* ``m_<hash>.<function>-<line>.py3XX.nbi`` and ``.<n>.nbc``: Numba's index and machine code
  of the module's functions (pickles), ``numba_math.*`` those of the eager ufuncs. They are
  written by jitnet's own Numba cache (``numba_cache.py``) here whatever ``NUMBA_CACHE_DIR``
  says, each carrying an HMAC-SHA256 of its file name and contents under a secret key
  (``JITNET_CACHE_KEY_FILE``, default ``~/.config/jitnet/cache.key``, >= 32 random bytes).
  The signature is checked on the bytes read, and only those bytes are unpickled;
* ``m_<hash>.lock``: a lock serializing the compilation of one program; it exists only
  while held.

The directory and the key file must belong to the user and not be writable (the key: not
readable either) by others, else ``CacheSecurityError``. A location that cannot be used
(read-only, a file in the way, ...) makes jitnet compile in memory after one
``CacheWarning``. The cache is bounded (``disk_cache_max_mb``): least recently used
programs are deleted first.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import hmac
import linecache
import os
import platform
import shutil
import stat
import sys
import tempfile
import time
import types
import warnings

from ..core.config import config
from ..core.lru import LRU

KEY_BYTES = 32
_MAGIC = b"jitnet-signed-v1\n"  # file = magic + HMAC(key, name \0 payload) + payload


class CacheSecurityError(RuntimeError):
    """The cache directory or key file could be changed by someone else: jitnet refuses it."""


class CacheWarning(UserWarning):
    """The cache location cannot be used: jitnet compiles in memory."""


def cache_setting() -> str:
    """The cache directory ``JITNET_CACHE_DIR`` names (or the default), or ``off``."""
    d = os.environ.get("JITNET_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jitnet")


def key_setting() -> str:
    f = os.environ.get("JITNET_CACHE_KEY_FILE")
    if f:
        return f
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "jitnet", "cache.key")


def _user(uid: int) -> str:
    try:
        import pwd
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


_DIR_WAY_OUT = ("Set JITNET_CACHE_DIR to a directory of your own (jitnet creates it with mode "
                "0700), or JITNET_CACHE_DIR=off to compile in memory.")
_KEY_WAY_OUT = ("Set JITNET_CACHE_KEY_FILE to a path of your own, or delete the file: jitnet "
                "then writes a new random key with mode 0600.")


def _owner(st: os.stat_result) -> int:
    return st.st_uid  # (a seam: tests without root cannot chown files away)


def _check_private(path: str, st: os.stat_result, what: str, way_out: str,
                   secret: bool = False) -> None:
    """Refuse ``path`` unless the user owns it and others cannot write it (or, for a secret,
    read it): whoever can change it could make jitnet load their code."""
    me = os.geteuid() if hasattr(os, "geteuid") else st.st_uid
    owner = _owner(st)
    if owner != me:
        raise CacheSecurityError(
            f"jitnet: the {what} {path} belongs to {_user(owner)}, not to you "
            f"({_user(me)}); its owner could plant code that jit would run. {way_out}")
    bad = st.st_mode & (0o077 if secret else 0o022)
    if bad:
        who = " and ".join(w for w, m in (("its group", 0o070), ("other users", 0o007))
                           if bad & m)
        can = "read or write" if secret else "write"
        fix = f"chmod 600 {path}" if secret else f"chmod go-w {path}"
        raise CacheSecurityError(
            f"jitnet: the {what} {path} has mode {stat.S_IMODE(st.st_mode):o}: {who} can "
            f"{can} it and so make jit run their code. Run `{fix}`, or: {way_out}")


def _private_dir(path: str, what: str, way_out: str) -> None:
    """Create ``path`` (mode 0700) or check an existing one; OSError if it cannot be."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
    _check_private(path, st, what, way_out)
    parent = os.stat(os.path.dirname(os.path.abspath(path)))
    if parent.st_mode & 0o002 and not parent.st_mode & stat.S_ISVTX:
        raise CacheSecurityError(
            f"jitnet: the {what} {path} is in a directory anyone can write without the sticky "
            f"bit (mode {stat.S_IMODE(parent.st_mode):o}): others could replace it. {way_out}")


def _read_key(path: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        _check_private(path, os.fstat(fd), "cache key file", _KEY_WAY_OUT, secret=True)
        key = f.read()
    if len(key) < KEY_BYTES:
        raise CacheSecurityError(
            f"jitnet: the cache key file {path} holds {len(key)} bytes; a signing key needs "
            f"at least {KEY_BYTES}. {_KEY_WAY_OUT}")
    return key


def _load_key(path: str) -> bytes:
    """The signing key, created (random, mode 0600) if missing; the first writer wins."""
    key = _read_key(path)
    if key is not None:
        return key
    d = os.path.dirname(os.path.abspath(path))
    _private_dir(d, "directory of the cache key file", _KEY_WAY_OUT)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read_key(path)


class Store:
    """A checked cache directory and its key: signing, locking, LRU eviction."""

    def __init__(self, directory: str, key_file: str):
        self.dir = os.path.abspath(directory)
        self.key_file = key_file
        _private_dir(self.dir, "compile cache directory", _DIR_WAY_OUT)
        self.key = _load_key(key_file)
        self.wrote = False  # set when new files are written: the next compile checks the bound

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    # -- signatures ----------------------------------------------------------------------
    def _mac(self, name: str, payload: bytes) -> bytes:
        return hmac.new(self.key, name.encode() + b"\0" + payload, hashlib.sha256).digest()

    def write_signed(self, name: str, payload: bytes) -> None:
        self.write(name, _MAGIC + self._mac(name, payload) + payload)

    def read_signed(self, name: str) -> bytes | None:
        """The payload of file ``name`` if its signature holds (else the file is deleted and
        None returned); FileNotFoundError if there is none."""
        with open(self.path(name), "rb") as f:
            blob = f.read()
        n = len(_MAGIC)
        if blob[:n] == _MAGIC and hmac.compare_digest(blob[n:n + 32],
                                                      self._mac(name, blob[n + 32:])):
            return blob[n + 32:]
        with contextlib.suppress(OSError):
            os.unlink(self.path(name))
        return None

    def write(self, name: str, data: bytes) -> None:
        """Write atomically (temporary file + rename), mode 0600."""
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path(name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.wrote = True

    # -- locks ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, stem: str, blocking: bool = True):
        """Hold ``<stem>.lock`` (yields False if busy and not ``blocking``). The holder
        deletes the file; a waiter that wakes up on a deleted file retries, so no lock file
        outlives its use."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX: no locking
            yield True
            return
        path = self.path(stem + ".lock")
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                fd = None
                break
            except BaseException:
                os.close(fd)
                raise
            try:
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        if fd is None:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
            os.close(fd)

    # -- size bound ----------------------------------------------------------------------
    def groups(self) -> dict:
        """{stem: [bytes, last use, file names]}: a program (``m_<hash>``) or ``numba_math``
        with all its files; last use is the newest modification time (loads touch files).
        Temporary files of writers that died an hour ago are deleted."""
        out: dict = {}
        now = time.time()
        for e in os.scandir(self.dir):
            if not e.is_file(follow_symlinks=False):
                continue
            st = e.stat(follow_symlinks=False)
            if e.name.startswith(".tmp-"):
                if now - st.st_mtime > 3600:
                    with contextlib.suppress(OSError):
                        os.unlink(e.path)
                continue
            g = out.setdefault(e.name.split(".", 1)[0], [0, 0.0, []])
            g[0] += st.st_size
            g[1] = max(g[1], st.st_mtime)
            g[2].append(e.name)
        return out

    def remove(self, stem: str, names: list[str]) -> bool:
        """Delete a group unless a process holds its lock; True if deleted."""
        with self.locked(stem, blocking=False) as got:
            if got:
                for n in names:
                    if n != stem + ".lock":  # ours: removed on release
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(self.path(n))
        return got

    def evict(self, keep: str = "") -> int:
        """Delete least recently used groups until the cache fits ``disk_cache_max_mb``."""
        self.wrote = False
        limit = float(config.read("disk_cache_max_mb")) * 2**20
        groups = self.groups()
        total = sum(g[0] for g in groups.values())
        removed = 0
        for stem, (size, _, names) in sorted(groups.items(), key=lambda kv: kv[1][1]):
            if total <= limit:
                break
            if stem != keep and self.remove(stem, names):
                total -= size
                removed += 1
        return removed


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
        with compiling(self.stem):
            res = self.fn(*args)
        self._ready = True
        return res


def _forget(_, fn: CachedFunction) -> None:
    sys.modules.pop(fn.module.__name__, None)


_modules = LRU(on_evict=_forget)


def load_function(source: str, entry: str) -> CachedFunction:
    """Compile ``source`` (the text jitnet generated, never a file's contents) as a module
    whose Numba functions use the signed disk cache, and return its ``entry``."""
    h = hashlib.sha256((environment_tag() + "\n" + source).encode()).hexdigest()[:40]
    hit = _modules.get(h)
    if hit is not None:
        return hit
    stem = f"m_{h}"
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

"""A cache directory that is safe to load from: ownership and mode checks, the signing key,
signed files, self-removing locks and least-recently-used eviction (``Store``).

``disk_cache`` decides which store is in use and loads programs through it; the threat model
is in docs/SECURITY.md.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import stat
import tempfile
import time

from ..core.config import config

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
            try:
                if not e.is_file(follow_symlinks=False):
                    continue
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:  # another process released its lock or renamed its
                continue               # temporary file since the listing: not an error
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

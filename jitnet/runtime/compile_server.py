"""A compile server: a child Python process that compiles generated programs into the signed
disk cache, so that Numba's compile does not hold this process's GIL (the tiered start,
``runtime/tiered.py``).

The protocol is one JSON object per line over the child's stdin/stdout, text and plain data
only (no pickle, no code objects): a request carries the generated source text, its cache
name, the entry's argument types (``[dtype string, rank]`` of read-only C-contiguous arrays)
and the cache settings; the answer says whether the entry is now in the cache (``ok``), how
long it took, and the error otherwise. The child compiles with jitnet's own code
(``disk_cache.load_function`` then ``CachedFunction.prepare``), under the same lock as an
in-process compile, so the parent then loads the entry like any warm start.

The server starts on first need, one per process (pytest-xdist workers each get their own),
and stops at exit (``shutdown``, registered with ``atexit``). It also exits by itself when
its stdin closes, so a parent that dies without running ``atexit`` leaves no process once
the compile in flight ends. A server that dies is not restarted: the process compiles in
memory from then on (``broken``).
"""
from __future__ import annotations

import atexit
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

_LAUNCH = "from jitnet.runtime.compile_server import serve; serve()"


class Job:
    """One request: ``done`` is set once the server answered (or died); then ``ok`` says
    whether the entry is in the cache, ``error`` why not."""

    def __init__(self, stem: str):
        self.stem = stem
        self.done = threading.Event()
        self.ok = False
        self.error = None
        self.seconds = None     # the server's compile (or load) time
        self.cached = False     # the server found it already compiled in the cache
        self.how = ""           # how it was built, for the log

    def finish(self, ok: bool, error=None, seconds=None, cached=False) -> None:
        self.ok, self.error, self.seconds, self.cached = ok, error, seconds, cached
        self.done.set()


def child_env() -> dict:
    """The environment of a jitnet child process: this process's, with this jitnet first on
    its path, its BLAS library and the tiered start off (the compile server,
    ``runtime/c_kernel.py``'s children)."""
    from .blas import provider
    pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=pkg_root + (os.pathsep + path if path else ""),
                JITNET_TIERED="0", PYTHONUNBUFFERED="1", JITNET_BLAS_LIBRARY=provider())


class CompileServer:
    """The parent's handle on one server process: ``submit`` sends a job, a reader thread
    collects the answers."""

    def __init__(self):
        env = child_env()
        self.owner = os.getpid()
        self._stderr = tempfile.TemporaryFile()  # its last lines name why it died
        self.proc = subprocess.Popen([sys.executable, "-c", _LAUNCH], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=env, text=True, encoding="utf-8", close_fds=True)
        self._jobs: dict = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self.dead = None    # why the server is gone, once it is
        self._reader = threading.Thread(target=self._read, name="jitnet-compile-server",
                                        daemon=True)
        self._reader.start()

    def submit(self, source: str, stem: str, argtypes: list) -> Job:
        from .cache_store import cache_setting, key_setting
        job = Job(stem)
        with self._lock:
            if self.dead is not None:
                job.finish(False, self.dead)
                return job
            n = next(self._ids)
            self._jobs[n] = job
            msg = {"id": n, "source": source, "entry": "entry", "stem": stem,
                   "argtypes": argtypes, "cache_dir": cache_setting(),
                   "key_file": key_setting()}
            try:
                self.proc.stdin.write(json.dumps(msg) + "\n")
                self.proc.stdin.flush()
            except (OSError, ValueError) as err:  # the server is gone
                self._jobs.pop(n)
                job.finish(False, f"the compile server is not reachable: {err}")
        return job

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue    # not ours (a library printing to stdout)
            with self._lock:
                job = self._jobs.pop(msg.get("id"), None)
            if job is not None:
                job.finish(bool(msg.get("ok")), msg.get("error"), msg.get("seconds"),
                           bool(msg.get("cached")))
        code = self.proc.wait()
        try:
            self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, self._stderr.tell() - 600))
            tail = self._stderr.read().decode(errors="replace").strip().splitlines()[-1:]
            self._stderr.close()
        except (OSError, ValueError):
            tail = []
        with self._lock:
            self.dead = f"the compile server exited (code {code})" + \
                (f": {tail[0]}" if tail else "")
            jobs, self._jobs = list(self._jobs.values()), {}
        for job in jobs:
            job.finish(False, self.dead)

    def busy(self) -> bool:
        with self._lock:
            return bool(self._jobs)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the server: at once if it is compiling (what it writes is abandoned whole:
        the cache's files are written atomically), else let it finish reading."""
        if self.proc.poll() is None:
            if self.busy():
                self.proc.kill()
            else:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout)


_server: dict = {"server": None}
_start_lock = threading.Lock()


def server() -> CompileServer | None:
    """This process's server, started on first need; None once one died (not restarted:
    a server that crashes would likely crash again) or could not start."""
    with _start_lock:
        s = _server["server"]
        if s is not None and s.owner != os.getpid():  # a forked child: the server is not its
            s = _server["server"] = None
        if s is None:
            if _server.get("broken"):
                return None
            try:
                s = _server["server"] = CompileServer()
            except OSError as err:
                _server["broken"] = f"the compile server could not start: {err}"
                return None
        if s.dead is not None:
            _server["broken"] = s.dead
            return None
        return s


def broken() -> str | None:
    """Why this process no longer uses a compile server, if it does not."""
    return _server.get("broken")


def running_pid() -> int | None:
    """The server process's id while it runs (for tests and diagnostics)."""
    s = _server["server"]
    return s.proc.pid if s is not None and s.proc.poll() is None else None


@atexit.register
def shutdown() -> None:
    """Stop this process's server, if it started one (also registered with ``atexit``)."""
    with _start_lock:
        s, _server["server"] = _server["server"], None
    if s is not None and s.owner == os.getpid():
        s.close()


# -- the server side ----------------------------------------------------------------------

def numba_types(desc: list) -> tuple:
    """Numba's types of read-only C-contiguous arrays (what ``numba.typeof`` gives for the
    arrays the parent passes: ``numba_backend._readonly_c``)."""
    import numpy as np
    from numba import types
    from numba.np.numpy_support import from_dtype
    return tuple(types.Array(from_dtype(np.dtype(dt)), int(nd), "C", readonly=True)
                 for dt, nd in desc)


def _compile(req: dict) -> dict:
    os.environ["JITNET_CACHE_DIR"] = req["cache_dir"]
    os.environ["JITNET_CACHE_KEY_FILE"] = req["key_file"]
    from . import disk_cache
    if disk_cache.stem_of(req["source"]) != req["stem"]:
        raise RuntimeError("the compile server's environment differs from its parent's "
                           "(versions, CPU or helper sources)")
    if disk_cache.store() is None:
        raise RuntimeError(f"the compile server cannot use the cache: "
                           f"{disk_cache.disabled_reason()}")
    fn = disk_cache.load_function(req["source"], req["entry"])
    try:
        fn.prepare(numba_types(req["argtypes"]))
        return {"cached": fn.was_cached}
    finally:
        disk_cache.unload(req["stem"])  # the parent runs it; keep the server small


def serve(stdin=None, stdout=None) -> None:
    """The server's loop: one request per line until stdin closes."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    # Numba and jitnet print nothing to stdout, but a user's sitecustomize might: answers go
    # to a private copy of the descriptor, and stdout itself to stderr
    if stdout is sys.stdout:
        stdout = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
        sys.stdout = sys.stderr
    from . import numba_cache, numba_math  # noqa: F401 - while the parent still traces
    for line in stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        start = time.perf_counter()
        try:
            res = dict(_compile(req), ok=True)
        except Exception as err:  # reported to the parent, which compiles in memory
            res = {"ok": False, "error": f"{type(err).__name__}: {str(err)[:2000]}"}
        res.update(id=req.get("id"), seconds=time.perf_counter() - start)
        stdout.write(json.dumps(res) + "\n")
        stdout.flush()

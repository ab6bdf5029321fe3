"""The tiered start (issue 14): run a new program's first calls through the reference
interpreter while a compile server builds its machine code, then switch to it.

With ``jitnet.config.update("jit_tiered", True)`` (or ``JITNET_TIERED=1``), a program that
is neither compiled in this process nor in the disk cache is generated here (trace, fuse,
source text: cheap) and its text sent to the compile server (``runtime/compile_server.py``),
a separate process, so that Numba's compile holds neither this process's GIL nor its core.
Meanwhile each call runs the IR equation by equation with the primitives' NumPy
implementations (``compile.Interpreter``, eager mode's path). The first call after the
server answered loads the entry from the disk cache (a warm start) and every later call runs
compiled code. If the server fails (its compile raised, it crashed, or it could not start),
the program compiles in this process as without the tier, so a compile error is raised
exactly as it would be without it.

Results of interpreted calls are those of eager mode: equal to the compiled ones to float
rounding (the compiled code may fuse, vectorize reductions and use its own transcendental
kernels), not bit for bit. Programs keep the plain path (no tier) when the disk cache is off
(the server could not hand its code over), when they call users' Numba functions
(``jitnet.extend``: they live only in this process), and on the CUDA backend.
"""
from __future__ import annotations

import os
import threading
import time

from . import compile_log, compile_server, disk_cache, eager_kernels
from .threads import jitted_blas_on_one_thread, one_blas_thread


class TieredExecutable:
    """Interpreter first, the compiled ``NumbaExecutable`` once the server built it.
    ``calls["interpreter"]`` counts the interpreted calls; ``switched`` says whether calls
    now run compiled code."""

    name = "numba"

    def __init__(self, exe, interpreter, job, start=None, waiting_for="the compile server"):
        self._compiled = exe
        self._waiting_for = waiting_for
        self._interp = interpreter
        self._job = job
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._pid = os.getpid()
        self._start_job = start   # deferred until the first interpreted result is out
        self._switched = False
        self.calls = {"interpreter": 0}

    def __call__(self, *vals):
        if self._job.done.is_set():
            self._switch()
            return self._run(*vals)
        if self._pid != os.getpid():  # a forked child: the job's thread is not here
            self._job = compile_server.Job(self._job.stem)
            self._job.finish(False, "forked from the process that submitted it")
            return self(*vals)
        if not self.calls["interpreter"]:
            compile_log.record("interpret", lambda: (
                f"{self._job.stem}: running in the interpreter until its compiled code is "
                f"ready ({self._waiting_for})"))
        self.calls["interpreter"] += 1
        with eager_kernels.without_compiling(), one_blas_thread():
            out = self._interp(*vals)
        if self._start_job is not None:
            start, self._start_job = self._start_job, None
            start()
        return out

    def _switch(self) -> None:
        with self._lock:
            if self._switched:
                return
            job = self._job
            if not job.ok:
                compile_log.record("server_failed", lambda: (
                    f"{job.stem}: the compile server did not build it ({job.error}); "
                    f"compiling in this process"))
            self._compiled.load()
            jitted_blas_on_one_thread()
            self._run = self._compiled.__call__
            self.__class__ = _Switched  # calls go straight to the compiled code from now on
            n, took = self.calls["interpreter"], time.perf_counter() - self._start
            compile_log.record("switch", lambda: (
                f"{job.stem}: switched to compiled code after {n} interpreted call(s), "
                f"{took:.3f} s after its first call began"
                + (f" ({job.how} in {job.seconds:.3f} s)" if job.ok else "")))
            self._switched = True

    @property
    def switched(self) -> bool:
        return self._switched

    def compiled(self):
        """The compiled executable, waiting for the server if it is still compiling (for
        callers that need the machine code itself: ``Lowered.compile``, the profiler)."""
        if not self._switched:
            if self._start_job is not None:
                start, self._start_job = self._start_job, None
                start()
            self._job.done.wait()
            self._switch()
        return self._compiled

    def source(self) -> str:
        return self._compiled.source()

    def __getattr__(self, name):  # the rest of NumbaExecutable's interface
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)


class _Switched(TieredExecutable):
    """A ``TieredExecutable`` after its switch: one forwarding call (steady state)."""

    def __call__(self, *vals):
        return self._run(*vals)


def tiered_or_none(exe, ir):
    """A ``TieredExecutable`` for ``exe`` (a ``NumbaExecutable`` built with ``load=False``)
    when the tier applies, else None (the caller loads ``exe`` and compiles as usual)."""
    from .compile import Interpreter
    if exe.calls_user_code or disk_cache.store() is None:
        return None
    source = exe.source()
    if disk_cache.loaded(source):
        return None     # compiled in this process already (another batch size)
    stem = disk_cache.stem_of(source)
    argtypes = exe.arg_types()
    if argtypes is None:
        return None
    if disk_cache.on_disk(stem):
        # a warm start: loading takes this process's GIL, so it starts only once the first
        # interpreted result is out (both at once make that result later)
        job, start = _load_in_thread(exe, stem, argtypes, defer=True)
        return TieredExecutable(exe, Interpreter(ir), job, start,
                                waiting_for="loading it from the disk cache")
    srv = compile_server.server()
    if srv is None:
        return None
    built = srv.submit(source, stem, argtypes)
    return TieredExecutable(exe, Interpreter(ir), _load_in_thread(exe, stem, argtypes, built))


def _load_in_thread(exe, stem: str, argtypes: list, after=None, defer=False):
    """A job that loads ``exe``'s entry from the disk cache in a thread of this process (or
    compiles it there, if the cache's entry does not fit after all), once the server's job
    ``after`` (if any) built it: no call waits for Numba's import and the load. With
    ``defer``, returns (the job, the function that starts the thread)."""
    job = compile_server.Job(stem)

    def run():
        if after is not None:
            after.done.wait()
            if not after.ok:
                job.finish(False, after.error)
                return
        start = time.perf_counter()
        try:
            # one LLVM user at a time: the interpreter's eager kernels wait while Numba loads
            with eager_kernels.llvm_lock:
                exe.load()
                exe.fn.prepare(compile_server.numba_types(argtypes))
        except Exception as err:  # the switch then compiles in this process, raising it
            job.finish(False, f"{type(err).__name__}: {err}")
        else:
            if after is None:
                job.how = "loaded from the disk cache" if exe.fn.was_cached else "compiled here"
                job.finish(True, seconds=time.perf_counter() - start, cached=exe.fn.was_cached)
            else:
                job.how = ("found in the disk cache" if after.cached else "compiled") + \
                    " by the compile server"
                job.finish(True, seconds=after.seconds, cached=after.cached)

    thread = threading.Thread(target=run, name=f"jitnet-load-{stem}", daemon=True)
    if defer:
        return job, thread.start
    thread.start()
    return job

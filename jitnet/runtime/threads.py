"""The thread budget of compiled code: Numba's thread pool and the BLAS behind matmuls.

``jitnet.config.update("num_threads", n)`` is the one switch: compiled programs use at most
``n`` threads (0, the default: all cores, capped by ``NUMBA_NUM_THREADS``). Parallel loops run
on Numba's pool, and so do large matrix products: the generated code splits them into row
blocks issued from a ``prange`` loop (``codegen/cpu/ops.py``). The BLAS library itself (the one
jitted code calls: NumPy's bundled OpenBLAS or SciPy's, config ``blas_library``,
``runtime/blas.py``) is kept at one thread; with NumPy's, NumPy's own matmuls then run on one
thread too.

Why: OpenBLAS wakes its own worker threads for every product above ~2^18 multiply-adds and
waits for them spinning and yielding. When another process keeps a core busy, a worker that
is descheduled stalls every product (2 cores, one busy: W2a's step 310-410 ms with OpenBLAS
on two threads, 17-35 ms on one; a vmapped population of 4 small layers 22 ms against
0.15 ms; benchmarks/RESULTS.md), and a second, independent pool oversubscribes the cores
Numba's threads already use. Numba's pool waits passively (``OMP_WAIT_POLICY=PASSIVE``;
measured with BLAS on one thread: ACTIVE is 2-6x slower on W2a and W4 on a busy machine),
and the row blocks are fixed at code generation, so results do not depend on the thread
count.

A multi-process strategy (one rank per core) applies its share of the cores per process with
the same switch, e.g. ``num_threads = cores // ranks``. Numba's count is per calling thread
(``numba.set_num_threads``): ``adapt`` applies the count in every thread that calls compiled
code; with ``adaptive_threads`` off the switch applies to the thread that sets it only.

``config.update("adaptive_threads", True)`` (opt-in) also drops to fewer threads while
other work keeps cores busy (``adapt``, run before every compiled call): Numba's parallel
regions split their loop statically between the threads and wait at a barrier, so a thread
that shares its core with another process stalls every region (W1, W2a, W6 1.6-1.7x slower
than on one thread with one core busy; benchmarks/RESULTS.md). Numba's dynamic chunks
(``numba.set_parallel_chunksize``) do not help: its OpenMP layer still hands the chunks out
statically (measured there too).
"""
from __future__ import annotations

import contextlib
import functools
import numbers
import os
import threading
import time
import weakref

from ..core.config import config, on_update

_POOL_STARTED = False


def start_thread_pool():
    """Start Numba's thread pool with OpenMP's passive wait policy, unless the user chose one,
    and put jitted code's BLAS on one thread.

    After a ``prange`` region OpenMP's workers spin for a while by default; BLAS calls
    between parallel regions then fight them for the cores (W4's step on 2 cores: 113 ms
    spinning, 51 ms passive, 47 ms with one thread). The variable is set only while the pool
    starts, so other OpenMP runtimes in the process (PyTorch's own libgomp) keep theirs."""
    global _POOL_STARTED
    if _POOL_STARTED:
        return
    _POOL_STARTED = True
    import numba
    from numba.np.ufunc import parallel
    chosen = "OMP_WAIT_POLICY" in os.environ
    if not chosen:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        parallel._launch_threads()
    except Exception:   # no threading layer: serial programs still run, parallel ones
        pass            # report Numba's error when they are compiled
    finally:
        if not chosen:
            del os.environ["OMP_WAIT_POLICY"]
    jitted_blas_on_one_thread()
    _LOAD.budget = _LOAD.fit = numba.get_num_threads()


def set_num_threads(n) -> None:
    """Apply the ``num_threads`` budget (0: all of Numba's threads); the config hook."""
    import numba
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"config num_threads: expected an int >= 0 (0: all cores), got {n!r}")
    start_thread_pool()
    limit = numba.config.NUMBA_NUM_THREADS
    _LOAD.budget = min(int(n), limit) if n else limit
    _apply(_LOAD.count())


def set_adaptive(on) -> None:
    """The ``adaptive_threads`` config hook: switching it off restores the full budget."""
    if not isinstance(on, bool):
        raise ValueError(f"config adaptive_threads: expected True or False, got {on!r}")
    _LOAD.on = on
    if _POOL_STARTED:
        _apply(_LOAD.count())


# Other work, in cores, above which the thread count drops (by one per core taken) and below
# which it comes back: a band, so a load near one threshold does not flip it every period.
DOWN_AT, UP_AT = 0.5, 0.25
# Less idle capacity than SATURATED (in cores, this process's use counted as idle): no core
# is left to move to, every thread shares one, and fewer threads only shrink this process's
# share (measured: 1 thread 7-38% slower than 2 at load 12-16 on 2 cores), so all of the
# budget runs; up to STAY_AT the count stays as it is (the idle capacity seen differs with
# the count: 1 thread among 4 busy processes sees 0.4 cores, 2 threads see 0.67).
SATURATED, STAY_AT = 0.35, 0.6
PERIOD_S = 0.2   # how often the load is sampled: /proc/stat, 30-200 us a read


class _LoadWatch:
    """How many cores other work keeps busy, from /proc/stat's busy time minus this process's
    CPU time (Numba's pool, the BLAS, the threads that call compiled code); the process's
    other Python threads (a data loader) count as other work. Decides the thread count from
    it, with hysteresis."""

    def __init__(self):
        self.budget = 0       # the num_threads budget in effect (set when the pool starts)
        self.fit = 0          # the count the load leaves room for (<= Numba's threads)
        self.on = config.read("adaptive_threads")
        self.others = 0.0     # cores other work kept busy over the last period
        self.due = 0.0        # monotonic time of the next sample
        self.last = None      # the previous sample

    def sample(self):
        """(wall s, busy CPU s of the CPUs this process may run on, CPU s of this process
        less its other Python threads, how many CPUs those are), or None where /proc is
        unreadable. Only the allowed CPUs count (``taskset``, a container's cpuset)."""
        try:
            cpus = os.sched_getaffinity(0)
            with open("/proc/stat", "rb") as f:
                lines = f.read().split(b"\n")
        except (OSError, AttributeError):
            return None
        busy = 0
        for line in lines[1:]:
            if not line.startswith(b"cpu"):
                break
            name, *ticks = line.split()
            if int(name[3:]) in cpus:
                # user nice system idle iowait irq softirq steal: all but idle/iowait busy
                busy += sum(int(v) for v in ticks[:8]) - int(ticks[3]) - int(ticks[4])
        own = time.process_time() - _python_threads_cpu(_callers)
        return time.monotonic(), busy / _TICK, own, len(cpus)

    def update(self, now):
        """Sample, and decide the thread count from the load since the previous sample."""
        self.due = now + PERIOD_S
        cur = self.sample()
        prev, self.last = self.last, cur
        if cur is None or prev is None or cur[0] <= prev[0]:
            return
        self.others = ((cur[1] - prev[1]) - (cur[2] - prev[2])) / (cur[0] - prev[0])
        import numba
        self.fit = decide(self.fit, numba.config.NUMBA_NUM_THREADS, cur[3] - self.others)

    def count(self) -> int:
        """The thread count in effect: the budget, lowered by the load when adaptive."""
        return min(self.fit, self.budget) if self.on else self.budget


def decide(threads: int, limit: int, free: float) -> int:
    """The thread count (1 to ``limit``) for ``free`` idle cores (fractional), given the
    current count: down when more than ``DOWN_AT`` of a core is missing, up when less than
    ``UP_AT`` is; all of them when the machine is saturated."""
    if free < SATURATED:
        return limit
    want = min(limit, max(1, int(free + 0.5)))
    if free < STAY_AT:
        return min(threads, limit)
    if want < threads and free < threads - DOWN_AT:
        return want
    if want > threads and free > want - UP_AT:
        return want
    return min(threads, limit)


def _python_threads_cpu(ours) -> float:
    """CPU seconds of this process's Python threads that are not in ``ours`` (Linux)."""
    total = 0
    for t in threading.enumerate():
        if t not in ours and t.native_id is not None:
            try:
                with open(f"/proc/self/task/{t.native_id}/stat", "rb") as f:
                    rest = f.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            total += int(rest[11]) + int(rest[12])   # utime, stime (fields 14, 15)
    return total / _TICK


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_LOAD = _LoadWatch()
_applied = threading.local()   # the count numba.set_num_threads last got in this thread
# the Python threads that run compiled code: their CPU time is this process's own work (the
# others', a data loader's, is load); a fixed set, so that samples compare like with like
_callers: weakref.WeakSet = weakref.WeakSet()
_monotonic = time.monotonic


def adapt() -> None:
    """Before a compiled call: with ``adaptive_threads`` on, resample the load every
    ``PERIOD_S`` and apply the thread count to the calling thread (Numba's count is per
    thread). Costs a clock read and an attribute lookup per call otherwise."""
    load = _LOAD
    if not load.on:
        return
    now = _monotonic()
    if now >= load.due:
        load.update(now)
    n = load.fit if load.fit < load.budget else load.budget
    if _applied.__dict__.get("n") != n:
        _apply(n)


def _apply(n: int) -> None:
    """Set Numba's count for the calling thread (its count is per thread)."""
    import numba
    numba.set_num_threads(n)
    _applied.n = n
    _callers.add(threading.current_thread())


def thread_counts() -> dict:
    """The threads compiled code may use now: ``{"numba": n, "blas": k}`` (``k``: the largest
    count among the BLAS libraries jitted code calls; jitnet keeps it at 1)."""
    import numba
    start_thread_pool()
    return {"numba": numba.get_num_threads(),
            "blas": max((lib.num_threads for lib in _jitted_blas()), default=1)}


def jitted_blas_on_one_thread() -> None:
    """Put the BLAS that jitted code calls on one thread (``start_thread_pool``; again by the
    tiered start when a thread other than the caller's loaded the program: measured, W6's
    steady step ran 20-50x slower with the count left at 2 after such a switch)."""
    for lib in _jitted_blas():
        lib.set_num_threads(1)


@contextlib.contextmanager
def one_blas_thread():
    """Within this block NumPy's BLAS (what eager matmuls call; jitted code's is kept at one
    thread already) runs on one thread: the tiered start's interpreter leaves the other
    cores to the compile server."""
    libs = _numpy_blas()
    prev = [lib.num_threads for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, prev):
            lib.set_num_threads(n)


@functools.lru_cache(maxsize=None)
def _numpy_blas() -> tuple:
    """threadpoolctl's controllers of the BLAS bundled with NumPy (loaded with NumPy)."""
    from . import blas
    return tuple(blas.numpy_controllers())


def _jitted_blas():
    """threadpoolctl's controllers of the BLAS library jitted code calls (``runtime/blas.py``:
    NumPy's bundled OpenBLAS or SciPy's)."""
    from . import blas
    return blas.controllers()


on_update("num_threads", set_num_threads)
on_update("adaptive_threads", set_adaptive)

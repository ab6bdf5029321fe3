"""The thread budget of compiled code: Numba's thread pool and the BLAS behind matmuls.

``jitnet.config.update("num_threads", n)`` is the one switch: compiled programs use at most
``n`` threads (0, the default: all cores, capped by ``NUMBA_NUM_THREADS``). Parallel loops run
on Numba's pool, and so do large matrix products: the generated code splits them into row
blocks issued from a ``prange`` loop (``codegen/ops.py``). The BLAS library itself (scipy's
OpenBLAS, which jitted code calls) is kept at one thread.

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
(``numba.set_num_threads``): the switch applies to the thread that sets it; other threads
that call jitted code (a background loader) use all of Numba's threads until they set it too.
"""
from __future__ import annotations

import numbers
import os

from ..core.config import on_update

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
    for lib in _jitted_blas():
        lib.set_num_threads(1)


def set_num_threads(n) -> None:
    """Apply the ``num_threads`` budget (0: all of Numba's threads); the config hook."""
    import numba
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"config num_threads: expected an int >= 0 (0: all cores), got {n!r}")
    start_thread_pool()
    limit = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(min(int(n), limit) if n else limit)


def thread_counts() -> dict:
    """The threads compiled code may use now: ``{"numba": n, "blas": k}`` (``k``: the largest
    count among the BLAS libraries jitted code calls; jitnet keeps it at 1)."""
    import numba
    start_thread_pool()
    return {"numba": numba.get_num_threads(),
            "blas": max((lib.num_threads for lib in _jitted_blas()), default=1)}


def _jitted_blas():
    """threadpoolctl's controllers of the BLAS libraries jitted code may call: every BLAS in
    the process except the private copy bundled with NumPy's wheels (jitnet calls scipy's)."""
    import scipy.linalg.cython_blas  # noqa: F401 - load it before looking for it
    from threadpoolctl import ThreadpoolController
    numpy_libs = os.sep + "numpy.libs" + os.sep
    return [lib for lib in ThreadpoolController().select(user_api="blas").lib_controllers
            if numpy_libs not in lib.filepath]


on_update("num_threads", set_num_threads)

"""``c_kernel``: a hand-written kernel compiled once per machine and called by symbol.

A generated program cannot call an ``@njit`` function without recompiling it: Numba links
a callee's LLVM IR into every caller and generates machine code for the whole (seconds
per program for a parallel convolution). Kernels are C-ABI functions instead (``cfunc``):
compiled, or loaded from the disk cache, once per process, their address registered with
LLVM under a fixed symbol, and the generated code calls that symbol as an external function
(as it calls BLAS, ``runtime/numba_math._external``), so a program's machine code holds
only the call, and its own cache entry stays valid across processes.

``cache=True`` would make Numba write pickles beside the package (``__pycache__``, or
``NUMBA_CACHE_DIR``, or the user's cache when the package directory is read-only) and
unpickle whatever it finds there. Kernels keep their machine code in jitnet's signed disk
cache (``runtime/numba_cache.py``), stamped with ``disk_cache.environment_tag()``, which
hashes the kernel sources: an edited kernel recompiles, and so do the programs calling it.
"""
from __future__ import annotations

import time

from llvmlite import binding as llvm
from numba.core import sigutils
from numba.core import types as nbt
from numba.core.ccallback import CFunc

from ..runtime import compile_log, disk_cache
from ..runtime.numba_cache import SignedFunctionCache
from ..runtime.threads import start_thread_pool


def c_kernel(symbol: str, fn, sig, **options) -> nbt.ExternalFunction:
    """Compile ``fn`` for ``sig`` as a C function (or load it, verified, from the disk
    cache), register it as ``symbol`` and return the external function that calls it."""
    start_thread_pool()  # parallel kernels run on Numba's pool, set up as jitted code expects
    args, ret = sigutils.normalize_signature(sig)
    start = time.perf_counter()
    cf = CFunc(fn, (args, ret), locals={}, options=dict(options, nogil=True,
                                                        error_model="numpy"))
    st = disk_cache.store()
    if st is not None:
        cf._cache = SignedFunctionCache(fn, st)
    cf.compile()
    llvm.add_symbol(symbol, cf.address)
    took = time.perf_counter() - start
    hit = cf.cache_hits > 0
    compile_log.record("cache_load" if hit else "compile",
                       lambda: f"kernel {symbol} in {took:.3f} s")
    return nbt.ExternalFunction(symbol, ret(*args))

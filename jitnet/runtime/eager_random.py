"""Eager ``threefry2x32_iota`` through the C kernel of ``kernels/random.py`` (issue 14).

The primitive's impl is the NumPy reference (~0.35 s for 2**20 counters); the kernel jitted
programs call takes ~3 ms and runs the same hash source, so its words are the same bits.
The runtime installs ``impl`` below in its place. The kernel is the one the programs use,
loaded from the disk cache (never compiled where the cache holds it) by building its glue
(``codegen/kernel_plan`` names the module: the runtime sits below the kernels) and called
through ctypes by its C symbol.

Once loaded (here, or by a jitted program) it runs every draw: 7 us a call against NumPy's
90 us for one counter, 3 ms against ~100 ms for 2**20. Loading it costs ~0.3 s in a process
that has not imported Numba, ~0.08 s in one that has, so it is loaded once the process's
NumPy draws have cost about as much (``LOAD_AFTER`` counters, each draw counting
``DRAW_COUNTERS`` more for its fixed cost): a process drawing little never pays for it, one
drawing much pays at most twice what the best choice would have cost.
Its cached object code cannot be linked without Numba the way ``eager_kernels`` links its
own (``elf_loader``): it calls Numba's runtime (``NRT_MemInfo_call_dtor``: the ``carray``
views' refcounts) and helpers (``numba_gil_ensure``, ``numba_do_raise``, ``NRT_Free``: the
cfunc wrapper's error path); benchmarks/RESULTS.md, section "Eager random kernel without
Numba".
Without a disk cache, or where eager code must not compile (the tiered start's interpreter,
``eager_kernels.without_compiling``), only a kernel already loaded is used.
"""
from __future__ import annotations

import ctypes
import importlib
import math
import sys
import threading

import numpy as np

from ..codegen.kernel_plan import KERNEL_MODULES
from ..prims.random import threefry2x32_iota_p
from . import disk_cache, eager_kernels

_GLUE = "jn_threefry2x32"            # what generated programs import (builds the kernel)
_SYMBOL = "jn_kernel_threefry2x32"   # the C kernel (key, start, out0, out1, int64 meta[3])
_CTYPE = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 5)

# counters whose NumPy draws cost about as much as loading the kernel, by whether Numba is
# imported already (~0.1 us a counter: benchmarks/RESULTS.md, section eagerrand)
LOAD_AFTER = {False: 3 << 20, True: 3 << 18}
DRAW_COUNTERS = 1000     # a NumPy draw's fixed cost (~90 us), in counters

_kernel: list = []       # the loaded kernel's ctypes function
_drawn = [0]             # counters drawn with NumPy, DRAW_COUNTERS more per draw
_lock = threading.Lock()


def install() -> None:
    """Make the kernel the eager implementation of ``threefry2x32_iota`` (the NumPy
    reference until it is loaded, and for empty draws)."""
    reference = threefry2x32_iota_p.impl

    def impl(key, start, *, shape):
        key = np.asarray(key)
        size = math.prod(key.shape[:-1]) * math.prod(shape)
        fn = _function(size) if size else None
        if fn is None:
            return reference(key, start, shape=shape)
        return _run(fn, key, np.asarray(start), tuple(shape))

    threefry2x32_iota_p.impl = impl


def _function(size: int):
    """The kernel if it is (or should now be) loaded for a draw of ``size`` counters."""
    if _kernel:
        return _kernel[0]
    module = KERNEL_MODULES[_GLUE]
    if _GLUE not in getattr(sys.modules.get(module), "__dict__", {}):  # no program built it
        if eager_kernels.compiling_disabled() or disk_cache.store() is None:
            return None
        with _lock:
            _drawn[0] += size + DRAW_COUNTERS
            if _drawn[0] < LOAD_AFTER["numba" in sys.modules]:
                return None
    with eager_kernels.llvm_lock, _lock:
        if not _kernel:
            getattr(importlib.import_module(module), _GLUE)  # loads (or compiles) the kernel
            import llvmlite.binding as llvm
            _kernel.append(_CTYPE(llvm.address_of_symbol(_SYMBOL)))
    return _kernel[0]


def _run(fn, key, start, shape):
    """The words of ``threefry2x32_iota`` by the kernel (its layout: ``kernels/random.py``)."""
    batch = key.shape[:-1]
    k = np.ascontiguousarray(key, np.uint32)
    s = np.ascontiguousarray(start, np.uint32).reshape(-1)
    out0 = np.empty(batch + shape, np.uint32)
    out1 = np.empty_like(out0)
    keys = math.prod(batch)
    meta = np.array([keys, out0.size // keys, s.size], np.int64)
    fn(k.ctypes.data, s.ctypes.data, out0.ctypes.data, out1.ctypes.data, meta.ctypes.data)
    return [out0, out1]

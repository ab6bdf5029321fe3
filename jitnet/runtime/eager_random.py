"""Eager ``threefry2x32_iota`` through the C kernel of ``kernels/random.py`` (issue 14).

The primitive's impl is the NumPy reference (~0.35 s for 2**20 counters); the kernel jitted
programs call takes ~3 ms and is the same source, so its words are the same bits. The
runtime installs ``impl`` below in its place. Where no program has loaded the kernel, eager
draws link its object file, kept signed in the disk cache (``eager_kernels``' store and
``elf_loader``: ~2 ms, neither Numba nor LLVM imported), and call it through ctypes by its C
address; the first process on a machine compiles it (Numba, ~1 s) and writes that file.

Once loaded it runs every draw: 9 us a call against NumPy's 90 us for one counter, 3 ms
against ~40-100 ms for 2**20. It is loaded once the process's NumPy draws have cost about
as much as the load (``LOAD_AFTER`` counters, each draw counting ``DRAW_COUNTERS`` more for
its fixed cost): a process drawing little never pays for it, one drawing much pays at most
twice what the best choice would have cost.
Without a disk cache only a kernel a program loaded is used; where eager code must not
compile (the tiered start's interpreter, ``eager_kernels.without_compiling``), one the disk
cache holds is linked too.
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

# counters whose NumPy draws cost about as much as linking the kernel's object file (~2 ms,
# ~2 more for the cache key where no eager kernel has computed it; NumPy: ~0.035 us a
# counter, benchmarks/RESULTS.md, section eagerrand3)
LOAD_AFTER = 1 << 16
DRAW_COUNTERS = 2500     # a NumPy draw's fixed cost (~90 us), in counters

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
    if _GLUE in getattr(sys.modules.get(module), "__dict__", {}):  # a program loaded it
        with _lock:
            if not _kernel:
                import llvmlite.binding as llvm
                _kernel.append(_CTYPE(llvm.address_of_symbol(_SYMBOL)))
        return _kernel[0]
    if disk_cache.store() is None:
        return None
    with _lock:
        _drawn[0] += size + DRAW_COUNTERS
        if _drawn[0] < LOAD_AFTER:
            return None
    stem = eager_kernels.cache_stem(_SYMBOL)
    if eager_kernels.compiling_disabled():
        fn = eager_kernels.load_cached(stem, _CTYPE)
        if fn is not None:
            with _lock:
                if not _kernel:
                    _kernel.append(fn)
        return fn
    with eager_kernels.llvm_lock, _lock:
        if not _kernel:
            _kernel.append(eager_kernels.load_or_compile(stem, _compile, _SYMBOL, _CTYPE))
    return _kernel[0]


def _compile():
    """(the kernel compiled here by Numba, its object code to cache)."""
    cf = getattr(importlib.import_module(KERNEL_MODULES[_GLUE]), "eager_cfunc")()
    return eager_kernels.compiled(cf, _CTYPE)


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

"""Threefry random bits (``threefry2x32_iota``) as one C kernel compiled once per machine.

Traced as ``lax`` operations, the hash was ~100 elementwise equations per call, fused and
compiled into every program drawing random numbers (seconds of cold compile each). The
kernel is compiled once, into the signed disk cache, and programs call it by symbol
(``runtime/c_kernel``). Its hash is ``core/threefry.threefry2x32_20``, the source the NumPy
reference and the CUDA lowering also run.

Generated code (``codegen/cpu/random.py``) calls
``jn_threefry2x32(key, start, out0, out1)``:
``key`` uint32 (B..., 2), ``start`` uint32 (B...) or one value for every key, ``out0`` and
``out1`` uint32 (B..., S...): element n of key b's outputs hashes the 64-bit counter
``start[b] + n``.
"""
from __future__ import annotations

import numba
import numpy as np
from numba.core import types as nbt

from ..core.threefry import counters, threefry2x32_20
from ..runtime.c_kernel import c_kernel

SYMBOLS = ("jn_threefry2x32",)

_hash = numba.njit(inline="always")(threefry2x32_20)
_counters = numba.njit(inline="always")(counters)


def _c_threefry(kp, sp, o0, o1, meta):
    """The C entry: data pointers and int64 meta = (keys, counters per key, starts);
    out0/out1[b, n] = threefry(key[b], start[b or 0] + n). It indexes the pointers itself:
    ``carray`` views would make the object code call Numba's runtime (their refcounts) and
    a callee's error path, so eager draws could not link it without Numba
    (``runtime/eager_random``). The inner loop runs from 0 to a count, which LLVM
    vectorizes. One thread: a parallel kernel took twice as long to compile for at most 2x
    on 2 cores, and 2**20 counters take ~3 ms on one."""
    keys, n = meta[0], meta[1]
    sb = 1 if meta[2] == keys else 0
    for b in range(keys):
        k0, k1 = np.uint64(kp[2 * b]), np.uint64(kp[2 * b + 1])
        start = np.uint64(sp[b * sb])
        base = b * n
        for j in range(n):
            hi, lo = _counters(start, np.uint64(j))
            x0, x1 = _hash(k0, k1, hi, lo)
            o0[base + j] = np.uint32(x0)
            o1[base + j] = np.uint32(x1)


SIGNATURE = nbt.void(*[nbt.CPointer(nbt.uint32)] * 4, nbt.CPointer(nbt.int64))


def eager_cfunc():
    """The C kernel compiled in this process as a ``cfunc`` (its object code, which one
    loaded from Numba's cache lacks, is what eager draws cache: ``runtime/eager_random``)."""
    return numba.cfunc(SIGNATURE, nogil=True, error_model="numpy")(_c_threefry)


def _caller():
    """``jn_threefry2x32``, the glue generated programs call; building it compiles or loads
    the C kernel."""
    ext = c_kernel("jn_kernel_threefry2x32", _c_threefry, SIGNATURE)

    @numba.njit(nogil=True, error_model="numpy")
    def call(key, start, out0, out1):
        k = np.ascontiguousarray(key)
        s = np.ascontiguousarray(start)
        meta = np.empty(3, np.int64)
        meta[0] = k.size // 2
        meta[1] = out0.size // max(1, meta[0])
        meta[2] = s.size
        ext(k.ctypes, s.ctypes, out0.ctypes, out1.ctypes, meta.ctypes)
    return call


def __getattr__(name):
    """``jn_threefry2x32``, built on first import."""
    if name not in SYMBOLS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    fn = globals()[name] = _caller()
    return fn

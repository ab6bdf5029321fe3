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


@numba.njit(inline="always")
def _row(k0, k1, start, out0, out1):
    """Counters start, start + 1, ... of one key into ``out0``/``out1``: a loop from 0 over
    the arrays' length, which LLVM vectorizes (one from ``j0`` keeps a negative-index check
    that stops it: 4-6x slower)."""
    for j in range(out0.shape[0]):
        hi, lo = _counters(start, np.uint64(j))
        x0, x1 = _hash(k0, k1, hi, lo)
        out0[j] = np.uint32(x0)
        out1[j] = np.uint32(x1)


@numba.njit(nogil=True, error_model="numpy")
def threefry_iota(key, start, out0, out1):
    """out0/out1[b, n] = threefry(key[b], start[b or 0] + n), on 2-D views (B, n). One
    thread: a parallel kernel took twice as long to compile (15 against 7 s on 2 busy cores)
    for at most 2x on those cores, and 2**20 counters take ~3 ms on one."""
    sb = 1 if start.shape[0] == out0.shape[0] else 0
    for b in range(out0.shape[0]):
        _row(np.uint64(key[b, 0]), np.uint64(key[b, 1]), np.uint64(start[b * sb]),
             out0[b], out1[b])


def _c_threefry(kp, sp, o0, o1, meta):
    """The C entry: data pointers and int64 meta = (keys, counters per key, starts)."""
    m = numba.carray(meta, 3)
    threefry_iota(numba.carray(kp, (m[0], 2)), numba.carray(sp, m[2]),
                  numba.carray(o0, (m[0], m[1])), numba.carray(o1, (m[0], m[1])))


def _caller():
    """``jn_threefry2x32``, the glue generated programs call; building it compiles or loads
    the C kernel."""
    P = nbt.CPointer(nbt.uint32)
    ext = c_kernel("jn_kernel_threefry2x32", _c_threefry,
                   nbt.void(P, P, P, P, nbt.CPointer(nbt.int64)))

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

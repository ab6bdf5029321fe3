"""``reduce_window`` (max, min and add pooling) as a C kernel compiled once per machine
and dtype.

Arrays arrive C-contiguous and 4-D (a lower rank with unit dims prepended, which keeps the
window arithmetic: window 1, stride 1, no padding on them); every size, window, stride,
padding and window dilation is a run-time number in the int64 ``meta`` array
(``plan.WindowPlan.args``), so one compiled kernel serves every pooling of every program.
Per output element the valid window offsets of each dim are solved once (no per-element
padding test) and the window is folded in row-major order from the identity, as the
generated loops do: max/min propagate NaN (``jn_max``/``jn_min``), an all-padding window
gives the identity (-inf, +inf, 0). Work items are blocks of the output's two leading dims,
split over the threads when the work (output elements times window size) reaches the plan's
threshold, decided at run time so that the call's text does not change with the batch
size. Generated code (``codegen/cpu/conv.py``) calls ``jn_reduce_window_<dtype>(x, out, geom)``.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange
from numba.core import types as nbt

from ..runtime.numba_math import jn_max, jn_min
from .jit import c_kernel

_TYPES = {"float32": nbt.float32, "float64": nbt.float64}
# window, strides, padding lo, window dilation (4 each), threads, parallel work, computation
GEOM = 19


@numba.njit(inline="always")
def _offsets(o, X, W, S, lo, D):
    """[start, stop) of the window offsets k of position ``o`` whose source
    o*S + k*D - lo lies inside [0, X)."""
    c = o * S - lo
    start = 0 if c >= 0 else (-c + D - 1) // D
    stop = min(W, (X - 1 - c) // D + 1) if X - 1 - c >= 0 else 0
    return start, max(start, stop)


@numba.njit(inline="always")
def _fold(x, acc, o0, o1, o2, o3, a0, b0, a1, b1, a2, b2, a3, b3, g, code):
    """``acc`` folded over the window offsets [a, b) of each dim by ``code``."""
    for k0 in range(a0, b0):
        p0 = o0 * g[4] + k0 * g[12] - g[8]
        for k1 in range(a1, b1):
            p1 = o1 * g[5] + k1 * g[13] - g[9]
            for k2 in range(a2, b2):
                p2 = o2 * g[6] + k2 * g[14] - g[10]
                for k3 in range(a3, b3):
                    v = x[p0, p1, p2, o3 * g[7] + k3 * g[15] - g[11]]
                    if code == 0:
                        acc += v
                    elif code == 1:
                        acc = jn_max(acc, v)
                    else:
                        acc = jn_min(acc, v)
    return acc


@numba.njit(parallel=True, nogil=True, error_model="numpy")
def reduce_window4(x, out, g, code):
    """out = reduce_window(x) for 4-D arrays, ``code`` the computation
    (``plan.WINDOW_COMPUTATIONS``: 0 add, 1 max, 2 min)."""
    X0, X1, X2, X3 = x.shape
    N0, N1, O2, O3 = out.shape
    rows = N0 * N1
    work = rows * O2 * O3 * g[0] * g[1] * g[2] * g[3]
    nt = min(rows, g[16]) if work >= g[17] else 1
    ident = np.zeros(1, out.dtype)
    ident[0] = 0.0 if code == 0 else (-np.inf if code == 1 else np.inf)
    for t in prange(nt):
        for r in range(t * rows // nt, (t + 1) * rows // nt):
            o0 = r // N1
            o1 = r - o0 * N1
            a0, b0 = _offsets(o0, X0, g[0], g[4], g[8], g[12])
            a1, b1 = _offsets(o1, X1, g[1], g[5], g[9], g[13])
            for o2 in range(O2):
                a2, b2 = _offsets(o2, X2, g[2], g[6], g[10], g[14])
                for o3 in range(O3):
                    a3, b3 = _offsets(o3, X3, g[3], g[7], g[11], g[15])
                    out[o0, o1, o2, o3] = _fold(x, ident[0], o0, o1, o2, o3, a0, b0, a1, b1,
                                                a2, b2, a3, b3, g, code)
    return out


def _c_reduce_window(xp, op, meta):
    """The C entry: data pointers and int64 meta = (x shape, out shape, geom)."""
    m = numba.carray(meta, 8 + GEOM)
    x = numba.carray(xp, (m[0], m[1], m[2], m[3]))
    out = numba.carray(op, (m[4], m[5], m[6], m[7]))
    reduce_window4(x, out, m[8:], m[8 + GEOM - 1])


def _caller(dtype: str):
    """``jn_reduce_window_<dtype>(x, out, geom)``: out = reduce_window(x), what generated
    programs call (arrays of rank <= 4, ``geom`` from ``plan.WindowPlan.args``). Building
    it compiles or loads the C kernel."""
    t = _TYPES[dtype]
    ext = c_kernel(f"jn_kernel_reduce_window_{dtype}", _c_reduce_window,
                   nbt.void(nbt.CPointer(t), nbt.CPointer(t), nbt.CPointer(nbt.int64)))

    @numba.njit(nogil=True, error_model="numpy")
    def call(x, out, geom):
        xc = np.ascontiguousarray(x)
        meta = np.ones(8 + GEOM, np.int64)
        for i in range(xc.ndim):  # a lower rank: unit dims prepended
            meta[4 - xc.ndim + i] = xc.shape[i]
            meta[8 - xc.ndim + i] = out.shape[i]
        for i in range(GEOM):
            meta[8 + i] = geom[i]
        ext(xc.ctypes, out.ctypes, meta.ctypes)
    return call


# the functions this module provides (``codegen.kernel_plan.KERNEL_MODULES`` names its prefix)
SYMBOLS = tuple(f"jn_reduce_window_{dt}" for dt in _TYPES)


def __getattr__(name):
    """``jn_reduce_window_float32`` / ``_float64``, built on first import."""
    if name not in SYMBOLS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    fn = globals()[name] = _caller(name.removeprefix("jn_reduce_window_"))
    return fn

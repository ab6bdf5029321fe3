"""The window family as C kernels compiled once per machine and dtype: ``reduce_window``
(max, min and add pooling), ``patches`` (im2col) and ``patches_transpose`` (col2im), which
carry max-pool's gradient.

Arrays arrive C-contiguous and 4-D (a lower rank with unit dims prepended, which keeps the
window arithmetic: window 1, stride 1, no padding on them); every size, window, stride,
padding and dilation is a run-time number in the int64 ``meta`` array (``plan.WindowPlan``,
``plan.PatchesPlan``), so one compiled kernel serves every window op of every program. Work
items are blocks of the two leading dims (of the output, or of the operand for
col2im), split over the threads when the work reaches the plan's threshold, decided at run
time so that the call's text does not change with the batch size.

* reduce_window: per output element the valid window offsets of each dim are solved once
  (no per-element padding test) and the window is folded in row-major order from the
  identity, as the generated loops do: max/min propagate NaN (``jn_max``/``jn_min``), an
  all-padding window gives the identity (-inf, +inf, 0).
* patches: written in output order; per dim a small table gives the operand offset that
  each (position, window offset) reads, or -1 for padding and base-dilation holes (the pad
  value is written there).
* patches_transpose: a gather, not the generated scatter-add: each operand element sums
  the window elements that land on it (per dim a table of them), in row-major window order,
  which is the order the generated loops add them in, so the sums agree bit for bit, and no
  two threads write the same element.

Generated code (``codegen/cpu/conv.py``) calls ``jn_reduce_window_<dtype>(x, out, geom)``,
``jn_patches_<dtype>(x, out, geom, pad_value)`` and ``jn_patches_transpose_<dtype>(ct, out,
geom)``.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange
from numba.core import types as nbt

from ..runtime.numba_math import jn_max, jn_min
from ..runtime.c_kernel import c_kernel

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
def _combine(acc, v, code):
    """``acc`` and ``v`` combined by ``code`` (0 add, 1 max, 2 min)."""
    if code == 0:
        return acc + v
    return jn_max(acc, v) if code == 1 else jn_min(acc, v)


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
                    acc = _combine(acc, x[p0, p1, p2, o3 * g[7] + k3 * g[15] - g[11]], code)
    return acc


@numba.njit(inline="always")
def _pool2x2(g) -> bool:
    """Whether the window is 2x2 with stride 2 on the last two dims, no padding or dilation
    (pooling): every window lies inside the operand, so no offsets are solved."""
    for i in range(16):
        if g[i] != (1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1)[i]:
            return False
    return True


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
    if _pool2x2(g):  # unrolled, folded in the same row-major order as ``_fold``
        for t in prange(nt):
            for r in range(t * rows // nt, (t + 1) * rows // nt):
                o0 = r // N1
                o1 = r - o0 * N1
                for o2 in range(O2):
                    for o3 in range(O3):
                        acc = _combine(ident[0], x[o0, o1, 2 * o2, 2 * o3], code)
                        acc = _combine(acc, x[o0, o1, 2 * o2, 2 * o3 + 1], code)
                        acc = _combine(acc, x[o0, o1, 2 * o2 + 1, 2 * o3], code)
                        out[o0, o1, o2, o3] = _combine(acc, x[o0, o1, 2 * o2 + 1, 2 * o3 + 1],
                                                       code)
        return out
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


# -- patches (im2col) and patches_transpose (col2im) -----------------------------------------
# geom (``plan.PatchesPlan.args``): window, strides, padding lo, base dilation, window dilation
# (4 each), threads, parallel work. Both kernels see their arrays flat and add per dim one
# offset read from a small table built per call, so the element loops do no division.
PGEOM = 22


@numba.njit(nogil=True, error_model="numpy")
def _source_table(X, O, W, S, lo, B, D, stride):
    """t[o, k]: the flat offset (index times ``stride``) of the operand element that window
    offset k of position o reads, -1 where it reads padding or a base-dilation hole."""
    t = np.empty((O, W), np.int64)
    Xd = (X - 1) * B + 1
    for o in range(O):
        for k in range(W):
            p = o * S + k * D - lo
            t[o, k] = (p // B) * stride if 0 <= p < Xd and p % B == 0 else -1
    return t


@numba.njit(parallel=True, nogil=True, error_model="numpy")
def patches4(x, X, out, O, g, pad):
    """out = patches(x): ``x`` flat of 4-D shape ``X``, ``out`` flat of shape O + window,
    written in order (the pad value where a window leaves the operand)."""
    W = g[0:4]
    xs = (X[1] * X[2] * X[3], X[2] * X[3], X[3], 1)
    t0 = _source_table(X[0], O[0], W[0], g[4], g[8], g[12], g[16], xs[0])
    t1 = _source_table(X[1], O[1], W[1], g[5], g[9], g[13], g[17], xs[1])
    t2 = _source_table(X[2], O[2], W[2], g[6], g[10], g[14], g[18], xs[2])
    t3 = _source_table(X[3], O[3], W[3], g[7], g[11], g[15], g[19], xs[3])
    rows = O[0] * O[1]
    per_row = O[2] * O[3] * W[0] * W[1] * W[2] * W[3]
    nt = min(rows, g[20]) if rows * per_row >= g[21] else 1
    for t in prange(nt):
        for r in range(t * rows // nt, (t + 1) * rows // nt):
            o0 = r // O[1]
            o1 = r - o0 * O[1]
            pos = r * per_row
            for o2 in range(O[2]):
                for o3 in range(O[3]):
                    for k0 in range(W[0]):
                        a0 = t0[o0, k0]
                        for k1 in range(W[1]):
                            a1 = t1[o1, k1]
                            for k2 in range(W[2]):
                                a2 = t2[o2, k2]
                                ok = a0 >= 0 and a1 >= 0 and a2 >= 0
                                a = a0 + a1 + a2
                                for k3 in range(W[3]):
                                    a3 = t3[o3, k3]
                                    out[pos] = x[a + a3] if ok and a3 >= 0 else pad
                                    pos += 1
    return out


@numba.njit(nogil=True, error_model="numpy")
def _gather_table(X, O, W, S, lo, B, D, pstride, wstride):
    """(n, t): for operand index p, the n[p] (position o, window offset k) pairs whose
    window element lands on p, k ascending, as flat patches offsets o*pstride + k*wstride
    in t[p, :n[p]]."""
    n = np.zeros(X, np.int64)
    t = np.empty((X, max(W, 1)), np.int64)
    for p in range(X):
        q = p * B + lo
        for k in range(W):
            r = q - k * D
            if r >= 0 and r % S == 0 and r // S < O:
                t[p, n[p]] = (r // S) * pstride + k * wstride
                n[p] += 1
    return n, t


@numba.njit(parallel=True, nogil=True, error_model="numpy")
def patches_transpose4(ct, O, out, X, g):
    """out = patches_transpose(ct): ``ct`` flat of shape O + window, ``out`` flat of 4-D
    shape ``X``. Each operand element gathers its window elements in row-major window
    order, the order in which the generated loops scatter-add them, so sums agree bit for
    bit; threads never write the same element."""
    W = g[0:4]
    wt = W[0] * W[1] * W[2] * W[3]
    ps = (O[1] * O[2] * O[3] * wt, O[2] * O[3] * wt, O[3] * wt, wt)
    ws = (W[1] * W[2] * W[3], W[2] * W[3], W[3], 1)
    n0, t0 = _gather_table(X[0], O[0], W[0], g[4], g[8], g[12], g[16], ps[0], ws[0])
    n1, t1 = _gather_table(X[1], O[1], W[1], g[5], g[9], g[13], g[17], ps[1], ws[1])
    n2, t2 = _gather_table(X[2], O[2], W[2], g[6], g[10], g[14], g[18], ps[2], ws[2])
    n3, t3 = _gather_table(X[3], O[3], W[3], g[7], g[11], g[15], g[19], ps[3], ws[3])
    rows = X[0] * X[1]
    per_row = X[2] * X[3]
    nt = min(rows, g[20]) if rows * per_row >= g[21] else 1
    zero = np.zeros(1, out.dtype)
    for t in prange(nt):
        for r in range(t * rows // nt, (t + 1) * rows // nt):
            p0 = r // X[1]
            p1 = r - p0 * X[1]
            pos = r * per_row
            for p2 in range(X[2]):
                for p3 in range(X[3]):
                    acc = zero[0]
                    for j0 in range(n0[p0]):
                        for j1 in range(n1[p1]):
                            a = t0[p0, j0] + t1[p1, j1]
                            for j2 in range(n2[p2]):
                                b = a + t2[p2, j2]
                                for j3 in range(n3[p3]):
                                    acc += ct[b + t3[p3, j3]]
                    out[pos] = acc
                    pos += 1
    return out


def _c_patches(xp, op, meta, pad):
    """The C entry of patches: data pointers, int64 meta = (x shape, patches positions,
    window == geom[:4], geom) and the pad value."""
    m = numba.carray(meta, 8 + PGEOM)
    X, O, g = m[0:4], m[4:8], m[8:]
    x = numba.carray(xp, X[0] * X[1] * X[2] * X[3])
    out = numba.carray(op, O[0] * O[1] * O[2] * O[3] * g[0] * g[1] * g[2] * g[3])
    patches4(x, X, out, O, g, pad)


def _c_patches_transpose(cp, op, meta):
    """The C entry of patches_transpose: data pointers, int64 meta = (operand shape,
    patches positions, geom)."""
    m = numba.carray(meta, 8 + PGEOM)
    X, O, g = m[0:4], m[4:8], m[8:]
    ct = numba.carray(cp, O[0] * O[1] * O[2] * O[3] * g[0] * g[1] * g[2] * g[3])
    out = numba.carray(op, X[0] * X[1] * X[2] * X[3])
    patches_transpose4(ct, O, out, X, g)


@numba.njit(nogil=True, error_model="numpy")
def _patches_meta(operand, patches, geom):
    """int64 meta of the patches kernels: the rank-n operand's shape and the rank-2n
    patches' positions as 4-D (unit dims prepended), then ``geom``."""
    n = operand.ndim
    meta = np.ones(8 + PGEOM, np.int64)
    for i in range(n):
        meta[4 - n + i] = operand.shape[i]
        meta[8 - n + i] = patches.shape[i]
    for i in range(PGEOM):
        meta[8 + i] = geom[i]
    return meta


def _patches_caller(dtype: str):
    """``jn_patches_<dtype>(x, out, geom, pad)``: out = patches(x) (x of rank <= 4, geom
    from ``plan.PatchesPlan.args``)."""
    t = _TYPES[dtype]
    scalar = np.float32 if dtype == "float32" else np.float64
    ext = c_kernel(f"jn_kernel_patches_{dtype}", _c_patches,
                   nbt.void(nbt.CPointer(t), nbt.CPointer(t), nbt.CPointer(nbt.int64), t))
    meta_of = _patches_meta

    @numba.njit(nogil=True, error_model="numpy")
    def call(x, out, geom, pad):
        xc = np.ascontiguousarray(x)
        meta = meta_of(xc, out, geom)
        ext(xc.ctypes, out.ctypes, meta.ctypes, scalar(pad))
    return call


def _patches_transpose_caller(dtype: str):
    """``jn_patches_transpose_<dtype>(ct, out, geom)``: out = patches_transpose(ct) (out
    of rank <= 4, every element written)."""
    t = _TYPES[dtype]
    ext = c_kernel(f"jn_kernel_patches_transpose_{dtype}", _c_patches_transpose,
                   nbt.void(nbt.CPointer(t), nbt.CPointer(t), nbt.CPointer(nbt.int64)))
    meta_of = _patches_meta

    @numba.njit(nogil=True, error_model="numpy")
    def call(ct, out, geom):
        cc = np.ascontiguousarray(ct)
        meta = meta_of(out, cc, geom)
        ext(cc.ctypes, out.ctypes, meta.ctypes)
    return call


# the functions this module provides (``codegen.kernel_plan.KERNEL_MODULES`` names their
# prefixes), and their builders
_BUILDERS = {"jn_reduce_window": _caller, "jn_patches_transpose": _patches_transpose_caller,
             "jn_patches": _patches_caller}
SYMBOLS = tuple(f"{k}_{dt}" for k in _BUILDERS for dt in _TYPES)


def __getattr__(name):
    """``jn_reduce_window_float32``, ``jn_patches_float64``, ...: built on first import."""
    if name not in SYMBOLS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    kind, dtype = name.rsplit("_", 1)
    fn = globals()[name] = _BUILDERS[kind](dtype)
    return fn

"""Linear algebra (cholesky, lu, triangular_solve, eigh, qr, svd) as C kernels.

Each kernel loops over the batch and calls, per matrix, the LAPACK helper of
``runtime/numba_math.py`` that the generated code used to call itself (same routines, same
arguments: results unchanged). Sizes arrive at run time in an int64 ``meta`` array (batch
count, then each operand's trailing dims, then flags), so one kernel per operation and
dtype serves every shape and batch rank, compiled once per machine (``runtime.c_kernel``)
instead of being linked into, and recompiled with, every program using it.

Generated code calls ``jn_linalg_<op>_<dtype>(operands..., outputs..., flags...)``
(``codegen/cpu/linalg.py``); that small glue (``_caller``) makes the inputs C-contiguous,
fills ``meta`` and calls the kernel by its symbol.
"""
from __future__ import annotations

import numba
import numpy as np
from numba.core import types as nbt
from numba.extending import overload

from ..runtime.numba_math import (jn_cholesky_f32, jn_cholesky_f64, jn_eigh, jn_lu_f32,
                                  jn_lu_f64, jn_qr, jn_svd, jn_triangular_solve_f32,
                                  jn_triangular_solve_f64)
from ..runtime.c_kernel import c_kernel

DTYPES = ("float32", "float64")
OPS = ("cholesky", "lu", "triangular_solve", "eigh", "qr", "svd")
SYMBOLS = tuple(f"jn_linalg_{op}_{dt}" for op in OPS for dt in DTYPES)


# stubs whose overloads pick the numba_math helper of the operand's precision at compile
# time (the entries stay module-level functions, which the disk cache keys by name)

def _cholesky(a, out):
    """potrf of a's precision."""


def _lu(a, out, piv, perm):
    """getrf of a's precision."""


def _trsm(a, b, out, left, lower, trans, unit):
    """trsm of a's precision."""


@overload(_cholesky)
def _cholesky_typed(a, out):
    f = jn_cholesky_f32 if a.dtype == nbt.float32 else jn_cholesky_f64
    return lambda a, out: f(a, out)


@overload(_lu)
def _lu_typed(a, out, piv, perm):
    f = jn_lu_f32 if a.dtype == nbt.float32 else jn_lu_f64
    return lambda a, out, piv, perm: f(a, out, piv, perm)


@overload(_trsm)
def _trsm_typed(a, b, out, left, lower, trans, unit):
    f = jn_triangular_solve_f32 if a.dtype == nbt.float32 else jn_triangular_solve_f64
    return lambda a, b, out, left, lower, trans, unit: f(a, b, out, left, lower, trans, unit)


def _c_cholesky(ap, op, meta):
    g = numba.carray(meta, 2)
    a = numba.carray(ap, (g[0], g[1], g[1]))
    out = numba.carray(op, (g[0], g[1], g[1]))
    for b in range(g[0]):
        _cholesky(a[b], out[b])


def _c_lu(ap, op, pivp, permp, meta):
    g = numba.carray(meta, 4)
    B, m, n, k = g[0], g[1], g[2], g[3]
    a = numba.carray(ap, (B, m, n))
    out = numba.carray(op, (B, m, n))
    piv = numba.carray(pivp, (B, k))
    perm = numba.carray(permp, (B, m))
    for b in range(B):
        _lu(a[b], out[b], piv[b], perm[b])


def _c_triangular_solve(ap, bp, op, meta):
    g = numba.carray(meta, 8)
    B, ka, m, n = g[0], g[1], g[2], g[3]
    a = numba.carray(ap, (B, ka, ka))
    rhs = numba.carray(bp, (B, m, n))
    out = numba.carray(op, (B, m, n))
    for b in range(B):
        _trsm(a[b], rhs[b], out[b], g[4] != 0, g[5] != 0, g[6] != 0, g[7] != 0)


def _c_eigh(ap, vp, wp, meta):
    g = numba.carray(meta, 3)
    B, n = g[0], g[1]
    a = numba.carray(ap, (B, n, n))
    v = numba.carray(vp, (B, n, n))
    w = numba.carray(wp, (B, n))
    for b in range(B):
        jn_eigh(a[b], v[b], w[b], g[2] != 0)


def _c_qr(ap, qp, rp, meta):
    g = numba.carray(meta, 5)
    B, m, n, mc, rr = g[0], g[1], g[2], g[3], g[4]
    a = numba.carray(ap, (B, m, n))
    q = numba.carray(qp, (B, m, mc))
    r = numba.carray(rp, (B, rr, n))
    for b in range(B):
        jn_qr(a[b], q[b], r[b])


def _c_svd(ap, sp, up, vp, meta):
    g = numba.carray(meta, 10)
    B, m, n, k = g[0], g[1], g[2], g[3]
    a = numba.carray(ap, (B, m, n))
    s = numba.carray(sp, (B, k))
    u = numba.carray(up, (B, g[4], g[5]))
    vt = numba.carray(vp, (B, g[6], g[7]))
    for b in range(B):
        jn_svd(a[b], s[b], u[b], vt[b], g[8] != 0, g[9] != 0)


@numba.njit(nogil=True, error_model="numpy")
def _meta(x, v1, v2, v3, v4, v5, v6, v7, v8, v9):
    """The kernel's int64 ``meta``: the batch count (the product of ``x``'s dims but its
    last two), then ``v1``...; each kernel reads as many entries as it takes."""
    m = np.empty(10, np.int64)
    b = 1
    for i in range(x.ndim - 2):
        b *= x.shape[i]
    m[0], m[1], m[2], m[3], m[4], m[5] = b, v1, v2, v3, v4, v5
    m[6], m[7], m[8], m[9] = v6, v7, v8, v9
    return m


@numba.njit(nogil=True, error_model="numpy")
def _tail(x, i):
    """x.shape[-i]: a dim counted from the end (the glue is generic over batch rank)."""
    return x.shape[x.ndim - i]


def _kernel(op: str, dtype: str):
    t = getattr(nbt, dtype)
    P, I32 = nbt.CPointer(t), nbt.CPointer(nbt.int32)
    args = {"cholesky": (P, P), "lu": (P, P, I32, I32), "triangular_solve": (P, P, P),
            "eigh": (P, P, P), "qr": (P, P, P), "svd": (P, P, P, P)}[op]
    return c_kernel(f"jn_kernel_linalg_{op}_{dtype}", globals()[f"_c_{op}"],
                    nbt.void(*args, nbt.CPointer(nbt.int64)))


_glue = numba.njit(nogil=True, error_model="numpy")


def _caller(op: str, dtype: str):
    """``jn_linalg_<op>_<dtype>``: the glue generated programs call (arguments as the
    primitive's operands, then its preallocated outputs, then its flags). Building it
    compiles or loads the kernel."""
    ext = _kernel(op, dtype)
    c = np.ascontiguousarray
    if op == "cholesky":
        def call(a, out):
            a = c(a)
            ext(a.ctypes, out.ctypes, _meta(a, _tail(a, 1), 0, 0, 0, 0, 0, 0, 0, 0).ctypes)
    elif op == "lu":
        def call(a, out, piv, perm):
            a = c(a)
            meta = _meta(a, _tail(a, 2), _tail(a, 1), _tail(piv, 1), 0, 0, 0, 0, 0, 0)
            ext(a.ctypes, out.ctypes, piv.ctypes, perm.ctypes, meta.ctypes)
    elif op == "triangular_solve":
        def call(a, b, out, left, lower, trans, unit):
            a, b = c(a), c(b)
            meta = _meta(b, _tail(a, 1), _tail(b, 2), _tail(b, 1), left, lower, trans, unit,
                         0, 0)
            ext(a.ctypes, b.ctypes, out.ctypes, meta.ctypes)
    elif op == "eigh":
        def call(a, v, w, lower):
            a = c(a)
            ext(a.ctypes, v.ctypes, w.ctypes,
                _meta(a, _tail(a, 1), lower, 0, 0, 0, 0, 0, 0, 0).ctypes)
    elif op == "qr":
        def call(a, q, r):
            a = c(a)
            meta = _meta(a, _tail(a, 2), _tail(a, 1), _tail(q, 1), _tail(r, 2), 0, 0, 0, 0,
                         0)
            ext(a.ctypes, q.ctypes, r.ctypes, meta.ctypes)
    else:
        def call(a, s, u, vt, full, compute_uv):
            a = c(a)
            meta = _meta(a, _tail(a, 2), _tail(a, 1), _tail(s, 1), _tail(u, 2), _tail(u, 1),
                         _tail(vt, 2), _tail(vt, 1), full, compute_uv)
            ext(a.ctypes, s.ctypes, u.ctypes, vt.ctypes, meta.ctypes)
    return _glue(call)


def __getattr__(name):
    """``jn_linalg_<op>_<dtype>``, built on first import (a program compiles or loads only
    the kernels it calls)."""
    if name not in SYMBOLS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    op, dtype = name.removeprefix("jn_linalg_").rsplit("_", 1)
    fn = globals()[name] = _caller(op, dtype)
    return fn

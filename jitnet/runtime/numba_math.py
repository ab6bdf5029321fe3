"""Scalar helpers the generated CPU code calls (``jn_*``), compiled inline by Numba.

They keep float32 in float32 and follow XLA's semantics (NaN-propagating max/min, C-style
integer division, saturating float->int casts, shifts by >= the bit width give 0 or the
sign). Everything is ``inline="always"`` so loops calling them can vectorize.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit

# exp, log, log1p, expm1, tanh, logistic, erf (float32 and float64) live in their own module
from .numba_transcendental import *  # noqa: F401,F403
from .numba_transcendental import _bits_of_f32, _f32_from_bits, _inline


@_inline
def jn_max(a, b):
    return a if (a > b or a != a) else b


@_inline
def jn_min(a, b):
    return a if (a < b or a != a) else b


@_inline
def jn_sign(x):
    if x != x:
        return x
    return (x > 0) - (x < 0)


@_inline
def jn_idiv(a, b):
    if b == 0:
        return -1  # XLA: integer division by zero gives all ones
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


@_inline
def jn_irem(a, b):
    if b == 0:
        return a
    r = abs(a) % abs(b)
    return -r if a < 0 else r


@_inline
def jn_pow(a, b):
    return a ** b


@_inline
def jn_round_away(x):
    t = np.trunc(x)
    return t + np.sign(x) if abs(x - t) >= 0.5 else t


@_inline
def jn_shl(x, y, bits):
    return 0 if (y < 0 or y >= bits) else x << y


@_inline
def jn_shrl(x, y, bits):
    # in uint64 for every width: int64's ``>>`` is arithmetic and ``1 << 64`` overflows, and
    # every return has the one type (Numba unifies int64 with uint64 as float64)
    if y < 0 or y >= bits:
        return np.uint64(0)
    mask = np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(64 - bits)
    return (np.uint64(x) & mask) >> np.uint64(y)


@_inline
def jn_shra(x, y, bits):
    if y < 0 or y >= bits:
        return -1 if x < 0 else 0
    return x >> y


@_inline
def jn_popcount(x, bits):
    """How many of the low ``bits`` bits of integer ``x`` are set (its two's-complement bits
    when negative): a branch-free sum of bit fields in uint64, with no multiply (no overflow
    warnings when the CUDA simulator runs it on NumPy scalars)."""
    v = np.uint64(x) & (np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(64 - bits))
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    v = v + (v >> np.uint64(8))
    v = v + (v >> np.uint64(16))
    v = v + (v >> np.uint64(32))
    return v & np.uint64(0x7F)


def _f2i(dtype):
    """Saturating float -> ``dtype``, NaN -> 0. Every branch returns ``dtype``: Python ints
    would unify int64 with uint64's maximum to float64 and lose it."""
    info = np.iinfo(dtype)
    lo, hi = float(info.min), float(info.max)
    zero, imin, imax = dtype(0), dtype(info.min), dtype(info.max)

    @_inline
    def f(x):
        if x != x:
            return zero
        if x <= lo:
            return imin
        if x >= hi:
            return imax
        return dtype(x)
    return f


jn_f2i_int8, jn_f2i_int16, jn_f2i_int32, jn_f2i_int64 = (_f2i(t) for t in
                                                         (np.int8, np.int16, np.int32, np.int64))
jn_f2i_uint8, jn_f2i_uint16, jn_f2i_uint32, jn_f2i_uint64 = (_f2i(t) for t in
                                                             (np.uint8, np.uint16, np.uint32,
                                                              np.uint64))


@njit(error_model="numpy")
def jn_erf_inv(y):
    """Inverse error function: Giles' single-precision approximation, then two Newton steps."""
    if y != y or y < -1.0 or y > 1.0:
        return np.nan
    if y == 1.0:
        return np.inf
    if y == -1.0:
        return -np.inf
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    x = p * y
    for _ in range(2):  # Newton on erf(x) - y
        err = math.erf(x) - y
        x -= err / (1.1283791670955126 * math.exp(-x * x))
    return x


@_inline
def jn_lgamma(x):
    if x == -np.inf:
        return np.inf
    return math.lgamma(x)


@njit(error_model="numpy")
def jn_digamma(x):
    """psi(x): reflection for x < 0, recurrence up to 6, then the asymptotic series."""
    if x != x or x == -np.inf:
        return np.nan
    if x <= 0 and x == math.floor(x):
        return np.nan
    acc = 0.0
    if x < 0:
        acc = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 6.0:
        acc -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * 1 / 132))))
    return acc + math.log(x) - 0.5 / x - series


def _bitcast(dtype):
    target = np.dtype(dtype)

    @_inline
    def f(x):
        return np.array([x]).view(target)[0]
    return f


jn_bitcast_int32, jn_bitcast_uint32, jn_bitcast_float32 = (_bitcast(t) for t in
                                                           (np.int32, np.uint32, np.float32))
jn_bitcast_int64, jn_bitcast_uint64, jn_bitcast_float64 = (_bitcast(t) for t in
                                                           (np.int64, np.uint64, np.float64))
jn_bitcast_int16, jn_bitcast_uint16 = _bitcast(np.int16), _bitcast(np.uint16)



# -- float16 / bfloat16 values stored in float32 (transforms/low_precision.py) -----------
# Round a float32 to the nearest float16 or bfloat16 value, kept in float32: what
# ``x.astype(float16).astype(float32)`` computes (round to nearest even, float16's
# subnormals, overflow to inf, NaN kept), with integer ops and selects only, so loops
# calling them vectorize.

@_inline
def jn_round_float16_f32(x):
    b = _bits_of_f32(x)
    a = b & np.int32(0x7FFFFFFF)
    sign = b & np.int32(-0x80000000)
    # normal float16 range: keep 10 of the 23 mantissa bits, ties to even
    normal = (a + np.int32(0xFFF) + ((a >> 13) & np.int32(1))) & np.int32(-0x2000)
    # below 2**-14 float16 is subnormal with a fixed quantum of 2**-24: adding 0.5 (whose
    # float32 ulp is 2**-24) rounds |x| to a multiple of it, ties to even
    ax = _f32_from_bits(a)
    sub = _bits_of_f32((ax + np.float32(0.5)) - np.float32(0.5))
    r = sub if a < np.int32(0x38800000) else normal
    r = np.int32(0x7F800000) if a >= np.int32(0x477FF000) else r  # >= 65520: inf
    r = a if a > np.int32(0x7F800000) else r                         # NaN stays NaN
    return _f32_from_bits(r | sign)


@_inline
def jn_round_bfloat16_f32(x):
    b = _bits_of_f32(x)
    r = (b + np.int32(0x7FFF) + ((b >> 16) & np.int32(1))) & np.int32(-0x10000)
    r = (b | np.int32(0x00400000)) if (b & np.int32(0x7FFFFFFF)) > np.int32(0x7F800000) else r
    return _f32_from_bits(r)  # NaN: quieted, so its top 16 bits are a NaN too
# -- linear algebra: LAPACK / BLAS through scipy's Cython exports ------------------------------
#
# The NumPy impls of the linalg primitives call LAPACK: scipy's single- or double-precision
# potrf / getrf / trsm for cholesky, lu and triangular_solve, and NumPy's double-precision
# syevd / geqrf+orgqr / gesdd for eigh, qr and svd (NumPy computes float32 in float64 and
# rounds the result). The helpers below call the same routines with the same arguments on
# column-major copies, so jit and eager agree to rounding, eigenvector and singular-vector
# signs included, and factorizations that fail give NaNs instead of raising. Each routine
# is registered with LLVM under a fixed symbol name, so Numba's disk cache refers to it by
# name and stays valid in another process. Every argument goes by pointer (Fortran ABI).
# Programs do not call these: the linear-algebra kernels (jitnet/kernels/linalg.py) do,
# compiled once per machine, so a program's machine code holds only the kernel's call.

from llvmlite import binding as _llvm  # noqa: E402
from numba import types as _nbt  # noqa: E402


def _cython_module(lib: str):
    """``scipy.linalg.cython_<lib>``, loaded from its file without running
    ``scipy/linalg/__init__`` (~0.2 s of imports a program starting from the disk cache does
    not need); registered in ``sys.modules``, so a later ``import`` reuses it."""
    import importlib
    import importlib.machinery
    import importlib.util
    import os
    import sys
    name = f"scipy.linalg.cython_{lib}"
    if name in sys.modules or "scipy.linalg" in sys.modules:
        return importlib.import_module(name)
    root = importlib.util.find_spec("scipy").submodule_search_locations[0]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(root, "linalg", f"cython_{lib}{suffix}")
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return sys.modules.setdefault(name, mod)
    return importlib.import_module(name)  # an unusual layout: the ordinary import


def _cython_address(lib: str, name: str) -> int:
    """The address of a function ``scipy.linalg.cython_<lib>`` exports (its capsule)."""
    import ctypes
    capsule = _cython_module(lib).__pyx_capi__[name]
    get_name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(
        ("PyCapsule_GetName", ctypes.pythonapi))
    get_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
        ("PyCapsule_GetPointer", ctypes.pythonapi))
    return get_pointer(capsule, get_name(capsule))


def _external(lib: str, name: str, nargs: int):
    sym = f"jn_{lib}_{name}"
    _llvm.add_symbol(sym, _cython_address(lib, name))
    return _nbt.ExternalFunction(sym, _nbt.void(*([_nbt.voidptr] * nargs)))


_L, _U, _N, _T, _R, _V, _A, _S = (ord(c) for c in "LUNTRVAS")


@njit(error_model="numpy")
def _i32(v):
    """A one-element int32 array (a Fortran integer argument)."""
    x = np.empty(1, np.int32)
    x[0] = v
    return x


@njit(error_model="numpy")
def _ch(c):
    """A one-element uint8 array (a Fortran character argument)."""
    x = np.empty(1, np.uint8)
    x[0] = c
    return x


def _colmajor_to(dt):
    @njit(error_model="numpy")
    def colmajor(a):
        """(n, m) C-ordered copy of the (m, n) matrix ``a``: its column-major layout."""
        m, n = a.shape
        f = np.empty((n, m), dt)
        for i in range(m):
            for j in range(n):
                f[j, i] = a[i, j]
        return f
    return colmajor


_colmajor_f32, _colmajor_f64 = _colmajor_to(np.float32), _colmajor_to(np.float64)


def _single_or_double(dt, p):
    """cholesky / lu / triangular_solve for one LAPACK precision (``p``: 's' or 'd')."""
    colmajor = _colmajor_f32 if p == "s" else _colmajor_f64
    potrf = _external("lapack", p + "potrf", 5)
    getrf = _external("lapack", p + "getrf", 6)
    trsm = _external("blas", p + "trsm", 11)

    @njit(error_model="numpy")
    def cholesky(a, out):
        """potrf('L'): the lower factor of a's lower triangle; NaN (upper zeros) on failure."""
        n = a.shape[0]
        if n == 0:
            return
        f = colmajor(a)
        info = np.zeros(1, np.int32)
        potrf(_ch(_L).ctypes, _i32(n).ctypes, f.ctypes, _i32(n).ctypes, info.ctypes)
        bad = info[0] != 0
        for i in range(n):
            for j in range(n):
                out[i, j] = 0 if j > i else (np.nan if bad else f[j, i])

    @njit(error_model="numpy")
    def lu(a, out, piv, perm):
        """getrf: packed L\\U, 0-based pivots and the permutation they compose to."""
        m, n = a.shape
        for i in range(m):
            perm[i] = i
        k = min(m, n)
        if k == 0:
            return
        f = colmajor(a)
        ipiv = np.empty(k, np.int32)
        info = np.zeros(1, np.int32)
        getrf(_i32(m).ctypes, _i32(n).ctypes, f.ctypes, _i32(m).ctypes, ipiv.ctypes,
              info.ctypes)  # info > 0 (singular) is fine: U has a zero on its diagonal
        for i in range(m):
            for j in range(n):
                out[i, j] = f[j, i]
        for i in range(k):
            r = ipiv[i] - 1  # LAPACK's pivots are 1-based
            piv[i] = r
            t = perm[i]
            perm[i] = perm[r]
            perm[r] = t

    @njit(error_model="numpy")
    def triangular_solve(a, b, out, left, lower, trans, unit):
        """trsm with alpha 1: op(a) x = b (left) or x op(a) = b; zero pivots give inf/NaN."""
        m, n = b.shape
        if m == 0 or n == 0:
            return
        fa = colmajor(a)
        fb = colmajor(b)
        alpha = np.ones(1, dt)
        trsm(_ch(_L if left else _R).ctypes, _ch(_L if lower else _U).ctypes,
             _ch(_T if trans else _N).ctypes, _ch(_U if unit else _N).ctypes,
             _i32(m).ctypes, _i32(n).ctypes, alpha.ctypes, fa.ctypes, _i32(a.shape[0]).ctypes,
             fb.ctypes, _i32(m).ctypes)
        for i in range(m):
            for j in range(n):
                out[i, j] = fb[j, i]

    return cholesky, lu, triangular_solve


jn_cholesky_f32, jn_lu_f32, jn_triangular_solve_f32 = _single_or_double(np.float32, "s")
jn_cholesky_f64, jn_lu_f64, jn_triangular_solve_f64 = _single_or_double(np.float64, "d")

_dsyevd = _external("lapack", "dsyevd", 11)
_dgeqrf = _external("lapack", "dgeqrf", 8)
_dorgqr = _external("lapack", "dorgqr", 9)
_dgesdd = _external("lapack", "dgesdd", 14)


@njit(error_model="numpy")
def jn_eigh(a, v, w, lower):
    """dsyevd('V') of a's ``lower`` (or upper) triangle, as np.linalg.eigh; NaN on failure."""
    n = a.shape[0]
    if n == 0:
        return
    f = _colmajor_f64(a)
    wd = np.empty(n, np.float64)
    jobz, uplo, nn, info = _ch(_V), _ch(_L if lower else _U), _i32(n), np.zeros(1, np.int32)
    wq, iq = np.empty(1, np.float64), np.empty(1, np.int32)
    _dsyevd(jobz.ctypes, uplo.ctypes, nn.ctypes, f.ctypes, nn.ctypes, wd.ctypes, wq.ctypes,
            _i32(-1).ctypes, iq.ctypes, _i32(-1).ctypes, info.ctypes)
    lwork, liwork = max(1, int(wq[0])), max(1, iq[0])
    work, iwork = np.empty(lwork, np.float64), np.empty(liwork, np.int32)
    _dsyevd(jobz.ctypes, uplo.ctypes, nn.ctypes, f.ctypes, nn.ctypes, wd.ctypes, work.ctypes,
            _i32(lwork).ctypes, iwork.ctypes, _i32(liwork).ctypes, info.ctypes)
    bad = info[0] != 0
    for i in range(n):
        w[i] = np.nan if bad else wd[i]
        for j in range(n):
            v[i, j] = np.nan if bad else f[j, i]


@njit(error_model="numpy")
def _eye_into(x):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = 1 if i == j else 0


@njit(error_model="numpy")
def jn_qr(a, q, r):
    """dgeqrf + dorgqr as np.linalg.qr: q is (m, mc) with mc = q.shape[1], r = triu(.)[:mc]."""
    m, n = a.shape
    mc = q.shape[1]
    if m == 0 or n == 0:  # as the impl: identity q, zero r
        _eye_into(q)
        r[:] = 0
        return
    k = min(m, n)
    f = _colmajor_f64(a)
    tau = np.empty(k, np.float64)
    mm, nn, info = _i32(m), _i32(n), np.zeros(1, np.int32)
    wq = np.empty(1, np.float64)
    _dgeqrf(mm.ctypes, nn.ctypes, f.ctypes, mm.ctypes, tau.ctypes, wq.ctypes, _i32(-1).ctypes,
            info.ctypes)
    lwork = max(1, n, int(wq[0]))
    work = np.empty(lwork, np.float64)
    _dgeqrf(mm.ctypes, nn.ctypes, f.ctypes, mm.ctypes, tau.ctypes, work.ctypes,
            _i32(lwork).ctypes, info.ctypes)
    bad = info[0] != 0
    for i in range(r.shape[0]):
        for j in range(n):
            r[i, j] = 0 if j < i else (np.nan if bad else f[j, i])
    qf = np.zeros((mc, m), np.float64)  # column-major (m, mc): the reflectors, then zeros
    for j in range(min(n, mc)):
        for i in range(m):
            qf[j, i] = f[j, i]
    mcc, kk, info2 = _i32(mc), _i32(k), np.zeros(1, np.int32)
    _dorgqr(mm.ctypes, mcc.ctypes, kk.ctypes, qf.ctypes, mm.ctypes, tau.ctypes, wq.ctypes,
            _i32(-1).ctypes, info2.ctypes)
    lwork = max(1, mc, int(wq[0]))
    work = np.empty(lwork, np.float64)
    _dorgqr(mm.ctypes, mcc.ctypes, kk.ctypes, qf.ctypes, mm.ctypes, tau.ctypes, work.ctypes,
            _i32(lwork).ctypes, info2.ctypes)
    bad = bad or info2[0] != 0
    for i in range(m):
        for j in range(mc):
            q[i, j] = np.nan if bad else qf[j, i]


@njit(error_model="numpy")
def jn_svd(a, s, u, vt, full, compute_uv):
    """dgesdd as np.linalg.svd (jobz 'A', 'S' or 'N'); NaN in every output on failure."""
    m, n = a.shape
    k = min(m, n)
    if k == 0:  # as the impl: identity u and vt
        if compute_uv:
            _eye_into(u)
            _eye_into(vt)
        return
    if compute_uv:
        jz = _A if full else _S
        ucols, vrows = (m, n) if full else (k, k)
        ldu, ldvt = m, vrows
    else:
        jz, ucols, vrows, ldu, ldvt = _N, 1, 1, 1, 1
    f = _colmajor_f64(a)
    sd = np.empty(k, np.float64)
    uf = np.empty((ucols, ldu), np.float64)   # column-major (ldu, ucols)
    vf = np.empty((n, ldvt), np.float64)      # column-major (ldvt, n)
    iwork = np.empty(8 * k, np.int32)
    jobz, mm, nn, info = _ch(jz), _i32(m), _i32(n), np.zeros(1, np.int32)
    wq = np.empty(1, np.float64)
    _dgesdd(jobz.ctypes, mm.ctypes, nn.ctypes, f.ctypes, mm.ctypes, sd.ctypes, uf.ctypes,
            _i32(ldu).ctypes, vf.ctypes, _i32(ldvt).ctypes, wq.ctypes, _i32(-1).ctypes,
            iwork.ctypes, info.ctypes)
    lwork = max(1, int(wq[0]))
    work = np.empty(lwork, np.float64)
    _dgesdd(jobz.ctypes, mm.ctypes, nn.ctypes, f.ctypes, mm.ctypes, sd.ctypes, uf.ctypes,
            _i32(ldu).ctypes, vf.ctypes, _i32(ldvt).ctypes, work.ctypes, _i32(lwork).ctypes,
            iwork.ctypes, info.ctypes)
    bad = info[0] != 0
    for i in range(k):
        s[i] = np.nan if bad else sd[i]
    if compute_uv:
        for i in range(m):
            for j in range(ucols):
                u[i, j] = np.nan if bad else uf[j, i]
        for i in range(vrows):
            for j in range(n):
                vt[i, j] = np.nan if bad else vf[j, i]


# -- matrix products: BLAS gemm on row-major operands -----------------------------------
# One compiled helper per dtype (Numba's np.dot compiles one version per operand layout and
# allocates its result), called with row-contiguous 2-D operands (C-contiguous, or a block of
# columns of one: the leading dimensions come from the row strides) and transpose flags.
# Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T. The library is NumPy's
# ILP64 or SciPy's LP64 OpenBLAS (``runtime/blas.py``): integers go as int64, whose low half
# (little-endian) is what an LP64 library reads, so one machine code serves both.

def _gemm(blas_name):
    from . import blas
    sym = f"jn_blas_{blas_name}"
    _llvm.add_symbol(sym, blas.gemm_address(blas_name))
    gemm = _nbt.ExternalFunction(sym, _nbt.void(*([_nbt.voidptr] * 13)))
    dt = np.float32 if blas_name[0] == "s" else np.float64

    @njit(error_model="numpy")
    def f(a, b, out, ta, tb, scratch):
        """``scratch`` (int64[8], allocated once per program) holds BLAS's by-reference
        integer and character arguments, so a call allocates nothing but the scalars."""
        m, n = out.shape
        k = a.shape[0] if ta else a.shape[1]
        if m == 0 or n == 0:
            return
        if k == 0:
            out[:] = 0
            return
        if scratch.itemsize != 8 or scratch.size < 8:
            raise ValueError("jn_gemm: scratch must be int64[8]")
        sc = scratch
        sc[0], sc[1], sc[2] = n, m, k
        sc[3] = b.strides[0] // b.itemsize    # ldb: the stored row length of b
        sc[4] = a.strides[0] // a.itemsize    # lda
        sc[5] = out.strides[0] // out.itemsize  # ldc
        sc[6] = _T if tb else _N      # the two transpose characters (their low byte)
        sc[7] = _T if ta else _N
        s = sc.view(np.uint8)
        scal = np.empty(2, dt)
        scal[0], scal[1] = 1, 0
        gemm(s[48:].ctypes, s[56:].ctypes, sc[0:].ctypes, sc[1:].ctypes,
             sc[2:].ctypes, scal[0:].ctypes, b.ctypes, sc[3:].ctypes, a.ctypes,
             sc[4:].ctypes, scal[1:].ctypes, out.ctypes, sc[5:].ctypes)
    return f


jn_gemm_f32 = _gemm("sgemm")
jn_gemm_f64 = _gemm("dgemm")


# what generated modules import with "from jitnet.runtime.numba_math import *"
__all__ = [n for n in dir() if n.startswith("jn_")] + ["numba"]

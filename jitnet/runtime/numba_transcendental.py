"""exp, log, log1p, expm1, tanh, logistic and erf for the generated CPU code (``jn_*``).

Numba lowers ``math.exp`` & co. to scalar libm calls, which stop LLVM from vectorizing the
loop around them. The float32 kernels here are branch-free (selects only, integer bit
tricks through bitcasts) so fused loops calling them vectorize (AVX-512: 16 lanes). Their
accuracy over the whole float32 range, NaN, +-Inf, +-0 and denormals included, is tested
against float64 NumPy/SciPy in tests/runtime/test_transcendental_ulp.py; each docstring
states its maximum error in ulp. float64 calls libm where no vectorizable form pays.
They rely on IEEE evaluation order (Cody-Waite splitting, Kahan's log1p/expm1), so the
generated code never enables the 'reassoc' fast-math flag; every polynomial step is an
explicit ``llvm.fma`` (one rounding, the same on every run).
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir as llvm_ir
from numba import njit, types
from numba.extending import intrinsic

_inline = njit(inline="always", error_model="numpy")  # inlined so loops vectorize
_F = np.float32

@intrinsic
def _f32_from_bits(typingctx, x):
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.FloatType())
    return sig, codegen


@intrinsic
def _bits_of_f32(typingctx, x):
    sig = types.int32(types.float32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.IntType(32))
    return sig, codegen


@intrinsic
def _fma_f32(typingctx, a, b, c):
    """a * b + c rounded once (``llvm.fma``: one vfmadd where the CPU has FMA). Only the
    helpers below use it, so their results do not depend on fast-math contraction."""
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        t = llvm_ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [t], llvm_ir.FunctionType(t, [t] * 3))
        return builder.call(fn, args)
    return sig, codegen



@_inline
def _scale_pow2_f32(y, n):
    """y * 2**n for an integer-valued float32 n in [-252, 254]: two normal-range factors,
    applied one after the other so no intermediate overflows or flushes."""
    n1 = np.int32(n) >> 1
    n2 = np.int32(n) - n1
    return (y * _f32_from_bits((n1 + np.int32(127)) << 23)) * \
        _f32_from_bits((n2 + np.int32(127)) << 23)


@_inline
def jn_exp_f32(x):
    """Cephes' range reduction x = n ln2 + r (Cody-Waite, |r| <= ln2/2) and degree-7
    polynomial, scaled by 2**n through the exponent bits (denormal results included).
    Out-of-range lanes compute garbage that the selects replace. Max error 1 ulp."""
    n = np.floor(_fma_f32(x, _F(1.44269504088896341), _F(0.5)))
    r = _fma_f32(n, _F(2.12194440e-4), _fma_f32(n, _F(-0.693359375), x))
    p = _F(1.9875691500e-4)
    p = _fma_f32(p, r, _F(1.3981999507e-3))
    p = _fma_f32(p, r, _F(8.3334519073e-3))
    p = _fma_f32(p, r, _F(4.1665795894e-2))
    p = _fma_f32(p, r, _F(1.6666665459e-1))
    p = _fma_f32(p, r, _F(5.0000001201e-1))
    y = _scale_pow2_f32(_fma_f32(p, r * r, r) + _F(1.0), n)
    y = y if not (x >= _F(88.72283935546875)) else _F(np.inf)  # NaN stays NaN
    return y if not (x <= _F(-103.972084)) else _F(0.0)


@_inline
def jn_log_f32(x):
    """Cephes: x = 2**e m with m in [sqrt(1/2), sqrt(2)) from the bits (denormals lifted by
    2**23 first), log(m) = m - m^2/2 + m^3 P(m), e ln2 added in two parts. Max error 1 ulp."""
    tiny = x < _F(1.17549435e-38)
    xs = x * _F(8388608.0) if tiny else x
    bits = _bits_of_f32(xs)
    e = _F(np.int32(((bits >> 23) & np.int32(0xFF)) - np.int32(126)))  # int32: no int64 detour
    e = e - _F(23.0) if tiny else e
    m = _f32_from_bits((bits & np.int32(0x007FFFFF)) | np.int32(0x3F000000))  # [0.5, 1)
    small = m < _F(0.707106781186547524)
    e = e - _F(1.0) if small else e
    m = (m + m - _F(1.0)) if small else (m - _F(1.0))
    z = m * m
    y = _F(7.0376836292e-2)
    y = _fma_f32(y, m, _F(-1.1514610310e-1))
    y = _fma_f32(y, m, _F(1.1676998740e-1))
    y = _fma_f32(y, m, _F(-1.2420140846e-1))
    y = _fma_f32(y, m, _F(1.4249322787e-1))
    y = _fma_f32(y, m, _F(-1.6668057665e-1))
    y = _fma_f32(y, m, _F(2.0000714765e-1))
    y = _fma_f32(y, m, _F(-2.4999993993e-1))
    y = _fma_f32(y, m, _F(3.3333331174e-1))
    y = _fma_f32(e, _F(-2.12194440e-4), y * m * z)
    y = _fma_f32(_F(-0.5), z, y)
    res = _fma_f32(e, _F(0.693359375), m + y)
    res = res if x < _F(np.inf) else x  # +Inf and NaN
    return res if not (x <= _F(0.0)) else (_F(-np.inf) if x == _F(0.0) else _F(np.nan))


@_inline
def jn_expm1_f32(x):
    """exp's range reduction x = n ln2 + r, then expm1(r) = r + r^2 (1/2 + r Q(r)) (Q: a
    degree-4 relative-error fit on |r| <= ln2/2) and expm1(x) = 2**n expm1(r) + (2**n - 1)
    in one fma, so small |x| (n = 0) loses nothing to cancellation. Max error 1.5 ulp."""
    xc = x if not (x < _F(-20.0)) else _F(-20.0)  # expm1 is -1 in float32 below -17.4
    n = np.floor(_fma_f32(xc, _F(1.44269504088896341), _F(0.5)))
    r = _fma_f32(n, _F(2.12194440e-4), _fma_f32(n, _F(-0.693359375), xc))
    q = _F(0.00019824023)
    q = _fma_f32(q, r, _F(0.0013933502))
    q = _fma_f32(q, r, _F(0.00833342))
    q = _fma_f32(q, r, _F(0.04166648))
    q = _fma_f32(q, r, _F(0.16666666))
    p = _fma_f32(_fma_f32(q, r, _F(0.5)), r * r, r)
    half = _f32_from_bits((np.int32(n) + np.int32(126)) << 23)  # 2**(n-1): n <= 128 fits
    s = half + half
    y = _fma_f32(s, p, s - _F(1.0))
    y = y if n < _F(128.0) else _fma_f32(half, p, half) * _F(2.0)  # 2**n overflows
    y = y if not (x >= _F(88.72283935546875)) else _F(np.inf)
    return y if x != _F(0.0) else x  # expm1(-0) = -0


@_inline
def jn_log1p_f32(x):
    """Kahan: log(u) x / (u - 1) with u = 1 + x rounded, which cancels u's rounding error.
    Max error 2.5 ulp."""
    u = x + _F(1.0)
    d = u - _F(1.0)
    y = jn_log_f32(u) * (x / d) if d != _F(0.0) else x
    y = y if u != _F(np.inf) else u
    return y if x == x else x


@_inline
def _clamp_f32(x, c):
    """x limited to [-c, c]; NaN passes through."""
    x = x if not (x > c) else c
    return x if not (x < -c) else -c


@_inline
def _odd_saturating(x, xc, p, q, c):
    """xc P / Q for an odd function of x that has rounded to +-1 beyond +-c; NaN kept."""
    r = (xc * p) / q
    return r if not (abs(x) > c) else (_F(1.0) if x > _F(0.0) else _F(-1.0))


# tanh(x)/x = P(x^2)/Q(x^2) on |x| <= TANH_ONE (degrees 5/4): a relative-error minimax fit
# (Loeb-Lawson iteration in float64), its float32 coefficients then nudged by a few ulp to
# minimize the error of the float32 evaluation below (benchmarks/fit_rational.py derives
# them). Above TANH_ONE float32 tanh is +-1.
_TANH_ONE = _F(9.010913)  # atanh(1 - 2**-25) rounded down: tanh rounds to 1 above it


@_inline
def jn_tanh_f32(x):
    """tanh without exp: x P(x^2) / Q(x^2), odd by construction (exact sign, tanh(-0) =
    -0, tanh(x) = x for |x| < 2**-12 and denormals), +-1 above 9.0109, NaN kept. Max error
    4.8 ulp, largest near |x| = 3-9 where P and Q round (XLA's float32 tanh: 4.3)."""
    xc = _clamp_f32(x, _TANH_ONE)
    z = xc * xc
    p = _F(-1.2222812e-11)
    p = _fma_f32(p, z, _F(3.0611016e-08))
    p = _fma_f32(p, z, _F(2.8018252e-05))
    p = _fma_f32(p, z, _F(0.0038688616))
    p = _fma_f32(p, z, _F(0.13680342))
    p = _fma_f32(p, z, _F(1.0))
    q = _F(1.2881214e-06)
    q = _fma_f32(q, z, _F(0.0003939573))
    q = _fma_f32(q, z, _F(0.027247792))
    q = _fma_f32(q, z, _F(0.4701368))
    return _odd_saturating(x, xc, p, _fma_f32(q, z, _F(1.0)), _TANH_ONE)


# erf(x)/x = P(x^2)/Q(x^2) on |x| <= ERF_ONE (degrees 6/5), fitted and tuned as tanh's.
_ERF_ONE = _F(3.919206)  # erf rounds to 1 in float32 from here on


@_inline
def jn_erf_f32(x):
    """erf as x P(x^2) / Q(x^2): odd (exact sign and -0), +-1 above 3.919, NaN kept.
    Max error 5.3 ulp, near erf = 1 where P and Q round (XLA's float32 erf: 3.7)."""
    xc = _clamp_f32(x, _ERF_ONE)
    z = xc * xc
    p = _F(-1.2795323e-08)
    p = _fma_f32(p, z, _F(4.6084056e-06))
    p = _fma_f32(p, z, _F(0.00037672758))
    p = _fma_f32(p, z, _F(0.003838488))
    p = _fma_f32(p, z, _F(0.05424314))
    p = _fma_f32(p, z, _F(0.18513417))
    p = _fma_f32(p, z, _F(1.1283792))
    q = _F(6.23914e-05)
    q = _fma_f32(q, z, _F(0.0013014557))
    q = _fma_f32(q, z, _F(0.015429668))
    q = _fma_f32(q, z, _F(0.11387266))
    q = _fma_f32(q, z, _F(0.49740437))
    return _odd_saturating(x, xc, p, _fma_f32(q, z, _F(1.0)), _ERF_ONE)


@_inline
def jn_logistic_f32(x):
    """1 / (1 + e^-x) from e = exp(-|x|), so nothing overflows and the left tail keeps its
    tiny values (denormals included, which XLA flushes). Max error 2.5 ulp."""
    e = jn_exp_f32(-abs(x))  # never overflows; e/(1+e) keeps the tiny values of the left tail
    return _F(1.0) / (_F(1.0) + e) if x >= _F(0.0) else e / (_F(1.0) + e)


# float64: libm (accurate; these calls do not vectorize)

@_inline
def jn_exp_f64(x):
    return math.exp(x)


@_inline
def jn_log_f64(x):
    return math.log(x) if x > 0 else (-np.inf if x == 0 else np.nan)


@_inline
def jn_log1p_f64(x):
    return math.log1p(x) if x > -1 else (-np.inf if x == -1 else np.nan)


@_inline
def jn_expm1_f64(x):
    return math.expm1(x)


@_inline
def jn_tanh_f64(x):
    return math.tanh(x)


@_inline
def jn_erf_f64(x):
    return math.erf(x)


@_inline
def jn_logistic_f64(x):
    return 1.0 / (1.0 + math.exp(-x))


__all__ = [n for n in dir() if n.startswith("jn_")]

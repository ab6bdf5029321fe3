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

_inline = njit(inline="always", error_model="numpy")


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
    if y < 0 or y >= bits:
        return 0
    mask = (1 << bits) - 1
    return (x & mask) >> y


@_inline
def jn_shra(x, y, bits):
    if y < 0 or y >= bits:
        return -1 if x < 0 else 0
    return x >> y


def _f2i(dtype):
    info = np.iinfo(dtype)
    lo, hi = float(info.min), float(info.max)
    imin, imax = int(info.min), int(info.max)

    @_inline
    def f(x):
        if x != x:
            return 0
        if x <= lo:
            return imin
        if x >= hi:
            return imax
        return int(x)
    return f


jn_f2i_int8, jn_f2i_int16, jn_f2i_int32, jn_f2i_int64 = (_f2i(t) for t in
                                                         (np.int8, np.int16, np.int32, np.int64))
jn_f2i_uint8, jn_f2i_uint16, jn_f2i_uint32, jn_f2i_uint64 = (_f2i(t) for t in
                                                             (np.uint8, np.uint16, np.uint32,
                                                              np.uint64))


@_inline
def jn_exp_f32(x):
    return np.float32(math.exp(x))


@_inline
def jn_exp_f64(x):
    return math.exp(x)


@_inline
def jn_log_f32(x):
    return np.float32(math.log(x)) if x > 0 else (np.float32(-np.inf) if x == 0
                                                  else np.float32(np.nan))


@_inline
def jn_log_f64(x):
    return math.log(x) if x > 0 else (-np.inf if x == 0 else np.nan)


@_inline
def jn_log1p_f32(x):
    return np.float32(math.log1p(x)) if x > -1 else (np.float32(-np.inf) if x == -1
                                                     else np.float32(np.nan))


@_inline
def jn_log1p_f64(x):
    return math.log1p(x) if x > -1 else (-np.inf if x == -1 else np.nan)


@_inline
def jn_expm1_f32(x):
    return np.float32(math.expm1(x))


@_inline
def jn_expm1_f64(x):
    return math.expm1(x)


@_inline
def jn_tanh_f32(x):
    return np.float32(math.tanh(x))


@_inline
def jn_tanh_f64(x):
    return math.tanh(x)


@_inline
def jn_logistic_f32(x):
    return np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-x)))


@_inline
def jn_logistic_f64(x):
    return 1.0 / (1.0 + math.exp(-x))


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

__all__ = [n for n in dir() if n.startswith("jn_")] + ["numba"]

# Generated code spells non-finite constants with ``repr`` (``np.float32(-inf)``): give those
# names a meaning in the generated module's namespace (Numba freezes them as constants).
inf = math.inf
nan = math.nan
__all__ += ["inf", "nan"]

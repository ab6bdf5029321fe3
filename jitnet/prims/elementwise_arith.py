"""Elementwise arithmetic on two operands: add, sub, mul, div, rem, pow, max, min, atan2,
nextafter, the bitwise operations, shifts and comparisons, with their jvp and transpose
rules."""
from __future__ import annotations

import numpy as np

from ..core.adtypes import Zero, is_undefined
from .elementwise_rules import (ANY, FLOAT, INT, INT_BOOL, _quiet, binop, defjvp, defjvp_zero,
                                unbroadcast)
from .util import const, get_aval

# -- binary arithmetic ----------------------------------------------------------


def _int_div(x, y):
    if x.dtype.kind in "iu":  # rounds toward zero, like C; x / 0 is all ones, as in XLA
        safe = np.where(y == 0, 1, y)
        q = (x - np.fmod(x, safe)) // safe
        return np.where(y == 0, np.array(-1).astype(x.dtype), q)
    return np.divide(x, y)


def _rem(x, y):
    if x.dtype.kind in "iu":  # x % 0 is x, as in XLA
        return np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y)))
    return np.fmod(x, y)


add_p, add = binop("add", np.add)
sub_p, sub = binop("sub", np.subtract)
mul_p, mul = binop("mul", np.multiply)
div_p, div = binop("div", _quiet(_int_div))
rem_p, rem = binop("rem", _rem)
pow_p, pow = binop("pow", _quiet(np.power), FLOAT)
max_p, max = binop("max", np.maximum, ANY)
min_p, min = binop("min", np.minimum, ANY)
atan2_p, atan2 = binop("atan2", np.arctan2, FLOAT, math="atan2")
nextafter_p, nextafter = binop("nextafter", np.nextafter, FLOAT)
and_p, bitwise_and = binop("and", np.bitwise_and, INT_BOOL)
or_p, bitwise_or = binop("or", np.bitwise_or, INT_BOOL)
xor_p, bitwise_xor = binop("xor", np.bitwise_xor, INT_BOOL)


def _bits(x):
    return x.dtype.itemsize * 8


def _shift_left(x, y):
    out = np.left_shift(x, np.where((y < 0) | (y >= _bits(x)), 0, y))
    return np.where((y < 0) | (y >= _bits(x)), np.zeros_like(x), out)


def _shift_right_logical(x, y):
    u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    out = np.right_shift(u, np.where((y < 0) | (y >= _bits(x)), 0, y).astype(u.dtype))
    out = np.where((y < 0) | (y >= _bits(x)), np.zeros_like(u), out)
    return out.view(x.dtype)


def _shift_right_arithmetic(x, y):
    big = (y < 0) | (y >= _bits(x))
    out = np.right_shift(x, np.where(big, 0, y))
    fill = np.where(x < 0, -1, 0).astype(x.dtype) if x.dtype.kind == "i" else np.zeros_like(x)
    return np.where(big, fill, out)


shift_left_p, shift_left = binop("shift_left", _shift_left, INT)
shift_right_logical_p, shift_right_logical = binop("shift_right_logical", _shift_right_logical, INT)
shift_right_arithmetic_p, shift_right_arithmetic = binop(
    "shift_right_arithmetic", _shift_right_arithmetic, INT)

eq_p, eq = binop("eq", np.equal, ANY, out_dtype=np.bool_)
ne_p, ne = binop("ne", np.not_equal, ANY, out_dtype=np.bool_)
lt_p, lt = binop("lt", np.less, ANY, out_dtype=np.bool_)
le_p, le = binop("le", np.less_equal, ANY, out_dtype=np.bool_)
gt_p, gt = binop("gt", np.greater, ANY, out_dtype=np.bool_)
ge_p, ge = binop("ge", np.greater_equal, ANY, out_dtype=np.bool_)


# -- jvp rules

for _p in (nextafter_p, and_p, or_p, xor_p, shift_left_p, shift_right_logical_p,
           shift_right_arithmetic_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p):
    defjvp_zero(_p)


def _pow_jvp_x(t, out, x, y):
    # d/dx x**y = y * x**(y-1) with no special case at y == 0: the mixed derivative there is
    # 1/x, and 0**0 has slope 0 * inf = nan in x (as JAX)
    return mul(t, mul(y, pow(x, sub(y, const(y, 1)))))


def _pow_jvp_y(t, out, x, y):
    # d/dy x**y = log(x) * x**y, taken as 0 where x == 0 (the limit for y > 0); log sees 1
    # there, so no infinite derivative of log leaks into reverse mode
    safe = select(eq(x, const(x, 0)), const(x, 1), x)
    return mul(t, mul(log(safe), out))


defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)
defjvp(add_p, lambda t, out, x, y: t, lambda t, out, x, y: t)
defjvp(sub_p, lambda t, out, x, y: t, lambda t, out, x, y: neg(t))
defjvp(mul_p, lambda t, out, x, y: mul(t, y), lambda t, out, x, y: mul(x, t))
defjvp(div_p, lambda t, out, x, y: div(t, y), lambda t, out, x, y: neg(mul(t, div(out, y))))
defjvp(rem_p, lambda t, out, x, y: t,
       lambda t, out, x, y: neg(mul(t, mul(sign(div(x, y)), floor(abs(div(x, y)))))))
defjvp(atan2_p, lambda t, out, x, y: mul(t, div(y, add(square(x), square(y)))),
       lambda t, out, x, y: mul(t, div(neg(x), add(square(x), square(y)))))


def _balanced_eq(x, z, y):
    """1 where x == z != y, 0.5 where x == z == y, else 0: splits ties evenly (as JAX)."""
    dt = get_aval(z).dtype
    xz = convert_element_type(eq(x, z), dt)
    yz = convert_element_type(eq(y, z), dt)
    return div(xz, add(const(z, 1), yz))


defjvp(max_p, lambda t, out, x, y: mul(t, _balanced_eq(x, out, y)),
       lambda t, out, x, y: mul(t, _balanced_eq(y, out, x)))
defjvp(min_p, lambda t, out, x, y: mul(t, _balanced_eq(x, out, y)),
       lambda t, out, x, y: mul(t, _balanced_eq(y, out, x)))

# -- transpose rules (linear in an operand)


def _add_transpose(ct, x, y):
    return (unbroadcast(x.aval, ct) if is_undefined(x) else None,
            unbroadcast(y.aval, ct) if is_undefined(y) else None)


def _sub_transpose(ct, x, y):
    nct = ct if type(ct) is Zero else neg(ct)
    return (unbroadcast(x.aval, ct) if is_undefined(x) else None,
            unbroadcast(y.aval, nct) if is_undefined(y) else None)


def _mul_transpose(ct, x, y):
    if is_undefined(x) and is_undefined(y):
        raise NotImplementedError("mul: transpose of a product of two linear values (not linear)")
    if type(ct) is Zero:
        return (ct if is_undefined(x) else None, ct if is_undefined(y) else None)
    if is_undefined(x):
        return unbroadcast(x.aval, mul(ct, y)), None
    return None, unbroadcast(y.aval, mul(x, ct))


def _div_transpose(ct, x, y):
    if is_undefined(y):
        raise NotImplementedError("div: transpose with respect to the divisor (not linear)")
    return (ct if type(ct) is Zero else unbroadcast(x.aval, div(ct, y))), None


add_p.transpose = _add_transpose
sub_p.transpose = _sub_transpose
mul_p.transpose = _mul_transpose
div_p.transpose = _div_transpose


# the other families: the rules above call their operations when they run. Imported last,
# so that every primitive of this module exists whichever family is imported first.
from .elementwise_math import abs, floor, log, neg, sign, square  # noqa: E402
from .elementwise_select import select  # noqa: E402
from .elementwise_convert import convert_element_type  # noqa: E402

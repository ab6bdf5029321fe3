"""Elementwise ``jnp`` functions: NumPy names over the lax primitives, with JAX's promotion."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from ..lax.composite import logaddexp as _logaddexp
from ..prims.util import get_aval
from .util import (as_jitnet, broadcast_full, broadcast_shapes, broadcast_to_shape,
                   check_arraylike, convert, promote_args, promote_args_inexact,
                   promote_args_numeric)


def _c(x, v):
    """Weak constant ``v`` of ``x``'s dtype."""
    return convert(v, get_aval(x).dtype, True)


def _unary(name, op, inexact=True):
    promote = promote_args_inexact if inexact else promote_args

    def f(x, /):
        (x,) = promote(name, x)
        return op(x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}``, as ``numpy.{name}``."
    return f


def _binary(name, op, inexact=False):
    promote = promote_args_inexact if inexact else promote_args

    def f(x, y, /):
        x, y = promote(name, x, y)
        return op(x, y)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}``, as ``numpy.{name}``."
    return f


# -- arithmetic -------------------------------------------------------------------

add = _binary("add", lambda x, y: lax.bitwise_or(x, y) if get_aval(x).dtype == np.bool_
              else lax.add(x, y))
subtract = _binary("subtract", lax.sub)
multiply = _binary("multiply", lambda x, y: lax.bitwise_and(x, y) if get_aval(x).dtype == np.bool_
                   else lax.mul(x, y))
true_divide = divide = _binary("true_divide", lax.div, inexact=True)
negative = _unary("negative", lax.neg, inexact=False)
positive = _unary("positive", lambda x: x, inexact=False)
maximum = _binary("maximum", lax.max)
minimum = _binary("minimum", lax.min)
arctan2 = _binary("arctan2", lax.atan2, inexact=True)
atan2 = arctan2
nextafter = _binary("nextafter", lax.nextafter, inexact=True)


def floor_divide(x, y, /):
    x, y = promote_args_numeric("floor_divide", x, y)
    dt = get_aval(x).dtype
    if dt.kind in "iu":
        q = lax.div(x, y)
        if dt.kind == "u":
            return q
        # JAX's rule, signs compared with lax.sign: x // 0 is -2 for x != 0 (XLA's x / 0
        # is -1, and sign(x) != sign(0)), 0 // 0 is -1
        fix = lax.bitwise_and(lax.ne(lax.rem(x, y), _c(x, 0)),
                              lax.ne(lax.sign(x), lax.sign(y)))
        return lax.select(fix, lax.sub(q, _c(q, 1)), q)
    x, y = broadcast_full(x, y)
    # x // 0 is x / 0 (a signed infinity or NaN), as in NumPy; floor_divide is piecewise
    # constant, so that branch must not pass on x / y's (infinite) derivative
    by_zero = lax.stop_gradient(lax.div(x, y))
    return lax.select(lax.eq(y, _c(y, 0)), by_zero, _float_divmod(x, y)[0])


def _float_divmod(x, y):
    mod = lax.rem(x, y)
    div = lax.div(lax.sub(x, mod), y)
    ind = lax.bitwise_and(lax.ne(mod, _c(mod, 0)), lax.ne(lax.sign(y), lax.sign(mod)))
    mod = lax.select(ind, lax.add(mod, y), mod)
    div = lax.select(ind, lax.sub(div, _c(div, 1)), div)
    return lax.round(div), mod


def _nonzero_divisor(x, y):
    """Integer ``y`` with zeros replaced by ones: ``x % 0`` and ``fmod(x, 0)`` are 0 in JAX
    (and NumPy), not XLA's ``x``."""
    if get_aval(x).dtype.kind not in "iu":
        return y
    return lax.select(lax.eq(y, _c(y, 0)), _c(y, 1), y)


def remainder(x, y, /):
    x, y = promote_args_numeric("remainder", x, y)
    y = _nonzero_divisor(x, y)
    mod = lax.rem(x, y)
    if get_aval(x).dtype.kind == "u":
        return mod
    fix = lax.bitwise_and(lax.ne(mod, _c(mod, 0)), lax.ne(lax.lt(mod, _c(mod, 0)),
                                                         lax.lt(y, _c(y, 0))))
    return lax.select(fix, lax.add(mod, y), mod)


mod = remainder


def divmod(x, y, /):
    return floor_divide(x, y), remainder(x, y)


def fmod(x, y, /):
    x, y = promote_args_numeric("fmod", x, y)
    return lax.rem(x, _nonzero_divisor(x, y))


def power(x, y, /):
    """``x ** y``; a static Python int exponent uses repeated multiplication (``integer_pow``).

    Bool inputs count as int32, as in JAX.
    """
    check_arraylike("power", x, y)
    if type(y) is int and not isinstance(x, (int, float, complex)):
        (x,) = promote_args_numeric("power", x)
        if get_aval(x).dtype.kind in "iu" and y < 0:
            raise ValueError("Integers cannot be raised to negative integer powers")
        return lax.integer_pow(x, y)
    x, y = promote_args_numeric("power", x, y)
    dt = get_aval(x).dtype
    if kind_of(dt) in "fc":
        return lax.pow(x, y)
    return _integer_power(*broadcast_full(x, y))


def _integer_power(x, y):
    """Integer ``x ** y`` by square-and-multiply over the bits of ``y`` (y >= 0)."""
    acc = lax.full_like(x, 1)
    bits = get_aval(y).dtype.itemsize * 8
    base = x
    for _ in range(bits):
        acc = lax.select(lax.ne(lax.bitwise_and(y, _c(y, 1)), _c(y, 0)), lax.mul(acc, base), acc)
        base = lax.mul(base, base)
        y = lax.shift_right_logical(y, _c(y, 1))
    return acc


def float_power(x, y, /):
    x, y = promote_args_inexact("float_power", x, y)
    return lax.pow(x, y)


def absolute(x, /):
    (x,) = promote_args("absolute", x)
    return x if get_aval(x).dtype.kind in "ub" else lax.abs(x)


abs = absolute


def fabs(x, /):
    (x,) = promote_args_inexact("fabs", x)
    return lax.abs(x)


def sign(x, /):
    (x,) = promote_args("sign", x)
    return lax.sign(x)


def square(x, /):
    (x,) = promote_args_numeric("square", x)
    return lax.integer_pow(x, 2)


def reciprocal(x, /):
    (x,) = promote_args_inexact("reciprocal", x)
    return lax.integer_pow(x, -1)


def _round_like(name, op):
    def f(x, /):
        (x,) = promote_args(name, x)
        return x if get_aval(x).dtype.kind in "iub" else op(x)
    f.__name__ = name
    return f


floor = _round_like("floor", lax.floor)
ceil = _round_like("ceil", lax.ceil)
rint = _unary("rint", lambda x: lax.round(x, 1))


def trunc(x, /):
    (x,) = promote_args("trunc", x)
    if get_aval(x).dtype.kind in "iub":
        return x
    return lax.select(lax.lt(x, _c(x, 0)), lax.ceil(x), lax.floor(x))


fix = trunc


def round(a, decimals: int = 0, out=None):
    """Round half to even, with ``decimals`` digits (as ``numpy.round``)."""
    (a,) = promote_args("round", a)
    dt = get_aval(a).dtype
    if dt.kind in "iub":
        if decimals >= 0 or dt == np.bool_:
            return a
        f = 10 ** (-decimals)
        if f > np.iinfo(dt).max:  # every value rounds to 0
            return lax.full_like(a, 0)
        fc = _c(a, f)
        q = floor_divide(a, fc)
        r = lax.sub(a, lax.mul(q, fc))  # 0 <= r < f
        rest = lax.sub(fc, r)
        odd = lax.ne(lax.bitwise_and(q, _c(q, 1)), _c(q, 0))
        up = lax.bitwise_or(lax.gt(r, rest), lax.bitwise_and(lax.eq(r, rest), odd))
        q = lax.select(up, lax.add(q, _c(q, 1)), q)  # half to even, as NumPy
        return lax.mul(q, fc)
    if decimals == 0:
        return lax.round(a, 1)
    f = _c(a, 10.0 ** decimals)
    return lax.div(lax.round(lax.mul(a, f), 1), f)


around = round

# -- exponentials, logs, trig -------------------------------------------------------

exp = _unary("exp", lax.exp)
exp2 = _unary("exp2", lax.exp2)
expm1 = _unary("expm1", lax.expm1)
log = _unary("log", lax.log)
log1p = _unary("log1p", lax.log1p)
log2 = _unary("log2", lambda x: lax.div(lax.log(x), _c(x, np.log(2))))
log10 = _unary("log10", lambda x: lax.div(lax.log(x), _c(x, np.log(10))))
sqrt = _unary("sqrt", lax.sqrt)
cbrt = _unary("cbrt", lax.cbrt)
sin = _unary("sin", lax.sin)
cos = _unary("cos", lax.cos)
tan = _unary("tan", lax.tan)
arcsin = asin = _unary("arcsin", lax.asin)
arccos = acos = _unary("arccos", lax.acos)
arctan = atan = _unary("arctan", lax.atan)
sinh = _unary("sinh", lax.sinh)
cosh = _unary("cosh", lax.cosh)
tanh = _unary("tanh", lax.tanh)
arcsinh = asinh = _unary("arcsinh", lax.asinh)
arccosh = acosh = _unary("arccosh", lax.acosh)
arctanh = atanh = _unary("arctanh", lax.atanh)
deg2rad = radians = _unary("deg2rad", lambda x: lax.mul(x, _c(x, np.pi / 180)))
rad2deg = degrees = _unary("rad2deg", lambda x: lax.mul(x, _c(x, 180 / np.pi)))


def sinc(x, /):
    """``sin(pi x) / (pi x)``, 1 at 0, with derivatives right at and near 0.

    For ``|pi x| < 0.1`` it is the Maclaurin polynomial of ``sin(t) / t`` to ``t^8``
    (truncation below 3e-18), so the first eight derivatives are exact at 0 and stay
    accurate near it: differentiating ``sin(t) / t`` there cancels catastrophically
    (JAX's rule, exact only at 0, gives ``sinc''(1e-30) = -3e44``).
    """
    (x,) = promote_args_inexact("sinc", x)
    t = lax.mul(x, _c(x, np.pi))
    mag = lax.abs(t)  # (real for complex x too)
    small = lax.lt(mag, _c(mag, 0.1))
    ts = lax.select(small, t, lax.full_like(t, 0))
    t2 = lax.mul(ts, ts)
    poly = _c(t2, 1 / 362880)
    for coef in (-1 / 5040, 1 / 120, -1 / 6, 1.0):
        poly = lax.add(lax.mul(poly, t2), _c(t2, coef))
    safe = lax.select(small, lax.full_like(t, 1), t)
    return lax.select(small, poly, lax.div(lax.sin(safe), safe))


def hypot(x, y, /):
    x, y = broadcast_full(*promote_args_inexact("hypot", x, y))
    x, y = lax.abs(x), lax.abs(y)
    # a select, not max/min: their rules split a tie's slope, which loses the curvature
    # of hypot at |x| == |y|
    x_big = lax.ge(x, y)
    big, small = lax.select(x_big, x, y), lax.select(x_big, y, x)
    safe = lax.select(lax.eq(big, _c(big, 0)), _c(big, 1), big)
    r = lax.div(small, safe)
    out = lax.select(lax.eq(big, _c(big, 0)), big,
                     lax.mul(big, lax.sqrt(lax.add(_c(r, 1), lax.mul(r, r)))))
    # a nan side propagates (as big it already has; as small big == 0 would hide it)
    out = lax.select(lax.ne(small, small), small, out)
    # an infinite side wins over a NaN one (IEEE hypot, as NumPy)
    inf = lax.bitwise_or(lax.eq(x, _c(x, np.inf)), lax.eq(y, _c(y, np.inf)))
    return lax.select(inf, lax.full_like(out, np.inf), out)


def logaddexp(x, y, /):
    """``log(exp(x) + exp(y))`` without overflow, with its own derivative rule (as JAX's;
    see ``lax.composite.logaddexp``, which computes it after promotion)."""
    x, y = promote_args_inexact("logaddexp", x, y)
    return _logaddexp(x, y)


def logaddexp2(x, y, /):
    x, y = promote_args_inexact("logaddexp2", x, y)
    ln2 = _c(x, np.log(2))
    return lax.div(logaddexp(lax.mul(x, ln2), lax.mul(y, ln2)), ln2)


def fmax(x, y, /):
    """Elementwise maximum ignoring nan (nan only where both are nan), as ``numpy.fmax``."""
    x, y = broadcast_full(*promote_args("fmax", x, y))
    return lax.select(lax.ne(y, y), x, lax.select(lax.ne(x, x), y, lax.max(x, y)))


def fmin(x, y, /):
    """Elementwise minimum ignoring nan, as ``numpy.fmin``."""
    x, y = broadcast_full(*promote_args("fmin", x, y))
    return lax.select(lax.ne(y, y), x, lax.select(lax.ne(x, x), y, lax.min(x, y)))


def modf(x, /):
    """``(fractional part, integral part)``, both with ``x``'s sign (``(±0, ±inf)`` at
    infinities)."""
    (x,) = promote_args_inexact("modf", x)
    whole = trunc(x)
    frac = lax.select(isinf(x), copysign(lax.full_like(x, 0), x), lax.sub(x, whole))
    return frac, whole


def copysign(x, y, /):
    x, y = broadcast_full(*promote_args_inexact("copysign", x, y))
    return lax.select(signbit(y), lax.neg(lax.abs(x)), lax.abs(x))


def heaviside(x, h0, /):
    x, h0 = broadcast_full(*promote_args_inexact("heaviside", x, h0))
    zero, one = _c(x, 0), _c(x, 1)
    out = lax.select(lax.lt(x, zero), lax.full_like(x, 0),
                     lax.select(lax.gt(x, zero), lax.full_like(x, 1), h0))
    return lax.select(lax.ne(x, x), x, out)  # NaN stays NaN


# -- predicates and comparisons -------------------------------------------------------

def isnan(x, /):
    (x,) = promote_args("isnan", x)
    if kind_of(get_aval(x).dtype) not in "fc":
        return lax.full_like(x, False, np.bool_)
    return lax.ne(x, x)


def isinf(x, /):
    (x,) = promote_args("isinf", x)
    if kind_of(get_aval(x).dtype) not in "fc":
        return lax.full_like(x, False, np.bool_)
    if kind_of(get_aval(x).dtype) == "c":  # either part infinite (not |x|: it overflows)
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    return lax.eq(lax.abs(x), _c(x, np.inf))


def isfinite(x, /):
    (x,) = promote_args("isfinite", x)
    if kind_of(get_aval(x).dtype) not in "fc":
        return lax.full_like(x, True, np.bool_)
    return lax.is_finite(x)


def isposinf(x, /):
    (x,) = promote_args("isposinf", x)
    return lax.eq(x, _c(x, np.inf)) if kind_of(get_aval(x).dtype) == "f" else \
        lax.full_like(x, False, np.bool_)


def isneginf(x, /):
    (x,) = promote_args("isneginf", x)
    return lax.eq(x, _c(x, -np.inf)) if kind_of(get_aval(x).dtype) == "f" else \
        lax.full_like(x, False, np.bool_)


def signbit(x, /):
    (x,) = promote_args("signbit", x)
    dt = get_aval(x).dtype
    if dt.kind == "i":
        return lax.lt(x, _c(x, 0))
    if dt.kind in "ub":
        return lax.full_like(x, False, np.bool_)
    itype = np.dtype(f"i{dt.itemsize}")
    return lax.lt(lax.bitcast_convert_type(x, itype), convert(0, itype, True))


equal = _binary("equal", lax.eq)
not_equal = _binary("not_equal", lax.ne)
less = _binary("less", lax.lt)
less_equal = _binary("less_equal", lax.le)
greater = _binary("greater", lax.gt)
greater_equal = _binary("greater_equal", lax.ge)


def _logical(name, op):
    def f(x, y, /):
        check_arraylike(name, x, y)
        x, y = (lax.ne(a, _c(a, 0)) if get_aval(a).dtype != np.bool_ else a
                for a in promote_args(name, x, y))
        return op(x, y)
    f.__name__ = name
    return f


logical_and = _logical("logical_and", lax.bitwise_and)
logical_or = _logical("logical_or", lax.bitwise_or)
logical_xor = _logical("logical_xor", lax.bitwise_xor)


def logical_not(x, /):
    (x,) = promote_args("logical_not", x)
    if get_aval(x).dtype != np.bool_:
        x = lax.ne(x, _c(x, 0))
    return lax.bitwise_not(x)


bitwise_and = _binary("bitwise_and", lax.bitwise_and)
bitwise_or = _binary("bitwise_or", lax.bitwise_or)
bitwise_xor = _binary("bitwise_xor", lax.bitwise_xor)
invert = bitwise_not = bitwise_invert = _unary("invert", lax.bitwise_not, inexact=False)
def left_shift(x, y, /):
    x, y = promote_args_numeric("left_shift", x, y)
    return lax.shift_left(x, y)


bitwise_left_shift = left_shift


def right_shift(x, y, /):
    x, y = promote_args_numeric("right_shift", x, y)
    if get_aval(x).dtype.kind == "u":
        return lax.shift_right_logical(x, y)
    return lax.shift_right_arithmetic(x, y)


bitwise_right_shift = right_shift


# -- selection ----------------------------------------------------------------------

def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """``condition ? x : y`` elementwise; the one-argument form is ``nonzero``."""
    if x is None and y is None:
        from .indexing import nonzero
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("jnp.where takes one or three positional arguments")
    check_arraylike("where", condition, x, y)
    cond = as_jitnet(condition)
    if get_aval(cond).dtype != np.bool_:
        cond = lax.ne(cond, convert(0, get_aval(cond).dtype, True))
    x, y = promote_args("where", x, y)
    shape = broadcast_shapes("where", get_aval(cond).shape, get_aval(x).shape, get_aval(y).shape)
    x, y = broadcast_to_shape(x, shape), broadcast_to_shape(y, shape)
    cond = broadcast_to_shape(cond, shape)
    if shape and not get_aval(x).shape and not get_aval(y).shape:
        x = broadcast_to_shape(lax.broadcast_in_dim(x, shape, ()), shape)
    return lax.select(cond, x, y)


def select(condlist, choicelist, default=0):
    """``choicelist[i]`` where ``condlist[i]`` is the first true condition, else
    ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"jnp.select: condlist and choicelist must have the same length, "
                         f"got {len(condlist)} and {len(choicelist)}")
    if not condlist:
        raise ValueError("jnp.select: condlist must be non-empty")
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(cond, choice, out)
    return out


def clip(arr=None, /, min=None, max=None, *, a=None, a_min=None, a_max=None):
    """``minimum(maximum(arr, min), max)``; either bound may be None."""
    arr = a if arr is None else arr
    min = a_min if min is None else min
    max = a_max if max is None else max
    check_arraylike("clip", arr)
    x = as_jitnet(arr)
    bounds = [b for b in (min, max) if b is not None]
    check_arraylike("clip", *bounds)
    broadcast_shapes("clip", get_aval(x).shape, *[np.shape(b) if not hasattr(b, "shape")
                                                  else b.shape for b in bounds])
    if min is not None:
        x = maximum(x, min)
    if max is not None:
        x = minimum(x, max)
    return x


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    check_arraylike("nan_to_num", x)
    x = as_jitnet(x)
    dt = get_aval(x).dtype
    if kind_of(dt) not in "fc":
        return x
    info = np.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    x = where(isnan(x), _c(x, nan), x)
    x = where(isposinf(x), _c(x, posinf), x)
    return where(isneginf(x), _c(x, neginf), x)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = promote_args("isclose", a, b)
    dt = get_aval(a).dtype
    if kind_of(dt) not in "fc":
        return equal(a, b)
    real_dt = np.finfo(dt).dtype if kind_of(dt) == "c" else dt  # |a - b|'s dtype
    rtol, atol = convert(rtol, real_dt, True), convert(atol, real_dt, True)
    out = lax.le(lax.abs(lax.sub(a, b)), lax.add(atol, lax.mul(rtol, lax.abs(b))))
    both_inf = lax.bitwise_and(isinf(a), lax.eq(a, b))
    out = lax.bitwise_or(lax.bitwise_and(out, isfinite(b)), both_inf)
    if equal_nan:
        out = lax.bitwise_or(out, lax.bitwise_and(isnan(a), isnan(b)))
    return out


def conj(x, /):
    """Complex conjugate: the identity on real arrays."""
    check_arraylike("conj", x)
    x = as_jitnet(x)
    return lax.conj(x) if get_aval(x).dtype.kind == "c" else x


conjugate = conj


def real(x, /):
    """Real part (complex64 -> float32): the identity on real arrays."""
    check_arraylike("real", x)
    x = as_jitnet(x)
    return lax.real(x) if get_aval(x).dtype.kind == "c" else x


def imag(x, /):
    """Imaginary part (complex64 -> float32): zeros (of the same dtype) for real arrays."""
    check_arraylike("imag", x)
    x = as_jitnet(x)
    a = get_aval(x)
    return lax.imag(x) if a.dtype.kind == "c" else convert(lax.full_like(x, 0), a.dtype,
                                                             a.weak_type)

"""Elementwise math: the unary functions (exp, log, the trigonometric and hyperbolic
functions, erf, lgamma, digamma...), rounding, integer powers, with their jvp rules.
A function that is a plain call of Python's ``math`` declares it (``math="sin"``): both code
generators then write it without a template of their own."""
from __future__ import annotations

import numpy as np

from ..core.adtypes import Zero
from ..core.aval import ShapedArray
from ..trace.tracer import bind
from .elementwise_rules import (FLOAT, INT, INT_BOOL, NUMERIC, _define, _kernel, _quiet, _scipy_special,
                                defjvp, defjvp_zero, unop)
from .util import const, get_aval

# -- unary math -----------------------------------------------------------------

neg_p, neg = unop("neg", np.negative, NUMERIC)
sign_p, sign = unop("sign", np.sign, NUMERIC)
floor_p, floor = unop("floor", np.floor)
ceil_p, ceil = unop("ceil", np.ceil)
is_finite_p, is_finite = unop("is_finite", np.isfinite, FLOAT, out_dtype=np.bool_)
exp_p, exp = unop("exp", _kernel("exp", _quiet(np.exp)))
exp2_p, exp2 = unop("exp2", _quiet(np.exp2))
log_p, log = unop("log", _kernel("log", _quiet(np.log)))
log1p_p, log1p = unop("log1p", _kernel("log1p", _quiet(np.log1p)))
expm1_p, expm1 = unop("expm1", _kernel("expm1", _quiet(np.expm1)))
tanh_p, tanh = unop("tanh", _kernel("tanh", np.tanh))
logistic_p, logistic = unop("logistic", _kernel("logistic", _scipy_special("expit")))
sin_p, sin = unop("sin", _quiet(np.sin), math="sin")
cos_p, cos = unop("cos", _quiet(np.cos), math="cos")
tan_p, tan = unop("tan", _quiet(np.tan), math="tan")
asin_p, asin = unop("asin", _quiet(np.arcsin), math="asin")
acos_p, acos = unop("acos", _quiet(np.arccos), math="acos")
atan_p, atan = unop("atan", np.arctan, math="atan")
sinh_p, sinh = unop("sinh", _quiet(np.sinh), math="sinh")
cosh_p, cosh = unop("cosh", _quiet(np.cosh), math="cosh")
asinh_p, asinh = unop("asinh", np.arcsinh, math="asinh")
acosh_p, acosh = unop("acosh", _quiet(np.arccosh), math="acosh")
atanh_p, atanh = unop("atanh", _quiet(np.arctanh), math="atanh")
sqrt_p, sqrt = unop("sqrt", _quiet(np.sqrt))
rsqrt_p, rsqrt = unop("rsqrt", _quiet(lambda x: np.reciprocal(np.sqrt(x))))
cbrt_p, cbrt = unop("cbrt", np.cbrt)
abs_p, abs = unop("abs", np.abs, NUMERIC)
_abs_rule = abs_p.shape_rule


def _abs_shape(x):
    """|complex| is real (complex64 -> float32), as in NumPy and JAX."""
    out = _abs_rule(x)
    if out.dtype.kind == "c":
        return ShapedArray(out.shape, np.finfo(out.dtype).dtype, out.weak_type)
    return out


abs_p.shape_rule = _abs_shape
erf_p, erf = unop("erf", _scipy_special("erf"), math="erf")
erfc_p, erfc = unop("erfc", _scipy_special("erfc"), math="erfc")
erf_inv_p, erf_inv = unop("erf_inv", _kernel("erf_inv", _quiet(_scipy_special("erfinv"))))


def _digamma_impl(x):
    """scipy's psi, but NaN at every pole (0, -1, -2, ...) as in JAX."""
    import scipy.special
    return np.where((x <= 0) & (x == np.floor(x)), np.nan, scipy.special.psi(x)).astype(x.dtype)


def _lgamma_impl(x):
    import scipy.special
    return np.where(x == -np.inf, np.inf, scipy.special.gammaln(x)).astype(x.dtype)


digamma_p, digamma = unop("digamma", _digamma_impl)
lgamma_p, lgamma = unop("lgamma", _lgamma_impl)
not_p, bitwise_not = unop("not", np.invert, INT_BOOL)


def _population_count_impl(x):
    """Set bits of each element's two's-complement bits (``np.bitwise_count`` of a signed
    value counts those of its absolute value, so it reads the unsigned view)."""
    x = np.asarray(x)
    return np.bitwise_count(x.view(np.dtype(f"u{x.dtype.itemsize}"))).astype(x.dtype)


population_count_p, population_count = unop("population_count", _population_count_impl, INT)


def _round_impl(x, *, rounding_method):
    if rounding_method == 1:  # to nearest even
        return np.round(x)
    t = np.trunc(x)  # away from zero
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype)


round_p = _define("round", _quiet(_round_impl), FLOAT, 1)


def round(x, rounding_method=0):
    """``lax.round``: 0 rounds half away from zero, 1 rounds half to even."""
    return bind(round_p, x, rounding_method=int(rounding_method))


def _integer_pow_impl(x, *, y):
    if y >= 0:
        return np.power(x, y)
    return np.reciprocal(np.power(x, -y))


integer_pow_p = _define("integer_pow", _quiet(_integer_pow_impl), NUMERIC, 1)


def integer_pow(x, y: int):
    return bind(integer_pow_p, x, y=int(y))


def square(x):
    return integer_pow(x, 2)


def reciprocal(x):
    return integer_pow(x, -1)


# -- jvp rules

for _p in (sign_p, floor_p, ceil_p, round_p, is_finite_p, not_p, population_count_p):
    defjvp_zero(_p)

defjvp(neg_p, lambda t, out, x: neg(t))
defjvp(exp_p, lambda t, out, x: mul(t, out))
defjvp(exp2_p, lambda t, out, x: mul(t, mul(out, const(out, np.log(2.0)))))
defjvp(log_p, lambda t, out, x: div(t, x))
defjvp(log1p_p, lambda t, out, x: div(t, add(x, const(x, 1))))
defjvp(expm1_p, lambda t, out, x: mul(t, add(out, const(out, 1))))
defjvp(tanh_p, lambda t, out, x: mul(add(t, mul(t, out)), sub(const(out, 1), out)))
defjvp(logistic_p, lambda t, out, x: mul(t, mul(out, sub(const(out, 1), out))))
defjvp(sin_p, lambda t, out, x: mul(t, cos(x)))
defjvp(cos_p, lambda t, out, x: neg(mul(t, sin(x))))
defjvp(tan_p, lambda t, out, x: mul(t, add(const(out, 1), square(out))))
defjvp(asin_p, lambda t, out, x: mul(t, rsqrt(sub(const(x, 1), square(x)))))
defjvp(acos_p, lambda t, out, x: neg(mul(t, rsqrt(sub(const(x, 1), square(x))))))
defjvp(atan_p, lambda t, out, x: div(t, add(const(x, 1), square(x))))
defjvp(sinh_p, lambda t, out, x: mul(t, cosh(x)))
defjvp(cosh_p, lambda t, out, x: mul(t, sinh(x)))
defjvp(asinh_p, lambda t, out, x: mul(t, rsqrt(add(square(x), const(x, 1)))))
defjvp(acosh_p, lambda t, out, x: mul(t, rsqrt(mul(sub(x, const(x, 1)), add(x, const(x, 1))))))
defjvp(atanh_p, lambda t, out, x: div(t, sub(const(x, 1), square(x))))
defjvp(sqrt_p, lambda t, out, x: div(t, mul(out, const(out, 2))))
defjvp(rsqrt_p, lambda t, out, x: mul(t, mul(const(x, -0.5), div(out, x))))
defjvp(cbrt_p, lambda t, out, x: mul(t, mul(const(x, 1 / 3), integer_pow(out, -2))))


def _abs_jvp(t, out, x):
    # JAX's convention for real x: slope +1 at 0 (not sign(0) = 0), so |x| keeps the slope
    # that hypot's, the norms' and l1 losses' derivatives rely on at zeros
    if get_aval(x).dtype.kind == "c":  # Re(conj(x) t) / |x|, and 0 at x == 0 (as JAX)
        safe = select(eq(out, const(out, 0)), const(out, 1), out)
        return div(real(mul(conj(x), t)), safe)
    return select(ge(x, const(x, 0)), t, neg(t))


defjvp(abs_p, _abs_jvp)
defjvp(erf_p, lambda t, out, x: mul(t, mul(const(x, 2 / np.sqrt(np.pi)), exp(neg(square(x))))))
defjvp(erfc_p, lambda t, out, x: mul(t, mul(const(x, -2 / np.sqrt(np.pi)), exp(neg(square(x))))))
defjvp(erf_inv_p, lambda t, out, x: mul(t, mul(const(x, np.sqrt(np.pi) / 2), exp(square(out)))))
defjvp(lgamma_p, lambda t, out, x: mul(t, digamma(x)))

# psi_1(z) ~ 1/z + 1/(2 z^2) + sum_k B_2k / z^(2k+1) (Bernoulli numbers B_2 ... B_14)
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_TRIGAMMA_SHIFT = 10


def trigamma(x):
    """``psi_1(x) = d/dx digamma(x)``, the derivative rule of ``digamma`` (so
    ``grad(grad(gammaln))`` works), written with primitives so it differentiates again.

    ``psi_1(z) = sum_{k<10} 1/(z+k)^2 + psi_1(z+10)``, the last by its asymptotic series
    (truncation below 1e-15 relative for ``z >= 1/2``); below 1/2 the reflection
    ``psi_1(x) = pi^2 / sin^2(pi x) - psi_1(1 - x)``; ``+inf`` at the poles 0, -1, -2, ...
    """
    half, one = const(x, 0.5), const(x, 1)
    reflect = lt(x, half)
    z = select(reflect, sub(one, x), x)
    total = None
    for k in range(_TRIGAMMA_SHIFT):
        term = integer_pow(add(z, const(z, k)) if k else z, -2)
        total = term if total is None else add(total, term)
    w = add(z, const(z, _TRIGAMMA_SHIFT))
    inv = integer_pow(w, -1)
    inv2 = mul(inv, inv)
    series = const(x, _TRIGAMMA_SERIES[-1])
    for b in reversed(_TRIGAMMA_SERIES[:-1]):
        series = add(mul(series, inv2), const(x, b))
    asym = add(add(inv, mul(half, inv2)), mul(series, mul(inv2, inv)))
    pos = add(total, asym)
    pi = const(x, np.pi)
    refl = sub(div(mul(pi, pi), square(sin(mul(pi, x)))), pos)
    out = select(reflect, refl, pos)
    pole = bitwise_and(le(x, const(x, 0)), eq(x, floor(x)))
    return select(pole, const(x, np.inf), out)


defjvp(digamma_p, lambda t, out, x: mul(t, trigamma(x)))


def _integer_pow_jvp(t, out, x, *, y):
    if y == 0:
        return mul(t, const(x, 0))
    return mul(t, mul(const(x, y), integer_pow(x, y - 1) if y != 1 else const(x, 1)))


defjvp(integer_pow_p, _integer_pow_jvp)


def _neg_transpose(ct, x):
    return (Zero(x.aval) if type(ct) is Zero else neg(ct),)


neg_p.transpose = _neg_transpose


# the other families: the rules above call their operations when they run. Imported last,
# so that every primitive of this module exists whichever family is imported first.
from .elementwise_arith import add, div, eq, ge, le, lt, mul, sub, bitwise_and  # noqa: E402
from .elementwise_select import select  # noqa: E402
from .elementwise_convert import conj, real  # noqa: E402

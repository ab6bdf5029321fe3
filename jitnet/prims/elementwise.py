"""Elementwise primitives: math, arithmetic, comparisons, bitwise ops, select, clamp, casts.

Operands must share one dtype (``jnp`` promotes first) and one shape, except
that 0-d operands broadcast implicitly, as in ``lax``. Every primitive here
uses the generic n-ary batching rule; jvp and transpose rules sit beside each
definition.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..core.dtypes import kind_of
from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.primitive import ELEMENTWISE, Elementwise, Primitive
from ..trace.array import ArrayImpl
from ..trace.tracer import bind
from .util import (broadcast_batch, const, dtype_error, get_aval, instantiate, shape_error,
                   shape_str, tangent_aval)

# dtype classes accepted by each primitive family
FLOAT = "fc"
NUMERIC = "iufc"
INT = "iu"
INT_BOOL = "iub"
ANY = "iufcb"
_KIND_NAMES = {"f": "floating", "c": "complex", "i": "signed integer", "u": "unsigned integer",
               "b": "bool"}


# eager float32/float64 kernels by primitive name, installed by the runtime when jitnet is
# imported (runtime/eager_kernels.install): the compiled code's own kernels, so that eager and
# jitted results agree bit for bit. The primitives do not import the runtime.
EAGER_FLOAT_KERNELS: dict = {}


def _kernel(name: str, fallback):
    """Eager impl that runs the compiled code's own float kernel (``EAGER_FLOAT_KERNELS``);
    other dtypes use ``fallback``. The kernels are validated against float64 NumPy in
    tests/runtime/test_numba_math.py."""
    def impl(x):
        if x.dtype == np.float32 or x.dtype == np.float64:
            return EAGER_FLOAT_KERNELS[name](x)
        return fallback(x)
    impl.__name__ = name
    return impl


def _scipy_special(name: str):
    """scipy.special's ``name`` as an impl, imported on its first call (importing
    scipy.special costs ~0.2 s, a third of ``import jitnet``)."""
    def impl(x):
        import scipy.special
        return getattr(scipy.special, name)(x)
    impl.__name__ = name
    return impl


def _quiet(f):
    """Marks impls that may produce inf/nan; their NumPy RuntimeWarnings are silenced for
    all of jitnet's modules at import (see ``jitnet/prims/__init__.py``), like XLA's."""
    return f


def nary_shape_rule(name: str, kinds: str, out_dtype=None):
    def rule(*avals, **params):
        shape = ()
        for a in avals:
            if a.shape:
                if shape and a.shape != shape:
                    shapes = " and ".join(shape_str(b.shape) for b in avals)
                    raise shape_error(f"{name}: incompatible shapes for broadcasting: {shapes}")
                shape = a.shape
        dt = avals[0].dtype
        for a in avals[1:]:
            if a.dtype != dt:
                names = ", ".join(b.dtype.name for b in avals)
                raise dtype_error(f"{name} requires arguments to have the same dtypes, got "
                                  f"{names} (jnp.{name} promotes dtypes automatically)")
        if kind_of(dt) not in kinds:
            accepted = ", ".join(_KIND_NAMES[k] for k in kinds)
            raise dtype_error(f"{name} does not accept dtype {dt.name}; accepted: {accepted}")
        weak = all(a.weak_type for a in avals)
        if out_dtype is not None:
            return ShapedArray(shape, out_dtype, False)
        return ShapedArray(shape, dt, weak)
    return rule


def nary_batch(prim):
    """vmap rule for elementwise primitives: align batch dims, keep 0-d operands as they are."""
    def batch(args, dims, **params):
        bd = {d for d in dims if d is not None}
        ranks = {len(a.shape) for a, d in zip(args, dims) if d is not None}
        plain = all(d is not None or len(a.shape) == 0 for a, d in zip(args, dims))
        if len(bd) == 1 and len(ranks) == 1 and plain:
            return bind(prim, *args, **params), bd.pop()  # nothing to move
        size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
        out_rank = builtins.max(len(a.shape) - (d is not None) for a, d in zip(args, dims))
        moved = []
        for a, d in zip(args, dims):
            if d is None and len(a.shape) == 0:
                moved.append(a)
                continue
            x = broadcast_batch(a, d, size)
            if len(x.shape) - 1 < out_rank:  # a batched scalar meets a batched array
                full = (size,) + _out_shape(args, dims)
                x = sh.broadcast_in_dim(x, full, (0,))
            moved.append(x)
        return bind(prim, *moved, **params), 0
    return batch


def primary_batch(prim, primaries):
    """vmap rule for ``select_n``/``clamp``, whose shape rules let the selector or bounds be
    0-d but not larger than the operands in ``primaries``: when only the selector (or a
    bound) is batched, the first primary operand is broadcast to carry the batch first."""
    inner = nary_batch(prim)

    def batch(args, dims, **params):
        if all(dims[i] is None for i in primaries):
            j = next(i for i, d in enumerate(dims) if d is not None)
            per_example = [tuple(n for i, n in enumerate(a.shape) if i != d)
                           for a, d in zip(args, dims)]
            full = (args[j].shape[dims[j]],) + builtins.max(per_example, key=len)
            k = primaries[0]
            rank = len(args[k].shape)
            args, dims = list(args), list(dims)
            args[k] = sh.broadcast_in_dim(args[k], full, tuple(range(len(full) - rank,
                                                                       len(full))))
            dims[k] = 0
        return inner(args, dims, **params)
    return batch


def _out_shape(args, dims):
    for a, d in zip(args, dims):
        s = tuple(a.shape)
        if d is not None:
            s = s[:d] + s[d + 1:]
        if s:
            return s
    return ()


def _define(name, impl, kinds, nargs, out_dtype=None, math=None):
    """An elementwise primitive; ``math``: its per-element function is ``math.<math>``
    (see ``core.primitive.Elementwise``)."""
    p = Primitive(name, kind=Elementwise(math) if math else ELEMENTWISE)
    p.impl = impl
    p.shape_rule = nary_shape_rule(name, kinds, out_dtype)
    p.batch = nary_batch(p)
    return p


def unop(name, impl, kinds=FLOAT, out_dtype=None, math=None):
    p = _define(name, impl, kinds, 1, out_dtype, math)
    return p, (lambda x, _p=p: bind(_p, x))


def binop(name, impl, kinds=NUMERIC, out_dtype=None, math=None):
    p = _define(name, impl, kinds, 2, out_dtype, math)
    return p, (lambda x, y, _p=p: bind(_p, x, y))


# -- jvp helpers ----------------------------------------------------------------

def defjvp(prim, *contribs):
    """jvp = sum over non-zero tangents of ``contrib_i(t_i, out, *primals, **params)``."""
    def jvp(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        total = None
        for t, f in zip(tangents, contribs):
            if f is None or type(t) is Zero:
                continue
            c = f(t, out, *primals, **params)
            total = c if total is None else add(total, c)
        out_aval = get_aval(out)
        if total is None:
            return out, Zero(tangent_aval(out_aval))
        if tuple(total.shape) != out_aval.shape:
            total = sh.broadcast_in_dim(total, out_aval.shape, ())
        return out, total
    prim.jvp = jvp


def defjvp_zero(prim):
    def jvp(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        return out, Zero(tangent_aval(get_aval(out)))
    prim.jvp = jvp


def unbroadcast(aval, ct):
    """Cotangent for an operand that was implicitly broadcast from 0-d."""
    if type(ct) is Zero or tuple(ct.shape) == aval.shape:
        return ct
    return red.reduce_sum(ct, tuple(range(len(ct.shape))))


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


# -- select and clamp -----------------------------------------------------------

def _select_shape(which, *cases):
    if not cases:
        raise shape_error("select_n: at least one case is required")
    out = nary_shape_rule("select_n", ANY)(*cases)
    if which.dtype.kind not in "bi" or (which.dtype.kind == "b" and len(cases) > 2):
        raise dtype_error(f"select_n: the selector must be bool (two cases) or int32, got "
                          f"{which.dtype.name} with {len(cases)} cases")
    if which.shape and which.shape != out.shape:
        raise shape_error(f"select_n: selector shape {shape_str(which.shape)} must be () or "
                          f"match the cases' shape {shape_str(out.shape)}")
    return out


def _select_impl(which, *cases):
    if len(cases) == 1:
        return np.broadcast_to(cases[0], np.broadcast_shapes(which.shape, cases[0].shape)).copy()
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which.astype(np.intp), np.broadcast_arrays(*cases))


select_n_p = Primitive("select_n", kind=ELEMENTWISE)
select_n_p.impl = _select_impl
select_n_p.shape_rule = _select_shape


select_n_p.batch = lambda args, dims, **params: primary_batch(  # the cases follow the selector
    select_n_p, tuple(range(1, len(args))))(args, dims, **params)


def select_n(which, *cases):
    """``cases[which]`` elementwise; ``which`` is bool (two cases) or int32."""
    return bind(select_n_p, which, *cases)


def select(pred, on_true, on_false):
    return select_n(pred, on_false, on_true)


def _clamp_shape(lo, x, hi):
    out = nary_shape_rule("clamp", NUMERIC)(x)
    for b, nm in ((lo, "min"), (hi, "max")):
        if b.dtype != x.dtype:
            raise dtype_error(f"clamp: {nm} has dtype {b.dtype.name} but the operand has "
                              f"{x.dtype.name}")
        if b.shape and b.shape != x.shape:
            raise shape_error(f"clamp: {nm} shape {shape_str(b.shape)} must be () or the "
                              f"operand's shape {shape_str(x.shape)}")
    return out


clamp_p = Primitive("clamp", kind=ELEMENTWISE)
clamp_p.impl = lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)
clamp_p.shape_rule = _clamp_shape
clamp_p.batch = primary_batch(clamp_p, (1,))


def clamp(min, x, max):
    return bind(clamp_p, min, x, max)


# -- dtype conversion -----------------------------------------------------------

def _float_to_int(x, dtype):
    """Saturating conversion with NaN -> 0, as XLA (and the compiled ``jn_f2i_*``) do.
    The bounds are compared in float64 before casting: clipping to ``iinfo.max`` in the
    source type would round it up (2**31 - 1 is 2**31 in float32) and the cast would wrap."""
    info = np.iinfo(dtype)
    wide = x.astype(np.float64)
    hi, lo = wide >= float(info.max), wide <= float(info.min)
    with np.errstate(invalid="ignore"):
        out = np.where(hi | lo | np.isnan(wide), 0, np.trunc(wide)).astype(dtype)
    return np.where(hi, np.array(info.max, dtype), np.where(lo, np.array(info.min, dtype), out))


def _convert_impl(x, *, new_dtype, weak_type):
    new_dtype = np.dtype(new_dtype)
    if kind_of(x.dtype) in "fc" and kind_of(new_dtype) in "iu":
        return _float_to_int(np.real(x), new_dtype)
    if new_dtype == np.bool_:
        return x != 0
    return x.astype(new_dtype)


def _convert_shape(x, *, new_dtype, weak_type):
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = Primitive("convert_element_type", kind=ELEMENTWISE)
convert_element_type_p.impl = _convert_impl
convert_element_type_p.shape_rule = _convert_shape
convert_element_type_p.batch = lambda args, dims, **p: (bind(convert_element_type_p, *args, **p),
                                                        dims[0])


def convert_index(x, new_dtype):
    """``x`` as the index dtype ``new_dtype`` without x64 canonicalization: positions in an
    axis longer than 2**31 - 1 need int64 even with x64 off (``dtypes.index_dtype``)."""
    new_dtype = np.dtype(new_dtype)
    if get_aval(x).dtype == new_dtype:
        return x
    return bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=False)


def index_constant(v: int, dtype):
    """``v`` as a 0-d index of ``dtype``: a NumPy scalar (a literal in traces), or, for int64
    with x64 off, a concrete array, which is not canonicalized (wrapped) to int32."""
    from ..core.dtypes import canonicalize_dtype
    dtype = np.dtype(dtype)
    if canonicalize_dtype(dtype) != dtype:
        return ArrayImpl(np.asarray(v, dtype))
    return dtype.type(v)


def convert_element_type(x, new_dtype, weak_type: bool = False):
    from ..core.dtypes import canonicalize_dtype
    new_dtype = canonicalize_dtype(new_dtype)
    a = get_aval(x)
    if a.dtype == new_dtype and a.weak_type == weak_type and hasattr(x, "shape"):
        return x
    return bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=bool(weak_type))


def _bitcast_shape(x, *, new_dtype):
    if np.dtype(new_dtype).itemsize != x.dtype.itemsize:
        raise dtype_error(f"bitcast_convert_type: {x.dtype.name} and {np.dtype(new_dtype).name} "
                          f"differ in width; only same-width bitcasts are supported")
    return ShapedArray(x.shape, new_dtype)


bitcast_convert_type_p = Primitive("bitcast_convert_type", kind=ELEMENTWISE)
bitcast_convert_type_p.impl = lambda x, *, new_dtype: x.view(new_dtype)
bitcast_convert_type_p.shape_rule = _bitcast_shape
bitcast_convert_type_p.batch = lambda args, dims, **p: (bind(bitcast_convert_type_p, *args, **p),
                                                        dims[0])


def bitcast_convert_type(x, new_dtype):
    return bind(bitcast_convert_type_p, x, new_dtype=np.dtype(new_dtype))


def _round_to_dtype_shape(x, *, dtype):
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise dtype_error(f"round_to_dtype: operand must be float32 or float64, got "
                          f"{x.dtype.name}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


round_to_dtype_p = Primitive("round_to_dtype", kind=ELEMENTWISE)
round_to_dtype_p.impl = lambda x, *, dtype: x.astype(dtype).astype(x.dtype)
round_to_dtype_p.shape_rule = _round_to_dtype_shape
round_to_dtype_p.batch = lambda args, dims, **p: (bind(round_to_dtype_p, *args, **p), dims[0])
# like JAX's reduce_precision: the tangent (cotangent) is rounded the same way
round_to_dtype_p.jvp = lambda primals, tangents, **p: (
    bind(round_to_dtype_p, *primals, **p),
    tangents[0] if type(tangents[0]) is Zero else bind(round_to_dtype_p, tangents[0], **p))
round_to_dtype_p.transpose = lambda ct, x, **p: (
    ct if type(ct) is Zero else bind(round_to_dtype_p, ct, **p),)


def round_to_dtype(x, dtype):
    """``x`` rounded to the nearest value of the narrower float ``dtype`` (float16,
    bfloat16; IEEE round-to-nearest-even, subnormals, overflow to inf) but kept in x's
    dtype: what ``x.astype(dtype).astype(x.dtype)`` computes. Compiled code stores
    float16/bfloat16 values in float32 and rounds each result with it
    (``transforms/low_precision.py``). Unlike JAX's ``reduce_precision`` it keeps the
    narrow type's subnormals."""
    return bind(round_to_dtype_p, x, dtype=np.dtype(dtype))


stop_gradient_p = Primitive("stop_gradient", kind=ELEMENTWISE)
stop_gradient_p.impl = lambda x: x
stop_gradient_p.shape_rule = lambda x: ShapedArray(x.shape, x.dtype, x.weak_type)
stop_gradient_p.batch = lambda args, dims: (bind(stop_gradient_p, *args), dims[0])


def stop_gradient(x):
    """Identity whose derivative is zero (applied leafwise to pytrees by ``lax``)."""
    return bind(stop_gradient_p, x)


# -- jvp rules --------------------------------------------------------------------

for _p in (sign_p, floor_p, ceil_p, round_p, is_finite_p, nextafter_p, not_p, and_p, or_p, xor_p,
           shift_left_p, shift_right_logical_p, shift_right_arithmetic_p, eq_p, ne_p, lt_p, le_p,
           gt_p, ge_p, stop_gradient_p, bitcast_convert_type_p):
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


def _select_jvp(primals, tangents):
    which, *cases = primals
    out = select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return out, Zero(tangent_aval(get_aval(out)))
    ts = [instantiate(t) for t in tangents[1:]]
    return out, select_n(which, *ts)


select_n_p.jvp = _select_jvp


def _clamp_jvp(primals, tangents):
    lo, x, hi = primals
    out = clamp(lo, x, hi)
    zero = const(out, 0)
    total = None
    tl, tx, th = tangents
    if type(tx) is not Zero:
        total = select(bitwise_and(gt(x, lo), lt(x, hi)), tx, zero)
    if type(tl) is not Zero:  # as JAX: lo's slope only while lo < hi (hi wins lo == hi)
        c = select(bitwise_and(gt(lo, x), lt(lo, hi)), tl, zero)
        total = c if total is None else add(total, c)
    if type(th) is not Zero:
        c = select(lt(hi, x), th, zero)
        total = c if total is None else add(total, c)
    if total is None:
        return out, Zero(tangent_aval(get_aval(out)))
    if tuple(total.shape) != tuple(out.shape):
        total = sh.broadcast_in_dim(total, tuple(out.shape), ())
    return out, total


clamp_p.jvp = _clamp_jvp


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or kind_of(np.dtype(new_dtype)) not in "fc" or kind_of(get_aval(x).dtype) not in "fc":
        return out, Zero(tangent_aval(get_aval(out)))
    return out, bind(convert_element_type_p, t, new_dtype=new_dtype, weak_type=weak_type)


convert_element_type_p.jvp = _convert_jvp


# -- transpose rules (linear primitives) ----------------------------------------

def _neg_transpose(ct, x):
    return (Zero(x.aval) if type(ct) is Zero else neg(ct),)


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


def _select_transpose(ct, which, *cases):
    if is_undefined(which):
        raise NotImplementedError("select_n: transpose with respect to the selector")
    outs = [None]
    for i, c in enumerate(cases):
        if not is_undefined(c):
            outs.append(None)
        elif type(ct) is Zero:
            outs.append(Zero(c.aval))
        else:
            z = const(ct, 0)
            picks = [z] * len(cases)
            picks[i] = ct
            outs.append(unbroadcast(c.aval, select_n(which, *picks)))
    return tuple(outs)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    if type(ct) is Zero:
        return (Zero(x.aval),)
    return (bind(convert_element_type_p, ct, new_dtype=x.aval.dtype, weak_type=x.aval.weak_type),)


neg_p.transpose = _neg_transpose
add_p.transpose = _add_transpose
sub_p.transpose = _sub_transpose
mul_p.transpose = _mul_transpose
div_p.transpose = _div_transpose
select_n_p.transpose = _select_transpose
convert_element_type_p.transpose = _convert_transpose


# -- complex parts ------------------------------------------------------------------
# real, imag, conj and complex are R-linear. Their transposes follow JAX's convention: a
# cotangent c of a complex value pairs with a tangent t as Re(c * t) (no conjugation, the
# same pairing mul's transpose uses), so grad of a real function of z = x + iy returns
# df/dx - i df/dy (grad(|z|**2) = 2 conj(z), as in JAX).

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}


def _part_shape(name):
    def rule(x):
        if x.dtype.kind != "c":
            raise dtype_error(f"{name} requires a complex operand, got {x.dtype.name} "
                              f"(jnp.{name} accepts real arrays too)")
        return ShapedArray(x.shape, np.finfo(x.dtype).dtype, x.weak_type)
    return rule


real_p = _define("real", lambda x: np.real(x).copy(), "c", 1)  # a copy: not a strided view
real_p.shape_rule = _part_shape("real")
imag_p = _define("imag", lambda x: np.imag(x).copy(), "c", 1)
imag_p.shape_rule = _part_shape("imag")
conj_p = _define("conj", np.conjugate, "c", 1)


def _complex_impl(x, y):
    shape = np.broadcast_shapes(x.shape, y.shape)
    out = np.empty(shape, _COMPLEX_OF[x.dtype])
    out.real, out.imag = x, y  # not x + 1j * y: 1j * inf would put a nan in the real part
    return out


def _complex_shape(x, y):
    out = nary_shape_rule("complex", "f")(x, y)
    if out.dtype not in _COMPLEX_OF:
        raise dtype_error(f"complex requires float32 or float64 operands, got "
                          f"{x.dtype.name} and {y.dtype.name}")
    return ShapedArray(out.shape, _COMPLEX_OF[out.dtype], out.weak_type)


complex_p = _define("complex", _complex_impl, "f", 2)
complex_p.shape_rule = _complex_shape


def real(x):
    """``lax.real``: the real part of a complex array (complex64 -> float32)."""
    return bind(real_p, x)


def imag(x):
    """``lax.imag``: the imaginary part of a complex array (complex64 -> float32)."""
    return bind(imag_p, x)


def conj(x):
    """``lax.conj``: the complex conjugate; a real operand is returned as complex (its own
    conjugate, with +0 imaginary parts), as in JAX (``jnp.conj`` keeps real arrays real)."""
    a = get_aval(x)
    if a.dtype.kind != "c":
        if a.dtype not in _COMPLEX_OF:
            raise dtype_error(f"conj requires a float32, float64 or complex operand, got "
                              f"{a.dtype.name}")
        return convert_element_type(x, _COMPLEX_OF[a.dtype], a.weak_type)
    return bind(conj_p, x)


def complex(x, y):
    """``lax.complex``: ``x + i y`` from two float arrays of one dtype."""
    return bind(complex_p, x, y)


defjvp(real_p, lambda t, out, x: real(t))
defjvp(imag_p, lambda t, out, x: imag(t))
defjvp(conj_p, lambda t, out, x: conj(t))


def _complex_jvp(primals, tangents):
    x, y = primals
    out = complex(x, y)
    tx, ty = tangents
    if type(tx) is Zero and type(ty) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    zero = const(x, 0)
    t = complex(zero if type(tx) is Zero else tx, zero if type(ty) is Zero else ty)
    if tuple(t.shape) != tuple(out.shape):
        t = sh.broadcast_in_dim(t, tuple(out.shape), ())
    return out, t


complex_p.jvp = _complex_jvp


def _real_transpose(ct, x):
    return (Zero(x.aval) if type(ct) is Zero else complex(ct, const(ct, 0)),)


def _imag_transpose(ct, x):
    return (Zero(x.aval) if type(ct) is Zero else complex(const(ct, 0), neg(ct)),)


def _conj_transpose(ct, x):
    return (Zero(x.aval) if type(ct) is Zero else conj(ct),)


def _complex_transpose(ct, x, y):
    if type(ct) is Zero:
        return (Zero(x.aval) if is_undefined(x) else None,
                Zero(y.aval) if is_undefined(y) else None)
    return (unbroadcast(x.aval, real(ct)) if is_undefined(x) else None,
            unbroadcast(y.aval, neg(imag(ct))) if is_undefined(y) else None)


real_p.transpose = _real_transpose
imag_p.transpose = _imag_transpose
conj_p.transpose = _conj_transpose
complex_p.transpose = _complex_transpose


# the shape and reduction families build on these primitives (reduce_sum combines with add_p,
# its kind says so), so they are imported once every primitive here exists; the rules above
# use them only when they run
from . import reduce as red  # noqa: E402
from . import shape as sh  # noqa: E402

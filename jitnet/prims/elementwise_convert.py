"""Elementwise conversions: ``convert_element_type`` (and the index helpers built on it),
``bitcast_convert_type``, ``round_to_dtype``, ``stop_gradient``, and the complex parts
(``real``, ``imag``, ``conj``, ``complex``), with their jvp and transpose rules."""
from __future__ import annotations

import numpy as np

from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.dtypes import kind_of
from ..core.primitive import ELEMENTWISE, Primitive
from ..trace.array import ArrayImpl
from ..trace.tracer import bind
from .elementwise_rules import _define, defjvp, defjvp_zero, nary_shape_rule, unbroadcast
from .util import const, dtype_error, get_aval, tangent_aval

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


# -- jvp and transpose rules

for _p in (stop_gradient_p, bitcast_convert_type_p):
    defjvp_zero(_p)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)
    if (type(t) is Zero or kind_of(np.dtype(new_dtype)) not in "fc"
            or kind_of(get_aval(x).dtype) not in "fc"):
        return out, Zero(tangent_aval(get_aval(out)))
    return out, bind(convert_element_type_p, t, new_dtype=new_dtype, weak_type=weak_type)


convert_element_type_p.jvp = _convert_jvp


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    if type(ct) is Zero:
        return (Zero(x.aval),)
    return (bind(convert_element_type_p, ct, new_dtype=x.aval.dtype, weak_type=x.aval.weak_type),)


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


# the other families: the rules above call their operations when they run. Imported last,
# so that every primitive of this module exists whichever family is imported first.
from .elementwise_math import neg  # noqa: E402
from . import shape as sh  # noqa: E402

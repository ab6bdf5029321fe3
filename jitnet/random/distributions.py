"""Samplers with JAX 0.10.2's algorithms, so the same key gives the same numbers as JAX.

Each sampler turns threefry bits into values with the exact sequence of
operations JAX uses (same bit layout, same float tricks, same clipping), built
from jitnet operations only: no NumPy random state and no Python loops over
elements, so every sampler is traceable by ``jit`` and batchable by ``vmap``
over keys. Shapes and parameters that decide array shapes must be static.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from .. import numpy as jnp
from ..core import dtypes
from ..numpy.util import as_jitnet, canonicalize_axis, check_arraylike, to_dtype
from ..prims.util import get_aval
from ..trace.array import Array
from ..trace.tracer import Tracer
from . import threefry
from .keys import canonicalize_shape, check_key

_UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: np.dtype(np.uint32),
         64: np.dtype(np.uint64)}


# -- argument helpers --------------------------------------------------------------

def _dtype(name: str, dtype, default, kinds: str, what: str):
    dt = default() if dtype is None else to_dtype(dtype)
    if kind_of(dt) not in kinds:
        raise ValueError(f"dtype argument to `{name}` must be a {what} dtype, got {dt}")
    return dt


def _float_dtype(name, dtype):
    return _dtype(name, dtype, dtypes.default_float, "f", "float")


def _shape_of(x) -> tuple:
    return tuple(get_aval(x).shape) if isinstance(x, (Array, np.ndarray, np.generic)) else ()


def _check_shape(name: str, shape: tuple, *param_shapes) -> None:
    """Parameters must broadcast *to* ``shape`` (JAX's rule), not merely with it."""
    if not param_shapes:
        return
    try:
        out = tuple(np.broadcast_shapes(shape, *param_shapes))
    except ValueError:
        raise ValueError(f"{name}: incompatible shapes for broadcasting: shapes="
                         f"{[shape, *param_shapes]}") from None
    if out != tuple(shape):
        raise ValueError(f"{name} parameter shapes must be broadcast-compatible with shape "
                         f"argument, and the result of broadcasting the shapes must equal the "
                         f"shape argument, but got result {out} for shape argument {shape}.")


def _result_shape(name: str, shape, *param_shapes) -> tuple:
    """The sample shape: ``shape`` checked against the parameters' shapes, or (None) their
    broadcast shape (JAX's rule for samplers with array parameters)."""
    if shape is None:
        try:
            return tuple(np.broadcast_shapes(*param_shapes))
        except ValueError:
            raise ValueError(f"{name}: parameter shapes {list(param_shapes)} do not "
                             f"broadcast together") from None
    shape = canonicalize_shape(shape)
    _check_shape(name, shape, *param_shapes)
    return shape


def _param_shape(name: str, shape, *params) -> tuple:
    """``_result_shape`` for parameter values."""
    return _result_shape(name, shape, *map(_shape_of, params))


def _to(x, dtype):
    """``x`` as a strongly typed array of ``dtype`` (``lax.convert_element_type``)."""
    if isinstance(x, (bool, int, float, np.ndarray, np.generic)):
        return np.asarray(x, dtype)  # constants stay NumPy values (same rounding as a cast)
    return lax.convert_element_type(x, dtype)


def _bcast_to(x, shape):
    return jnp.broadcast_to(x, shape) if tuple(get_aval(x).shape) != tuple(shape) else x


def _rem(x, y):
    """Unsigned ``x % y`` (same shapes) with XLA's rule ``x % 0 == x``; jitnet's NumPy-based
    ``lax.rem`` returns 0 there, and randint relies on the XLA rule for a full-width span."""
    zero = lax.eq(y, np.zeros((), get_aval(y).dtype))
    r = lax.rem(x, lax.select(zero, lax.full_like(y, 1), y))
    return lax.select(zero, x, r)


# -- bits and uniform ----------------------------------------------------------------

def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers (uint64 by default under x64, else uint32)."""
    data, _ = check_key("bits", key)
    dt = _dtype("bits", dtype, lambda: dtypes.canonicalize_dtype(np.uint64), "u",
                "unsigned int")
    shape = canonicalize_shape(shape)
    return threefry.random_bits(data, dt.itemsize * 8, shape)


def _uniform_bits_to_float(b, dtype):
    """Floats in [0, 1): the top mantissa bits under exponent 0, minus 1 (JAX's bit trick)."""
    fi = np.finfo(dtype)
    nbits, nmant = fi.bits, fi.nmant
    udt = _UINT[nbits]
    fb = lax.shift_right_logical(b, np.asarray(nbits - nmant, udt))
    fb = lax.bitwise_or(fb, np.array(1.0, dtype).view(udt))
    return lax.sub(lax.bitcast_convert_type(fb, dtype), np.asarray(1.0, dtype))


def _work(dtype):
    """Where uniform's multiply-add runs: XLA computes it for float16 in float32 (with one
    final rounding), so jitnet does too to reproduce JAX's float16 values."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _fma(a, b, c):
    """``a * b + c`` rounded once, like the fused multiply-add XLA emits for it on CPU.

    Error-free transformations (Dekker's TwoProduct, Knuth's TwoSum) give the exact
    product error ``e`` and sum error ``t``; ``s + (t + e)`` is then the correctly
    rounded result except in rare double-rounding ties. Falls back to ``a * b + c``
    where the splitting overflows.
    """
    dt = get_aval(as_jitnet(a)).dtype
    splitter = np.asarray(2.0 ** ((np.finfo(dt).nmant + 2) // 2) + 1, dt)

    def split(x):
        t = jnp.multiply(x, splitter)
        hi = jnp.subtract(t, jnp.subtract(t, x))
        return hi, jnp.subtract(x, hi)

    p = jnp.multiply(a, b)
    ah, al = split(a)
    bh, bl = split(b)
    e = jnp.add(jnp.add(jnp.add(jnp.subtract(jnp.multiply(ah, bh), p), jnp.multiply(ah, bl)),
                        jnp.multiply(al, bh)), jnp.multiply(al, bl))
    s = jnp.add(p, c)
    bb = jnp.subtract(s, p)
    t = jnp.add(jnp.subtract(p, jnp.subtract(s, bb)), jnp.subtract(c, bb))
    r = jnp.add(s, jnp.add(t, e))
    return jnp.where(jnp.isfinite(r), r, s)


def _exact_scale(minval, maxval, dtype) -> bool:
    """True when the bounds are constants whose span is a power of two (the common [0, 1),
    [-1, 1) ... cases): then ``u * span`` is exact and needs no FMA emulation."""
    if not (isinstance(minval, np.ndarray) and isinstance(maxval, np.ndarray)
            and minval.ndim == 0 and maxval.ndim == 0):
        return False
    with np.errstate(all="ignore"):
        span = np.subtract(maxval, minval)
    fi = np.finfo(dtype)
    return bool(np.isfinite(span) and span >= fi.tiny * 2.0 ** fi.nmant
                and np.frexp(span)[0] == 0.5)


def _uniform(data, shape, dtype, minval, maxval):
    """JAX's ``_uniform``: ``max(minval, u * (maxval - minval) + minval)``, the multiply-add
    rounded once (XLA fuses it)."""
    fi = np.finfo(dtype)
    if fi.bits not in (16, 32, 64):
        raise TypeError(f"uniform only accepts 16-, 32- or 64-bit float dtypes, got {dtype}")
    check_arraylike("uniform", minval, maxval)
    minval, maxval = _to(minval, dtype), _to(maxval, dtype)
    _check_shape("uniform", shape, _shape_of(minval), _shape_of(maxval))
    w = _work(dtype)
    if w != dtype:
        minval, maxval = _to(minval, w), _to(maxval, w)
    floats = _uniform_bits_to_float(threefry.random_bits(data, fi.bits, shape), dtype)
    if w != dtype:
        floats = lax.convert_element_type(floats, w)
    if _exact_scale(minval, maxval, w):  # u * span is exact: a plain multiply-add is the FMA
        out = jnp.add(jnp.multiply(floats, jnp.subtract(maxval, minval)), minval)
    else:
        out = _fma(floats, jnp.subtract(maxval, minval), minval)
    out = _bcast_to(jnp.maximum(minval, out), shape)
    return lax.convert_element_type(out, dtype)


def uniform(key, shape=(), dtype=None, minval=0., maxval=1.):
    """Uniform values in ``[minval, maxval)``."""
    data, _ = check_key("uniform", key)
    dtype = _float_dtype("uniform", dtype)
    return _uniform(data, canonicalize_shape(shape), dtype, minval, maxval)


# -- normal family --------------------------------------------------------------------

def _normal_real(data, shape, dtype):
    lo = np.nextafter(np.array(-1., dtype), np.array(0., dtype))
    u = _uniform(data, shape, dtype, lo, np.array(1., dtype))
    return lax.mul(np.asarray(np.sqrt(2), dtype), lax.erf_inv(u))


def normal(key, shape=(), dtype=None):
    """Standard normal values: ``sqrt(2) * erfinv(u)`` with ``u`` uniform in (-1, 1)."""
    data, _ = check_key("normal", key)
    dtype = _dtype("normal", dtype, dtypes.default_float, "fc", "float or complex")
    shape = canonicalize_shape(shape)
    if dtype.kind == "c":  # independent real and imaginary parts, unit total variance
        real = np.dtype(f"f{dtype.itemsize // 2}")
        k_re, k_im = threefry.split(data, (2,))
        re = _normal_real(k_re, shape, real)
        im = _normal_real(k_im, shape, real)
        z = jnp.add(lax.convert_element_type(re, dtype),
                    jnp.multiply(np.asarray(1j, dtype), lax.convert_element_type(im, dtype)))
        return jnp.divide(z, np.array(np.sqrt(2), dtype))
    return _normal_real(data, shape, dtype)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal values truncated to the open interval ``(lower, upper)``."""
    data, _ = check_key("truncated_normal", key)
    dtype = _float_dtype("truncated_normal", dtype)
    check_arraylike("truncated_normal", lower, upper)
    lower, upper = _to(lower, dtype), _to(upper, dtype)
    shape = _param_shape("truncated_normal", shape, lower, upper)
    sqrt2 = np.asarray(np.sqrt(2), dtype)
    a = lax.erf(jnp.divide(lower, sqrt2))
    b = lax.erf(jnp.divide(upper, sqrt2))
    u = _uniform(data, shape, dtype, a, b)
    out = jnp.multiply(sqrt2, lax.erf_inv(u))
    # rounding (or u == a) could land on a bound: clamp into the open interval, like JAX
    lo = lax.nextafter(lax.stop_gradient(lower), np.asarray(np.inf, dtype))
    hi = lax.nextafter(lax.stop_gradient(upper), np.asarray(-np.inf, dtype))
    return jnp.minimum(jnp.maximum(out, lo), hi)


# -- discrete ---------------------------------------------------------------------------

def _p_dtype(name, p):
    dt, _ = dtypes.dtype_and_weak(p)
    if kind_of(dt) != "f":
        raise TypeError(f"{name} probability `p` must have a floating dtype, got {dt}.")
    return dt


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability ``p`` (``uniform < p``)."""
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    data, _ = check_key("bernoulli", key)
    check_arraylike("bernoulli", p)
    dtype = _p_dtype("bernoulli", p)
    p = _to(p, dtype)
    shape = _param_shape("bernoulli", shape, p)
    if mode == "high":  # two uniforms: resolution 2**-(2 * nmant) for small p
        u = _uniform(data, (2,) + shape, dtype, 0., 1.)
        u1, u2 = u[0], u[1]
        u2 = jnp.multiply(u2, np.asarray(2.0 ** -np.finfo(dtype).nmant, dtype))
        return jnp.less(u2, jnp.subtract(p, u1))
    return jnp.less(_uniform(data, shape, dtype, 0., 1.), p)


def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with equal probability."""
    check_key("rademacher", key)
    dt = _dtype("rademacher", dtype, dtypes.default_int, "iuf", "numeric")
    b = lax.convert_element_type(bernoulli(key, 0.5, canonicalize_shape(shape)), dt)
    return lax.convert_element_type(jnp.subtract(jnp.multiply(2, b), 1), dt)


def _convert_and_clip_integer(val, dtype):
    """``val`` converted to ``dtype`` after clipping to its range (no wrap-around)."""
    vdt = get_aval(val).dtype
    lo = max(int(np.iinfo(dtype).min), int(np.iinfo(vdt).min))
    hi = min(int(np.iinfo(dtype).max), int(np.iinfo(vdt).max))
    clipped = jnp.clip(val, np.asarray(lo, vdt), np.asarray(hi, vdt))
    return lax.convert_element_type(clipped, dtype)


def _int_arg(x):
    x = jnp.asarray(x)
    if get_aval(x).dtype.kind not in "iu":
        x = lax.convert_element_type(x, dtypes.default_int())
    return x


def _randint(data, shape, minval, maxval, dtype):
    _check_shape("randint", shape, _shape_of(minval), _shape_of(maxval))
    minval, maxval = _int_arg(minval), _int_arg(maxval)
    top = _convert_and_clip_integer(jnp.asarray(np.iinfo(dtype).max, dtype),
                                    get_aval(maxval).dtype)
    maxval_out_of_range = jnp.greater(maxval, top)  # e.g. randint(0, 256, uint8): span 256
    minval = _convert_and_clip_integer(minval, dtype)
    maxval = _convert_and_clip_integer(maxval, dtype)
    nbits = np.iinfo(dtype).bits
    # 2 * nbits random bits per value reduced modulo the span, exactly as JAX does (including
    # its wrapping products), so slightly biased unless the span is a power of two
    k1, k2 = threefry.split(data, (2,))
    higher = threefry.random_bits(k1, nbits, shape)
    lower = threefry.random_bits(k2, nbits, shape)
    udt = _UINT[nbits]
    span = lax.convert_element_type(jnp.subtract(maxval, minval), udt)
    span = jnp.where(jnp.less_equal(maxval, minval), np.ones((), udt), span)
    span = jnp.where(jnp.logical_and(maxval_out_of_range, jnp.greater(maxval, minval)),
                     jnp.add(span, np.ones((), udt)), span)
    span = _bcast_to(span, shape)
    # (hi * 2**nbits + lo) % span, with 2**nbits % span computed without overflow
    mult = _rem(jnp.full(shape, 2 ** (nbits // 2), udt), span)
    mult = _rem(lax.mul(mult, mult), span)
    offset = lax.add(lax.mul(_rem(higher, span), mult), _rem(lower, span))
    offset = _rem(offset, span)
    return jnp.add(_bcast_to(minval, shape), lax.convert_element_type(offset, dtype))


def randint(key, shape, minval, maxval, dtype=None):
    """Integers uniform in ``[minval, maxval)`` (empty ranges give ``minval``)."""
    data, _ = check_key("randint", key)
    dtype = dtypes.default_int() if dtype is None else to_dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dtype}")
    shape = canonicalize_shape(shape)
    check_arraylike("randint", minval, maxval)
    info = np.iinfo(dtype)
    if info.bits < 32:  # sample narrow types at 32 bits to keep the modulo bias small
        minval = jnp.clip(lax.convert_element_type(jnp.asarray(minval), np.int32),
                          int(info.min), int(info.max))
        maxval = jnp.clip(lax.convert_element_type(jnp.asarray(maxval), np.int32),
                          int(info.min), int(info.max) + 1)
        out = _randint(data, shape, minval, maxval, np.dtype(np.int32))
        return lax.convert_element_type(out, dtype)
    return _randint(data, shape, minval, maxval, dtype)


# -- shuffles ---------------------------------------------------------------------------

def _shuffle(data, x, axis):
    """Sort by fresh random 32-bit keys, ``ceil(3 ln n / ln(2**32 - 1))`` times (JAX's rule:
    repeated rounds make key collisions, which would bias the stable sort, negligible)."""
    size = math.prod(get_aval(x).shape)
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    shape = tuple(get_aval(x).shape)
    for _ in range(rounds):
        keys = threefry.split(data, (2,))
        data, sub = keys[0], keys[1]
        sort_keys = threefry.random_bits(sub, 32, shape)
        _, x = lax.sort_key_val(sort_keys, x, axis)
    return x


def permutation(key, x, axis=0, independent=False):
    """A random permutation of ``arange(x)`` (int ``x``) or of ``x`` along ``axis``."""
    data, _ = check_key("permutation", key)
    check_arraylike("permutation", x)
    nd = len(_shape_of(x))
    axis = canonicalize_axis(axis, nd or 1)
    if not nd:
        dt, _ = dtypes.dtype_and_weak(x)
        if dt.kind not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        n = operator_index(x, "argument x of jitnet.random.permutation()")
        return _shuffle(data, jnp.arange(n), axis)
    x = as_jitnet(x)
    if independent or nd == 1:
        return _shuffle(data, x, axis)
    ind = _shuffle(data, jnp.arange(get_aval(x).shape[axis]), 0)
    return jnp.take(x, ind, axis=axis)


def operator_index(x, what: str) -> int:
    """``x`` as a concrete Python int; a tracer raises jitnet's concretization error."""
    if isinstance(x, Tracer):
        return operator.index(x)
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{what} must be a concrete integer, got {x!r}") from None


def _top_k_indices(x, k: int):
    """Indices of the ``k`` largest entries along the last axis, ties by lower index first
    (``lax.top_k``'s order)."""
    idx = jnp.argsort(x, axis=-1, descending=True)
    idx = lax.slice_in_dim(idx, 0, k, axis=get_aval(idx).ndim - 1)
    return lax.convert_element_type(idx, np.int32)  # lax.top_k's index dtype, even under x64


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """Random draws from ``a`` (or ``arange(a)``), with or without replacement, optionally
    weighted by ``p``."""
    data, _ = check_key("choice", key)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape argument of jitnet.random.choice must be a sequence, "
                        f"got {shape}")
    shape = canonicalize_shape(shape)
    check_arraylike("choice", a)
    arr = jnp.asarray(a)
    ashape = tuple(get_aval(arr).shape)
    if not ashape:
        n_inputs = operator_index(a, "jitnet.random.choice(): a")
    else:
        axis = canonicalize_axis(axis, len(ashape))
        n_inputs = ashape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, dtype=get_aval(arr).dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                         f"(size {n_inputs}) when 'replace=False'")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if not ashape else jnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(key, n_inputs if not ashape else arr, axis)
            result = lax.slice_in_dim(perm, 0, n_draws, axis=axis)
    else:
        check_arraylike("choice", p)
        p_arr = as_jitnet(p)
        pdt = get_aval(p_arr).dtype
        if kind_of(pdt) not in "fc":
            p_arr = lax.convert_element_type(p_arr, dtypes.default_float())
        if tuple(get_aval(p_arr).shape) != (n_inputs,):
            raise ValueError(f"p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {tuple(get_aval(p_arr).shape)} and "
                             f"a.shape[axis] is {n_inputs}.")
        pdt = get_aval(p_arr).dtype
        if replace:  # inverse CDF: first index whose cumulative weight reaches r
            p_cuml = jnp.cumsum(p_arr)
            u = _uniform(data, shape, pdt, 0., 1.)
            r = jnp.multiply(p_cuml[-1], jnp.subtract(1, u))
            ind = jnp.searchsorted(p_cuml, r).astype(dtypes.default_int())
        else:  # Gumbel top-k trick
            g = jnp.add(gumbel(key, (n_inputs,), pdt, mode=mode), jnp.log(p_arr))
            ind = _top_k_indices(g, n_draws).astype(dtypes.default_int())
        result = ind if not ashape else jnp.take(arr, ind, axis=axis)
    out_shape = shape if not ashape else ashape[:axis] + shape + ashape[axis + 1:]
    return jnp.reshape(result, out_shape)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    """Indices drawn with probabilities ``softmax(logits, axis)`` (Gumbel-max / top-k)."""
    data, _ = check_key("categorical", key)
    check_arraylike("categorical", logits)
    logits = as_jitnet(logits)
    lshape = tuple(get_aval(logits).shape)
    nd = len(lshape)
    axis = canonicalize_axis(axis, nd)
    batch_shape = lshape[:axis] + lshape[axis + 1:]
    if shape is None:
        shape = batch_shape
    else:
        shape = canonicalize_shape(shape)
        _check_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    ldt = get_aval(logits).dtype
    if replace:
        gshape = list(shape[len(shape) - len(batch_shape):])
        gshape.insert(axis, lshape[axis])
        g = gumbel(key, prefix + tuple(gshape), ldt, mode=mode)
        lg = lax.expand_dims(logits, tuple(range(len(prefix)))) if prefix else logits
        return jnp.argmax(jnp.add(g, lg), axis=axis - nd)
    k = math.prod(prefix)
    if k > lshape[axis]:
        raise ValueError(f"Number of samples without replacement ({k}) cannot exceed number "
                         f"of categories ({lshape[axis]}).")
    noisy = jnp.add(logits, gumbel(key, lshape, ldt, mode=mode))
    idx = _top_k_indices(jnp.moveaxis(noisy, axis, -1), k)  # batch_shape + (k,)
    idx = jnp.moveaxis(idx, -1, 0)
    return jnp.reshape(idx, shape)


# -- continuous, from one uniform ---------------------------------------------------------

def gumbel(key, shape=(), dtype=None, mode=None):
    """Gumbel values ``-log(-log(u))``; ``mode='high'`` combines two uniforms for a longer tail."""
    data, _ = check_key("gumbel", key)
    dtype = _float_dtype("gumbel", dtype)
    shape = canonicalize_shape(shape)
    mode = "low" if mode is None else mode
    if mode == "highest":
        raise NotImplementedError("gumbel mode='highest' is not implemented in jitnet; "
                                  "use 'low' (the default) or 'high'")
    if mode not in ("high", "low"):
        raise ValueError(f"Must provide valid mode for gumbel got: {mode}")
    fi = np.finfo(dtype)
    if mode == "high":  # resolution 2**-(2 * nmant) near 0 from a second uniform
        u = _uniform(data, (2,) + shape, dtype, 0., 1.)
        high, low = u[0], u[1]
        x = jnp.where(jnp.greater_equal(high, np.asarray(0.5, dtype)), high,
                      jnp.add(jnp.add(high, jnp.multiply(np.asarray(2.0 ** -fi.nmant, dtype), low)),
                              np.asarray(fi.tiny, dtype)))
        return jnp.negative(jnp.log(jnp.negative(jnp.log1p(jnp.negative(x)))))
    u = _uniform(data, shape, dtype, np.asarray(fi.tiny, dtype), 1.)
    return jnp.negative(jnp.log(jnp.negative(jnp.log(u))))


def exponential(key, shape=(), dtype=None):
    """Exponential(1) values ``-log1p(-u)``."""
    data, _ = check_key("exponential", key)
    dtype = _float_dtype("exponential", dtype)
    u = _uniform(data, canonicalize_shape(shape), dtype, 0., 1.)
    return lax.neg(lax.log1p(lax.neg(u)))


def laplace(key, shape=(), dtype=None):
    """Laplace(0, 1) values ``sign(u) * log1p(-|u|)`` with ``u`` uniform in (-1, 1)."""
    data, _ = check_key("laplace", key)
    dtype = _float_dtype("laplace", dtype)
    u = _uniform(data, canonicalize_shape(shape), dtype, -1. + float(np.finfo(dtype).epsneg),
                 1.)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def logistic(key, shape=(), dtype=None):
    """Logistic(0, 1) values ``log(u) - log1p(-u)``."""
    data, _ = check_key("logistic", key)
    dtype = _float_dtype("logistic", dtype)
    u = _uniform(data, canonicalize_shape(shape), dtype, float(np.finfo(dtype).tiny), 1.)
    return lax.sub(lax.log(u), lax.log1p(lax.neg(u)))


# -- orthogonal matrices --------------------------------------------------------------------

def _q_with_positive_r(z):
    """Q of the reduced QR of ``z`` (``..., n, k``, n >= k), columns signed so that R has a
    positive diagonal. That Q is unique, so it equals JAX's ``q * sign(diag(r))`` whatever
    QR routine computes it. Householder reflections on full-length masked vectors (no
    dynamic slicing), one Python step per column."""
    shape = tuple(get_aval(z).shape)
    n, k = shape[-2], shape[-1]
    dtype = get_aval(z).dtype
    rows = lax.broadcasted_iota(np.int32, (n,), 0)
    a = z
    vs, taus, signs = [], [], []
    for j in range(k):
        col = a[..., :, j]
        x = jnp.where(rows >= j, col, np.zeros((), dtype))
        norm = jnp.sqrt(jnp.sum(jnp.multiply(x, x), axis=-1, keepdims=True))
        xj = col[..., j:j + 1]
        s = jnp.where(xj >= 0, np.ones((), dtype), -np.ones((), dtype))
        # v = x - alpha e_j with alpha = -s |x| (no cancellation); R[j, j] = alpha
        v = jnp.add(x, jnp.where(rows == j, jnp.multiply(s, norm), np.zeros((), dtype)))
        vv = jnp.sum(jnp.multiply(v, v), axis=-1, keepdims=True)
        tau = jnp.where(vv > 0, jnp.divide(2, jnp.where(vv > 0, vv, 1)), 0)
        a = jnp.subtract(a, jnp.multiply(jnp.multiply(tau, v)[..., :, None],
                                         jnp.matmul(v[..., None, :], a)))
        vs.append(v)
        taus.append(tau)
        signs.append(jnp.where(norm > 0, jnp.negative(s), np.ones((), dtype)))
    q = jnp.broadcast_to(jnp.eye(n, k, dtype=dtype), shape)
    for v, tau in zip(reversed(vs), reversed(taus)):
        q = jnp.subtract(q, jnp.multiply(jnp.multiply(tau, v)[..., :, None],
                                         jnp.matmul(v[..., None, :], q)))
    return jnp.multiply(q, jnp.concatenate(signs, axis=-1)[..., None, :])


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Haar-random orthogonal ``n x m`` matrices (semi-orthogonal when ``n != m``), batched
    over ``shape``: Q of the QR of a normal matrix, sign-fixed (Mezzadri 2007)."""
    data, _ = check_key("orthogonal", key)
    dtype = _float_dtype("orthogonal", dtype)
    shape = canonicalize_shape(shape)
    n = operator_index(n, "n")
    m = n if m is None else operator_index(m, "m")
    z = _normal_real(data, shape + (max(n, m), min(n, m)), dtype)
    x = _q_with_positive_r(z)
    return jnp.swapaxes(x, -1, -2) if n < m else x

"""Array creation: array, asarray, zeros/ones/full/empty (+ _like), arange, linspace, eye, tri..."""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import ConcretizationTypeError, value_needed
from ..core.source_info import user_line
from ..prims.util import get_aval
from ..trace.array import Array, ArrayImpl
from ..trace.tracer import Tracer
from .util import as_jitnet, check_arraylike, convert, to_dtype


def _contains_tracer(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


def _infer_dtype(obj):
    """JAX's dtype of nested Python data: the lattice join of its leaves (scalars weak)."""
    leaves = []

    def walk(o):
        if isinstance(o, (list, tuple)):
            for x in o:
                walk(x)
        else:
            leaves.append(o)
    walk(obj)
    if not leaves:
        return dtypes.default_float(), False
    return dtypes.result_type(*leaves, return_weak_type_flag=True)


def array(object, dtype=None, copy: bool = True, order=None, ndmin: int = 0):
    """A jitnet array from an array, scalar or nested sequence (Python scalars are weak)."""
    dtype = to_dtype(dtype)
    if isinstance(object, Array):
        out = object if dtype is None else convert(object, dtype, False)
    elif _contains_tracer(object):
        from .manipulation import stack
        out = stack([array(o) for o in object])
        if dtype is not None:
            out = convert(out, dtype)
    elif type(object) in (int, float, complex, bool):
        d, weak = dtypes.dtype_and_weak(object)
        if dtype is not None:
            d, weak = dtype, False
        out = ArrayImpl(_np_array(object, d), weak)
    elif isinstance(object, (np.ndarray, np.generic)):
        out = ArrayImpl(np.array(object, dtype or dtypes.canonicalize_dtype(object.dtype)))
    elif isinstance(object, (list, tuple)):
        d, weak = _infer_dtype(object)
        if dtype is not None:
            d = dtype
        out = ArrayImpl(_np_array([_host(o) for o in object], d))
        if np.ndim(out._value) == 0:
            out = ArrayImpl(out._value, weak)
    elif hasattr(object, "__array__") or hasattr(object, "__jax_array__"):
        v = np.asarray(object.__jax_array__() if hasattr(object, "__jax_array__") else object)
        out = ArrayImpl(np.array(v, dtype or dtypes.canonicalize_dtype(v.dtype)))
    else:
        raise TypeError(f"jnp.array: cannot convert object of type {type(object).__name__} "
                        f"to an array{user_line()}")
    if ndmin > len(get_aval(out).shape):
        out = lax.reshape(out, (1,) * (ndmin - len(get_aval(out).shape)) + tuple(out.shape))
    return out


def _host(o):
    if isinstance(o, (list, tuple)):
        return [_host(x) for x in o]
    if isinstance(o, ArrayImpl):
        return o._value
    return o


def _np_array(obj, dtype):
    try:
        return np.array(obj, dtype=dtype)
    except OverflowError:
        raise OverflowError(f"Python int too large to convert to {np.dtype(dtype).name}"
                            f"{user_line()}") from None


def asarray(a, dtype=None, order=None, copy=None):
    if isinstance(a, Array) and dtype is None:
        return a
    return array(a, dtype=dtype)


def _shape_arg(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of Python integers, got {shape!r} (a traced "
                        f"value cannot be a shape; mark it static with static_argnums)"
                        f"{user_line()}") from None
    if builtins.any(s < 0 for s in out):
        raise ValueError(f"negative dimensions are not allowed: {out}{user_line()}")
    return out


def full(shape, fill_value, dtype=None):
    if type(fill_value) not in (int, float, bool, complex):
        check_arraylike("full", fill_value)
    return lax.full(_shape_arg(shape), fill_value, to_dtype(dtype))


def zeros(shape, dtype=None):
    return full(shape, 0, dtype or dtypes.default_float())


def ones(shape, dtype=None):
    return full(shape, 1, dtype or dtypes.default_float())


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def _like(a, dtype, shape):
    aval = get_aval(as_jitnet(a)) if not isinstance(a, Array) else get_aval(a)
    return (aval.shape if shape is None else _shape_arg(shape)), (to_dtype(dtype) or aval.dtype)


def full_like(a, fill_value, dtype=None, shape=None):
    """``full`` with ``a``'s shape and dtype; weakly typed when ``a`` is and no dtype is given."""
    s, d = _like(a, dtype, shape)
    out = full(s, fill_value, d)
    if dtype is None and dtypes.dtype_and_weak(a)[1]:
        out = convert(out, d, True)
    return out


def zeros_like(a, dtype=None, shape=None):
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None):
    return full_like(a, 1, dtype, shape)


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def _static_number(x, name):
    if isinstance(x, Tracer) and x.known is None:
        raise value_needed(ConcretizationTypeError(
            f"jnp.arange: argument {name} is a traced value, but the length of the result "
            f"must be known while tracing. Pass it as a Python number (mark it static with "
            f"static_argnums) or use lax.iota{user_line()}"))
    if isinstance(x, (ArrayImpl, Tracer)):
        return x.item()
    return x


def arange(start, stop=None, step=None, dtype=None):
    start = _static_number(start, "start")
    stop = None if stop is None else _static_number(stop, "stop")
    step = None if step is None else _static_number(step, "step")
    if dtype is None:
        dtype = dtypes.result_type(*[v for v in (start, stop, step) if v is not None])
        if builtins.all(type(v) is bool for v in (start, stop, step) if v is not None):
            dtype = dtypes.default_int()
    dtype = to_dtype(dtype)
    if stop is None and step is None and dtype.kind in "iu" and isinstance(start, (int, np.integer)):
        return lax.iota(dtype, builtins.max(int(start), 0))
    vals = np.arange(start, stop, step) if stop is not None or step is not None \
        else np.arange(start)
    return ArrayImpl(vals.astype(dtype))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.{user_line()}")
    check_arraylike("linspace", start, stop)
    dtype = to_dtype(dtype)
    comp = dtypes.to_inexact_dtype(dtypes.result_type(start, stop))
    start, stop = convert(as_jitnet(start), comp), convert(as_jitnet(stop), comp)
    from .util import broadcast_full
    start, stop = broadcast_full(start, stop, name="linspace")
    bshape = tuple(get_aval(start).shape)
    div = (num - 1) if endpoint else num
    out_shape = (num,) + bshape
    idx = lax.broadcasted_iota(comp, out_shape, 0)
    bdims = tuple(range(1, len(out_shape)))
    s = lax.broadcast_in_dim(start, out_shape, bdims)
    e = lax.broadcast_in_dim(stop, out_shape, bdims)
    if div > 0:
        step = lax.div(lax.sub(stop, start), convert(div, comp, True))  # shape bshape
        out = lax.add(s, lax.mul(idx, lax.broadcast_in_dim(step, out_shape, bdims)))
        if endpoint and num > 1:
            last = lax.eq(idx, convert(num - 1, comp, True))
            out = lax.select(last, e, out)
    else:  # no step (num <= 1 with an endpoint): NumPy's step is NaN
        step = lax.full(bshape, np.nan, comp)
        out = s
    from .manipulation import moveaxis
    out = moveaxis(out, 0, axis)
    if dtype is not None and dtype != comp:
        out = convert(lax.floor(out) if dtype.kind in "iu" else out, dtype)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    from .ufuncs import power
    lin = linspace(start, stop, num, endpoint, dtype=None, axis=axis)
    out = power(convert(base, get_aval(lin).dtype, True), lin)
    return out if dtype is None else convert(out, to_dtype(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign, as NumPy;
    the ends are exact)."""
    from .. import numpy as jnp
    start, stop = jnp.asarray(start), jnp.asarray(stop)
    dt = to_dtype(dtype) or jnp.result_type(start, stop, float)
    s, t = start.astype(dt), stop.astype(dt)
    sign = jnp.where(s < 0, -1, 1).astype(dt)
    out = sign * jnp.logspace(jnp.log10(s * sign), jnp.log10(t * sign), num, endpoint,
                              base=10.0, dtype=dt, axis=axis)
    if num > 0:  # exact end points, as NumPy
        idx = [slice(None)] * out.ndim
        idx[axis] = 0
        out = out.at[tuple(idx)].set(jnp.broadcast_to(s, out[tuple(idx)].shape))
        if endpoint and num > 1:
            idx[axis] = -1
            out = out.at[tuple(idx)].set(jnp.broadcast_to(t, out[tuple(idx)].shape))
    return out


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    rows = lax.broadcasted_iota(np.int32, (N, M), 0)
    cols = lax.broadcasted_iota(np.int32, (N, M), 1)
    mask = lax.ge(lax.add(rows, np.int32(k)), cols)
    return convert(mask, to_dtype(dtype) or dtypes.default_float())


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    rows = lax.broadcasted_iota(np.int32, (N, M), 0)
    cols = lax.broadcasted_iota(np.int32, (N, M), 1)
    return convert(lax.eq(lax.add(rows, np.int32(k)), cols),
                   to_dtype(dtype) or dtypes.default_float())


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def _tri_mask(a, k, lower):
    shape = tuple(get_aval(a).shape)
    if len(shape) < 2:
        raise ValueError(f"{'tril' if lower else 'triu'} requires an array of at least 2 "
                         f"dimensions, got shape {shape}{user_line()}")
    N, M = shape[-2:]
    mask = tri(N, M, k if lower else k - 1, dtype=np.bool_)
    if not lower:
        mask = lax.bitwise_not(mask)
    return lax.broadcast_in_dim(mask, shape, (len(shape) - 2, len(shape) - 1))


def tril(m, k: int = 0):
    check_arraylike("tril", m)
    m = as_jitnet(m)
    return lax.select(_tri_mask(m, k, True), m, lax.full_like(m, 0))


def triu(m, k: int = 0):
    check_arraylike("triu", m)
    m = as_jitnet(m)
    return lax.select(_tri_mask(m, k, False), m, lax.full_like(m, 0))


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', got {indexing!r}")
    check_arraylike("meshgrid", *xi)
    xs = [as_jitnet(x) for x in xi]
    xs = [lax.reshape(x, (get_aval(x).size,)) for x in xs]
    shape = [get_aval(x).shape[0] for x in xs]
    if indexing == "xy" and len(xs) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(xs):
        d = i
        if indexing == "xy" and len(xs) >= 2 and i < 2:
            d = 1 - i
        if sparse:
            s = [1] * len(xs)
            s[d] = shape[d]
            out.append(lax.reshape(x, tuple(s)))
        else:
            out.append(lax.broadcast_in_dim(x, tuple(shape), (d,)))
    return out


def diag(v, k: int = 0):
    check_arraylike("diag", v)
    v = as_jitnet(v)
    shape = tuple(get_aval(v).shape)
    if len(shape) == 1:
        n = shape[0] + builtins.abs(k)
        rows = lax.broadcasted_iota(np.int32, (n, n), 0)
        cols = lax.broadcasted_iota(np.int32, (n, n), 1)
        mask = lax.eq(lax.add(rows, np.int32(k)), cols)
        padded = lax.pad(v, convert(0, get_aval(v).dtype, True), [(0, builtins.abs(k), 0)])
        vals = lax.broadcast_in_dim(padded, (n, n), (0,) if k >= 0 else (1,))
        return lax.select(mask, vals, lax.full_like(vals, 0))
    if len(shape) == 2:
        return diagonal(v, k)
    raise ValueError(f"diag: input must be 1-D or 2-D, got shape {shape}{user_line()}")


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset`` diagonal over ``axis1``/``axis2``, moved to the last axis (as NumPy)."""
    check_arraylike("diagonal", a)
    a = as_jitnet(a)
    from .manipulation import moveaxis
    nd = len(get_aval(a).shape)
    a = moveaxis(a, (axis1 % nd, axis2 % nd), (-2, -1))
    *batch, n, m = get_aval(a).shape
    size = builtins.max(0, builtins.min(n + builtins.min(offset, 0), m - builtins.max(offset, 0)))
    rows = np.arange(size) + builtins.max(-offset, 0)
    cols = np.arange(size) + builtins.max(offset, 0)
    idx = ArrayImpl(np.stack([rows, cols], -1).astype(np.int32))
    from ..prims.indexing import gather
    out = gather(a, idx, (len(batch), len(batch) + 1), "clip")  # (size, *batch)
    return moveaxis(out, 0, -1)


def copy(a, order=None):
    return array(a, copy=True)


# -- index arrays of triangles and diagonals (static: computed by NumPy from the shape) ------

def _index_arrays(arrays):
    return tuple(asarray(i) for i in arrays)


def tril_indices(n: int, k: int = 0, m: int | None = None):
    """Row and column indices of the lower triangle of an ``(n, m)`` array."""
    return _index_arrays(np.tril_indices(n, k, m))


def triu_indices(n: int, k: int = 0, m: int | None = None):
    """Row and column indices of the upper triangle of an ``(n, m)`` array."""
    return _index_arrays(np.triu_indices(n, k, m))


def tril_indices_from(arr, k: int = 0):
    if len(np.shape(arr)) != 2:
        raise ValueError(f"jnp.tril_indices_from: input array must be 2-D, got shape "
                         f"{np.shape(arr)}")
    return tril_indices(np.shape(arr)[0], k, np.shape(arr)[1])


def triu_indices_from(arr, k: int = 0):
    if len(np.shape(arr)) != 2:
        raise ValueError(f"jnp.triu_indices_from: input array must be 2-D, got shape "
                         f"{np.shape(arr)}")
    return triu_indices(np.shape(arr)[0], k, np.shape(arr)[1])


def diag_indices(n: int, ndim: int = 2):
    """Indices of the main diagonal of an ``n``-sided ``ndim``-dimensional array."""
    return _index_arrays(np.diag_indices(n, ndim))


def diag_indices_from(arr):
    shape = np.shape(arr)
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError(f"jnp.diag_indices_from: input must be at least 2-d with all sides "
                         f"equal, got shape {shape}")
    return diag_indices(shape[0], len(shape))

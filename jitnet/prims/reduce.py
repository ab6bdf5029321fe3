"""Reductions (sum, max, min, prod, and, or, argmax, argmin) and cumulative ops along an axis.

The six reductions declare their kind (``core.primitive.Reduce``): the identity each
starts from and the binary elementwise primitive that combines two elements, which is all
the fused loops need to accumulate them."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from ..core.adtypes import Zero
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive, Reduce
from ..trace.tracer import bind
from . import elementwise as ew
from .elementwise_arith import add_p, and_p, max_p, min_p, mul_p, or_p
from . import shape as sh
from .util import bdim_to_front, const, dtype_error, get_aval, shape_error, shape_str, tangent_aval


def _check_axes(name, x, axes):
    if len(set(axes)) != len(axes) or any(not 0 <= a < len(x.shape) for a in axes):
        raise shape_error(f"{name}: axes {axes} are invalid for an operand of shape "
                          f"{shape_str(x.shape)}")


def _reduce_shape(name, kinds):
    def rule(x, *, axes):
        _check_axes(name, x, axes)
        if kind_of(x.dtype) not in kinds:
            raise dtype_error(f"{name} does not accept dtype {x.dtype.name}")
        return ShapedArray(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype,
                           x.weak_type)
    return rule


def _zero(dtype):
    return False if np.dtype(dtype) == np.bool_ else 0


def _one(dtype):
    return True if np.dtype(dtype) == np.bool_ else 1


def _all_ones(dtype):
    """The identity of bitwise and: all bits set."""
    dtype = np.dtype(dtype)
    return True if dtype == np.bool_ else -1 if dtype.kind == "i" else int(np.iinfo(dtype).max)


def _lowest(dtype):
    """The identity of max: -inf, the integer minimum, or False."""
    k = kind_of(np.dtype(dtype))
    return -np.inf if k == "f" else int(np.iinfo(dtype).min) if k in "iu" else False


def _highest(dtype):
    """The identity of min: +inf, the integer maximum, or True."""
    k = kind_of(np.dtype(dtype))
    return np.inf if k == "f" else int(np.iinfo(dtype).max) if k in "iu" else True


def _reduce_batch(prim):
    def batch(args, dims, *, axes):
        x = bdim_to_front(args[0], dims[0])
        return bind(prim, x, axes=tuple(a + 1 for a in axes)), 0
    return batch


def _reduce(name, impl, kinds, kind):
    p = Primitive(name, kind=kind)
    p.impl = impl
    p.shape_rule = _reduce_shape(name, kinds)
    p.batch = _reduce_batch(p)
    return p


reduce_sum_p = _reduce("reduce_sum", lambda x, *, axes: np.sum(x, axis=axes, dtype=x.dtype),
                       "iufc", Reduce(_zero, add_p, "+"))
reduce_prod_p = _reduce("reduce_prod", lambda x, *, axes: np.prod(x, axis=axes, dtype=x.dtype),
                        "iufc", Reduce(_one, mul_p, "*"))
reduce_max_p = _reduce("reduce_max", lambda x, *, axes: np.max(
    x, axis=axes, initial=_lowest(x.dtype)), "iufb", Reduce(_lowest, max_p))
reduce_min_p = _reduce("reduce_min", lambda x, *, axes: np.min(
    x, axis=axes, initial=_highest(x.dtype)), "iufb", Reduce(_highest, min_p))
reduce_and_p = _reduce("reduce_and", lambda x, *, axes: np.bitwise_and.reduce(
    x, axis=axes, initial=x.dtype.type(_all_ones(x.dtype))), "iub",
    Reduce(_all_ones, and_p, "&"))
reduce_or_p = _reduce("reduce_or", lambda x, *, axes: np.bitwise_or.reduce(
    x, axis=axes, initial=x.dtype.type(_zero(x.dtype))), "iub", Reduce(_zero, or_p, "|"))


def _norm_axes(x, axes):
    nd = len(get_aval(x).shape)
    return tuple(sorted(int(a) % nd if nd else int(a) for a in axes))


def reduce_sum(x, axes):
    axes = _norm_axes(x, axes)
    return bind(reduce_sum_p, x, axes=axes) if axes else x


def reduce_prod(x, axes):
    axes = _norm_axes(x, axes)
    return bind(reduce_prod_p, x, axes=axes) if axes else x


def reduce_max(x, axes):
    axes = _norm_axes(x, axes)
    return bind(reduce_max_p, x, axes=axes) if axes else x


def reduce_min(x, axes):
    axes = _norm_axes(x, axes)
    return bind(reduce_min_p, x, axes=axes) if axes else x


def reduce_and(x, axes):
    axes = _norm_axes(x, axes)
    return bind(reduce_and_p, x, axes=axes) if axes else x


def reduce_or(x, axes):
    axes = _norm_axes(x, axes)
    return bind(reduce_or_p, x, axes=axes) if axes else x


# -- jvp and transpose ------------------------------------------------------------

def _reduce_sum_jvp(primals, tangents, *, axes):
    out = bind(reduce_sum_p, primals[0], axes=axes)
    t = tangents[0]
    return out, (Zero(tangent_aval(get_aval(out))) if type(t) is Zero
                 else bind(reduce_sum_p, t, axes=axes))


def _reduce_sum_transpose(ct, x, *, axes):
    if type(ct) is Zero:
        return (Zero(x.aval),)
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return (sh.broadcast_in_dim(ct, shape, kept),)


reduce_sum_p.jvp = _reduce_sum_jvp
reduce_sum_p.transpose = _reduce_sum_transpose


def _kept_dims(shape, axes):
    return tuple(i for i in range(len(shape)) if i not in axes)


def _chooser_jvp(prim):
    """max/min: the tangent averaged over the positions that attain the extremum (as JAX)."""
    def jvp(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        out = bind(prim, x, axes=axes)
        if type(t) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        shape = tuple(get_aval(x).shape)
        hit = ew.eq(x, sh.broadcast_in_dim(out, shape, _kept_dims(shape, axes)))
        ind = ew.convert_element_type(hit, get_aval(t).dtype)
        counts = reduce_sum(ind, axes)
        return out, ew.div(reduce_sum(ew.mul(t, ind), axes), counts)
    return jvp


reduce_max_p.jvp = _chooser_jvp(reduce_max_p)
reduce_min_p.jvp = _chooser_jvp(reduce_min_p)


def _zero_jvp(prim):
    def jvp(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        return out, Zero(tangent_aval(get_aval(out)))
    return jvp


reduce_and_p.jvp = _zero_jvp(reduce_and_p)
reduce_or_p.jvp = _zero_jvp(reduce_or_p)


def _reduce_prod_jvp(primals, tangents, *, axes):
    """d prod = sum_i t_i * prod_{j != i} x_j, via exclusive products (exact with zeros)."""
    (x,), (t,) = primals, tangents
    out = bind(reduce_prod_p, x, axes=axes)
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    shape = tuple(get_aval(x).shape)
    kept = _kept_dims(shape, axes)
    perm = kept + tuple(axes)
    flat = (tuple(shape[i] for i in kept) + (int(np.prod([shape[a] for a in axes])),))
    xs = sh.reshape(sh.transpose(x, perm), flat)
    ts = sh.reshape(sh.transpose(t, perm), flat)
    ax = len(flat) - 1
    left = _exclusive_cumprod(xs, ax, reverse=False)
    right = _exclusive_cumprod(xs, ax, reverse=True)
    return out, reduce_sum(ew.mul(ts, ew.mul(left, right)), (ax,))


def _exclusive_cumprod(x, axis, reverse):
    n = x.shape[axis]
    nd = len(x.shape)
    inc = cumprod(x, axis, reverse=reverse)
    cfg = [(0, 0, 0)] * nd
    if reverse:  # shift toward the front: drop the first, pad one at the end
        cfg[axis] = (-1, 1, 0)
    else:
        cfg[axis] = (1, -1, 0)
    return sh.pad(inc, const(x, 1), cfg) if n else inc


reduce_prod_p.jvp = _reduce_prod_jvp


# -- argmax / argmin --------------------------------------------------------------

def _arg_shape(name):
    def rule(x, *, axes, index_dtype):
        _check_axes(name, x, axes)
        if len(axes) != 1:
            raise shape_error(f"{name}: exactly one axis is supported, got {axes}")
        if x.shape[axes[0]] == 0:
            raise shape_error(f"{name}: attempt to get {name[3:]} of an empty sequence "
                              f"(axis {axes[0]} of shape {shape_str(x.shape)})")
        return ShapedArray(tuple(d for i, d in enumerate(x.shape) if i not in axes), index_dtype)
    return rule


def _arg_batch(prim):
    def batch(args, dims, *, axes, index_dtype):
        x = bdim_to_front(args[0], dims[0])
        return bind(prim, x, axes=(axes[0] + 1,), index_dtype=index_dtype), 0
    return batch


argmax_p = Primitive("argmax", kind=OP)
argmax_p.impl = lambda x, *, axes, index_dtype: np.argmax(x, axis=axes[0]).astype(index_dtype)
argmax_p.shape_rule = _arg_shape("argmax")
argmax_p.batch = _arg_batch(argmax_p)
argmax_p.jvp = _zero_jvp(argmax_p)
argmin_p = Primitive("argmin", kind=OP)
argmin_p.impl = lambda x, *, axes, index_dtype: np.argmin(x, axis=axes[0]).astype(index_dtype)
argmin_p.shape_rule = _arg_shape("argmin")
argmin_p.batch = _arg_batch(argmin_p)
argmin_p.jvp = _zero_jvp(argmin_p)


def argmax(x, axis: int, index_dtype):
    nd = len(get_aval(x).shape)
    return bind(argmax_p, x, axes=(int(axis) % nd,), index_dtype=np.dtype(index_dtype))


def argmin(x, axis: int, index_dtype):
    nd = len(get_aval(x).shape)
    return bind(argmin_p, x, axes=(int(axis) % nd,), index_dtype=np.dtype(index_dtype))


# -- cumulative ops ---------------------------------------------------------------

def _cum_impl(op):
    def impl(x, *, axis, reverse):
        if reverse:
            x = np.flip(x, axis)
        if op == "sum":
            out = np.cumsum(x, axis=axis, dtype=x.dtype)
        elif op == "prod":
            out = np.cumprod(x, axis=axis, dtype=x.dtype)
        elif op == "max":
            out = np.maximum.accumulate(x, axis=axis) if x.shape[axis] else x
        else:
            out = np.minimum.accumulate(x, axis=axis) if x.shape[axis] else x
        return np.flip(out, axis) if reverse else out
    return impl


def _cum_shape(name):
    def rule(x, *, axis, reverse):
        if not 0 <= axis < len(x.shape):
            raise shape_error(f"{name}: axis {axis} is out of range for an operand of shape "
                              f"{shape_str(x.shape)}")
        return ShapedArray(x.shape, x.dtype, x.weak_type)
    return rule


def _cum_batch(prim):
    def batch(args, dims, *, axis, reverse):
        x = bdim_to_front(args[0], dims[0])
        return bind(prim, x, axis=axis + 1, reverse=reverse), 0
    return batch


def _cumulative(name, op):
    p = Primitive(name, kind=OP)
    p.impl = _cum_impl(op)
    p.shape_rule = _cum_shape(name)
    p.batch = _cum_batch(p)
    return p


cumsum_p = _cumulative("cumsum", "sum")
cumprod_p = _cumulative("cumprod", "prod")
cummax_p = _cumulative("cummax", "max")
cummin_p = _cumulative("cummin", "min")


def _cum(prim):
    def f(x, axis: int = 0, reverse: bool = False):
        nd = len(get_aval(x).shape)
        return bind(prim, x, axis=int(axis) % nd, reverse=bool(reverse))
    f.__name__ = prim.name
    return f


cumsum, cumprod, cummax, cummin = (_cum(p) for p in (cumsum_p, cumprod_p, cummax_p, cummin_p))


def _cumsum_jvp(primals, tangents, *, axis, reverse):
    out = bind(cumsum_p, primals[0], axis=axis, reverse=reverse)
    t = tangents[0]
    return out, (Zero(tangent_aval(get_aval(out))) if type(t) is Zero
                 else bind(cumsum_p, t, axis=axis, reverse=reverse))


cumsum_p.jvp = _cumsum_jvp
cumsum_p.transpose = lambda ct, x, *, axis, reverse: (
    Zero(x.aval) if type(ct) is Zero else cumsum(ct, axis, not reverse),)


def _cum_chooser_jvp(prim):
    """cummax/cummin: each output takes the tangent at the position of its running extremum."""
    def jvp(primals, tangents, *, axis, reverse):
        (x,), (t,) = primals, tangents
        out = bind(prim, x, axis=axis, reverse=reverse)
        if type(t) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        shape = tuple(get_aval(x).shape)
        idx = sh.broadcasted_iota(np.int32, shape, axis)
        if reverse:  # the last position (in scan order) that attained the running extremum
            pos = cummin(ew.select(ew.eq(x, out), idx, const(idx, shape[axis])), axis, True)
        else:
            pos = cummax(ew.select(ew.eq(x, out), idx, const(idx, -1)), axis, False)
        from .indexing import take_along_axis
        return out, take_along_axis(t, pos, axis)
    return jvp


cummax_p.jvp = _cum_chooser_jvp(cummax_p)
cummin_p.jvp = _cum_chooser_jvp(cummin_p)


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    """Tangent of cumprod as a log-depth scan over (product, derivative) pairs.

    Combining (p1, d1) then (p2, d2) gives (p1 p2, d1 p2 + p1 d2); Hillis-Steele
    doubling applies it with slices and pads, so the tangent is exact with zeros
    and differentiable again.
    """
    (x,), (t,) = primals, tangents
    out = bind(cumprod_p, x, axis=axis, reverse=reverse)
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    if reverse:
        x, t = sh.rev(x, (axis,)), sh.rev(t, (axis,))
    n, nd = x.shape[axis], len(x.shape)
    p, d, off = x, t, 1
    while off < n:
        cfg = [(0, 0, 0)] * nd
        cfg[axis] = (off, -off, 0)
        p_prev = sh.pad(p, const(p, 1), cfg)
        d_prev = sh.pad(d, const(d, 0), cfg)
        p, d = ew.mul(p_prev, p), ew.add(ew.mul(d_prev, p), ew.mul(p_prev, d))
        off *= 2
    return out, (sh.rev(d, (axis,)) if reverse else d)


cumprod_p.jvp = _cumprod_jvp

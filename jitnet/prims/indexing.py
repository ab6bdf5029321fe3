"""Indexing primitives: dynamic_slice, dynamic_update_slice, gather and scatter.

``gather`` and ``scatter`` use one simple form that covers NumPy indexing and
``.at``: ``indices`` has shape ``batch + (len(axes),)``; each row picks one
element along each of ``axes``, and the other axes are taken whole. So

    gather(x, idx, axes)[b..., rest...] = x[..., idx[b..., k] on axis axes[k], ...]

with the result's leading dims the batch dims of ``idx`` followed by the
operand's remaining dims in order. ``scatter`` writes ``updates`` (shaped like
that result) back, combining with ``set``, ``add``, ``mul``, ``min`` or ``max``.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.dtypes import kind_of
from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive
from ..trace.tracer import bind
from . import elementwise as ew
from . import shape as sh
from .util import (bdim_to_front, broadcast_batch, const, dtype_error, full_of, get_aval,
                   instantiate, shape_error, shape_str, tangent_aval, zeros_of)


# -- dynamic_slice ----------------------------------------------------------------

def _check_starts(name, x, starts):
    if len(starts) != len(x.shape):
        raise shape_error(f"{name}: got {len(starts)} start indices for an operand of shape "
                          f"{shape_str(x.shape)}; one per dimension is required")
    for s in starts:
        if s.shape != () or s.dtype.kind not in "iu":
            raise dtype_error(f"{name}: start indices must be integer scalars, got "
                              f"{s.dtype.name}{list(s.shape)}")


def _clamped_starts(starts, shape, sizes):
    return tuple(int(min(max(int(s), 0), d - n)) for s, d, n in zip(starts, shape, sizes))


def _dyn_slice_shape(x, *starts, slice_sizes):
    _check_starts("dynamic_slice", x, starts)
    if len(slice_sizes) != len(x.shape) or any(not 0 <= n <= d
                                               for n, d in zip(slice_sizes, x.shape)):
        raise shape_error(f"dynamic_slice: slice_sizes {slice_sizes} do not fit an operand of "
                          f"shape {shape_str(x.shape)}")
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


def _dyn_slice_impl(x, *starts, slice_sizes):
    st = _clamped_starts(starts, x.shape, slice_sizes)
    return x[tuple(np.s_[s:s + n] for s, n in zip(st, slice_sizes))]


def _dyn_slice_jvp(primals, tangents, *, slice_sizes):
    x, *starts = primals
    out = bind(dynamic_slice_p, x, *starts, slice_sizes=slice_sizes)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, bind(dynamic_slice_p, t, *starts, slice_sizes=slice_sizes)


def _dyn_slice_transpose(ct, x, *starts, slice_sizes):
    if type(ct) is Zero:
        return (Zero(x.aval),) + (None,) * len(starts)
    return (dynamic_update_slice(zeros_of(x.aval), ct, starts),) + (None,) * len(starts)


def _dyn_slice_batch(args, dims, *, slice_sizes):
    x, *starts = args
    dx, *dstarts = dims
    if all(d is None for d in dstarts):
        x = bdim_to_front(x, dx)
        zero = np.zeros((), get_aval(starts[0]).dtype if starts else np.int32)
        return bind(dynamic_slice_p, x, zero, *starts,
                    slice_sizes=(x.shape[0],) + tuple(slice_sizes)), 0
    # per-example offsets: an elementwise gather of the window
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    x = broadcast_batch(x, dx, size)
    idx = _window_indices([broadcast_batch(s, d, size) for s, d in zip(starts, dstarts)],
                          x.shape[1:], slice_sizes)
    return gather(x, idx, tuple(range(len(x.shape))), mode="clip"), 0


def _window_indices(starts_b, shape, sizes):
    """Index rows (b, s_0 + i_0, ..., s_k + i_k) for batched window starts ``starts_b[k]: (B,)``."""
    B = starts_b[0].shape[0] if starts_b else 1
    out_shape = (B,) + tuple(sizes)
    cols = [sh.broadcasted_iota(np.int32, out_shape, 0)]
    for k, (s, d, n) in enumerate(zip(starts_b, shape, sizes)):
        s = ew.convert_element_type(s, np.int32)
        s = ew.clamp(const(s, 0), s, const(s, d - n))
        cols.append(ew.add(sh.broadcast_in_dim(s, out_shape, (0,)),
                           sh.broadcasted_iota(np.int32, out_shape, k + 1)))
    return sh.concatenate([sh.expand_dims(c, (len(out_shape),)) for c in cols], len(out_shape))


dynamic_slice_p = Primitive("dynamic_slice", kind=OP)
dynamic_slice_p.impl = _dyn_slice_impl
dynamic_slice_p.shape_rule = _dyn_slice_shape
dynamic_slice_p.jvp = _dyn_slice_jvp
dynamic_slice_p.transpose = _dyn_slice_transpose
dynamic_slice_p.batch = _dyn_slice_batch


def dynamic_slice(x, start_indices, slice_sizes):
    """``x[s0:s0+n0, ...]`` with traced starts, clamped so the window fits (as XLA)."""
    return bind(dynamic_slice_p, x, *start_indices,
                slice_sizes=tuple(int(n) for n in slice_sizes))


# -- dynamic_update_slice ---------------------------------------------------------

def _dus_shape(x, upd, *starts):
    _check_starts("dynamic_update_slice", x, starts)
    if upd.dtype != x.dtype:
        raise dtype_error(f"dynamic_update_slice: update dtype {upd.dtype.name} differs from "
                          f"the operand's {x.dtype.name}")
    if len(upd.shape) != len(x.shape) or any(u > d for u, d in zip(upd.shape, x.shape)):
        raise shape_error(f"dynamic_update_slice: update of shape {shape_str(upd.shape)} does "
                          f"not fit an operand of shape {shape_str(x.shape)}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _dus_impl(x, upd, *starts):
    st = _clamped_starts(starts, x.shape, upd.shape)
    out = x.copy()
    out[tuple(np.s_[s:s + n] for s, n in zip(st, upd.shape))] = upd
    return out


def _dus_jvp(primals, tangents):
    x, upd, *starts = primals
    out = bind(dynamic_update_slice_p, x, upd, *starts)
    tx, tu = tangents[0], tangents[1]
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, bind(dynamic_update_slice_p, instantiate(tx), instantiate(tu), *starts)


def _dus_transpose(ct, x, upd, *starts):
    nones = (None,) * len(starts)
    uaval = upd.aval if is_undefined(upd) else get_aval(upd)
    if type(ct) is Zero:
        return (Zero(x.aval) if is_undefined(x) else None,
                Zero(upd.aval) if is_undefined(upd) else None) + nones
    ct_x = dynamic_update_slice(ct, zeros_of(uaval), starts) if is_undefined(x) else None
    ct_u = dynamic_slice(ct, starts, uaval.shape) if is_undefined(upd) else None
    return (ct_x, ct_u) + nones


def _dus_batch(args, dims):
    x, upd, *starts = args
    dx, du, *dstarts = dims
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    x, upd = broadcast_batch(x, dx, size), broadcast_batch(upd, du, size)
    if all(d is None for d in dstarts):
        zero = np.zeros((), get_aval(starts[0]).dtype if starts else np.int32)
        return bind(dynamic_update_slice_p, x, upd, zero, *starts), 0
    idx = _window_indices([broadcast_batch(s, d, size) for s, d in zip(starts, dstarts)],
                          x.shape[1:], upd.shape[1:])
    return scatter(x, idx, upd, tuple(range(len(x.shape))), "set", mode="clip"), 0


dynamic_update_slice_p = Primitive("dynamic_update_slice", kind=OP)
dynamic_update_slice_p.impl = _dus_impl
dynamic_update_slice_p.shape_rule = _dus_shape
dynamic_update_slice_p.jvp = _dus_jvp
dynamic_update_slice_p.transpose = _dus_transpose
dynamic_update_slice_p.batch = _dus_batch


def dynamic_update_slice(x, update, start_indices):
    return bind(dynamic_update_slice_p, x, update, *start_indices)


# -- gather -----------------------------------------------------------------------

GATHER_MODES = ("clip", "fill")
SCATTER_MODES = ("clip", "drop")


def _gather_out_shape(x, idx, axes):
    rest = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return tuple(idx.shape[:-1]) + rest


def _check_index_form(name, x, idx, axes):
    if idx.dtype.kind not in "iu":
        raise dtype_error(f"{name}: indices must be integers, got {idx.dtype.name}")
    if not idx.shape or idx.shape[-1] != len(axes):
        raise shape_error(f"{name}: indices of shape {shape_str(idx.shape)} must end in a "
                          f"dimension of size len(axes) = {len(axes)}")
    if len(set(axes)) != len(axes) or any(not 0 <= a < len(x.shape) for a in axes):
        raise shape_error(f"{name}: axes {axes} are invalid for an operand of shape "
                          f"{shape_str(x.shape)}")


def _gather_shape(x, idx, *, axes, mode, fill_value):
    _check_index_form("gather", x, idx, axes)
    if any(x.shape[a] == 0 for a in axes) and math.prod(idx.shape[:-1]) > 0:
        raise shape_error(f"gather: cannot index axis of size 0 (operand shape "
                          f"{shape_str(x.shape)}, indices shape {shape_str(idx.shape)})")
    if mode not in GATHER_MODES:
        raise ValueError(f"gather: mode must be one of {GATHER_MODES}, got {mode!r}")
    return ShapedArray(_gather_out_shape(x, idx, axes), x.dtype, x.weak_type)


def _index_tuple(idx, dims):
    return tuple(idx[..., k] for k in range(len(dims)))


def _gather_impl(x, idx, *, axes, mode, fill_value):
    dims = [x.shape[a] for a in axes]
    front = np.moveaxis(x, axes, range(len(axes)))
    idx = idx.astype(np.intp)
    if mode == "clip" or not front.size:
        clipped = np.clip(idx, 0, np.maximum(np.array(dims, np.intp) - 1, 0))
        if not front.size:
            return np.zeros(_gather_out_shape(x, idx, axes), x.dtype)
        return front[_index_tuple(clipped, dims)]
    ok = np.all((idx >= 0) & (idx < np.array(dims, np.intp)), axis=-1)
    safe = np.where(ok[..., None], idx, 0)
    out = front[_index_tuple(safe, dims)]
    mask = ok.reshape(ok.shape + (1,) * (out.ndim - ok.ndim))
    return np.where(mask, out, np.asarray(fill_value, x.dtype))


def default_fill_value(dtype):
    """JAX's out-of-bounds fill for gathers: NaN, the most negative int, max uint, True."""
    dtype = np.dtype(dtype)
    if kind_of(dtype) in "fc":
        return float("nan")
    if dtype.kind == "i":
        return int(np.iinfo(dtype).min)
    if dtype.kind == "u":
        return int(np.iinfo(dtype).max)
    return True


def _gather_jvp(primals, tangents, **params):
    x, idx = primals
    out = bind(gather_p, x, idx, **params)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    tp = dict(params, fill_value=0 if params["mode"] == "fill" else params["fill_value"])
    return out, bind(gather_p, t, idx, **tp)


def _gather_transpose(ct, x, idx, *, axes, mode, fill_value):
    if is_undefined(idx):
        raise NotImplementedError("gather: transpose with respect to the indices")
    if type(ct) is Zero:
        return Zero(x.aval), None
    smode = "clip" if mode == "clip" else "drop"
    return scatter(zeros_of(x.aval), idx, ct, axes, "add", mode=smode), None


def _augment(x, idx, axes):
    """Both batched at 0: prepend an iota column so row b reads from example b."""
    B = x.shape[0]
    ishape = tuple(idx.shape[:-1]) + (1,)
    col = ew.convert_element_type(sh.broadcasted_iota(np.int32, ishape, 0), get_aval(idx).dtype)
    return sh.concatenate([col, idx], len(ishape) - 1), (0,) + tuple(a + 1 for a in axes)


def _gather_batch(args, dims, *, axes, mode, fill_value):
    (x, idx), (dx, di) = args, dims
    if di is None:
        x = bdim_to_front(x, dx)
        out = gather(x, idx, tuple(a + 1 for a in axes), mode, fill_value)
        return out, len(idx.shape) - 1
    if dx is None:
        if di == len(idx.shape) - 1:
            idx = sh.transpose(idx, (di,) + tuple(range(di)))
            di = 0
        return gather(x, bdim_to_front(idx, di), axes, mode, fill_value), 0
    x, idx = bdim_to_front(x, dx), bdim_to_front(idx, di)
    idx2, axes2 = _augment(x, idx, axes)
    return gather(x, idx2, axes2, mode, fill_value), 0


gather_p = Primitive("gather", kind=OP)
gather_p.impl = _gather_impl
gather_p.shape_rule = _gather_shape
gather_p.jvp = _gather_jvp
gather_p.transpose = _gather_transpose
gather_p.batch = _gather_batch


def gather(x, indices, axes, mode: str = "clip", fill_value=None):
    """Pick ``x`` at ``indices[..., k]`` along ``axes[k]`` (see the module docstring)."""
    if fill_value is None:
        fill_value = default_fill_value(get_aval(x).dtype)
    return bind(gather_p, x, indices, axes=tuple(int(a) for a in axes), mode=mode,
                fill_value=fill_value)


def take_along_axis(x, idx, axis: int):
    """``x`` indexed by ``idx`` along ``axis`` (same rank, other dims equal), clamped."""
    shape = tuple(get_aval(idx).shape)
    nd = len(shape)
    cols = []
    for k in range(nd):
        if k == axis:
            cols.append(ew.convert_element_type(idx, np.int32))
        else:
            cols.append(sh.broadcasted_iota(np.int32, shape, k))
    indices = sh.concatenate([sh.expand_dims(c, (nd,)) for c in cols], nd)
    return gather(x, indices, tuple(range(nd)), mode="clip")


# -- scatter ----------------------------------------------------------------------

COMBINERS = ("set", "add", "mul", "min", "max")


def _scatter_shape(x, idx, upd, *, axes, combiner, mode):
    _check_index_form("scatter", x, idx, axes)
    if combiner not in COMBINERS or mode not in SCATTER_MODES:
        raise ValueError(f"scatter: combiner must be one of {COMBINERS} and mode one of "
                         f"{SCATTER_MODES}, got {combiner!r}, {mode!r}")
    want = _gather_out_shape(x, idx, axes)
    if tuple(upd.shape) != want:
        raise shape_error(f"scatter: updates of shape {shape_str(upd.shape)} do not match the "
                          f"indexed shape {shape_str(want)} (operand {shape_str(x.shape)}, "
                          f"indices {shape_str(idx.shape)})")
    if upd.dtype != x.dtype:
        raise dtype_error(f"scatter: updates dtype {upd.dtype.name} differs from the operand's "
                          f"{x.dtype.name}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


_UFUNC = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _scatter_impl(x, idx, upd, *, axes, combiner, mode):
    out = np.array(x, copy=True)
    if not out.size or not upd.size:
        return out
    dims = np.array([x.shape[a] for a in axes], np.intp)
    front = np.moveaxis(out, axes, range(len(axes)))  # a view: writes land in ``out``
    idx = idx.astype(np.intp).reshape(-1, len(axes))
    upd = upd.reshape((idx.shape[0],) + tuple(front.shape[len(axes):]))
    if mode == "clip":
        idx = np.clip(idx, 0, dims - 1)
    else:
        ok = np.all((idx >= 0) & (idx < dims), axis=-1)
        idx, upd = idx[ok], upd[ok]
    where = _index_tuple(idx, axes)
    if combiner == "set":
        front[where] = upd
    else:
        _UFUNC[combiner].at(front, where, upd)
    return out


def _scatter_jvp(primals, tangents, *, axes, combiner, mode):
    x, idx, upd = primals
    tx, _, tu = tangents
    out = bind(scatter_p, x, idx, upd, axes=axes, combiner=combiner, mode=mode)
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    if combiner in ("set", "add"):
        return out, scatter(instantiate(tx), idx, instantiate(tu), axes, combiner, mode)
    if combiner == "mul":
        if type(tu) is not Zero:
            raise NotImplementedError("scatter (mul): derivative with respect to the updates "
                                      "is not implemented")
        return out, scatter(tx, idx, upd, axes, "mul", mode)
    # min / max: the tangent of whichever value attained the extremum, ties averaged
    tx, tu = instantiate(tx), instantiate(tu)
    gmode = "clip" if mode == "clip" else "fill"
    upd_hit = ew.convert_element_type(ew.eq(upd, gather(out, idx, axes, gmode)), get_aval(tx).dtype)
    x_hit = ew.convert_element_type(ew.eq(x, out), get_aval(tx).dtype)
    zeros = zeros_of(get_aval(tx))
    counts = ew.add(x_hit, scatter(zeros, idx, upd_hit, axes, "add", mode))
    num = ew.add(ew.mul(x_hit, tx), scatter(zeros, idx, ew.mul(upd_hit, tu), axes, "add", mode))
    return out, ew.div(num, counts)


def _scatter_transpose(ct, x, idx, upd, *, axes, combiner, mode):
    if is_undefined(idx):
        raise NotImplementedError("scatter: transpose with respect to the indices")
    if combiner == "mul" and is_undefined(x) and not is_undefined(upd):
        # linear in the operand: each element is scaled by a fixed factor, so is its cotangent
        ct_x = Zero(x.aval) if type(ct) is Zero else scatter(ct, idx, upd, axes, "mul", mode)
        return ct_x, None, None
    if combiner not in ("set", "add"):
        raise NotImplementedError(f"scatter ({combiner}) is not linear and has no transpose")
    uaval = upd.aval if is_undefined(upd) else get_aval(upd)
    if type(ct) is Zero:
        return (Zero(x.aval) if is_undefined(x) else None, None,
                Zero(uaval) if is_undefined(upd) else None)
    gmode = "clip" if mode == "clip" else "fill"
    if combiner == "add":
        ct_x = ct if is_undefined(x) else None
        ct_u = gather(ct, idx, axes, gmode, 0) if is_undefined(upd) else None
        return ct_x, None, ct_u
    # set: overwritten positions get no operand cotangent; each update gets the cotangent of
    # the position it wrote only if it was the write that survived (the last, as in the impl)
    ct_x = scatter(ct, idx, zeros_of(uaval), axes, "set", mode) if is_undefined(x) else None
    ct_u = None
    if is_undefined(upd):
        n = int(np.prod(uaval.shape[:len(get_aval(idx).shape) - 1]))
        ids = sh.reshape(sh.iota(np.int32, n), tuple(get_aval(idx).shape[:-1]))
        ids = sh.broadcast_in_dim(ids, uaval.shape, tuple(range(len(ids.shape))))
        owner = scatter(full_of(ShapedArray(x.aval.shape if is_undefined(x) else get_aval(x).shape,
                                            np.int32), -1), idx, ids, axes, "set", mode)
        won = ew.eq(gather(owner, idx, axes, gmode, -2), ids)
        ct_u = ew.select(won, gather(ct, idx, axes, gmode, 0), const(ct, 0))
    return ct_x, None, ct_u


def _scatter_batch(args, dims, *, axes, combiner, mode):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    x, idx, upd = (broadcast_batch(a, d, size) for a, d in zip(args, dims))
    idx2, axes2 = _augment(x, idx, axes)
    return scatter(x, idx2, upd, axes2, combiner, mode), 0


scatter_p = Primitive("scatter", kind=OP)
scatter_p.impl = _scatter_impl
scatter_p.shape_rule = _scatter_shape
scatter_p.jvp = _scatter_jvp
scatter_p.transpose = _scatter_transpose
scatter_p.batch = _scatter_batch


def scatter(x, indices, updates, axes, combiner: str = "set", mode: str = "drop"):
    return bind(scatter_p, x, indices, updates, axes=tuple(int(a) for a in axes),
                combiner=combiner, mode=mode)


def scatter_add(x, indices, updates, axes, mode: str = "drop"):
    return scatter(x, indices, updates, axes, "add", mode)

"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, rev, concatenate, pad, slice, iota.

All are linear, so their jvp applies the primitive to the tangent and their
transposes are the adjoint data movements (sum for broadcast, pad for slice...).

The remaps among them (broadcast_in_dim, reshape, transpose, squeeze, rev, slice, iota)
declare their index map (``core.primitive.Remap``): given the source text of an output
element's index, the source text of the operand element it reads. The fused loops apply it
on each load instead of moving any data.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive, Remap
from ..trace.tracer import bind
from . import elementwise as ew
from . import reduce as red
from .util import (bdim_to_front, broadcast_batch, const, dtype_error, full_of, get_aval,
                   instantiate, shape_error, shape_str, tangent_aval)


def linear_jvp(prim):
    """jvp of a primitive linear in all its inputs: apply it to the tangents."""
    def jvp(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        if all(type(t) is Zero for t in tangents):
            outs = out if prim.multiple_results else [out]
            zs = [Zero(tangent_aval(get_aval(o))) for o in outs]
            return out, (zs if prim.multiple_results else zs[0])
        return out, bind(prim, *[instantiate(t) for t in tangents], **params)
    prim.jvp = jvp


def _aval(shape, x):
    return ShapedArray(shape, x.dtype, x.weak_type)


# -- broadcast_in_dim -------------------------------------------------------------

def _bid_shape(x, *, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    ok = (len(bd) == len(x.shape) and all(0 <= d < len(shape) for d in bd)
          and all(a < b for a, b in zip(bd, bd[1:]))
          and all(x.shape[i] in (1, shape[d]) for i, d in enumerate(bd)))
    if not ok:
        raise shape_error(f"broadcast_in_dim: operand shape {shape_str(x.shape)} cannot be "
                          f"broadcast to {shape_str(shape)} with broadcast_dimensions {bd}")
    return _aval(shape, x)


def _bid_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _bid_transpose(ct, x, *, shape, broadcast_dimensions):
    if type(ct) is Zero:
        return (Zero(x.aval),)
    bd = broadcast_dimensions
    summed = [d for d in range(len(shape)) if d not in bd]
    summed += [d for i, d in enumerate(bd) if x.aval.shape[i] == 1 and shape[d] != 1]
    out = red.reduce_sum(ct, tuple(sorted(summed))) if summed else ct
    return (reshape(out, x.aval.shape) if tuple(out.shape) != x.aval.shape else out,)


def _bid_batch(args, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    x = bdim_to_front(x, d)
    new_shape = (x.shape[0],) + tuple(shape)
    return broadcast_in_dim(x, new_shape, (0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


def _bid_index(e, idx):
    """A dimension of size 1 broadcast to a larger one reads its element 0."""
    src, out = e.inputs[0].aval.shape, e.outputs[0].aval.shape
    return tuple("0" if src[i] == 1 and out[d] != 1 else idx[d]
                 for i, d in enumerate(e.params["broadcast_dimensions"]))


broadcast_in_dim_p = Primitive("broadcast_in_dim", kind=Remap(_bid_index))
broadcast_in_dim_p.impl = _bid_impl
broadcast_in_dim_p.shape_rule = _bid_shape
broadcast_in_dim_p.transpose = _bid_transpose
broadcast_in_dim_p.batch = _bid_batch
linear_jvp(broadcast_in_dim_p)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    shape, bd = tuple(int(s) for s in shape), tuple(int(b) for b in broadcast_dimensions)
    if tuple(getattr(x, "shape", ())) == shape and bd == tuple(range(len(shape))) \
            and hasattr(x, "shape"):
        return x
    return bind(broadcast_in_dim_p, x, shape=shape, broadcast_dimensions=bd)


def broadcast(x, sizes):
    """``lax.broadcast``: prepend dimensions ``sizes``."""
    nd = len(get_aval(x).shape)
    sizes = tuple(sizes)
    return broadcast_in_dim(x, sizes + tuple(get_aval(x).shape),
                            tuple(range(len(sizes), len(sizes) + nd)))


# -- reshape ----------------------------------------------------------------------

def _reshape_shape(x, *, new_sizes, dimensions):
    if any(s < 0 for s in new_sizes) or math.prod(new_sizes) != math.prod(x.shape):
        raise shape_error(f"reshape: cannot reshape an array of shape {shape_str(x.shape)} "
                          f"(size {math.prod(x.shape)}) into shape {shape_str(new_sizes)} "
                          f"(size {math.prod(new_sizes)})")
    if dimensions is not None:
        raise shape_error("reshape: the dimensions argument is not supported; transpose first")
    return _aval(new_sizes, x)


def _reshape_groups(src, out):
    """The reshape as runs of dims with equal products, [(src dims, out dims)], size-1 dims
    left out (they index 0): a row-major reshape only splits or merges within a run, so
    each run's index is computed on its own, with no flat index over the whole array (whose
    divisions cost copies 7-9x). None when a size is 0."""
    if 0 in src or 0 in out:
        return None
    s = [i for i, d in enumerate(src) if d != 1]
    o = [i for i, d in enumerate(out) if d != 1]
    groups, i, j = [], 0, 0
    while i < len(s):
        gs, go, ps, po = [s[i]], [o[j]], src[s[i]], out[o[j]]
        i, j = i + 1, j + 1
        while ps != po:
            if ps < po:
                gs.append(s[i])
                ps, i = ps * src[s[i]], i + 1
            else:
                go.append(o[j])
                po, j = po * out[o[j]], j + 1
        groups.append((gs, go))
    return groups


def _reshape_index(e, idx):
    """Per run of dims with equal products (``_reshape_groups``): one dim maps directly, a
    merge of dims is their row-major offset, a split divides that offset."""
    src, out = e.inputs[0].aval.shape, e.outputs[0].aval.shape
    res = ["0"] * len(src)
    for gs, go in _reshape_groups(src, out) or ():  # an empty array: no element read
        terms, stride = [], 1
        for d in reversed(go):
            terms.append(idx[d] if stride == 1 else f"{idx[d]} * {stride}")
            stride *= out[d]
        flat = terms[0] if len(terms) == 1 else "(" + " + ".join(reversed(terms)) + ")"
        stride = 1
        for n, d in enumerate(reversed(gs)):
            first = n == len(gs) - 1  # the outermost: the offset // stride is < its size
            res[d] = (flat if first and stride == 1 else f"({flat} // {stride})" if first
                      else f"({flat} % {src[d]})" if stride == 1
                      else f"(({flat} // {stride}) % {src[d]})")
            stride *= src[d]
    return tuple(res)


reshape_p = Primitive("reshape", kind=Remap(_reshape_index, keeps_order=True))
reshape_p.impl = lambda x, *, new_sizes, dimensions: np.reshape(x, new_sizes)
reshape_p.shape_rule = _reshape_shape
reshape_p.transpose = lambda ct, x, **p: (ct if type(ct) is Zero else reshape(ct, x.aval.shape),)
reshape_p.batch = lambda args, dims, *, new_sizes, dimensions: (
    reshape(bdim_to_front(args[0], dims[0]), (args[0].shape[dims[0]],) + tuple(new_sizes)), 0)
linear_jvp(reshape_p)


def reshape(x, new_sizes, dimensions=None):
    new_sizes = tuple(int(s) for s in new_sizes)
    if dimensions is not None:
        x = transpose(x, tuple(dimensions))
    if tuple(getattr(x, "shape", ())) == new_sizes and hasattr(x, "shape"):
        return x
    return bind(reshape_p, x, new_sizes=new_sizes, dimensions=None)


# -- transpose --------------------------------------------------------------------

def _transpose_shape(x, *, permutation):
    if sorted(permutation) != list(range(len(x.shape))):
        raise shape_error(f"transpose: permutation {permutation} is not a permutation of the "
                          f"axes of an array of shape {shape_str(x.shape)}")
    return _aval(tuple(x.shape[p] for p in permutation), x)


def _transpose_transpose(ct, x, *, permutation):
    if type(ct) is Zero:
        return (Zero(x.aval),)
    return (transpose(ct, tuple(np.argsort(permutation))),)


def _transpose_index(e, idx):
    res = [None] * len(idx)
    for k, pk in enumerate(e.params["permutation"]):
        res[pk] = idx[k]
    return tuple(res)


transpose_p = Primitive("transpose", kind=Remap(_transpose_index))
transpose_p.impl = lambda x, *, permutation: np.transpose(x, permutation)
transpose_p.shape_rule = _transpose_shape
transpose_p.transpose = _transpose_transpose
transpose_p.batch = lambda args, dims, *, permutation: (
    transpose(bdim_to_front(args[0], dims[0]), (0,) + tuple(p + 1 for p in permutation)), 0)
linear_jvp(transpose_p)


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if hasattr(x, "shape") and permutation == tuple(range(len(x.shape))):
        return x
    return bind(transpose_p, x, permutation=permutation)


# -- squeeze / expand_dims --------------------------------------------------------

def _squeeze_shape(x, *, dimensions):
    for d in dimensions:
        if not 0 <= d < len(x.shape) or x.shape[d] != 1:
            raise shape_error(f"squeeze: cannot squeeze axis {d} of an array of shape "
                              f"{shape_str(x.shape)} (only axes of size 1 can be squeezed)")
    return _aval(tuple(s for i, s in enumerate(x.shape) if i not in dimensions), x)


def _squeeze_index(e, idx):
    it = iter(idx)
    dims = e.params["dimensions"]
    return tuple("0" if d in dims else next(it) for d in range(len(e.inputs[0].aval.shape)))


squeeze_p = Primitive("squeeze", kind=Remap(_squeeze_index))
squeeze_p.impl = lambda x, *, dimensions: np.squeeze(x, dimensions) if dimensions else x
squeeze_p.shape_rule = _squeeze_shape
squeeze_p.transpose = lambda ct, x, **p: (ct if type(ct) is Zero else reshape(ct, x.aval.shape),)
squeeze_p.batch = lambda args, dims, *, dimensions: (
    squeeze(bdim_to_front(args[0], dims[0]), tuple(d + 1 for d in dimensions)), 0)
linear_jvp(squeeze_p)


def squeeze(x, dimensions):
    nd = len(get_aval(x).shape)
    dims = tuple(sorted(int(d) % nd if nd else int(d) for d in dimensions))
    if not dims:
        return x
    return bind(squeeze_p, x, dimensions=dims)


def expand_dims(x, dimensions):
    shape = list(get_aval(x).shape)
    nd = len(shape) + len(dimensions)
    for d in sorted(int(d) % nd for d in dimensions):
        shape.insert(d, 1)
    return reshape(x, tuple(shape))


# -- rev --------------------------------------------------------------------------

def _rev_shape(x, *, dimensions):
    if any(not 0 <= d < len(x.shape) for d in dimensions):
        raise shape_error(f"rev: dimensions {dimensions} out of range for an array of shape "
                          f"{shape_str(x.shape)}")
    return _aval(x.shape, x)


def _rev_index(e, idx):
    src = e.inputs[0].aval.shape
    return tuple(f"({src[d] - 1} - {i})" if d in e.params["dimensions"] else i
                 for d, i in enumerate(idx))


rev_p = Primitive("rev", kind=Remap(_rev_index))
rev_p.impl = lambda x, *, dimensions: np.flip(x, dimensions) if dimensions else x
rev_p.shape_rule = _rev_shape
rev_p.transpose = lambda ct, x, *, dimensions: (ct if type(ct) is Zero else rev(ct, dimensions),)
rev_p.batch = lambda args, dims, *, dimensions: (
    rev(bdim_to_front(args[0], dims[0]), tuple(d + 1 for d in dimensions)), 0)
linear_jvp(rev_p)


def rev(x, dimensions):
    return bind(rev_p, x, dimensions=tuple(int(d) for d in dimensions))


# -- concatenate ------------------------------------------------------------------

def _concat_shape(*xs, dimension):
    if not xs:
        raise shape_error("concatenate: at least one operand is required")
    x0 = xs[0]
    nd = len(x0.shape)
    if not 0 <= dimension < max(nd, 1) or nd == 0:
        raise shape_error(f"concatenate: dimension {dimension} is out of range for operands "
                          f"of shape {shape_str(x0.shape)}")
    for x in xs[1:]:
        if x.dtype != x0.dtype:
            raise dtype_error("concatenate: operands must share a dtype, got "
                              + ", ".join(a.dtype.name for a in xs))
        if len(x.shape) != nd or any(a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape))
                                     if i != dimension):
            raise shape_error("concatenate: operand shapes must match except along dimension "
                              f"{dimension}, got " + ", ".join(shape_str(a.shape) for a in xs))
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, x0.dtype, all(x.weak_type for x in xs))


def _concat_transpose(ct, *xs, dimension):
    outs, start = [], 0
    for x in xs:
        size = (x.aval if is_undefined(x) else get_aval(x)).shape[dimension]
        if is_undefined(x):
            if type(ct) is Zero:
                outs.append(Zero(x.aval))
            else:
                lo = [0] * len(ct.shape)
                hi = list(ct.shape)
                lo[dimension], hi[dimension] = start, start + size
                outs.append(slice(ct, lo, hi))
        else:
            outs.append(None)
        start += size
    return tuple(outs)


def _concat_batch(args, dims, *, dimension):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    return concatenate([broadcast_batch(a, d, size) for a, d in zip(args, dims)],
                       dimension + 1), 0


concatenate_p = Primitive("concatenate", kind=OP)
concatenate_p.impl = lambda *xs, dimension: np.concatenate(xs, dimension)
concatenate_p.shape_rule = _concat_shape
concatenate_p.transpose = _concat_transpose
concatenate_p.batch = _concat_batch
linear_jvp(concatenate_p)


def concatenate(operands, dimension: int):
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return bind(concatenate_p, *operands, dimension=int(dimension))


# -- pad --------------------------------------------------------------------------

def _pad_shape(x, pv, *, padding_config):
    if pv.shape != ():
        raise shape_error(f"pad: padding_value must be a scalar, got shape {shape_str(pv.shape)}")
    if pv.dtype != x.dtype:
        raise dtype_error(f"pad: padding_value dtype {pv.dtype.name} differs from the "
                          f"operand's {x.dtype.name}")
    if len(padding_config) != len(x.shape):
        raise shape_error(f"pad: padding_config has {len(padding_config)} entries but the "
                          f"operand has shape {shape_str(x.shape)}")
    out = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config):
        n = lo + hi + d + max(d - 1, 0) * interior
        if interior < 0 or n < 0:
            raise shape_error(f"pad: padding_config {padding_config} is invalid for an operand "
                              f"of shape {shape_str(x.shape)}")
        out.append(n)
    return _aval(out, x)


def _pad_impl(x, pv, *, padding_config):
    inner = [d + max(d - 1, 0) * i for d, (_, _, i) in zip(x.shape, padding_config)]
    y = np.full(inner, pv, x.dtype)
    y[tuple(np.s_[::i + 1] for _, _, i in padding_config)] = x
    y = np.pad(y, [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config],
               constant_values=pv)
    return y[tuple(np.s_[max(-lo, 0):n - max(-hi, 0)]
                   for n, (lo, hi, _) in zip(y.shape, padding_config))]


def _pad_transpose(ct, x, pv, *, padding_config):
    if type(ct) is Zero:
        return (Zero(x.aval) if is_undefined(x) else None,
                Zero(pv.aval) if is_undefined(pv) else None)
    unpadded = pad(ct, const(ct, 0), [(-lo, -hi, 0) for lo, hi, _ in padding_config])
    tx = slice(unpadded, [0] * len(ct.shape), unpadded.shape,
               [i + 1 for _, _, i in padding_config])
    tpv = None
    if is_undefined(pv):
        all_axes = tuple(range(len(ct.shape)))
        tpv = ew.sub(red.reduce_sum(ct, all_axes), red.reduce_sum(tx, all_axes))
    return (tx if is_undefined(x) else None, tpv)


def _pad_batch(args, dims, *, padding_config):
    (x, pv), (dx, dpv) = args, dims
    size = x.shape[dx] if dx is not None else pv.shape[dpv]
    x = broadcast_batch(x, dx, size)
    cfg = ((0, 0, 0),) + tuple(padding_config)
    if dpv is None:
        return pad(x, pv, cfg), 0
    # a batched padding value: pad with zeros, then select the per-example value
    mask = pad(full_of(ShapedArray(x.shape, np.bool_), True), False, cfg)
    padded = pad(x, const(x, 0), cfg)
    pv_b = broadcast_in_dim(bdim_to_front(pv, dpv), padded.shape, (0,))
    return ew.select(mask, padded, pv_b), 0


pad_p = Primitive("pad", kind=OP)
pad_p.impl = _pad_impl
pad_p.shape_rule = _pad_shape
pad_p.transpose = _pad_transpose
pad_p.batch = _pad_batch
linear_jvp(pad_p)


def pad(x, padding_value, padding_config):
    cfg = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    return bind(pad_p, x, padding_value, padding_config=cfg)


# -- slice ------------------------------------------------------------------------

def _slice_shape(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(x.shape)
    n = len(x.shape)
    if not (len(start_indices) == len(limit_indices) == len(strides) == n) or not all(
            0 <= s <= l <= d and st >= 1
            for s, l, d, st in zip(start_indices, limit_indices, x.shape, strides)):
        raise shape_error(f"slice: start_indices {start_indices}, limit_indices {limit_indices}"
                          f" and strides {strides} are invalid for an operand of shape "
                          f"{shape_str(x.shape)}")
    return _aval([-(-(l - s) // st) for s, l, st in zip(start_indices, limit_indices, strides)], x)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(x.shape)
    return x[tuple(np.s_[s:l:st] for s, l, st in zip(start_indices, limit_indices, strides))]


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    if type(ct) is Zero:
        return (Zero(x.aval),)
    strides = strides or (1,) * len(x.aval.shape)
    cfg = []
    for d, s, n, st in zip(x.aval.shape, start_indices, ct.shape, strides):
        hi = d - s - (n - 1) * st - 1 if n > 0 else d - s
        cfg.append((s, hi, st - 1))
    return (pad(ct, const(ct, 0), cfg),)


def _slice_batch(args, dims, *, start_indices, limit_indices, strides):
    x = bdim_to_front(args[0], dims[0])
    st = (1,) + tuple(strides) if strides else None
    return slice(x, (0,) + tuple(start_indices), (x.shape[0],) + tuple(limit_indices), st), 0


def _affine(start, stride, i) -> str:
    if start == 0 and stride == 1:
        return i
    if stride == 1:
        return f"({start} + {i})"
    return f"({start} + {stride} * {i})" if start else f"({stride} * {i})"


def _slice_index(e, idx):
    strides = e.params["strides"] or (1,) * len(idx)
    return tuple(_affine(s, st, i) for s, st, i in zip(e.params["start_indices"], strides, idx))


slice_p = Primitive("slice", kind=Remap(_slice_index))
slice_p.impl = _slice_impl
slice_p.shape_rule = _slice_shape
slice_p.transpose = _slice_transpose
slice_p.batch = _slice_batch
linear_jvp(slice_p)


def slice(x, start_indices, limit_indices, strides=None):
    start, limit = tuple(int(s) for s in start_indices), tuple(int(s) for s in limit_indices)
    strides = tuple(int(s) for s in strides) if strides is not None else None
    if strides is not None and all(s == 1 for s in strides):
        strides = None
    if start == (0,) * len(start) and limit == tuple(get_aval(x).shape) and strides is None:
        return x
    return bind(slice_p, x, start_indices=start, limit_indices=limit, strides=strides)


def slice_in_dim(x, start, limit, stride=1, axis=0):
    shape = get_aval(x).shape
    s, l, st = [0] * len(shape), list(shape), [1] * len(shape)
    s[axis], l[axis], st[axis] = start, limit, stride
    return slice(x, s, l, st)


# -- iota -------------------------------------------------------------------------

def _iota_impl(*, dtype, shape, dimension):
    r = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(r.reshape([-1 if i == dimension else 1 for i in range(len(shape))]),
                           shape)


def _iota_shape(*, dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise shape_error(f"iota: dimension {dimension} out of range for shape {shape_str(shape)}")
    return ShapedArray(shape, dtype)


def _iota_index(e, idx):
    """iota reads no operand: its element is its own index along ``dimension``."""
    return (idx[e.params["dimension"]],)


iota_p = Primitive("iota", kind=Remap(_iota_index))
iota_p.impl = _iota_impl
iota_p.shape_rule = _iota_shape
iota_p.jvp = lambda primals, tangents, **p: (bind(iota_p, **p),
                                             Zero(tangent_aval(_iota_shape(**p))))


def broadcasted_iota(dtype, shape, dimension):
    from ..core.dtypes import canonicalize_dtype, index_dtype
    d = canonicalize_dtype(dtype)
    if d == np.int32 and np.dtype(dtype) == np.int64:  # x64 off: int64 only where int32 wraps
        d = index_dtype(shape[dimension])
    return bind(iota_p, dtype=d, shape=tuple(int(s) for s in shape), dimension=int(dimension))


def iota(dtype, size):
    return broadcasted_iota(dtype, (size,), 0)


__all__ = ["broadcast_in_dim", "broadcast", "reshape", "transpose", "squeeze", "expand_dims",
           "rev", "concatenate", "pad", "slice", "slice_in_dim", "iota", "broadcasted_iota"]

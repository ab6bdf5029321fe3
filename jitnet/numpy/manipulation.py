"""Shape manipulation: reshape, transpose, moveaxis, squeeze, concatenate, stack, split, tile..."""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.source_info import user_line
from ..prims.util import get_aval
from ..trace.array import ArrayImpl
from ..trace.tracer import Tracer
from .util import (as_jitnet, broadcast_shapes, broadcast_to_shape, canonicalize_axes,
                   canonicalize_axis, check_arraylike, convert, promote_dtypes_numeric)


def _arg(name, a):
    check_arraylike(name, a)
    return as_jitnet(a)


def _resolve_shape(shape, size, src_shape):
    shape = tuple(operator.index(s) for s in ((shape,) if isinstance(shape, (int, np.integer))
                                               else shape))
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: can only specify one unknown dimension, got {shape}"
                         f"{user_line()}")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape an array of shape {tuple(src_shape)} "
                             f"(size {size}) into shape {shape}{user_line()}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    return shape


def reshape(a, shape=None, order="C", *, newshape=None):
    a = _arg("reshape", a)
    shape = newshape if shape is None else shape
    if order not in ("C", "F", "A"):
        raise ValueError(f"reshape: order must be 'C', 'F' or 'A', got {order!r}{user_line()}")
    aval = get_aval(a)
    new = _resolve_shape(shape, aval.size, aval.shape)
    if order == "F":
        rev_in = tuple(range(aval.ndim))[::-1]
        out = lax.reshape(lax.transpose(a, rev_in), new[::-1])
        return lax.transpose(out, tuple(range(len(new)))[::-1])
    return lax.reshape(a, new)


def ravel(a, order="C"):
    a = _arg("ravel", a)
    # jitnet arrays are C-contiguous, so memory order ('K') is C order
    return reshape(a, (get_aval(a).size,), "C" if order == "K" else order)


def transpose(a, axes=None):
    a = _arg("transpose", a)
    nd = get_aval(a).ndim
    axes = tuple(range(nd))[::-1] if axes is None else tuple(canonicalize_axis(x, nd)
                                                              for x in axes)
    return lax.transpose(a, axes)


def permute_dims(a, axes):
    return transpose(a, axes)


def matrix_transpose(x):
    x = _arg("matrix_transpose", x)
    nd = get_aval(x).ndim
    if nd < 2:
        raise ValueError(f"matrix_transpose requires at least 2 dimensions, got {nd}")
    return lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def swapaxes(a, axis1, axis2):
    a = _arg("swapaxes", a)
    nd = get_aval(a).ndim
    perm = list(range(nd))
    i, j = canonicalize_axis(axis1, nd), canonicalize_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def moveaxis(a, source, destination):
    a = as_jitnet(a)
    nd = get_aval(a).ndim
    src = canonicalize_axes(source if isinstance(source, (tuple, list)) else (source,), nd)
    dst = canonicalize_axes(destination if isinstance(destination, (tuple, list))
                            else (destination,), nd)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same length")
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return lax.transpose(a, tuple(order))


def expand_dims(a, axis):
    a = _arg("expand_dims", a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = get_aval(a).ndim + len(axes)
    axes = canonicalize_axes(axes, nd)
    return lax.expand_dims(a, axes)


def squeeze(a, axis=None):
    a = _arg("squeeze", a)
    shape = get_aval(a).shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = canonicalize_axes(axis, len(shape))
        for ax in axes:
            if shape[ax] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not "
                                 f"equal to one: axis {ax} of shape {tuple(shape)}{user_line()}")
    return lax.squeeze(a, axes)


def broadcast_to(array, shape):
    a = _arg("broadcast_to", array)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    src = tuple(get_aval(a).shape)
    if broadcast_shapes("broadcast_to", src, shape) != shape:
        raise ValueError(f"broadcast_to: incompatible shapes for broadcasting: {src} and "
                         f"{shape}{user_line()}")
    if not src:
        return lax.broadcast_in_dim(a, shape, ())
    return broadcast_to_shape(a, shape)


def broadcast_arrays(*args):
    args = [as_jitnet(a) for a in args]
    shape = broadcast_shapes("broadcast_arrays", *[get_aval(a).shape for a in args])
    return [broadcast_to(a, shape) for a in args]


def atleast_1d(*arys):
    out = [reshape(a, (1,)) if get_aval(as_jitnet(a)).ndim == 0 else as_jitnet(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        a = as_jitnet(a)
        nd = get_aval(a).ndim
        out.append(reshape(a, (1,) * (2 - nd) + tuple(get_aval(a).shape)) if nd < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in arys:
        a = as_jitnet(a)
        s = tuple(get_aval(a).shape)
        if len(s) == 0:
            a = reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = reshape(a, (1, s[0], 1))
        elif len(s) == 2:
            a = reshape(a, s + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0, dtype=None):
    if isinstance(arrays, (ArrayImpl, Tracer)):
        arrays = list(arrays)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    check_arraylike("concatenate", *arrays)
    arrays = promote_dtypes_numeric(*arrays)
    if dtype is not None:
        arrays = [convert(a, dtypes.canonicalize_dtype(dtype)) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    nd = get_aval(arrays[0]).ndim
    if nd == 0:
        raise ValueError(f"zero-dimensional arrays cannot be concatenated{user_line()}")
    ax = canonicalize_axis(axis, nd)
    return lax.concatenate(arrays, ax)


def stack(arrays, axis=0, out=None, dtype=None):
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    check_arraylike("stack", *arrays)
    arrays = [as_jitnet(a) for a in arrays]
    shapes = {tuple(get_aval(a).shape) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{[tuple(get_aval(a).shape) for a in arrays]}{user_line()}")
    nd = get_aval(arrays[0]).ndim + 1
    ax = canonicalize_axis(axis, nd)
    return concatenate([lax.expand_dims(a, (ax,)) for a in arrays], ax, dtype)


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if get_aval(arrs[0]).ndim == 1 else 1, dtype)


def vstack(tup, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], 0, dtype)


row_stack = vstack


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], 2, dtype)


def column_stack(tup):
    arrs = []
    for a in tup:
        a = as_jitnet(a)
        arrs.append(reshape(a, (-1, 1)) if get_aval(a).ndim < 2 else a)
    return concatenate(arrs, 1)


def _split_points(n, indices_or_sections, strict):
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        if strict and n % k:
            raise ValueError(f"array split does not result in an equal division: {n} into "
                             f"{k}{user_line()}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return list(np.cumsum([0] + sizes))
    pts = [int(i) for i in (indices_or_sections.tolist()
                            if hasattr(indices_or_sections, "tolist") else indices_or_sections)]
    pts = [builtins.min(builtins.max(p + n if p < 0 else p, 0), n) for p in pts]
    return [0] + pts + [n]


def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


def _split(ary, ios, axis, strict):
    a = _arg("split", ary)
    nd = get_aval(a).ndim
    ax = canonicalize_axis(axis, nd)
    n = get_aval(a).shape[ax]
    pts = _split_points(n, ios, strict)
    return [lax.slice_in_dim(a, s, builtins.max(s, e), 1, ax) for s, e in zip(pts[:-1], pts[1:])]


def hsplit(ary, ios):
    return split(ary, ios, 1 if get_aval(as_jitnet(ary)).ndim > 1 else 0)


def vsplit(ary, ios):
    return split(ary, ios, 0)


def tile(A, reps):
    a = _arg("tile", A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    shape = tuple(get_aval(a).shape)
    nd = builtins.max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    a = reshape(a, shape)
    # broadcast into (r0, d0, r1, d1, ...) then merge pairs
    big = tuple(x for r, d in zip(reps, shape) for x in (r, d))
    out = lax.broadcast_in_dim(a, big, tuple(range(1, 2 * nd, 2)))
    return lax.reshape(out, tuple(r * d for r, d in zip(reps, shape)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    a = _arg("repeat", a)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = canonicalize_axis(axis, get_aval(a).ndim)
    shape = tuple(get_aval(a).shape)
    if isinstance(repeats, (int, np.integer)):
        r = int(repeats)
        big = shape[:ax + 1] + (r,) + shape[ax + 1:]
        out = lax.broadcast_in_dim(a, big, tuple(i if i <= ax else i + 1
                                                 for i in range(len(shape))))
        return lax.reshape(out, shape[:ax] + (shape[ax] * r,) + shape[ax + 1:])
    if isinstance(repeats, Tracer):
        raise NotImplementedError("jnp.repeat with traced repeats is not supported (the "
                                  "output size would depend on their values)")
    reps = np.broadcast_to(np.asarray(repeats), (shape[ax],)).astype(np.int64)
    idx = np.repeat(np.arange(shape[ax]), reps)
    from .indexing import take
    return take(a, ArrayImpl(idx.astype(np.int32)), axis=ax)


def flip(m, axis=None):
    m = _arg("flip", m)
    axes = canonicalize_axes(axis, get_aval(m).ndim)
    return lax.rev(m, axes)


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    m = _arg("rot90", m)
    k %= 4
    nd = get_aval(m).ndim
    if len(axes) != 2 or nd < 2:
        raise ValueError(f"rot90: axes must hold 2 axes of an array with at least 2 "
                         f"dimensions, got axes {axes} for shape {tuple(get_aval(m).shape)}")
    a0, a1 = (canonicalize_axis(a, nd) for a in axes)
    if a0 == a1:
        raise ValueError(f"rot90: axes must be different, got {axes}{user_line()}")
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


def roll(a, shift, axis=None):
    a = _arg("roll", a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), get_aval(a).shape)
    shifts = (shift,) if not isinstance(shift, (tuple, list)) else tuple(shift)
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    if len(shifts) == 1 and len(axes) > 1:  # broadcast shift and axis against each other
        shifts = shifts * len(axes)
    elif len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift} and axis {axis} have different lengths"
                         f"{user_line()}")
    for s, ax in zip(shifts, axes):
        ax = canonicalize_axis(ax, get_aval(a).ndim)
        n = get_aval(a).shape[ax]
        if n == 0:
            continue
        if isinstance(s, (int, np.integer)):
            s = int(s) % n
            if s:
                a = lax.concatenate([lax.slice_in_dim(a, n - s, n, 1, ax),
                                     lax.slice_in_dim(a, 0, n - s, 1, ax)], ax)
        else:  # traced shift: slice a doubled array
            s = lax.rem(lax.add(lax.rem(convert(s, np.int32), np.int32(n)), np.int32(n)),
                        np.int32(n))
            doubled = lax.concatenate([a, a], ax)
            a = lax.dynamic_slice_in_dim(doubled, lax.sub(np.int32(n), s), n, ax)
    return a


def pad(array, pad_width, mode="constant", **kwargs):
    a = _arg("pad", array)
    nd = get_aval(a).ndim
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (nd, 2))
    if np.any(pw < 0):
        raise ValueError(f"pad: negative pad widths are not allowed, got {pad_width}")
    if mode == "constant":
        cv = kwargs.get("constant_values", 0)
        if isinstance(cv, (ArrayImpl, Tracer)) and get_aval(cv).ndim == 0:
            cvs = [[cv, cv]] * nd
        else:
            cvs = np.broadcast_to(np.asarray(cv), (nd, 2)).tolist()
        for ax in range(nd):
            for side in (0, 1):
                w = int(pw[ax, side])
                if not w:
                    continue
                cfg = [(0, 0, 0)] * nd
                cfg[ax] = (w, 0, 0) if side == 0 else (0, w, 0)
                a = lax.pad(a, convert(cvs[ax][side], get_aval(a).dtype, True), cfg)
        return a
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        for ax in range(nd):
            a = _pad_axis(a, ax, int(pw[ax, 0]), int(pw[ax, 1]), mode)
        return a
    raise NotImplementedError(f"jnp.pad: mode {mode!r} is not supported")


def _pad_axis(a, ax, lo, hi, mode):
    n = get_aval(a).shape[ax]
    if lo == hi == 0:
        return a
    if n == 0:
        raise ValueError(f"can't pad an empty axis with mode {mode!r}")
    idx = np.arange(-lo, n + hi)
    if mode == "edge":
        idx = np.clip(idx, 0, n - 1)
    elif mode == "wrap":
        idx = idx % n
    elif mode == "symmetric":
        period = 2 * n
        idx = idx % period
        idx = np.where(idx >= n, period - 1 - idx, idx)
    else:  # reflect
        if n == 1:
            idx = np.zeros_like(idx)
        else:
            period = 2 * (n - 1)
            idx = idx % period
            idx = np.where(idx >= n, period - idx, idx)
    from .indexing import take
    return take(a, ArrayImpl(idx.astype(np.int32)), axis=ax)


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def shape(a):
    return tuple(get_aval(as_jitnet(a)).shape)


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    s = shape(a)
    return math.prod(s) if axis is None else s[axis]


# -- NumPy 2 / Array API names and the rest of NumPy's manipulation routines ----------------

def concat(arrays, /, *, axis=0):
    """Array API name of ``concatenate`` (``axis=None`` flattens first)."""
    if axis is None:
        return concatenate([ravel(a) for a in arrays], 0)
    return concatenate(arrays, axis)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple (the inverse of ``stack``)."""
    x = _arg("unstack", x)
    ax = canonicalize_axis(axis, get_aval(x).ndim)
    return tuple(squeeze(s, ax) for s in split(x, get_aval(x).shape[ax], ax)) \
        if get_aval(x).shape[ax] else ()


def dsplit(ary, indices_or_sections):
    if get_aval(as_jitnet(ary)).ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def rollaxis(a, axis, start=0):
    """Move ``axis`` to before position ``start`` (prefer ``moveaxis``)."""
    a = _arg("rollaxis", a)
    n = get_aval(a).ndim
    axis = canonicalize_axis(axis, n)
    if not -n <= start <= n:
        raise ValueError(f"rollaxis: start={start} is out of bounds for {n} dimensions")
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def resize(a, new_shape):
    """``a`` flattened, repeated as needed and reshaped to ``new_shape`` (NumPy's resize)."""
    a = ravel(_arg("resize", a))
    shape = (new_shape,) if isinstance(new_shape, int) else tuple(new_shape)
    if any(d < 0 for d in shape):
        raise ValueError("resize: all elements of new_shape must be non-negative")
    total, n = math.prod(shape), get_aval(a).shape[0]
    if n == 0 or total == 0:
        from .creation import zeros
        return zeros(shape, get_aval(a).dtype)
    reps = -(-total // n)
    return reshape(tile(a, reps)[:total], shape)


def block(arrays):
    """Assemble an array from nested lists of blocks (innermost lists join the last axis)."""
    def depth(x):
        return 1 + depth(x[0]) if isinstance(x, list) and x else (1 if isinstance(x, list)
                                                                   else 0)
    if isinstance(arrays, tuple):
        raise TypeError("jnp.block: arrays must be nested lists, not tuples")
    d = depth(arrays)
    items = []

    def leaves(x):
        if isinstance(x, list):
            for y in x:
                leaves(y)
        else:
            items.append(as_jitnet(x))
    leaves(arrays)
    ndim = builtins.max([d] + [get_aval(i).ndim for i in items])

    def build(x, level):
        if not isinstance(x, list):
            x = as_jitnet(x)
            return reshape(x, (1,) * (ndim - get_aval(x).ndim) + tuple(get_aval(x).shape))
        if isinstance(x[0] if x else None, list) is not (level < d - 1):
            raise ValueError("jnp.block: list depths are mismatched")
        return concatenate([build(y, level + 1) for y in x], axis=ndim - d + level)
    return build(arrays, 0)


def astype(x, dtype, /, *, copy=False, device=None):
    """Array API ``astype``: ``x`` converted to ``dtype``."""
    return _arg("astype", x).astype(dtype)

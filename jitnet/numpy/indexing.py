"""NumPy indexing on jitnet arrays: ``x[idx]``, ``x.at[idx].set/add/...``, take, nonzero.

``x[idx]`` becomes, in order: one ``rev`` (negative steps), one ``slice`` (static
slices and integers), one ``dynamic_slice`` (traced scalar indices), one
``gather`` (integer-array indices, NumPy's advanced indexing) and a final
transpose/reshape that places the dimensions where NumPy puts them.

``x.at[idx].op(y)`` reuses that machinery: indexing an iota of ``x``'s flat
positions yields, for every element of ``x[idx]``, where it lives in ``x``; one
flat ``scatter`` then applies the update. Out-of-bounds updates are dropped.
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import ConcretizationTypeError, value_needed
from ..core.source_info import user_line
from ..prims import indexing as ix
from ..prims.elementwise import convert_index, index_constant
from ..prims.util import get_aval
from ..trace.array import Array, ArrayImpl
from ..trace.tracer import Tracer, concrete
from .util import as_jitnet, broadcast_shapes, canonicalize_axis, check_arraylike, convert

# entry kinds after normalization
_SLICE, _INT, _DYN, _ARRAY, _NONE = "slice", "int", "dyn", "array", "none"
_MASK = "mask"  # a concrete boolean mask, before its check and expansion into index arrays


class _TracedSliceError(ConcretizationTypeError, IndexError):
    """Slice bounds must be static (an ``IndexError``, as before, and a concretization one)."""


class NonConcreteBooleanIndexError(ConcretizationTypeError, IndexError):
    pass


def _normalize_entries(idx, shape, scalars_as_arrays):
    ndim = len(shape)
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries = []
    for e in idx:
        if e is None:
            entries.append((_NONE, None))
        elif e is Ellipsis:
            entries.append(("ellipsis", None))
        elif isinstance(e, slice):
            entries.append((_SLICE, _static_slice(e)))
        elif isinstance(e, (bool, np.bool_)):
            raise TypeError(f"jitnet does not support indexing with a Python bool ({e}); use "
                            f"None to add an axis or jnp.where for a mask{user_line()}")
        elif isinstance(e, (int, np.integer)) and scalars_as_arrays:
            dt = dtypes.index_dtype(abs(int(e)) + 1)
            entries.append((_ARRAY, ArrayImpl(np.asarray(e, dt))))
        elif isinstance(e, (int, np.integer)):
            entries.append((_INT, int(e)))
        elif isinstance(e, (list, tuple, np.ndarray, Array)):
            entries.extend(_array_entries(e, scalars_as_arrays))
        else:
            raise TypeError(f"Indexer must be an integer, slice, None, Ellipsis or an integer "
                            f"or boolean array, got {type(e).__name__}: {e!r}{user_line()}")
    n_ell = sum(k == "ellipsis" for k, _ in entries)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(k in (_SLICE, _INT, _DYN, _ARRAY) for k, _ in entries) + \
        sum(len(v[0]) for k, v in entries if k == _MASK)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed{user_line()}")
    fill = [(_SLICE, (None, None, None))] * (ndim - used)
    if n_ell:
        i = next(i for i, (k, _) in enumerate(entries) if k == "ellipsis")
        entries = entries[:i] + fill + entries[i + 1:]
    else:
        entries = entries + fill
    return _expand_masks(entries, shape)


def _expand_masks(entries, shape):
    """Check each boolean mask against the dims it covers; replace it by its index arrays."""
    out, dim = [], 0
    for kind, v in entries:
        if kind == _NONE:
            out.append((kind, v))
            continue
        if kind != _MASK:
            out.append((kind, v))
            dim += 1
            continue
        mshape, arrays = v
        covered = tuple(shape[dim:dim + len(mshape)])
        if covered != tuple(mshape):
            raise IndexError(f"boolean index of shape {tuple(mshape)} does not match the "
                             f"indexed dimensions {covered} (axes {dim} to "
                             f"{dim + len(mshape) - 1}) of an array of shape {tuple(shape)}"
                             f"{user_line()}")
        out.extend((_ARRAY, a) for a in arrays)
        dim += len(mshape)
    return out


def _static_slice(s: slice):
    parts = []
    for v in (s.start, s.stop, s.step):
        if isinstance(v, Tracer):
            if v.known is None:
                raise value_needed(_TracedSliceError(
                    f"slice bounds must be static; a traced value was used in a slice. Use "
                    f"jitnet.lax.dynamic_slice for a traced start with a static size"
                    f"{user_line()}"))
            v = v.known
        parts.append(None if v is None else int(v))
    if parts[2] == 0:
        raise ValueError("slice step cannot be zero")
    return tuple(parts)


def _array_entries(e, scalars_as_arrays):
    if isinstance(e, (list, tuple)):
        e = np.asarray(e)
        if e.dtype == object:
            raise TypeError("jitnet cannot index with a ragged nested list")
        if e.size == 0:
            e = e.astype(np.int32)
    if isinstance(e, np.ndarray):
        e = ArrayImpl(np.asarray(e, dtypes.canonicalize_dtype(e.dtype)))
    dt = get_aval(e).dtype
    if dt == np.bool_:
        if isinstance(e, Tracer) and e.known is not None:
            e = e.known  # a mask whose values are known (autodiff outside jit): concrete
        if isinstance(e, Tracer):
            raise value_needed(NonConcreteBooleanIndexError(
                f"Array boolean indices must be concrete; got a traced mask of shape "
                f"{tuple(e.shape)}{user_line()}. The result's size would depend on the mask's "
                f"values. Use jnp.where(mask, x, fill) to keep the shape, or jnp.nonzero(mask, "
                f"size=...) for a fixed-size index."))
        if e.ndim == 0:
            raise TypeError(f"jitnet does not support indexing with a 0-d boolean array; use "
                            f"None to add an axis or jnp.where for a mask{user_line()}")
        return [(_MASK, (tuple(e.shape), [ArrayImpl(i.astype(np.int32))
                                          for i in np.nonzero(e._value)]))]
    if dt.kind not in "iu":
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with dtype "
                        f"{dt.name}{user_line()}")
    if get_aval(e).ndim == 0 and not scalars_as_arrays:
        # a 0-d jitnet array is a dynamic index even when concrete: out-of-bounds values
        # clamp (dynamic_slice), eagerly as under jit, as in JAX
        return [(_DYN, e)]
    return [(_ARRAY, e)]


_BASIC = (int, slice, type(None), type(Ellipsis))


def _is_basic(idx) -> bool:
    if type(idx) is tuple:
        return all(type(e) in _BASIC for e in idx)
    return type(idx) in _BASIC


def rewriting_take(x, idx, *, mode="clip", fill_value=None, scalars_as_arrays=False):
    """``x[idx]`` with NumPy semantics; out-of-bounds array indices are clipped or filled."""
    if type(x) is ArrayImpl and not scalars_as_arrays and _is_basic(idx):
        try:  # eager basic indexing: NumPy's view semantics are the same (arrays are immutable)
            return ArrayImpl(np.asarray(x._value[idx]), x.weak_type)
        except IndexError as e:
            raise IndexError(f"{e}{user_line()}") from None
    x = as_jitnet(x)
    shape = tuple(get_aval(x).shape)
    entries = _normalize_entries(idx, shape, scalars_as_arrays)
    # Pass 1: static slices, ints and negative steps on the dims they index.
    dim, starts, limits, strides, revs = 0, [], [], [], []
    dyn = {}
    for kind, v in entries:
        if kind == _NONE:
            continue
        n = shape[dim]
        if kind == _SLICE:
            s, l, st = _slice_bounds(v, n, dim, revs)
        elif kind == _INT:
            i = v + n if v < 0 else v
            if not 0 <= i < n:
                raise IndexError(f"index {v} is out of bounds for axis {dim} with size {n}"
                                 f"{user_line()}")
            s, l, st = i, i + 1, 1
        else:
            s, l, st = 0, n, 1
            if kind == _DYN:
                dyn[dim] = v
        starts.append(s)
        limits.append(l)
        strides.append(st)
        dim += 1
    if revs:
        x = lax.rev(x, tuple(revs))
    x = lax.slice(x, starts, limits, strides)
    if dyn:
        cur = tuple(get_aval(x).shape)
        st = [dyn.get(d, np.int32(0)) for d in range(len(cur))]
        sizes = [1 if d in dyn else cur[d] for d in range(len(cur))]
        x = lax.dynamic_slice(x, st, sizes)
    has_array = any(k == _ARRAY for k, _ in entries)
    if not has_array:
        out_shape = []
        dim = 0
        cur = get_aval(x).shape
        for kind, _ in entries:
            if kind == _NONE:
                out_shape.append(1)
                continue
            if kind == _SLICE:
                out_shape.append(cur[dim])
            dim += 1
        return lax.reshape(x, tuple(out_shape))
    return _advanced(x, entries, mode, fill_value)


def _slice_bounds(v, n, dim, revs):
    start, stop, step = slice(*v).indices(n)
    count = len(range(start, stop, step))
    if step > 0:
        return start, start + max(count - 1, 0) * step + (1 if count else 0), step
    revs.append(dim)  # reversed axis: element i of x is element n-1-i of rev(x)
    if count == 0:
        return 0, 0, 1
    first = n - 1 - start
    return first, first + (count - 1) * (-step) + 1, -step


def _advanced(x, entries, mode, fill_value):
    cur = tuple(get_aval(x).shape)
    adv_axes, arrays, dim = [], [], 0
    positions = []  # entry positions of advanced indices
    for pos, (kind, v) in enumerate(entries):
        if kind == _NONE:
            continue
        if kind in (_ARRAY, _INT, _DYN):
            adv_axes.append(dim)
            # ints and traced scalars were already sliced to size 1 in pass 1: index 0
            arrays.append(v if kind == _ARRAY else ArrayImpl(np.zeros((), np.int32)))
            positions.append(pos)
        dim += 1
    bshape = broadcast_shapes("indexing (shape mismatch: indexing arrays could not be "
                              "broadcast together)", *[get_aval(a).shape for a in arrays])
    if math.prod(bshape) and any(cur[ax] == 0 for ax in adv_axes):
        raise IndexError(f"cannot index an empty axis with a non-empty index array: axes "
                         f"{[ax for ax in adv_axes if cur[ax] == 0]} of shape {cur} have size 0"
                         f"{user_line()}")
    cols = []
    for a, ax in zip(arrays, adv_axes):
        cols.append(_normalize_index(a, cur[ax], bshape))
    nb = len(bshape)
    indices = lax.concatenate([lax.reshape(c, bshape + (1,)) for c in cols], nb) \
        if len(cols) > 1 else lax.reshape(cols[0], bshape + (1,))
    if mode == "fill":
        fv = ix.default_fill_value(get_aval(x).dtype) if fill_value is None else fill_value
        y = ix.gather(x, indices, tuple(adv_axes), "fill", fv)
    else:
        y = ix.gather(x, indices, tuple(adv_axes), "clip")
    # place the broadcast index dims where NumPy does
    adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    comps, rest = [], 0
    if not adjacent:
        comps.append("B")
    for pos, (kind, _) in enumerate(entries):
        if kind == _NONE:
            comps.append("new")
        elif kind == _SLICE:
            comps.append(("rest", rest))
            rest += 1
        elif adjacent and pos == positions[0]:
            comps.append("B")
    perm, final = [], []
    yshape = tuple(get_aval(y).shape)
    for c in comps:
        if c == "B":
            perm += list(range(nb))
            final += list(bshape)
        elif c == "new":
            final.append(1)
        else:
            perm.append(nb + c[1])
            final.append(yshape[nb + c[1]])
    y = lax.transpose(y, tuple(perm))
    return lax.reshape(y, tuple(final))


def _normalize_index(a, n, bshape):
    """Negative indices count from the end; broadcast to the common index shape; int32, or
    int64 for an axis longer than 2**31 - 1 (``dtypes.index_dtype``)."""
    dt = dtypes.index_dtype(n + 1)
    if isinstance(a, ArrayImpl):
        v = a._value.astype(np.int64)
        v = np.clip(np.where(v < 0, v + n, v), -1, n).astype(dt)  # out of bounds stays so
        return ArrayImpl(np.ascontiguousarray(np.broadcast_to(v, bshape)))
    a = convert_index(a, dt)
    a = lax.select(lax.lt(a, index_constant(0, dt)), lax.add(a, index_constant(n, dt)), a)
    from .util import broadcast_to_shape
    a = broadcast_to_shape(a, bshape)
    if tuple(get_aval(a).shape) != tuple(bshape):
        a = lax.broadcast_in_dim(a, bshape, ())
    return a


# -- .at[] -----------------------------------------------------------------------

def scatter_update(x, idx, y, combiner: str, mode=None):
    """``x`` with ``y`` combined into ``x[idx]`` (set/add/mul/min/max); returns a new array."""
    x = as_jitnet(x)
    aval = get_aval(x)
    n = aval.size
    flat_pos = lax.reshape(lax.iota(dtypes.index_dtype(n), n), aval.shape)
    gmode = "clip" if mode == "clip" else "fill"
    pos = rewriting_take(flat_pos, idx, mode=gmode, fill_value=-1, scalars_as_arrays=True)
    pshape = tuple(get_aval(pos).shape)
    check_arraylike("scatter", y)
    y = convert(as_jitnet(y), aval.dtype, aval.weak_type)
    ys = tuple(get_aval(y).shape)
    if broadcast_shapes("scatter (updates do not fit x[idx])", ys, pshape) != pshape:
        raise ValueError(f"scatter: updates of shape {ys} cannot be broadcast to the indexed "
                         f"shape {pshape}{user_line()}")
    from .manipulation import broadcast_to
    y = broadcast_to(y, pshape)
    flat = lax.reshape(x, (n,))
    out = ix.scatter(flat, lax.reshape(pos, pshape + (1,)), y, (0,), combiner,
                     "clip" if mode == "clip" else "drop")
    return lax.reshape(out, aval.shape)


class _IndexUpdateRef:
    """``x.at[idx]``: functional versions of ``x[idx] = y``, ``x[idx] += y``..."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def get(self, *, mode=None, fill_value=None, indices_are_sorted=False, unique_indices=False):
        return rewriting_take(self.array, self.index, mode=mode or "clip", fill_value=fill_value)

    def set(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return scatter_update(self.array, self.index, values, "set", mode)

    def add(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return scatter_update(self.array, self.index, values, "add", mode)

    def subtract(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        from .ufuncs import negative
        return scatter_update(self.array, self.index, negative(values), "add", mode)

    def multiply(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return scatter_update(self.array, self.index, values, "mul", mode)

    mul = multiply

    def divide(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        """``x / d`` where ``d`` is 1 except at the indexed positions (as JAX: integer arrays
        give a floating result)."""
        from .creation import ones_like
        from .ufuncs import true_divide
        den = scatter_update(ones_like(self.array), self.index, values, "mul", mode)
        return true_divide(self.array, den)

    def power(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        from .ufuncs import power
        return self.set(power(self.get(mode=mode), values), mode=mode)

    def min(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return scatter_update(self.array, self.index, values, "min", mode)

    def max(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return scatter_update(self.array, self.index, values, "max", mode)

    def apply(self, func, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return self.set(func(self.get(mode=mode)), mode=mode)


class _IndexUpdateHelper:
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)


# -- take, take_along_axis, nonzero -------------------------------------------------

def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis``; out-of-bounds give NaN (``mode='fill'``)."""
    check_arraylike("take", a, indices)
    a = as_jitnet(a)
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    nd = get_aval(a).ndim
    axis = canonicalize_axis(axis, nd)
    idx = as_jitnet(indices)
    mode = mode or "fill"
    if mode == "wrap":
        idx = lax.rem(lax.add(lax.rem(convert(idx, np.int32), np.int32(get_aval(a).shape[axis])),
                              np.int32(get_aval(a).shape[axis])),
                      np.int32(get_aval(a).shape[axis]))
        mode = "clip"
    ishape = tuple(get_aval(idx).shape)
    if math.prod(ishape) and get_aval(a).shape[axis] == 0:
        raise IndexError(f"take: cannot take a non-empty set of indices from an empty axis "
                         f"(axis {axis} of shape {tuple(get_aval(a).shape)}){user_line()}")
    if mode == "clip":  # NumPy and JAX clip negative indices to 0 here (no wrap-around)
        col = convert(idx, np.int32)
    else:
        col = _normalize_index(idx, get_aval(a).shape[axis], ishape)
    fv = ix.default_fill_value(get_aval(a).dtype) if fill_value is None else fill_value
    y = ix.gather(a, lax.reshape(col, ishape + (1,)), (axis,), "fill" if mode == "fill"
                  else "clip", fv)
    # y: idx dims, then a's other dims; move idx dims into the axis position
    ni = len(ishape)
    perm = list(range(ni, ni + axis)) + list(range(ni)) + list(range(ni + axis, ni + nd - 1))
    return lax.transpose(y, tuple(perm))


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    check_arraylike("take_along_axis", arr, indices)
    a, idx = as_jitnet(arr), as_jitnet(indices)
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    ashape, ishape = tuple(get_aval(a).shape), tuple(get_aval(idx).shape)
    if len(ashape) != len(ishape):
        raise ValueError(f"take_along_axis: indices and array must have the same number of "
                         f"dimensions; {len(ishape)} vs {len(ashape)}{user_line()}")
    nd = len(ashape)
    axis = canonicalize_axis(axis, nd)
    shape = list(broadcast_shapes("take_along_axis",
                                  ashape[:axis] + (1,) + ashape[axis + 1:],
                                  ishape[:axis] + (1,) + ishape[axis + 1:]))
    out_shape = tuple(shape[:axis]) + (ishape[axis],) + tuple(shape[axis + 1:])
    from .manipulation import broadcast_to
    idx = broadcast_to(idx, out_shape)
    a = broadcast_to(a, tuple(shape[:axis]) + (ashape[axis],) + tuple(shape[axis + 1:]))
    col = _normalize_index(idx, ashape[axis], out_shape)
    # the other axes' positions in the normalized indices' dtype (int64 indices with x64)
    cols = [lax.broadcasted_iota(get_aval(col).dtype, out_shape, k) if k != axis else col
            for k in range(nd)]
    indices_ = lax.concatenate([lax.reshape(c, out_shape + (1,)) for c in cols], nd)
    mode = mode or "fill"
    fv = ix.default_fill_value(get_aval(a).dtype) if fill_value is None else fill_value
    return ix.gather(a, indices_, tuple(range(nd)), "fill" if mode == "fill" else "clip", fv)


def nonzero(a, *, size=None, fill_value=None):
    """Indices of non-zero elements; traced input needs a static ``size`` (padded with fill)."""
    check_arraylike("nonzero", a)
    a = as_jitnet(a)
    known = concrete(a)
    if known is not None and size is None:
        return tuple(ArrayImpl(i.astype(dtypes.default_int())) for i in np.nonzero(known._value))
    if size is None:
        raise value_needed(ConcretizationTypeError(
            f"jnp.nonzero of a traced array needs a static size= argument (the number of "
            f"non-zero entries is data-dependent){user_line()}"))
    shape = tuple(get_aval(a).shape)
    n = math.prod(shape)
    mask = lax.ne(lax.reshape(a, (n,)), convert(0, get_aval(a).dtype, True))
    mask_i = convert(mask, np.int32)
    pos = lax.sub(lax.cumsum(mask_i, 0), np.int32(1))
    pos = lax.select(mask, pos, lax.full_like(pos, size))
    flat = ix.scatter(lax.full((size,), -1, np.int32), lax.reshape(pos, (n, 1)),
                      lax.iota(np.int32, n), (0,), "set", "drop")
    found = lax.ge(flat, np.int32(0))
    safe = lax.select(found, flat, lax.full_like(flat, 0))
    out = []
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * len(shape)
    rem = safe
    for k, d in enumerate(shape):
        stride = math.prod(shape[k + 1:])
        coord = lax.div(rem, np.int32(stride))
        rem = lax.rem(rem, np.int32(stride))
        fv = 0 if fills[k] is None else fills[k]
        out.append(convert(lax.select(found, coord, lax.full_like(coord, fv)),
                           dtypes.default_int()))
    return tuple(out)


def flatnonzero(a, *, size=None, fill_value=None):
    from .manipulation import ravel
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    from .manipulation import stack
    a = as_jitnet(a)
    if get_aval(a).ndim == 0:  # NumPy: shape (1, 0) when non-zero, (0, 0) otherwise
        n = nonzero(lax.reshape(a, (1,)), size=size, fill_value=fill_value)[0]
        return lax.full((get_aval(n).shape[0], 0), 0, dtypes.default_int())
    idx = nonzero(a, size=size, fill_value=fill_value)
    return stack(idx, axis=-1)

"""Index construction and index-driven updates, as NumPy's ``index_tricks`` and friends:
``indices``, ``ix_``, ``ravel_multi_index``, ``unravel_index``, ``mask_indices``,
``diagflat``, ``fill_diagonal``, ``choose``, ``compress``, ``extract``, ``place``, ``put``,
``put_along_axis``, ``delete``, ``insert``.

Updates are functional (JAX arrays are immutable): ``fill_diagonal``, ``place``, ``put`` and
``put_along_axis`` return the new array and require ``inplace=False``, as in JAX.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import numpy as jnp
from ..core import dtypes
from ..core.source_info import user_line
from ..trace.tracer import concrete
from .util import as_jitnet, canonicalize_axis, concrete_value


def _no_inplace(name, inplace):
    if inplace:
        raise ValueError(f"jnp.{name}: jitnet arrays are immutable; pass inplace=False and use "
                         f"the returned array{user_line()}")


def indices(dimensions, dtype=None, sparse=False):
    """Grid of indices: ``out[k][i0, i1, ...] = ik``."""
    dimensions = tuple(int(d) for d in dimensions)
    dtype = dtype or dtypes.default_int()
    n = len(dimensions)
    grids = []
    for k, d in enumerate(dimensions):
        shape = [1] * n if sparse else list(dimensions)
        if sparse:
            shape[k] = d
        grids.append(jnp.broadcast_to(
            jnp.arange(d, dtype=dtype).reshape([d if i == k else 1 for i in range(n)]), shape))
    return tuple(grids) if sparse else (jnp.stack(grids) if grids else
                                        jnp.zeros((0,), dtype))


def ix_(*args):
    """Open mesh of 1-D index arrays (for outer indexing ``a[ix_(rows, cols)]``)."""
    n = len(args)
    out = []
    for k, a in enumerate(args):
        a = as_jitnet(a)
        if a.ndim != 1:
            raise ValueError(f"jnp.ix_: arguments must be 1-D, got shape {a.shape}")
        if a.dtype == bool:
            a = jnp.nonzero(a)[0]
        out.append(a.reshape([a.shape[0] if i == k else 1 for i in range(n)]))
    return tuple(out)


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat indices of the index tuple ``multi_index`` into an array of shape ``dims``.
    ``mode='raise'`` checks bounds when the indices are concrete (``clip``/``wrap`` always)."""
    dims = tuple(int(d) for d in dims)
    idx = [as_jitnet(i) for i in multi_index]
    if len(idx) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(idx)} index arrays for {len(dims)} dims")
    fixed = []
    for i, d in zip(idx, dims):
        if mode == "raise":
            k = concrete(i)
            if k is not None and (np.any(k._value < 0) or np.any(k._value >= d)):
                raise ValueError("ravel_multi_index: invalid entry in coordinates array")
        elif mode == "clip":
            i = jnp.clip(i, 0, d - 1)
        elif mode == "wrap":
            i = i % d
        fixed.append(i)
    strides = np.cumprod((1,) + dims[::-1][:-1])[::-1] if order == "C" else \
        np.cumprod((1,) + dims[:-1])
    out = jnp.zeros(jnp.broadcast_shapes(*[i.shape for i in fixed]), dtypes.default_int())
    for i, s in zip(fixed, strides):
        out = out + i.astype(out.dtype) * int(s)
    return out


def unravel_index(indices, shape):
    """Tuple of coordinate arrays of flat ``indices`` in an array of ``shape`` (negative
    indices count from the end; out-of-range ones clip, as JAX)."""
    shape = tuple(int(d) for d in shape)
    i = as_jitnet(indices)
    total = int(np.prod(shape))
    i = jnp.where(i < 0, i + total, i)
    i = jnp.clip(i, 0, max(total - 1, 0))
    out = []
    for d in shape[::-1]:
        out.append(i % d)
        i = i // d
    return tuple(out[::-1])


def mask_indices(n, mask_func, k=0, *, size=None):
    """Indices where ``mask_func(ones((n, n)), k)`` is non-zero (e.g. ``jnp.triu``)."""
    m = mask_func(jnp.ones((n, n), jnp.int32), k)
    return jnp.nonzero(m, size=size)


def diagflat(v, k=0):
    """2-D array with the flattened ``v`` on diagonal ``k``."""
    return jnp.diag(jnp.ravel(as_jitnet(v)), k)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """``a`` with its main diagonal set to ``val`` (cycled); a new array (``inplace=False``)."""
    _no_inplace("fill_diagonal", inplace)
    a = as_jitnet(a)
    if a.ndim < 2:
        raise ValueError("fill_diagonal: array must be at least 2-d")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError("fill_diagonal: all dimensions of input must be of equal length")
    n = min(a.shape) if a.ndim > 2 or not wrap else a.shape[0]
    if a.ndim == 2 and wrap:  # NumPy's wrap: the diagonal restarts every ncols + 1 rows
        rows = np.arange(0, a.shape[0])
        rows = rows[(rows % (a.shape[1] + 1)) < a.shape[1]]
        cols = rows % (a.shape[1] + 1)
        pos = (rows, cols)
        n = rows.shape[0]
    else:
        n = min(a.shape)
        pos = tuple(np.arange(n) for _ in range(a.ndim))
    vals = jnp.ravel(jnp.asarray(val, a.dtype))
    vals = jnp.resize(vals, (n,)) if vals.shape[0] else vals
    return a.at[pos].set(vals)


def choose(a, choices, out=None, mode="raise"):
    """``choices[a[i]][i]`` for every position (broadcast), as ``numpy.choose``."""
    a = as_jitnet(a)
    choices = [as_jitnet(c) for c in choices]
    n = len(choices)
    if mode == "raise":
        k = concrete(a)
        if k is not None and (np.any(k._value < 0) or np.any(k._value >= n)):
            raise ValueError("choose: invalid entry in choice array")
        a = jnp.clip(a, 0, n - 1)
    elif mode == "wrap":
        a = a % n
    elif mode == "clip":
        a = jnp.clip(a, 0, n - 1)
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    shape = jnp.broadcast_shapes(a.shape, *[c.shape for c in choices])
    stacked = jnp.stack([jnp.broadcast_to(c, shape) for c in choices])
    return jnp.take_along_axis(stacked, jnp.broadcast_to(a, shape)[None], axis=0)[0]


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """Entries (or slices along ``axis``) of ``a`` where the 1-D ``condition`` holds."""
    c = jnp.ravel(as_jitnet(condition)).astype(bool)
    a = as_jitnet(a)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    if c.shape[0] > n:
        raise ValueError(f"compress: condition of length {c.shape[0]} is longer than axis "
                         f"{axis} of length {n}")
    c = jnp.pad(c, (0, n - c.shape[0]))
    idx = jnp.nonzero(c, size=size, fill_value=-1)[0]
    taken = jnp.take(a, jnp.maximum(idx, 0), axis=axis)
    if size is None:
        return taken
    keep = (idx >= 0).reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    return jnp.where(keep, taken, jnp.asarray(fill_value, a.dtype))


def extract(condition, arr, *, size=None, fill_value=0):
    """Flattened entries of ``arr`` where ``condition`` (flattened) is non-zero."""
    return compress(jnp.ravel(as_jitnet(condition)) != 0, jnp.ravel(as_jitnet(arr)),
                    size=size, fill_value=fill_value)


def place(arr, mask, vals, *, inplace=True):
    """``arr`` with the entries where ``mask`` set to ``vals`` (cycled), as a new array."""
    _no_inplace("place", inplace)
    arr = as_jitnet(arr)
    m = jnp.ravel(jnp.broadcast_to(as_jitnet(mask), arr.shape)).astype(bool)
    vals = jnp.ravel(jnp.asarray(vals, arr.dtype))
    if vals.shape[0] == 0:
        raise ValueError("place: cannot insert from an empty array")
    rank = jnp.cumsum(m.astype(jnp.int32)) - 1
    flat = jnp.where(m, vals[rank % vals.shape[0]], jnp.ravel(arr))
    return flat.reshape(arr.shape)


def put(a, ind, v, mode=None, *, inplace=True):
    """``a`` with flat positions ``ind`` set to ``v`` (cycled to ``ind``'s size)."""
    _no_inplace("put", inplace)
    a = as_jitnet(a)
    ind = jnp.ravel(as_jitnet(ind))
    v = jnp.ravel(jnp.asarray(v, a.dtype))
    if ind.shape[0] == 0:
        return a
    v = jnp.resize(v, ind.shape)
    size = a.size
    if mode == "wrap":
        ind = ind % size
    elif mode == "clip":
        ind = jnp.clip(ind, 0, size - 1)
    elif mode not in (None, "fill", "drop"):
        raise ValueError(f"put: mode must be 'wrap', 'clip', 'fill' or 'drop', got {mode!r}")
    else:
        ind = jnp.where(ind < 0, ind + size, ind)
    return jnp.ravel(a).at[ind].set(v, mode="drop").reshape(a.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """``arr`` with ``values`` written at ``indices`` along ``axis`` (``take_along_axis``'s
    inverse)."""
    _no_inplace("put_along_axis", inplace)
    arr = as_jitnet(arr)
    idx = as_jitnet(indices)
    if axis is None:
        arr_f = jnp.ravel(arr)
        return put_along_axis(arr_f, jnp.ravel(idx), values, 0, False,
                              mode=mode).reshape(arr.shape)
    axis = canonicalize_axis(axis, arr.ndim)
    if idx.ndim != arr.ndim:
        raise ValueError(f"put_along_axis: indices must have the same number of dimensions "
                         f"as arr ({arr.ndim}), got {idx.ndim}")
    shape = tuple(idx.shape[i] if i == axis else max(idx.shape[i], 1) for i in range(arr.ndim))
    shape = jnp.broadcast_shapes(shape, tuple(d if i != axis else shape[axis]
                                              for i, d in enumerate(arr.shape)))
    idx = jnp.broadcast_to(idx, shape)
    idx = jnp.where(idx < 0, idx + arr.shape[axis], idx)
    vals = jnp.broadcast_to(jnp.asarray(values, arr.dtype), shape)
    grid = list(indices_tuple(shape))
    grid[axis] = idx
    return arr.at[tuple(grid)].set(vals, mode="drop")


def indices_tuple(shape):
    return tuple(jnp.broadcast_to(jnp.arange(d).reshape([d if j == i else 1
                                                          for j in range(len(shape))]), shape)
                 for i, d in enumerate(shape))


def _obj_positions(name, obj, n):
    """Static positions from ``obj`` (int, slice, sequence, or a concrete array)."""
    if isinstance(obj, slice):
        return np.arange(n)[obj], False
    if isinstance(obj, (int, np.integer)):
        return np.asarray([operator.index(obj)]), True
    arr = (concrete_value(obj, f"jnp.{name}: obj must be known while tracing (it sets the "
                          f"output shape); pass a NumPy array or Python values")
           if isinstance(obj, jnp.ndarray) else np.asarray(obj))
    if arr.dtype == bool:
        return np.flatnonzero(arr), False
    return arr.astype(np.int64).ravel(), arr.ndim == 0


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """``arr`` without the entries (or slices along ``axis``) at ``obj``."""
    a = as_jitnet(arr)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    pos, _ = _obj_positions("delete", obj, n)
    if pos.size and (pos.min() < -n or pos.max() >= n):
        raise IndexError(f"delete: index out of bounds for axis {axis} with size {n}")
    keep = np.ones(n, bool)
    keep[pos % n if n else pos] = False
    return jnp.take(a, np.flatnonzero(keep), axis=axis)


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the positions ``obj`` along ``axis``."""
    a = as_jitnet(arr)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    pos, scalar = _obj_positions("insert", obj, n + 1)
    if isinstance(obj, slice):
        pos = np.arange(n)[obj]
    pos = np.where(pos < 0, pos + n, pos)
    if pos.size and (pos.min() < 0 or pos.max() > n):
        raise IndexError(f"insert: index out of bounds for axis {axis} with size {n}")
    v = jnp.asarray(values, a.dtype)
    shape = list(a.shape)
    if scalar:  # as NumPy: values get arr's rank (leading 1s), their first axis goes to axis
        v = v.reshape((1,) * (a.ndim - v.ndim) + tuple(v.shape)) if v.ndim < a.ndim else v
        v = jnp.moveaxis(v, 0, axis)
        shape[axis] = v.shape[axis]
        pos = np.full(v.shape[axis], pos[0])
    else:
        shape[axis] = pos.size
    v = jnp.broadcast_to(v, shape)
    order = np.argsort(pos, kind="stable")
    pos_sorted = pos[order]
    v = jnp.take(v, order, axis=axis)
    # final layout: the new entry j lands at pos_sorted[j] + j, the old ones fill the rest
    total = n + pos.size
    new_at = pos_sorted + np.arange(pos.size)
    old_at = np.setdiff1d(np.arange(total), new_at)
    src = np.empty(total, np.int64)
    src[old_at] = np.arange(n)
    src[new_at] = n + np.arange(pos.size)
    return jnp.take(jnp.concatenate([a, v], axis=axis), src, axis=axis)

"""Set operations on arrays: ``unique`` (and the Array API's ``unique_*``), ``union1d``,
``intersect1d``, ``setdiff1d``, ``setxor1d``, ``isin``.

Their output sizes depend on the values. Eagerly (and under differentiation outside
``jit``) the values are known and the size is exact; under ``jit`` pass ``size=`` (and
``fill_value=``, default: the smallest value found), as JAX requires. All of them are one
routine, ``_unique_of``: the distinct values of ``x`` among the entries where ``keep``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import numpy as jnp
from .util import as_jitnet, check_arraylike, concrete_value


class _Unique(NamedTuple):
    values: object
    indices: object
    inverse: object
    counts: object
    size: int


def _same(a, b, equal_nan):
    eq = a == b
    if equal_nan and a.dtype.kind in "fc":
        eq = eq | (jnp.isnan(a) & jnp.isnan(b))
    return eq


def _unique_of(name, x, keep, size, fill_value, equal_nan=True) -> _Unique:
    """Distinct values of 1-D ``x`` where ``keep``, sorted; their first indices in ``x``,
    each entry's position among them, and their counts."""
    n = x.shape[0]
    order = jnp.lexsort((x, ~keep))  # kept entries first, each group sorted, stable
    xs, ks = x[order], keep[order]
    if n:
        new = jnp.concatenate([jnp.ones(1, bool), ~_same(xs[1:], xs[:-1], equal_nan)])
    else:
        new = jnp.zeros(0, bool)
    first = new & ks
    if size is None:
        size = int(concrete_value(jnp.sum(first), f"jnp.{name}: the number of distinct "
                                  f"values depends on the data; under jit pass a static size= "
                                  f"(and fill_value=)"))
    found = jnp.sum(first)
    pos = jnp.nonzero(first, size=size, fill_value=0)[0]
    valid = jnp.arange(size) < found
    values = xs[pos] if n else jnp.zeros(size, x.dtype)
    if fill_value is None:
        fill = values[0] if (n and size) else jnp.zeros((), x.dtype)
    else:
        fill = jnp.asarray(fill_value, x.dtype)
    values = jnp.where(valid, values, fill)
    indices = jnp.where(valid, order[pos], 0) if n else jnp.zeros(size, jnp.int32)
    group = jnp.cumsum(first.astype(jnp.int32)) - 1
    inverse = jnp.zeros(n, jnp.int32).at[order].set(group)
    counts = jnp.zeros(size, jnp.int32).at[jnp.where(ks, group, size)].add(1, mode="drop")
    return _Unique(values, indices, inverse, counts, size)


def _flat(name, *arrays):
    check_arraylike(name, *arrays)
    return [jnp.ravel(as_jitnet(a)) for a in arrays]


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None, sorted=True):
    """Sorted distinct values of ``ar`` (flattened), optionally with first indices, the
    inverse (in ``ar``'s shape, as JAX and NumPy 2) and counts. ``axis`` (distinct
    sub-arrays) needs concrete input."""
    if axis is not None:
        return _unique_along_axis(ar, return_index, return_inverse, return_counts, axis,
                                  equal_nan)
    (x,) = _flat("unique", ar)
    u = _unique_of("unique", x, jnp.ones(x.shape, bool), size, fill_value, equal_nan)
    out = [u.values]
    if return_index:
        out.append(u.indices)
    if return_inverse:
        out.append(u.inverse.reshape(jnp.shape(ar)))
    if return_counts:
        out.append(u.counts)
    return out[0] if len(out) == 1 else tuple(out)


def _unique_along_axis(ar, return_index, return_inverse, return_counts, axis, equal_nan):
    value = concrete_value(ar, "jnp.unique with axis= needs concrete input under jit in jitnet")
    res = np.unique(value, return_index, return_inverse, return_counts, axis=axis,
                    equal_nan=equal_nan)
    if isinstance(res, tuple):
        return tuple(jnp.asarray(r) for r in res)
    return jnp.asarray(res)


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_all(x, /, *, size=None, fill_value=None):
    (f,) = _flat("unique_all", x)
    u = _unique_of("unique_all", f, jnp.ones(f.shape, bool), size, fill_value)
    return UniqueAllResult(u.values, u.indices, u.inverse.reshape(jnp.shape(x)), u.counts)


def unique_counts(x, /, *, size=None, fill_value=None):
    (f,) = _flat("unique_counts", x)
    u = _unique_of("unique_counts", f, jnp.ones(f.shape, bool), size, fill_value)
    return UniqueCountsResult(u.values, u.counts)


def unique_inverse(x, /, *, size=None, fill_value=None):
    (f,) = _flat("unique_inverse", x)
    u = _unique_of("unique_inverse", f, jnp.ones(f.shape, bool), size, fill_value)
    return UniqueInverseResult(u.values, u.inverse.reshape(jnp.shape(x)))


def unique_values(x, /, *, size=None, fill_value=None):
    (f,) = _flat("unique_values", x)
    return _unique_of("unique_values", f, jnp.ones(f.shape, bool), size, fill_value).values


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """Whether each entry of ``element`` occurs in ``test_elements`` (shape of ``element``)."""
    check_arraylike("isin", element, test_elements)
    e = as_jitnet(element)
    t = jnp.ravel(as_jitnet(test_elements))
    hit = jnp.any(e[..., None] == t, axis=-1) if t.shape[0] else jnp.zeros(e.shape, bool)
    return ~hit if invert else hit


def _common_dtype(a, b):
    dt = jnp.result_type(a, b)
    return a.astype(dt), b.astype(dt)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    a, b = _common_dtype(*_flat("union1d", ar1, ar2))
    x = jnp.concatenate([a, b])
    return _unique_of("union1d", x, jnp.ones(x.shape, bool), size, fill_value).values


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """Sorted values in both; with ``return_indices`` also their first indices in each."""
    a, b = _common_dtype(*_flat("intersect1d", ar1, ar2))
    u = _unique_of("intersect1d", a, isin(a, b), size, fill_value)
    if not return_indices:
        return u.values
    # first index in b of each common value: b's entries where they match, earliest first
    match = (b[None, :] == u.values[:, None])
    idx_b = jnp.argmax(match, axis=1)
    return u.values, u.indices, idx_b


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    a, b = _common_dtype(*_flat("setdiff1d", ar1, ar2))
    return _unique_of("setdiff1d", a, ~isin(a, b), size, fill_value).values


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    a, b = _common_dtype(*_flat("setxor1d", ar1, ar2))
    x = jnp.concatenate([a, b])
    keep = jnp.concatenate([~isin(a, b), ~isin(b, a)])
    return _unique_of("setxor1d", x, keep, size, fill_value).values

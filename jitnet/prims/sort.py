"""sort: stable multi-operand sort along one dimension (the first ``num_keys`` operands are keys).

``argsort`` sorts ``(x, iota)`` with one key; the jvp sorts an extra iota to
recover the permutation and gathers the tangents with it.
"""
from __future__ import annotations

import numpy as np

from ..core.adtypes import Zero
from ..core.aval import ShapedArray
from ..core.dtypes import index_dtype
from ..core.primitive import OP, Primitive
from ..trace.tracer import bind
from . import shape as sh
from .indexing import take_along_axis
from .util import broadcast_batch, get_aval, shape_error, shape_str, tangent_aval


def _sort_shape(*xs, dimension, is_stable, num_keys):
    if not xs:
        raise shape_error("sort: at least one operand is required")
    shape = xs[0].shape
    if any(x.shape != shape for x in xs):
        raise shape_error("sort: all operands must have the same shape, got "
                          + ", ".join(shape_str(x.shape) for x in xs))
    if not 0 <= dimension < len(shape):
        raise shape_error(f"sort: dimension {dimension} is out of range for shape "
                          f"{shape_str(shape)}")
    if not 1 <= num_keys <= len(xs):
        raise shape_error(f"sort: num_keys={num_keys} must be between 1 and {len(xs)}")
    return [ShapedArray(x.shape, x.dtype, x.weak_type) for x in xs]


def _sort_impl(*xs, dimension, is_stable, num_keys):
    keys = [np.moveaxis(x, dimension, -1) for x in xs[:num_keys]][::-1]
    perm = np.lexsort(keys, axis=-1) if keys[0].size else np.zeros(keys[0].shape, np.intp)
    perm = np.moveaxis(perm, -1, dimension)
    return [np.take_along_axis(x, perm, dimension) for x in xs]


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = tuple(get_aval(primals[0]).shape)
    iota = sh.broadcasted_iota(index_dtype(shape[dimension]), shape, dimension)
    *outs, perm = bind(sort_p, *primals, iota, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    touts = [Zero(tangent_aval(get_aval(o))) if type(t) is Zero
             else take_along_axis(t, perm, dimension) for o, t in zip(outs, tangents)]
    return outs, touts


def _sort_batch(args, dims, *, dimension, is_stable, num_keys):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    xs = [broadcast_batch(a, d, size) for a, d in zip(args, dims)]
    outs = bind(sort_p, *xs, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


sort_p = Primitive("sort", multiple_results=True, kind=OP)
sort_p.impl = _sort_impl
sort_p.shape_rule = _sort_shape
sort_p.jvp = _sort_jvp
sort_p.batch = _sort_batch


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """``lax.sort``: one array, or a sequence sorted together by the first ``num_keys``."""
    single = not isinstance(operand, (list, tuple))
    ops = [operand] if single else list(operand)
    nd = len(get_aval(ops[0]).shape)
    outs = bind(sort_p, *ops, dimension=int(dimension) % nd, is_stable=bool(is_stable),
                num_keys=int(num_keys))
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    return sort((keys, values), dimension, is_stable, 1)

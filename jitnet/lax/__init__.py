"""``jitnet.lax``: thin wrappers of the primitives, with JAX's names and signatures."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import canonicalize_dtype, index_dtype
from ..core.pytree import tree_map
from ..prims.dot import dot, dot_general
from ..prims.elementwise import (abs, acos, acosh, add, asin, asinh, atan, atan2, atanh,
                                 bitcast_convert_type, cbrt, ceil, clamp, convert_element_type,
                                 cos, cosh, digamma, div, eq, erf, erf_inv, erfc, exp, exp2, expm1,
                                 floor, ge, gt, integer_pow, is_finite, le, lgamma, log, log1p,
                                 logistic, lt, max, min, mul, ne, neg, nextafter, pow, reciprocal,
                                 rem, round, rsqrt, select, select_n, shift_left,
                                 shift_right_arithmetic, shift_right_logical, sign, sin, sinh,
                                 sqrt, square, sub, tan, tanh)
from ..prims.elementwise import bitwise_and, bitwise_not, bitwise_or, bitwise_xor
from ..prims.elementwise import population_count
from ..prims.elementwise import complex, conj, imag, real
from ..prims.elementwise import convert_index, index_constant
from ..prims.elementwise import stop_gradient as _stop_gradient
from ..prims.indexing import dynamic_slice as _dynamic_slice
from ..prims.indexing import dynamic_update_slice as _dynamic_update_slice
from ..prims.reduce import (argmax, argmin, cummax, cummin, cumprod, cumsum, reduce_and,
                            reduce_max, reduce_min, reduce_or, reduce_prod, reduce_sum)
from ..prims.shape import (broadcast, broadcast_in_dim, broadcasted_iota, concatenate,
                           expand_dims, iota, pad, reshape, rev, slice, slice_in_dim, squeeze,
                           transpose)
from ..prims.sort import sort, sort_key_val
from ..prims.util import get_aval
from . import values as _values
from .conv import (ConvDimensionNumbers, conv, conv_dimension_numbers, conv_general_dilated,
                   conv_transpose, conv_with_general_padding, padtype_to_pads, reduce_window)

bitwise_and, bitwise_or, bitwise_xor, bitwise_not = bitwise_and, bitwise_or, bitwise_xor, bitwise_not


def stop_gradient(x):
    """Identity on the value, zero derivative; applies to every leaf of a pytree."""
    return tree_map(_stop_gradient, x)


def _normalize_start(i, dim):
    """Negative start indices count from the end, as in JAX (then XLA clamps). Starts into
    an axis longer than 2**31 - 1 are int64 (``dtypes.index_dtype``)."""
    if isinstance(i, (int, np.integer)):
        i = int(i) + dim if i < 0 else int(i)
        return index_constant(0 if i < 0 else dim if i > dim else i,  # XLA clamps it anyway
                              index_dtype(dim + 1))
    dt = np.promote_types(get_aval(i).dtype, index_dtype(dim + 1))
    i = convert_index(i, dt)
    return select(lt(i, index_constant(0, dt)), add(i, index_constant(dim, dt)), i)


def dynamic_slice(operand, start_indices, slice_sizes):
    shape = get_aval(operand).shape
    starts = [_normalize_start(i, d) for i, d in zip(start_indices, shape)]
    return _dynamic_slice(operand, starts, slice_sizes)


def dynamic_update_slice(operand, update, start_indices):
    shape = get_aval(operand).shape
    starts = [_normalize_start(i, d) for i, d in zip(start_indices, shape)]
    return _dynamic_update_slice(operand, update, starts)


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    shape = get_aval(operand).shape
    starts = [np.int32(0)] * len(shape)
    sizes = list(shape)
    starts[axis], sizes[axis] = start_index, slice_size
    return dynamic_slice(operand, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    starts = [np.int32(0)] * len(get_aval(operand).shape)
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    if len(get_aval(update).shape) == len(get_aval(operand).shape) - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def index_in_dim(operand, index, axis=0, keepdims=True):
    shape = get_aval(operand).shape
    index = index + shape[axis] if index < 0 else index
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def full(shape, fill_value, dtype=None):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    dtype = None if dtype is None else canonicalize_dtype(np.dtype(dtype))
    return _values.full(shape, fill_value, dtype)


def full_like(x, fill_value, dtype=None, shape=None):
    return full(get_aval(x).shape if shape is None else shape, fill_value,
                dtype or get_aval(x).dtype)


def zeros_like_array(x):
    return full_like(x, 0)


from . import linalg  # noqa: E402,F401
from .shapes import (Precision, conv_general_permutations, conv_general_shape_tuple,  # noqa: E402,F401
                     conv_shape_tuple, conv_transpose_shape_tuple, reduce_window_shape_tuple)
from .control_flow import cond, fori_loop, map, scan, switch, while_loop  # noqa: E402,F401
from .composite import (clz, cumlogsumexp, mulhi, reduce_xor,  # noqa: E402,F401
                        stack, tile, top_k, unstack)
from .reduce import reduce  # noqa: E402,F401
from .staging import dce_sink, dtype, shape_as_value, stage  # noqa: E402,F401
from .scaled_dot import scaled_dot  # noqa: E402,F401
from .parallel import pmax, pmean, pmin, psum  # noqa: E402,F401

# the special functions (composites: no primitive or rule is defined there) load on first use
_SPECIAL = {"bessel_i0e": "special", "bessel_i1e": "special", "betainc": "special",
            "igamma": "special", "igamma_grad_a": "special", "igammac": "special",
            "polygamma": "special", "zeta": "special", "random_gamma_grad": "special.gamma_grad"}


def __getattr__(name):
    """``lax.<primitive>_p``: jitnet's primitive objects under JAX's names (``lax.exp_p``),
    for code that registers rules against them or compares equations' primitives; and the
    special functions of ``_SPECIAL``, imported on first use (``import jitnet`` stays fast)."""
    import importlib
    if name in _SPECIAL:
        value = getattr(importlib.import_module(f".{_SPECIAL[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "special":
        return importlib.import_module(".special", __name__)
    from ..core.primitive import registry
    if name.endswith("_p") and name[:-2] in registry:
        return registry[name[:-2]]
    raise AttributeError(f"module 'jitnet.lax' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SPECIAL) | {"special"})

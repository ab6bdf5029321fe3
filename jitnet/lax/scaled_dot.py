"""``lax.scaled_dot``: a dot product of block-scaled operands (microscaling), with JAX's
reference semantics: each scale covers a block of consecutive elements along the
contracting dimensions (its size there divides the operand's) and is repeated over its
block; operands and repeated scales are multiplied in bfloat16 and contracted with
``dot_general`` (bfloat16 result unless ``preferred_element_type`` says otherwise).
No derivative rule, as in JAX."""
from __future__ import annotations

from ..core.dtypes import as_dtype
from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims import shape as sh
from ..prims.dot import dot_general
from ..prims.util import get_aval
from .values import as_array


def _repeat(x, times: int, d: int):
    """Each entry of ``x`` repeated ``times`` times along dim ``d`` (``jnp.repeat``)."""
    shape = tuple(get_aval(x).shape)
    wide = shape[:d + 1] + (times,) + shape[d + 1:]
    keep = tuple(range(d + 1)) + tuple(range(d + 2, len(wide)))
    return sh.reshape(sh.broadcast_in_dim(x, wide, keep),
                      shape[:d] + (shape[d] * times,) + shape[d + 1:])


def repeat_scale(scale, shape, contracting, what: str):
    """``scale`` repeated over its blocks of the contracting dims to ``shape``, after
    checking that it has the operand's rank, its other dims, and block sizes that divide."""
    scale = as_array(scale)
    scale_shape = tuple(get_aval(scale).shape)
    if len(scale_shape) != len(shape):
        raise ValueError(f"{what} has shape {scale_shape}, but its operand's rank is "
                         f"{len(shape)} (shape {tuple(shape)}){user_line()}")
    for d, (s, n) in enumerate(zip(scale_shape, shape)):
        if d in contracting:
            if s == 0 or n % s:
                raise ValueError(f"{what}: contracting dim {d} of the operand (size {n}) "
                                 f"must be a multiple of the scale's (size {s}){user_line()}")
            if s != n:
                scale = _repeat(scale, n // s, d)
        elif s != n:
            raise ValueError(f"{what}: dim {d} of size {s} must equal the operand's "
                             f"(size {n}, shape {tuple(shape)}){user_line()}")
    return scale


def scaled_dot(lhs, rhs, *, lhs_scale=None, rhs_scale=None, dimension_numbers=None,
               preferred_element_type=None):
    """``(lhs * lhs_scale) @ (rhs * rhs_scale)`` under ``dot_general``'s
    ``dimension_numbers`` (default: batch over all but the last two dims, contract lhs's
    last with rhs's second to last). A missing scale is 1."""
    lhs, rhs = as_array(lhs), as_array(rhs)
    bf16 = as_dtype("bfloat16")
    if dimension_numbers is None:
        n = len(get_aval(lhs).shape)
        if n < 2:
            raise TypeError(f"lax.scaled_dot does not support operands of rank 0 or 1 "
                            f"without dimension_numbers, got shape {get_aval(lhs).shape}"
                            f"{user_line()}")
        dimension_numbers = (((n - 1,), (n - 2,)), (tuple(range(n - 2)), tuple(range(n - 2))))
    (lc, rc), _ = dimension_numbers
    scaled = []
    for x, s, con, side in ((lhs, lhs_scale, lc, "lhs"), (rhs, rhs_scale, rc, "rhs")):
        x = ew.convert_element_type(x, bf16)
        if s is not None:
            s = repeat_scale(s, get_aval(x).shape, tuple(con), f"lax.scaled_dot: {side}_scale")
            x = ew.mul(x, ew.convert_element_type(s, bf16))
        scaled.append(x)
    pet = bf16 if preferred_element_type is None else preferred_element_type
    return dot_general(scaled[0], scaled[1], dimension_numbers, preferred_element_type=pet)

"""``lax`` functions that jitnet builds from other primitives rather than giving a
primitive of their own: bit counts, ``top_k``, ``cumlogsumexp``."""
from __future__ import annotations

import numpy as np

from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims.util import get_aval


def _unsigned_view(x, name):
    dt = get_aval(x).dtype
    if dt.kind not in "iu":
        raise TypeError(f"lax.{name} requires an integer operand, got {dt.name}{user_line()}")
    udt = np.dtype(f"u{dt.itemsize}")
    # an integer conversion to the unsigned type of the same width keeps the bits (a
    # bitcast would too, but the Numba backend does not compile int8/int16 bitcasts)
    return (x if dt == udt else ew.convert_element_type(x, udt)), dt, dt.itemsize * 8


def _bits_set_below(u, width):
    """For each i < width: (u >> i) & 1, summed in u's dtype (the population count)."""
    one = np.asarray(1, get_aval(u).dtype)
    total = ew.bitwise_and(u, one)
    for i in range(1, width):
        shifted = ew.shift_right_logical(u, np.asarray(i, get_aval(u).dtype))
        total = ew.add(total, ew.bitwise_and(shifted, one))
    return total


def population_count(x):
    """The number of set bits of each element (of its two's-complement bits for signed
    types), in ``x``'s dtype."""
    u, dt, width = _unsigned_view(x, "population_count")
    return ew.convert_element_type(_bits_set_below(u, width), dt)


def clz(x):
    """The number of leading zero bits of each element, in ``x``'s dtype."""
    u, dt, width = _unsigned_view(x, "clz")
    udt = get_aval(u).dtype
    zero = np.asarray(0, udt)
    # bit_length(u) = how many shifts i < width leave a nonzero value
    length = ew.convert_element_type(ew.ne(u, zero), udt)
    for i in range(1, width):
        nz = ew.ne(ew.shift_right_logical(u, np.asarray(i, udt)), zero)
        length = ew.add(length, ew.convert_element_type(nz, udt))
    return ew.convert_element_type(ew.sub(np.asarray(width, udt), length), dt)


def top_k(operand, k: int):
    """The ``k`` largest entries along the last axis, in descending order, and their
    indices (ties: the lower index first)."""
    from .. import numpy as jnp
    shape = get_aval(operand).shape
    if not shape:
        raise ValueError(f"lax.top_k: operand must have at least one dimension{user_line()}")
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= shape[-1]:
        raise ValueError(f"lax.top_k: k must be an int in [0, {shape[-1]}] for operand shape "
                         f"{shape}, got {k!r}{user_line()}")
    idx = jnp.argsort(operand, axis=-1, descending=True, stable=True)[..., :k]
    return jnp.take_along_axis(operand, idx, axis=-1), idx.astype(np.int32)


def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    """``log(cumsum(exp(x)))`` along ``axis`` without overflow or underflow: a scan that
    carries the running ``logaddexp`` (each prefix is exact, whatever its own maximum)."""
    from .. import numpy as jnp
    from .control_flow import scan
    x = jnp.moveaxis(jnp.asarray(operand), axis, 0)
    if reverse:
        x = jnp.flip(x, 0)

    def step(carry, xi):
        out = jnp.logaddexp(carry, xi)
        return out, out

    init = jnp.full(x.shape[1:], -jnp.inf, x.dtype)
    _, ys = scan(step, init, x)
    if reverse:
        ys = jnp.flip(ys, 0)
    return jnp.moveaxis(ys, 0, axis)

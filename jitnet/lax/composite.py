"""``lax`` functions that jitnet builds from other primitives rather than giving a
primitive of their own: ``clz``, ``mulhi``, ``reduce_xor``, ``top_k``,
``cumlogsumexp`` (and the ``logaddexp`` it scans, the body of ``jnp.logaddexp``),
``stack``/``unstack``/``tile`` (their derivatives and batching come from the primitives
they are made of)."""
from __future__ import annotations

import numpy as np

from ..core.aval import ShapedArray
from ..core.dtypes import index_dtype
from ..core.source_info import user_line
from ..hop.custom import custom_jvp
from ..prims import elementwise as ew
from ..prims import shape as sh
from ..prims.sort import sort
from ..prims.util import full_of, get_aval, moveaxis
from .values import as_array, canonicalize_axis


def _unsigned_view(x, name):
    dt = get_aval(x).dtype
    if dt.kind not in "iu":
        raise TypeError(f"lax.{name} requires an integer operand, got {dt.name}{user_line()}")
    udt = np.dtype(f"u{dt.itemsize}")
    # an integer conversion to the unsigned type of the same width keeps the bits (a
    # bitcast would too, but the Numba backend does not compile int8/int16 bitcasts)
    return (x if dt == udt else ew.convert_element_type(x, udt)), dt, dt.itemsize * 8


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
    x = as_array(operand)
    shape = get_aval(x).shape
    if not shape:
        raise ValueError(f"lax.top_k: operand must have at least one dimension{user_line()}")
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= shape[-1]:
        raise ValueError(f"lax.top_k: k must be an int in [0, {shape[-1]}] for operand shape "
                         f"{shape}, got {k!r}{user_line()}")
    last, n = len(shape) - 1, shape[-1]
    # a stable ascending sort of the reversed row, read backwards: descending, and among
    # equal values the lower original index first
    iota = sh.broadcasted_iota(index_dtype(n), shape, last)
    values, idx = sort((sh.rev(x, (last,)), iota), last, is_stable=True, num_keys=1)
    values = sh.slice_in_dim(sh.rev(values, (last,)), 0, k, 1, last)
    idx = sh.slice_in_dim(sh.rev(idx, (last,)), 0, k, 1, last)
    idx = ew.sub(np.asarray(n - 1, get_aval(idx).dtype), idx)
    return values, ew.convert_element_type(idx, np.int32)


@custom_jvp
def logaddexp(x, y):
    """``log(exp(x) + exp(y))`` without overflow, for operands of one floating dtype (the
    body of ``jnp.logaddexp``, which promotes first).

    Its derivative is a rule of its own (as JAX's): the weights ``sigmoid(x - y)`` and
    ``sigmoid(y - x)``, so second derivatives keep their curvature at ties, where
    differentiating ``max + log1p(exp(-|x - y|))`` would lose it (``|.|''`` is 0)."""
    amax = ew.max(x, y)
    delta = ew.sub(x, y)
    out = ew.add(amax, ew.log1p(ew.exp(ew.neg(ew.abs(delta)))))
    return ew.select(ew.ne(delta, delta), ew.add(x, y), out)


@logaddexp.defjvp
def _logaddexp_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    # equal infinities (inf - inf = nan) weigh half each, like any other tie
    delta = ew.sub(x, y)
    inf_tie = ew.bitwise_and(ew.eq(x, y), ew.ne(delta, delta))
    delta = ew.select(inf_tie, full_of(get_aval(delta), 0), delta)
    return logaddexp(x, y), ew.add(ew.mul(tx, ew.logistic(delta)),
                                   ew.mul(ty, ew.logistic(ew.neg(delta))))


def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    """``log(cumsum(exp(x)))`` along ``axis`` without overflow or underflow: a scan that
    carries the running ``logaddexp`` (each prefix is exact, whatever its own maximum)."""
    from .control_flow import scan
    x = as_array(operand)
    a = get_aval(x)
    if a.dtype.kind != "f":
        raise TypeError(f"lax.cumlogsumexp requires a floating operand, got {a.dtype.name}"
                        f"{user_line()}")
    axis = canonicalize_axis(axis, len(a.shape))
    x = moveaxis(x, axis, 0)
    if reverse:
        x = sh.rev(x, (0,))

    def step(carry, xi):
        out = logaddexp(carry, xi)
        return out, out

    init = full_of(ShapedArray(get_aval(x).shape[1:], a.dtype), -np.inf)
    _, ys = scan(step, init, x)
    if reverse:
        ys = sh.rev(ys, (0,))
    return moveaxis(ys, 0, axis)


def _same_integer_operands(name, x, y):
    ax, ay = get_aval(x), get_aval(y)
    if ax.dtype != ay.dtype or ax.dtype.kind not in "iu":
        raise TypeError(f"lax.{name} requires two integer operands of one dtype, got "
                        f"{ax.dtype.name} and {ay.dtype.name}{user_line()}")
    if ax.shape and ay.shape and ax.shape != ay.shape:
        raise ValueError(f"lax.{name}: operand shapes {ax.shape} and {ay.shape} must be "
                         f"equal (or one of them a scalar){user_line()}")


def mulhi(x, y, /):
    """The high half of the 2N-bit product of N-bit integers (signed for signed types).

    Computed in N-bit arithmetic from half words (no wider type is needed, so it works for
    64-bit integers too); for signed operands the unsigned result is corrected by
    ``- (x < 0) * y - (y < 0) * x`` (mod 2^N)."""
    _same_integer_operands("mulhi", x, y)
    u, dt, width = _unsigned_view(x, "mulhi")
    v = _unsigned_view(y, "mulhi")[0]
    udt = get_aval(u).dtype
    half, mask = np.asarray(width // 2, udt), np.asarray((1 << (width // 2)) - 1, udt)
    u_lo, u_hi = ew.bitwise_and(u, mask), ew.shift_right_logical(u, half)
    v_lo, v_hi = ew.bitwise_and(v, mask), ew.shift_right_logical(v, half)
    lo_lo, hi_lo = ew.mul(u_lo, v_lo), ew.mul(u_hi, v_lo)
    # every partial product and this sum fit in N bits: (2^h - 1)^2 + 2 (2^h - 1) < 2^N
    cross = ew.add(ew.add(ew.shift_right_logical(lo_lo, half), ew.bitwise_and(hi_lo, mask)),
                   ew.mul(u_lo, v_hi))
    high = ew.add(ew.add(ew.mul(u_hi, v_hi), ew.shift_right_logical(hi_lo, half)),
                  ew.shift_right_logical(cross, half))
    if dt.kind == "i":
        zero = np.asarray(0, dt)
        for a, b in ((x, v), (y, u)):
            high = ew.sub(high, ew.mul(ew.convert_element_type(ew.lt(a, zero), udt), b))
    return ew.convert_element_type(high, dt)


def reduce_xor(operand, axes):
    """Bitwise XOR (for bool: parity) over ``axes``: the reduced axes are moved last and
    flattened, then halved pairwise (``log2 n`` elementwise XORs), zero padding odd counts."""
    x = as_array(operand)
    shape, dt = get_aval(x).shape, get_aval(x).dtype
    if dt.kind not in "iub":
        raise TypeError(f"lax.reduce_xor requires a boolean or integer operand, got "
                        f"{dt.name}{user_line()}")
    axes = tuple(int(a) for a in axes)
    if len(set(axes)) != len(axes) or any(not 0 <= a < len(shape) for a in axes):
        raise ValueError(f"lax.reduce_xor: axes {axes} must be distinct dimensions of an "
                         f"operand of shape {shape}{user_line()}")
    kept = [d for d in range(len(shape)) if d not in axes]
    lead = tuple(shape[d] for d in kept)
    x = sh.reshape(sh.transpose(x, tuple(kept) + axes),
                   lead + (int(np.prod([shape[d] for d in axes], dtype=np.int64)),))
    n, last = get_aval(x).shape[-1], len(lead)
    if n == 0:
        return full_of(ShapedArray(lead, dt), 0)
    while n > 1:
        if n % 2:
            x = sh.concatenate([x, full_of(ShapedArray(lead + (1,), dt), 0)], last)
            n += 1
        n //= 2
        x = ew.bitwise_xor(sh.slice_in_dim(x, 0, n, 1, last),
                           sh.slice_in_dim(x, n, 2 * n, 1, last))
    return sh.squeeze(x, (last,))


def stack(operands, axis: int = 0):
    """Joins arrays of one shape along a new ``axis``."""
    arrays = [as_array(a) for a in operands]
    if not arrays:
        raise ValueError(f"lax.stack needs at least one operand{user_line()}")
    shapes = [tuple(get_aval(a).shape) for a in arrays]
    if len(set(shapes)) != 1:
        raise ValueError(f"lax.stack: all operands must have the same shape, got "
                         f"{', '.join(map(str, shapes))}{user_line()}")
    axis = canonicalize_axis(axis, len(shapes[0]) + 1)
    return sh.concatenate([sh.expand_dims(a, (axis,)) for a in arrays], axis)


def unstack(x, axis: int = 0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    x = as_array(x)
    shape = get_aval(x).shape
    axis = canonicalize_axis(axis, len(shape))
    return tuple(sh.squeeze(sh.slice_in_dim(x, i, i + 1, 1, axis), (axis,))
                 for i in range(shape[axis]))


def tile(operand, reps):
    """``operand`` repeated ``reps[d]`` times along each dimension d: a broadcast to
    ``(reps[0], shape[0], reps[1], shape[1], ...)`` and one reshape."""
    x = as_array(operand)
    shape = get_aval(x).shape
    reps = tuple(int(r) for r in reps)
    if len(reps) != len(shape) or any(r < 0 for r in reps):
        raise ValueError(f"lax.tile: reps {reps} must hold one non-negative count per "
                         f"dimension of the operand, of shape {shape}{user_line()}")
    wide = tuple(n for r, d in zip(reps, shape) for n in (r, d))
    out = sh.broadcast_in_dim(x, wide, tuple(range(1, 2 * len(shape), 2)))
    return sh.reshape(out, tuple(r * d for r, d in zip(reps, shape)))

"""Elementwise functions composed from other ``jnp`` ones: ``gcd``, ``lcm``, ``frexp``,
``ldexp``, ``spacing``, ``angle``, ``bitwise_count``, ``iscomplex``, ``isreal``, ``pow``,
``packbits``, ``unpackbits``."""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..core.source_info import user_line
from .util import as_jitnet, check_arraylike, promote_args_numeric


def _int_pair(name, x1, x2):
    x1, x2 = promote_args_numeric(name, x1, x2)
    if x1.dtype.kind not in "iu":
        raise TypeError(f"jnp.{name}: arguments must be integers, got {x1.dtype}{user_line()}")
    return x1, x2


def gcd(x1, x2, /):
    """Greatest common divisor of ``|x1|`` and ``|x2|`` (Euclid's algorithm in a while_loop)."""
    a, b = _int_pair("gcd", x1, x2)
    a, b = jnp.broadcast_arrays(jnp.abs(a), jnp.abs(b))

    def cond(c):
        return jnp.any(c[1] != 0)

    def body(c):
        x, y = c
        nz = y != 0
        safe = jnp.where(nz, y, 1)
        return jnp.where(nz, y, x), jnp.where(nz, x % safe, 0)
    return lax.while_loop(cond, body, (a, b))[0]


def lcm(x1, x2, /):
    a, b = _int_pair("lcm", x1, x2)
    g = gcd(a, b)
    return jnp.where(g == 0, 0, jnp.abs(a // jnp.where(g == 0, 1, g) * b))


def frexp(x, /):
    """Mantissa in [0.5, 1) and integer exponent with ``x = m * 2**e`` (0, inf, nan kept)."""
    check_arraylike("frexp", x)
    x = as_jitnet(x)
    if x.dtype.kind not in "f":
        x = x.astype(jnp.result_type(float))
    finite = jnp.isfinite(x) & (x != 0)
    ax = jnp.where(finite, jnp.abs(x), 1.0)
    e = jnp.floor(jnp.log2(ax)).astype(jnp.int32) + 1
    m = ax / jnp.exp2(e.astype(x.dtype))
    # log2 rounding can leave m at 1.0 or just under 0.5: one correction step
    hi = m >= 1
    e = jnp.where(hi, e + 1, e)
    m = jnp.where(hi, m * 0.5, m)
    lo = m < 0.5
    e = jnp.where(lo, e - 1, e)
    m = jnp.where(lo, m * 2, m)
    m = jnp.where(finite, jnp.sign(x) * m, x)
    return m, jnp.where(finite, e, 0)


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` (exact for the float range: applied in two halves to avoid overflow
    of the power of two alone)."""
    check_arraylike("ldexp", x1, x2)
    x1, x2 = as_jitnet(x1), as_jitnet(x2)
    if x2.dtype.kind not in "iu":
        raise TypeError(f"jnp.ldexp: the exponent must be an integer array, got {x2.dtype}")
    if x1.dtype.kind not in "f":
        x1 = x1.astype(jnp.result_type(float))
    half = x2 // 2
    return x1 * jnp.exp2(half.astype(x1.dtype)) * jnp.exp2((x2 - half).astype(x1.dtype))


def spacing(x, /):
    """Distance from ``x`` to the next float away from zero (negative for negative ``x``)."""
    check_arraylike("spacing", x)
    x = as_jitnet(x)
    if x.dtype.kind not in "f":
        x = x.astype(jnp.result_type(float))
    inf = jnp.asarray(np.inf, x.dtype)
    return jnp.nextafter(x, jnp.where(x < 0, -inf, inf)) - x


def angle(z, deg=False):
    """Argument of complex ``z`` (radians, or degrees with ``deg``)."""
    z = as_jitnet(z)
    re, im = (jnp.real(z), jnp.imag(z)) if z.dtype.kind == "c" else (z, jnp.zeros_like(z))
    if re.dtype.kind not in "f":
        re, im = re.astype(jnp.result_type(float)), im.astype(jnp.result_type(float))
    a = jnp.arctan2(im, re)
    return a * (180 / np.pi) if deg else a


def bitwise_count(x, /):
    """Number of 1 bits in ``|x|`` (as ``numpy.bitwise_count``), as uint8."""
    check_arraylike("bitwise_count", x)
    x = as_jitnet(x)
    if x.dtype.kind not in "iub":
        raise TypeError(f"jnp.bitwise_count: integer input required, got {x.dtype}")
    if x.dtype.kind == "i":
        x = jnp.abs(x)
    return lax.population_count(x).astype(jnp.uint8)


def iscomplex(x):
    x = as_jitnet(x)
    return jnp.imag(x) != 0 if x.dtype.kind == "c" else jnp.zeros(x.shape, bool)


def isreal(x):
    x = as_jitnet(x)
    return jnp.imag(x) == 0 if x.dtype.kind == "c" else jnp.ones(x.shape, bool)


def pow(x1, x2, /):
    """Array API name of ``power``."""
    return jnp.power(x1, x2)


def packbits(a, axis=None, bitorder="big"):
    """Pack boolean/integer ``a`` into uint8 bytes along ``axis`` (padding with zeros)."""
    check_arraylike("packbits", a)
    a = as_jitnet(a)
    if a.dtype.kind not in "iub":
        raise TypeError(f"jnp.packbits: expected an integer or boolean array, got {a.dtype}")
    if bitorder not in ("big", "little"):
        raise ValueError("packbits: bitorder must be 'big' or 'little'")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    a = jnp.moveaxis((a != 0).astype(jnp.uint8), axis, -1)
    n = a.shape[-1]
    pad = (-n) % 8
    a = jnp.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, pad)])
    a = a.reshape(a.shape[:-1] + ((n + pad) // 8, 8))
    weights = 2 ** (np.arange(7, -1, -1) if bitorder == "big" else np.arange(8))
    out = jnp.sum(a * jnp.asarray(weights, jnp.uint8), axis=-1, dtype=jnp.uint8)
    return jnp.moveaxis(out, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Unpack uint8 ``a`` into bits along ``axis``; ``count`` keeps that many bits."""
    check_arraylike("unpackbits", a)
    a = as_jitnet(a)
    if a.dtype != np.uint8:
        raise TypeError(f"jnp.unpackbits: expected uint8 input, got {a.dtype}")
    if bitorder not in ("big", "little"):
        raise ValueError("unpackbits: bitorder must be 'big' or 'little'")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    a = jnp.moveaxis(a, axis, -1)
    shifts = np.arange(7, -1, -1) if bitorder == "big" else np.arange(8)
    bits = (a[..., None] >> jnp.asarray(shifts, jnp.uint8)) & jnp.uint8(1)
    bits = bits.reshape(a.shape[:-1] + (a.shape[-1] * 8,))
    if count is not None:
        bits = bits[..., :count] if count >= 0 else bits[..., :bits.shape[-1] + count]
    return jnp.moveaxis(bits, -1, axis)

"""Threefry-2x32 (20 rounds) and JAX's key operations on raw ``uint32[..., 2]`` key data.

``split``, ``fold_in`` and ``random_bits`` draw their hashes from one primitive,
``prims.random.threefry2x32_iota`` (a kernel compiled once per machine, not ~100 fused
equations compiled into every program). ``threefry2x32`` and ``iota_2x32`` below are the
same hash written with ``lax`` operations on ``uint32`` values: the tests' independent
reference (the ONNX exporter has no rule for the primitive: programs drawing random numbers
do not export).

Layout: JAX 0.10.2 defaults to ``jax_threefry_partitionable=True``. In that layout
the n-th value of an output of shape ``S`` is the Threefry hash of the 64-bit
counter ``n`` (row-major flat index) split into ``(hi, lo)`` 32-bit words:

* ``split(key, S)[n]  = threefry(key, (hi_n, lo_n))``  (both output words);
* ``bits(key, S, 32)[n] = x0 ^ x1`` of that hash; 64-bit: ``(x0 << 32) | x1``;
  8/16-bit: the low bits of ``x0 ^ x1``;
* ``fold_in(key, d) = threefry(key, (0, d))`` (same in both layouts).
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from ..prims.random import threefry2x32_iota
from ..prims.util import get_aval

_U32 = np.dtype(np.uint32)
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)  # Threefry's key-schedule constant C240


def _u32(v) -> np.uint32:
    return np.uint32(v)


def _rotl(x, r: int):
    return lax.bitwise_or(lax.shift_left(x, _u32(r)), lax.shift_right_logical(x, _u32(32 - r)))


def threefry2x32(k0, k1, x0, x1):
    """The Threefry-2x32 block function with 20 rounds (Random123's ``threefry2x32_20``).

    All four operands are ``uint32``; the key words may be 0-d and broadcast
    against the counter words. Returns the two output words.
    """
    for v in (k0, k1, x0, x1):
        dt = get_aval(v).dtype
        if dt != _U32:
            raise TypeError(f"threefry2x32 requires uint32 operands, got {dt}")
    ks = (k0, k1, lax.bitwise_xor(lax.bitwise_xor(k0, k1), _PARITY))
    x0 = lax.add(x0, ks[0])
    x1 = lax.add(x1, ks[1])
    for i in range(5):  # five groups of four rounds, each followed by a key injection
        for r in _ROTATIONS[i % 2]:
            x0 = lax.add(x0, x1)
            x1 = lax.bitwise_xor(x0, _rotl(x1, r))
        x0 = lax.add(x0, ks[(i + 1) % 3])
        x1 = lax.add(lax.add(x1, ks[(i + 2) % 3]), _u32(i + 1))
    return x0, x1


def key_words(data):
    """The two ``uint32`` words of a single raw key ``uint32[2]``."""
    k0 = lax.index_in_dim(data, 0, axis=0, keepdims=False)
    k1 = lax.index_in_dim(data, 1, axis=0, keepdims=False)
    return k0, k1


def iota_2x32(shape):
    """Row-major flat index of every element of ``shape`` as 64-bit ``(hi, lo)`` uint32 words.

    Arrays of 2**32 or more elements are far beyond what the NumPy-backed runtime
    can hold, so ``hi`` is always zero here; the limit is checked, not assumed.
    """
    shape = tuple(shape)
    size = math.prod(shape)
    if size > 2 ** 32:
        raise NotImplementedError(f"random values for {size} elements (more than 2**32) "
                                  f"are not supported")
    if not shape:
        zero = np.zeros((), _U32)
        return zero, zero
    lo = lax.broadcasted_iota(_U32, shape, len(shape) - 1)
    stride = shape[-1]
    for d in range(len(shape) - 2, -1, -1):  # add index_d * stride_d per dimension
        if shape[d] > 1:
            lo = lax.add(lo, lax.mul(lax.broadcasted_iota(_U32, shape, d), _u32(stride)))
        stride *= shape[d]
    hi = lax.full(shape, 0, _U32)
    return hi, lo


def seed(s):
    """Raw key from an integer seed array (0-d): ``(s >> 32, s & 0xFFFFFFFF)`` as uint32.

    The high word is the logical shift of ``s`` in its own width, so it is zero for
    any seed narrower than 64 bits (as in JAX).
    """
    a = get_aval(s)
    if a.shape:
        raise TypeError(f"PRNG key seed must be a scalar; got an array of shape {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"PRNG key seed must be an integer; got dtype {a.dtype}")
    if a.dtype.itemsize > 4:
        hi = lax.convert_element_type(lax.shift_right_logical(s, np.asarray(32, a.dtype)), _U32)
        lo = lax.convert_element_type(lax.bitwise_and(s, np.asarray(0xFFFFFFFF, a.dtype)), _U32)
    else:  # a shift by >= the width gives 0 (XLA's definition); casting wraps modulo 2**32
        hi = lax.full((), 0, _U32)
        lo = lax.convert_element_type(s, _U32)
    return lax.concatenate([lax.reshape(hi, (1,)), lax.reshape(lo, (1,))], 0)


def split(data, shape):
    """``shape`` new raw keys from one raw key (partitionable layout)."""
    b0, b1 = threefry2x32_iota(data, shape)
    nd = len(tuple(shape))
    b0 = lax.expand_dims(b0, (nd,))
    b1 = lax.expand_dims(b1, (nd,))
    return lax.concatenate([b0, b1], nd)


def fold_in(data, d):
    """New raw key: the hash of the counter ``(0, d)`` under ``data`` (``d`` uint32, 0-d)."""
    b0, b1 = threefry2x32_iota(data, (), start=d)
    return lax.concatenate([lax.reshape(b0, (1,)), lax.reshape(b1, (1,))], 0)


_UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: _U32, 64: np.dtype(np.uint64)}


def random_bits(data, bit_width: int, shape):
    """Uniform random bits of ``bit_width`` (8, 16, 32 or 64) in an unsigned array of ``shape``."""
    if bit_width not in _UINT:
        raise TypeError(f"random bits require an 8-, 16-, 32- or 64-bit width, got {bit_width}")
    b0, b1 = threefry2x32_iota(data, shape)
    dt = _UINT[bit_width]
    if bit_width == 64:
        return lax.bitwise_or(lax.shift_left(lax.convert_element_type(b0, dt), np.uint64(32)),
                              lax.convert_element_type(b1, dt))
    bits = lax.bitwise_xor(b0, b1)
    return bits if bit_width == 32 else lax.convert_element_type(bits, dt)

"""Threefry-2x32 with 20 rounds (Random123's ``threefry2x32_20``), written once.

The same function is the NumPy reference (``prims/random.py``, on arrays), the CPU kernel's
hash (``kernels/random.py``, compiled with ``njit``) and the CUDA one (``runtime/cuda_math``,
a device function): so the three cannot drift apart. Its words are 32-bit values held in
``uint64`` (every sum and rotation masked back to 32 bits): Numba widens ``uint32``
arithmetic to 64 bits anyway, and NumPy arrays and Numba scalars then share one source.
Only operators and ``np.uint64`` constants: it compiles for every target as it is.
"""
from __future__ import annotations

import numpy as np

MASK32 = np.uint64(0xFFFFFFFF)
_PARITY = np.uint64(0x1BD11BDA)  # Threefry's key-schedule constant C240
_R = tuple(tuple(np.uint64(r) for r in rs) for rs in ((13, 15, 26, 6), (17, 29, 16, 24)))
_W = np.uint64(32)


def threefry2x32_20(k0, k1, x0, x1):
    """The two output words of the block function for key ``(k0, k1)`` and counter
    ``(x0, x1)``: 32-bit values in ``uint64`` (scalars or arrays, broadcast)."""
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0 = (x0 + ks[0]) & MASK32
    x1 = (x1 + ks[1]) & MASK32
    for i in range(5):  # five groups of four rounds, each followed by a key injection
        for r in _R[i % 2]:
            x0 = (x0 + x1) & MASK32
            x1 = x0 ^ (((x1 << r) | (x1 >> (_W - r))) & MASK32)
        x0 = (x0 + ks[(i + 1) % 3]) & MASK32
        x1 = (x1 + ks[(i + 2) % 3] + np.uint64(i + 1)) & MASK32
    return x0, x1


def counters(start, n):
    """The 64-bit counter ``start + n`` as its ``(hi, lo)`` words (``uint64`` values)."""
    c = start + n
    return c >> _W, c & MASK32

"""Double-float arithmetic: a value is an unevaluated sum ``hi + lo`` of two floats of one
dtype, ``|lo| <= ulp(hi) / 2``, which carries about twice the dtype's precision (48 bits for
float32). For sums whose terms cancel (``hyp2f1``'s series in float32), where promoting to
float64 is not available (x64 off) and plain float32 loses every digit.

The error-free transformations (Knuth's two-sum, Dekker's split and two-product) need each
operation rounded as written: no reassociation and no FMA contraction, which the Numba
backend guarantees (``runtime/numba_backend.FASTMATH``) and the tests check under ``jit``
(on a GPU, where NVVM may contract into FMAs, the float32 ``hyp1f1`` and ``hyp2f1`` kept
their precision over 20,000 points: ``tests/cuda/test_cuda_special.py``).
Pairs are tuples ``(hi, lo)``; a plain array is ``(x, 0)``.
"""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a, b):
    """``two_sum`` for ``|a| >= |b|`` (or ``a = 0``), in three operations (Dekker)."""
    s = a + b
    return s, b - (s - a)


def _split(a):
    """``a = hi + lo`` with each half fitting in half the significand (Dekker). ``a * 4097``
    overflows above ``max / 4097`` (8e34 in float32, which ``hyp1f1``'s series terms reach):
    values above a quarter of the exponent range are split scaled down by a power of two,
    which is exact (up to ``max (1 - 2^-12)``, where the high half rounds to infinity)."""
    fi = np.finfo(a.dtype)
    half = (fi.nmant + 2) // 2
    factor = float(2 ** half + 1)  # 4097 for float32
    big = jnp.abs(a) > float(2.0 ** (fi.maxexp // 4 * 3))
    down = jnp.where(big, float(2.0 ** -(half + 1)), 1.0).astype(a.dtype)
    scaled = a * down
    t = scaled * factor
    hi = (t - (t - scaled)) / down
    return hi, a - hi


def two_prod(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``p + e = a * b`` exactly (Dekker, no FMA)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def add(x, y):
    """``x + y`` of two pairs, accurate also when they cancel."""
    s, e = two_sum(x[0], y[0])
    t, f = two_sum(x[1], y[1])
    s, e = fast_two_sum(s, e + t)
    return fast_two_sum(s, e + f)


def add_float(x, y):
    """``x + y`` of a pair and a plain value."""
    s, e = two_sum(x[0], y)
    return fast_two_sum(s, e + x[1])


def neg(x):
    return -x[0], -x[1]


def mul(x, y):
    """``x * y`` of two pairs."""
    p, e = two_prod(x[0], y[0])
    return fast_two_sum(p, e + (x[0] * y[1] + x[1] * y[0]))


def mul_float(x, y):
    """``x * y`` of a pair and a plain value."""
    p, e = two_prod(x[0], y)
    return fast_two_sum(p, e + x[1] * y)


def div(x, y):
    """``x / y`` of two pairs: one correction step of the quotient of the high parts."""
    q = x[0] / y[0]
    r = add(x, neg(mul_float(y, q)))
    return fast_two_sum(q, r[0] / y[0])


def from_float(x):
    return x, jnp.zeros_like(x)


def select(cond, x, y):
    """``jnp.where`` for pairs."""
    return jnp.where(cond, x[0], y[0]), jnp.where(cond, x[1], y[1])

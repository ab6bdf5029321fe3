"""Helpers shared by the ``jitnet.scipy.special`` modules."""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as jnp
from ...numpy.util import promote_args_inexact

# Python floats, not NumPy scalars: they are weakly typed, so they keep the input's dtype.
SQRT_2PI = float(np.sqrt(2 * np.pi))
EULER_GAMMA = float(np.euler_gamma)


def as_float(name, *args):
    """Promote to a common inexact dtype and broadcast (ints and bools become floats)."""
    out = promote_args_inexact(name, *args)
    return out[0] if len(out) == 1 else out


def horner(coeffs, x):
    """Polynomial with coefficients from the highest degree down."""
    acc = jnp.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def where_safe(cond, x, stand_in):
    """``x`` where ``cond`` holds, else ``stand_in`` (a Python float): feeds a branch that
    ``where`` later discards a harmless input, so its inf/nan stay out of gradients."""
    return jnp.where(cond, x, jnp.full_like(x, stand_in))


def exp_square(x, sign=1.0):
    """``exp(sign * x^2)`` without the ``x^2 eps`` relative error of rounding ``x^2`` first:
    ``x = hi + lo`` with ``hi`` on a 1/256 grid, so ``hi^2`` is exact for ``|x| < 2^12``."""
    hi = jnp.floor(x * 256) / 256
    lo = x - hi
    return jnp.exp(sign * (hi * hi)) * jnp.exp(sign * (lo * (x + hi)))


# -- continued fractions (modified Lentz, fixed length) -------------------------------------

def real_fraction(b0, b_step, a_of_k, terms):
    """``1 / (b_0 + a_1 / (b_1 + a_2 / (b_2 + ...)))`` with ``b_k = b0 + k b_step`` (``b0`` an
    array) and ``a_k = a_of_k(k)``, in ``terms`` steps."""
    tiny = fraction_tiny(b0)

    def guard(v):
        return jnp.where(jnp.abs(v) < tiny, tiny, v)

    def step(i, carry):
        b, c, d, h = carry
        a = a_of_k((i + 1).astype(b0.dtype))
        b = b + b_step
        d = 1 / guard(a * d + b)
        c = guard(b + a / c)
        return b, c, d, h * c * d
    d = 1 / b0
    return lax.fori_loop(0, terms, step, (b0, jnp.full_like(b0, 1 / tiny), d, d))[3]


def fraction_tiny(x):
    """The modified Lentz method's stand-in for a zero denominator (``x``'s dtype)."""
    return float(np.finfo(x.dtype).tiny) * 1e6


# complex arguments, on (real, imaginary) pairs

def complex_mul(a, b):
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]


def _complex_inv(a):
    den = a[0] * a[0] + a[1] * a[1]
    return a[0] / den, -a[1] / den


def complex_fraction(b_re0, b_re_step, b_im, a_of_k, terms):
    """``1 / (b_0 + a_1 / (b_1 + a_2 / (b_2 + ...)))`` by the modified Lentz method, for
    ``b_k = b_re0 + k b_re_step + i b_im`` (``b_im`` an array) and real ``a_k = a_of_k(k)``;
    ``terms`` fixed steps. Returns ``(real, imaginary)`` arrays."""
    tiny = fraction_tiny(b_im)

    def guard(v):
        small = jnp.abs(v[0]) + jnp.abs(v[1]) < tiny
        return jnp.where(small, tiny, v[0]), v[1]

    def step(i, carry):
        b_re, c, d, h = carry
        a = a_of_k((i + 1).astype(b_im.dtype))
        b_re = b_re + b_re_step
        d = _complex_inv(guard((a * d[0] + b_re, a * d[1] + b_im)))
        c_inv = _complex_inv(c)
        c = guard((b_re + a * c_inv[0], b_im + a * c_inv[1]))
        return b_re, c, d, complex_mul(h, complex_mul(c, d))
    b_re = jnp.full_like(b_im, b_re0)
    d = _complex_inv((b_re, b_im))
    big = (jnp.full_like(b_im, 1 / tiny), jnp.zeros_like(b_im))
    _, _, _, h = lax.fori_loop(0, terms, step, (b_re, big, d, d))
    return h

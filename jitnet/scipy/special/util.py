"""Helpers shared by the ``jitnet.scipy.special`` modules."""
from __future__ import annotations

import numpy as np

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

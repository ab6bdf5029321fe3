"""Continued fractions by the modified Lentz method, a fixed number of steps (they run
under ``fori_loop``, so they trace to one loop whatever the number of terms), for real and
complex arguments; the incomplete gamma function, ``erfcx``, ``exp1`` and ``expn`` use them."""
from __future__ import annotations

import numpy as np

from ...prims import elementwise as ew
from ...prims.util import get_aval
from ..control_flow import fori_loop
from .common import full_like, where


def fraction_tiny(x):
    """The modified Lentz method's stand-in for a zero denominator (``x``'s dtype)."""
    return float(np.finfo(get_aval(x).dtype).tiny) * 1e6


def _term_index(i, x):
    """The loop counter ``i + 1`` as ``x``'s dtype (the fraction's ``k``)."""
    return ew.convert_element_type(i + 1, get_aval(x).dtype)


def real_fraction(b0, b_step, a_of_k, terms):
    """``1 / (b_0 + a_1 / (b_1 + a_2 / (b_2 + ...)))`` with ``b_k = b0 + k b_step`` (``b0`` an
    array) and ``a_k = a_of_k(k)``, in ``terms`` steps."""
    tiny = fraction_tiny(b0)

    def guard(v):
        return where(ew.abs(v) < tiny, tiny, v)

    def step(i, carry):
        b, c, d, h = carry
        a = a_of_k(_term_index(i, b0))
        b = b + b_step
        d = 1 / guard(a * d + b)
        c = guard(b + a / c)
        return b, c, d, h * c * d
    d = 1 / b0
    return fori_loop(0, terms, step, (b0, full_like(b0, 1 / tiny), d, d))[3]


# complex arguments, on (real, imaginary) pairs

def complex_mul(a, b):
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]


def _complex_inv(a):
    den = a[0] * a[0] + a[1] * a[1]
    return a[0] / den, -a[1] / den


def complex_fraction(b_re0, b_re_step, b_im, a_of_k, terms):
    """``1 / (b_0 + a_1 / (b_1 + a_2 / (b_2 + ...)))`` for ``b_k = b_re0 + k b_re_step + i b_im``
    (``b_im`` an array) and real ``a_k = a_of_k(k)``, in ``terms`` steps. Returns
    ``(real, imaginary)`` arrays."""
    tiny = fraction_tiny(b_im)

    def guard(v):
        small = ew.abs(v[0]) + ew.abs(v[1]) < tiny
        return where(small, tiny, v[0]), v[1]

    def step(i, carry):
        b_re, c, d, h = carry
        a = a_of_k(_term_index(i, b_im))
        b_re = b_re + b_re_step
        d = _complex_inv(guard((a * d[0] + b_re, a * d[1] + b_im)))
        c_inv = _complex_inv(c)
        c = guard((b_re + a * c_inv[0], b_im + a * c_inv[1]))
        return b_re, c, d, complex_mul(h, complex_mul(c, d))
    b_re = full_like(b_im, b_re0)
    d = _complex_inv((b_re, b_im))
    big = (full_like(b_im, 1 / tiny), full_like(b_im, 0))
    _, _, _, h = fori_loop(0, terms, step, (b_re, big, d, d))
    return h

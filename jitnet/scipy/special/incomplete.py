"""Regularized incomplete gamma and beta functions (``gammainc``, ``gammaincc``, ``betainc``):
the arguments promoted, then ``lax.special.incomplete``'s series and continued fractions."""
from __future__ import annotations

from ...lax.special import incomplete
from .util import as_float


def gammainc(a, x):
    """Regularized lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)``; nan for
    ``a <= 0`` or ``x < 0``. Derivative rules as JAX's ``lax.igamma``: the density
    ``x^(a-1) e^-x / Gamma(a)`` in ``x``, ``igamma_grad_a`` (the derivative of the
    expansions) in ``a``."""
    return incomplete.igamma(*as_float("gammainc", a, x))


def gammaincc(a, x):
    """Regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``, accurate where ``P`` is
    near 1; nan for ``a <= 0`` or ``x < 0``. Derivative rules: minus ``gammainc``'s."""
    return incomplete.igammac(*as_float("gammaincc", a, x))


def betainc(a, b, x):
    """Regularized incomplete beta function ``I_x(a, b)``; nan for ``a <= 0``, ``b <= 0`` or
    ``x`` outside ``[0, 1]``. Uses ``I_x(a, b) = 1 - I_{1-x}(b, a)`` above the mean-like
    point ``(a + 1) / (a + b + 2)`` so that the continued fraction always converges fast."""
    return incomplete.betainc(*as_float("betainc", a, b, x))

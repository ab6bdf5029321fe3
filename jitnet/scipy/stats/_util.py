"""Helpers shared by the distributions of ``jitnet.scipy.stats``."""
from __future__ import annotations

from ... import numpy as jnp
from ...numpy.util import promote_args_inexact


def floats(name, *args):
    """Promote to one inexact dtype and broadcast (integers and bools become floats)."""
    return promote_args_inexact(f"jax.scipy.stats.{name}", *args)


def standardize(name, x, loc, scale):
    """``(z, scale)`` with ``z = (x - loc) / scale``, all broadcast to one float dtype."""
    x, loc, scale = floats(name, x, loc, scale)
    return (x - loc) / scale, scale


def neg_inf_where(cond, value):
    """``value`` with ``-inf`` where ``cond`` (outside the support of a density)."""
    return jnp.where(cond, jnp.full_like(value, -jnp.inf), value)


def nan_where(cond, value):
    return jnp.where(cond, jnp.full_like(value, jnp.nan), value)


def exp_of(logf):
    """``pdf`` from ``logpdf`` (``pmf`` from ``logpmf``): ``exp`` of the same arguments."""
    def f(*args, **kwargs):
        return jnp.exp(logf(*args, **kwargs))
    f.__name__, f.__module__ = logf.__name__[3:], logf.__module__
    f.__doc__ = f"``exp({logf.__name__}(...))``."
    return f

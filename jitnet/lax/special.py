"""``lax``'s special functions (``lax.igamma``, ``lax.zeta``, ...): JAX's names and argument
order for functions ``jitnet.scipy.special`` computes. As in JAX, the operands must share
one floating dtype (Python scalars adopt it); nothing is promoted."""
from __future__ import annotations

from .. import numpy as jnp
from ..core.source_info import user_line
from ..numpy.util import promote_args_inexact


def _same_float(name, *args):
    """The operands, checked to share one floating dtype (Python scalars excepted)."""
    dtypes = {jnp.result_type(a) for a in args if not isinstance(a, (int, float))}
    if len(dtypes) > 1 or not all(jnp.issubdtype(d, jnp.floating) for d in dtypes):
        raise TypeError(f"lax.{name} requires operands of one floating dtype, got "
                        f"{', '.join(str(jnp.result_type(a)) for a in args)}{user_line()}")
    return promote_args_inexact(f"lax.{name}", *args)


def _special():
    from ..scipy import special
    return special


def bessel_i0e(x):
    """``e^-|x| I_0(x)`` (``scipy.special.i0e``)."""
    return _special().i0e(*_same_float("bessel_i0e", x))


def bessel_i1e(x):
    """``e^-|x| I_1(x)`` (``scipy.special.i1e``)."""
    return _special().i1e(*_same_float("bessel_i1e", x))


def igamma(a, x):
    """Regularized lower incomplete gamma ``P(a, x)`` (``scipy.special.gammainc``)."""
    return _special().gammainc(*_same_float("igamma", a, x))


def igammac(a, x):
    """Regularized upper incomplete gamma ``Q(a, x)`` (``scipy.special.gammaincc``)."""
    return _special().gammaincc(*_same_float("igammac", a, x))


def igamma_grad_a(a, x):
    """``d/da P(a, x)``."""
    from ..scipy.special.incomplete import igamma_grad_a as grad_a
    return grad_a(*_same_float("igamma_grad_a", a, x))


def betainc(a, b, x):
    """Regularized incomplete beta ``I_x(a, b)`` (``scipy.special.betainc``)."""
    return _special().betainc(*_same_float("betainc", a, b, x))


def zeta(x, q):
    """Hurwitz zeta ``sum_k (k + q)^-x`` (``scipy.special.zeta``)."""
    return _special().zeta(*_same_float("zeta", x, q))


def polygamma(m, x):
    """``psi^(m)(x)`` with a floating ``m`` of integer value (nan otherwise), as JAX's
    ``lax.polygamma`` (``scipy.special.polygamma`` takes an integer ``m``)."""
    from ..scipy.special.zeta_functions import polygamma_float
    return polygamma_float(*_same_float("polygamma", m, x))

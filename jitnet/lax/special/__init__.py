"""``lax``'s special functions (``lax.igamma``, ``lax.zeta``, ...) with JAX's names and
argument order. As in JAX, the operands must share one floating dtype (Python scalars adopt
it); nothing is promoted. JAX has primitives for them; jitnet computes them here, below
``jnp``, as composites of lax operations (series, continued fractions: one module per
family), and ``jitnet.scipy.special`` calls these after promoting its arguments."""
from __future__ import annotations

from ...core import dtypes
from ...core.source_info import user_line
from ..values import promote_args_inexact
from .bessel import i0e, i1e
from .incomplete import betainc as _betainc
from .incomplete import igamma as _igamma
from .incomplete import igamma_grad_a as _igamma_grad_a
from .incomplete import igammac as _igammac
from .zeta_functions import polygamma as _polygamma
from .zeta_functions import zeta as _zeta


def _same_float(name, *args):
    """The operands, checked to share one floating dtype (Python scalars excepted)."""
    found = {dtypes.result_type(a) for a in args if not isinstance(a, (int, float))}
    if len(found) > 1 or any(dtypes.kind_of(d) != "f" for d in found):
        raise TypeError(f"lax.{name} requires operands of one floating dtype, got "
                        f"{', '.join(str(dtypes.result_type(a)) for a in args)}{user_line()}")
    return promote_args_inexact(f"lax.{name}", *args)


def bessel_i0e(x):
    """``e^-|x| I_0(x)`` (``scipy.special.i0e``)."""
    return i0e(*_same_float("bessel_i0e", x))


def bessel_i1e(x):
    """``e^-|x| I_1(x)`` (``scipy.special.i1e``)."""
    return i1e(*_same_float("bessel_i1e", x))


def igamma(a, x):
    """Regularized lower incomplete gamma ``P(a, x)`` (``scipy.special.gammainc``)."""
    return _igamma(*_same_float("igamma", a, x))


def igammac(a, x):
    """Regularized upper incomplete gamma ``Q(a, x)`` (``scipy.special.gammaincc``)."""
    return _igammac(*_same_float("igammac", a, x))


def igamma_grad_a(a, x):
    """``d/da P(a, x)``."""
    return _igamma_grad_a(*_same_float("igamma_grad_a", a, x))


def betainc(a, b, x):
    """Regularized incomplete beta ``I_x(a, b)`` (``scipy.special.betainc``)."""
    return _betainc(*_same_float("betainc", a, b, x))


def zeta(x, q):
    """Hurwitz zeta ``sum_k (k + q)^-x`` (``scipy.special.zeta``)."""
    return _zeta(*_same_float("zeta", x, q))


def polygamma(m, x):
    """``psi^(m)(x)`` with a floating ``m`` of integer value (nan otherwise), as JAX's
    ``lax.polygamma`` (``scipy.special.polygamma`` takes an integer ``m``)."""
    return _polygamma(*_same_float("polygamma", m, x))

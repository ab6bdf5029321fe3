"""What lax's special functions share, written on lax operations: a ``where`` that takes
Python numbers, the gamma family they are built from (``gammaln``, ``digamma``, ``betaln``)
and ``xlogy`` with JAX's derivative rule. Operands share one floating dtype (the callers
promote); ``jitnet.scipy.special`` promotes and then calls these."""
from __future__ import annotations

import numpy as np

from ...hop.custom import custom_jvp
from ...prims import elementwise as ew
from ...prims import shape as sh
from ...prims.util import const, full_of, get_aval
from ..values import SCALARS, broadcast_shapes, broadcast_to_shape


def full_like(x, value):
    """``value`` in ``x``'s shape, dtype and weak type (``jnp.full_like``)."""
    return full_of(get_aval(x), value)


def where(cond, x, y):
    """``x`` where ``cond`` holds, else ``y``, broadcast as ``jnp.where`` does (operands of one
    dtype); either case may be a Python number: a weak 0-d constant of the other's dtype."""
    if type(x) in SCALARS:
        x = const(y, x)
    elif type(y) in SCALARS:
        y = const(x, y)
    shape = broadcast_shapes("where", *(get_aval(v).shape for v in (cond, x, y)))
    cond, x, y = (broadcast_to_shape(v, shape) for v in (cond, x, y))
    if shape and not get_aval(x).shape and not get_aval(y).shape:
        x = sh.broadcast_in_dim(x, shape, ())   # select takes its shape from a case
    return ew.select(cond, x, y)


def isnan(x):
    return ew.ne(x, x)


def gammaln(x):
    """``log|Gamma(x)|``; ``+inf`` at the poles and at ``-inf`` (as JAX)."""
    return where(x == -np.inf, np.inf, ew.lgamma(x))


def betaln(a, b):
    """``log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def digamma(x):
    """``d/dx log Gamma(x)``; nan at the poles ``0, -1, -2, ...`` (as JAX: the sign of the
    infinity depends on the side of approach, so no infinity is right). The nan is added,
    not selected, so the derivative there stays ``trigamma``'s ``+inf`` (as JAX)."""
    pole = (x <= 0) & (x == ew.floor(x))
    return ew.digamma(x) + where(pole, np.nan, full_like(x, 0))


@custom_jvp
def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is nan). The derivative is JAX's rule
    ``(log(y), x / y)``: ``log(y)`` in ``x`` even at ``x = 0`` (``-inf`` at ``(0, 0)``),
    ``0 / 0 = nan`` in ``y`` at ``(0, 0)``."""
    # y is replaced by 1 where x == 0 and log(y) is not finite: the value there is 0
    bad = (x == 0) & ((y <= 0) | (y == np.inf))
    return x * ew.log(where(bad, 1.0, y))


@xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return xlogy(x, y), tx * ew.log(y) + ty * (x / y)

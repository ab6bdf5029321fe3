"""``jnp.linalg``: norms here; factorizations and solves arrive with the linalg primitives."""
from __future__ import annotations

import numpy as np

from .. import lax
from ..prims.util import get_aval
from .util import as_jitnet, canonicalize_axes, check_arraylike, convert, promote_args_inexact


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector and matrix norms with NumPy's ``ord`` conventions."""
    from . import reductions as r
    from .ufuncs import abs as _abs, sqrt
    check_arraylike("norm", x)
    (x,) = promote_args_inexact("norm", as_jitnet(x))
    nd = get_aval(x).ndim
    if axis is None:
        axes = tuple(range(nd))
        if ord is None:
            return sqrt(r.sum(lax.mul(x, x), axis=axes, keepdims=keepdims))
        if nd == 1:
            axes = (0,)
        elif nd == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        else:
            raise ValueError("Improper number of dimensions to norm.")
    else:
        axes = canonicalize_axes(axis, nd)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    ax = axes[0]
    a = _abs(x)
    if ord is None or ord == 2:
        return sqrt(r.sum(lax.mul(x, x), axis=ax, keepdims=keepdims))
    if ord == np.inf:
        return r.max(a, axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return r.min(a, axis=ax, keepdims=keepdims)
    if ord == 0:
        return r.sum(lax.ne(x, convert(0, get_aval(x).dtype, True)), axis=ax,
                     dtype=get_aval(x).dtype, keepdims=keepdims)
    if ord == 1:
        return r.sum(a, axis=ax, keepdims=keepdims)
    p = convert(ord, get_aval(x).dtype, True)
    from .ufuncs import power
    return power(r.sum(power(a, p), axis=ax, keepdims=keepdims), lax.div(convert(1, get_aval(x).dtype, True), p))


def _matrix_norm(x, ord, axes, keepdims):
    from . import reductions as r
    from .ufuncs import abs as _abs, sqrt
    a0, a1 = axes
    if ord is None or ord == "fro":
        return sqrt(r.sum(lax.mul(x, x), axis=axes, keepdims=keepdims))
    if ord == 1:
        return r.max(r.sum(_abs(x), axis=a0, keepdims=True), axis=a1, keepdims=True) \
            if keepdims else r.max(r.sum(_abs(x), axis=a0), axis=a1 - (a1 > a0))
    if ord == np.inf:
        return r.max(r.sum(_abs(x), axis=a1, keepdims=True), axis=a0, keepdims=True) \
            if keepdims else r.max(r.sum(_abs(x), axis=a1), axis=a0 - (a0 > a1))
    if ord == -1:
        return r.min(r.sum(_abs(x), axis=a0), axis=a1 - (a1 > a0))
    if ord == -np.inf:
        return r.min(r.sum(_abs(x), axis=a1), axis=a0 - (a0 > a1))
    raise NotImplementedError(f"norm: matrix norm ord={ord!r} is not supported")

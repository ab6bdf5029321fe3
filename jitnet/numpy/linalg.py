"""``jnp.linalg``: norms, solves, inverses, determinants and factorizations.

Solves, ``inv``, ``det`` and ``slogdet`` go through one LU factorization (the
``lu`` primitive) and triangular solves, so their derivatives follow from those
primitives' rules. Inputs are (..., n, n) batches; integers become floats.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from ..core import dtypes
from ..core.source_info import user_line
from ..prims import linalg as pl
from ..prims.util import get_aval
from .util import (as_jitnet, broadcast_shapes, broadcast_to_shape, canonicalize_axes,
                   check_arraylike, convert, promote_args_inexact, squared_modulus)

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


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
            return sqrt(r.sum(squared_modulus(x), axis=axes, keepdims=keepdims))
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
        return sqrt(r.sum(squared_modulus(x), axis=ax, keepdims=keepdims))
    if ord == np.inf:
        return r.max(a, axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return r.min(a, axis=ax, keepdims=keepdims)
    rdt = get_aval(a).dtype  # the real dtype of |x| (float32 for complex64)
    if ord == 0:
        return r.sum(lax.ne(x, convert(0, get_aval(x).dtype, True)), axis=ax,
                     dtype=rdt, keepdims=keepdims)
    if ord == 1:
        return r.sum(a, axis=ax, keepdims=keepdims)
    p = convert(ord, rdt, True)
    from .ufuncs import power
    return power(r.sum(power(a, p), axis=ax, keepdims=keepdims), lax.div(convert(1, rdt, True), p))


def _matrix_norm(x, ord, axes, keepdims):
    from . import reductions as r
    from .ufuncs import abs as _abs, sqrt
    a0, a1 = axes
    if ord is None or ord == "fro":
        return sqrt(r.sum(squared_modulus(x), axis=axes, keepdims=keepdims))
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
    if ord in (2, -2, "nuc"):
        return _spectral_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: invalid matrix norm order {ord!r}{user_line()}")


def _spectral_norm(x, ord, axes, keepdims):
    """ord 2 / -2 / 'nuc': largest, smallest or summed singular values over ``axes``."""
    shape = _shape(x)
    rest = [i for i in range(len(shape)) if i not in axes]
    s = pl.svd(lax.transpose(x, tuple(rest) + tuple(axes)), compute_uv=False)
    reduce = {2: lax.reduce_max, -2: lax.reduce_min, "nuc": lax.reduce_sum}[ord]
    out = reduce(s, (len(rest),))
    if keepdims:
        out = lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return out


# -- argument handling --------------------------------------------------------------------

def _inexact(name, *args):
    """One common floating dtype for all arguments (integers -> default float), no broadcast."""
    check_arraylike(name, *args)
    args = [as_jitnet(a) for a in args]
    dtype, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    if dtype.kind == "c":
        raise TypeError(f"jnp.linalg.{name}: complex inputs are not supported yet{user_line()}")
    if kind_of(dtype) != "f":
        dtype, weak = dtypes.default_float(), False
    return [convert(a, dtype, weak) for a in args]


def _shape(x):
    return tuple(get_aval(x).shape)


def _check_square(name, a):
    s = _shape(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"jnp.linalg.{name}: argument must be a square matrix or a batch of "
                         f"square matrices of shape (..., n, n), got shape {s}{user_line()}")


def _check_matrix(name, a):
    if len(_shape(a)) < 2:
        raise ValueError(f"jnp.linalg.{name}: argument must have at least 2 dimensions "
                         f"(..., m, n), got shape {_shape(a)}{user_line()}")


def _permutation_sign(pivots, dtype):
    """+1 or -1: the parity of the row swaps recorded in ``pivots``."""
    s = _shape(pivots)
    swapped = lax.ne(pivots, lax.broadcasted_iota(np.int32, s, len(s) - 1))
    ones = lax.broadcast_in_dim(convert(1, dtype), s, ())
    return lax.reduce_prod(lax.select(swapped, lax.neg(ones), ones), (len(s) - 1,))


def _lu_solve(lu, perm, b):
    """Solve ``a x = b`` from a's LU factors (``a[perm] = L U``); b is (..., n, k)."""
    x = pl.permute_rows(b, perm)
    x = pl.triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True)
    return pl.triangular_solve(lu, x, left_side=True, lower=False)


# -- solves, inverses, determinants ----------------------------------------------------------

def solve(a, b):
    """x with ``a @ x == b``; b is (n,) or (..., n, k), batch dims broadcast (NumPy 2 rules)."""
    a, b = _inexact("solve", a, b)
    _check_square("solve", a)
    sa, sb = _shape(a), _shape(b)
    n, vector = sa[-1], len(sb) == 1
    if (sb[0] if vector else (sb[-2] if len(sb) >= 2 else -1)) != n:
        raise ValueError(f"jnp.linalg.solve: b must have shape ({n},) or (..., {n}, k) for a "
                         f"of shape {sa}, got {sb}{user_line()}")
    if vector:
        b, sb = lax.reshape(b, (n, 1)), (n, 1)
    batch = broadcast_shapes("solve", sa[:-2], sb[:-2])
    a = broadcast_to_shape(a, batch + sa[-2:])
    b = broadcast_to_shape(b, batch + sb[-2:])
    lu, _, perm = pl.lu(a)
    x = _lu_solve(lu, perm, b)
    return lax.reshape(x, batch + (n,)) if vector else x


def inv(a):
    """Inverse of each square matrix in the batch (infs/NaNs for singular ones)."""
    (a,) = _inexact("inv", a)
    _check_square("inv", a)
    return solve(a, pl.eye_like(a))


def det(a):
    """Determinant via LU: sign(P) * prod(diag(U))."""
    (a,) = _inexact("det", a)
    _check_square("det", a)
    lu, pivots, _ = pl.lu(a)
    d = pl.diagonal(lu)
    nd = len(_shape(d))
    return lax.mul(_permutation_sign(pivots, get_aval(a).dtype), lax.reduce_prod(d, (nd - 1,)))


def slogdet(a, *, method=None):
    """(sign, log|det|) via LU; singular matrices give (0, -inf)."""
    if method not in (None, "lu"):
        raise ValueError(f"jnp.linalg.slogdet: unsupported method {method!r} (only 'lu')"
                         f"{user_line()}")
    (a,) = _inexact("slogdet", a)
    _check_square("slogdet", a)
    lu, pivots, _ = pl.lu(a)
    d = pl.diagonal(lu)
    ax = (len(_shape(d)) - 1,)
    sign = lax.mul(_permutation_sign(pivots, get_aval(a).dtype),
                   lax.reduce_prod(lax.sign(d), ax))
    return SlogdetResult(sign, lax.reduce_sum(lax.log(lax.abs(d)), ax))


# -- factorizations -------------------------------------------------------------------------

def _symmetrize(a):
    return lax.mul(lax.add(a, pl.swap(a)), convert(0.5, get_aval(a).dtype, True))


def cholesky(a, *, upper: bool = False, symmetrize_input: bool = True):
    """Lower (or upper) Cholesky factor; NaNs where ``a`` is not positive definite."""
    (a,) = _inexact("cholesky", a)
    _check_square("cholesky", a)
    L = pl.cholesky(_symmetrize(a) if symmetrize_input else a)
    return pl.swap(L) if upper else L


def eigh(a, UPLO=None, symmetrize_input: bool = True):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices."""
    (a,) = _inexact("eigh", a)
    _check_square("eigh", a)
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"jnp.linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}{user_line()}")
    v, w = pl.eigh(_symmetrize(a) if symmetrize_input else a, lower=UPLO != "U")
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input: bool = True):
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def qr(a, mode: str = "reduced"):
    """QR factorization; mode 'reduced', 'complete', or 'r' (R only)."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"jnp.linalg.qr: unsupported mode {mode!r}; use 'reduced', "
                         f"'complete' or 'r'{user_line()}")
    (a,) = _inexact("qr", a)
    _check_matrix("qr", a)
    q, r = pl.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """Singular value decomposition ``a = U diag(S) Vh`` (``hermitian`` is accepted, unused)."""
    (a,) = _inexact("svd", a)
    _check_matrix("svd", a)
    if not compute_uv:
        return pl.svd(a, full_matrices=full_matrices, compute_uv=False)
    s, u, vt = pl.svd(a, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vt)


def svdvals(x):
    return svd(x, compute_uv=False)

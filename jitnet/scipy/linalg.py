"""``jitnet.scipy.linalg``: ``jax.scipy.linalg``'s functions on top of ``jnp.linalg`` and
``lax.linalg``.

SciPy's conventions where they differ from NumPy's: ``cholesky`` returns the *upper* factor
by default, ``lu`` returns ``(p, l, u)`` with ``a = p @ l @ u``, ``eigh`` returns
``(w, v)``, ``qr`` defaults to ``mode="full"``. The ``overwrite_*`` and ``check_finite``
arguments are accepted and ignored, as in JAX. Integer inputs become floats.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..core.source_info import user_line
from ..core import dtypes
from ..numpy.util import check_arraylike

__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh", "expm", "inv",
           "lu", "lu_factor", "lu_solve", "qr", "solve", "solve_triangular", "svd"]


def _float(name, *args):
    """One inexact dtype for all arguments (integers become floats), shapes untouched."""
    check_arraylike(f"jax.scipy.linalg.{name}", *args)
    args = [jnp.asarray(a) for a in args]
    dtype = dtypes.to_inexact_dtype(jnp.result_type(*args))
    return [a.astype(dtype) for a in args]


def _check_square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"jax.scipy.linalg.{name}: a must be a square matrix or a batch of "
                         f"them, shape (..., n, n); got {a.shape}{user_line()}")


def _as_matrix_rhs(name, a, b):
    """``b`` as (..., n, k) for a of shape (..., n, n), and whether it was a vector (n,)."""
    n = a.shape[-1]
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(f"jax.scipy.linalg.{name}: b must have shape ({n},) or (..., {n}, k) "
                         f"for a of shape {a.shape}, got {b.shape}{user_line()}")
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    return a, b, vector


# -- Cholesky -------------------------------------------------------------------------------

def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of a symmetric positive-definite matrix: upper ``U`` with
    ``a = U^T U`` by default, lower ``L`` with ``a = L L^T`` if ``lower``."""
    (a,) = _float("cholesky", a)
    _check_square("cholesky", a)
    return jnp.linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for ``cho_solve``. Unlike SciPy, the unused triangle of ``c`` is zero."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` given ``cho_factor(a)``."""
    c, lower = c_and_lower
    c, b = _float("cho_solve", c, b)
    _check_square("cho_solve", c)
    c, b2, vector = _as_matrix_rhs("cho_solve", c, b)
    # a = L L^T: solve L y = b, then L^T x = y (with U = L^T when the upper factor is given)
    y = lax.linalg.triangular_solve(c, b2, left_side=True, lower=lower, transpose_a=not lower)
    x = lax.linalg.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower)
    return x[..., 0] if vector else x


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    """Solve ``op(a) x = b`` for triangular ``a``; ``trans`` is 0/'N', 1/'T' or 2/'C'."""
    if trans not in (0, 1, 2, "N", "T", "C"):
        raise ValueError(f"jax.scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' "
                         f"or 'C', got {trans!r}{user_line()}")
    a, b = _float("solve_triangular", a, b)
    _check_square("solve_triangular", a)
    a, b2, vector = _as_matrix_rhs("solve_triangular", a, b)
    x = lax.linalg.triangular_solve(a, b2, left_side=True, lower=lower,
                                    transpose_a=trans in (1, 2, "T", "C"),
                                    unit_diagonal=unit_diagonal)
    return x[..., 0] if vector else x


# -- LU -------------------------------------------------------------------------------------

def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)``: L (unit diagonal, below) and U packed in ``lu``; row ``i`` was swapped
    with row ``piv[i]`` (0-based) at step ``i``."""
    (a,) = _float("lu_factor", a)
    if a.ndim < 2:
        raise ValueError(f"jax.scipy.linalg.lu_factor: a must have shape (..., m, n), got "
                         f"{a.shape}{user_line()}")
    lu_, piv, _ = lax.linalg.lu(a)
    return lu_, piv


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` (``trans=0``) or ``a^T x = b`` (1, 2) given ``lu_factor(a)``."""
    lu_, piv = lu_and_piv
    lu_, b = _float("lu_solve", lu_, b)
    _check_square("lu_solve", lu_)
    if trans not in (0, 1, 2):
        raise ValueError(f"jax.scipy.linalg.lu_solve: trans must be 0, 1 or 2, got {trans!r}"
                         f"{user_line()}")
    n = lu_.shape[-1]
    perm = lax.linalg.lu_pivots_to_permutation(piv, n)
    lu_, b2, vector = _as_matrix_rhs("lu_solve", lu_, b)
    perm = jnp.broadcast_to(perm, lu_.shape[:-2] + (n,))
    if trans == 0:  # P a = L U  =>  x = U^-1 L^-1 (P b)
        x = jnp.take_along_axis(b2, perm[..., None], axis=-2)
        x = lax.linalg.triangular_solve(lu_, x, left_side=True, lower=True, unit_diagonal=True)
        x = lax.linalg.triangular_solve(lu_, x, left_side=True, lower=False)
    else:  # a^T = U^T L^T P  =>  x = P^T L^-T U^-T b
        x = lax.linalg.triangular_solve(lu_, b2, left_side=True, lower=False, transpose_a=True)
        x = lax.linalg.triangular_solve(lu_, x, left_side=True, lower=True, transpose_a=True,
                                        unit_diagonal=True)
        inverse = jnp.argsort(perm, axis=-1).astype(np.int32)
        x = jnp.take_along_axis(x, inverse[..., None], axis=-2)
    return x[..., 0] if vector else x


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """``(p, l, u)`` with ``a = p @ l @ u``, or ``(p @ l, u)`` if ``permute_l``."""
    (a,) = _float("lu", a)
    if a.ndim < 2:
        raise ValueError(f"jax.scipy.linalg.lu: a must have shape (..., m, n), got {a.shape}"
                         f"{user_line()}")
    lu_, _, perm = lax.linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    l_ = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=a.dtype)
    u = jnp.triu(lu_[..., :k, :])
    # a[perm] = l u, so a = p l u with p[perm[i], i] = 1
    p = (perm[..., :, None] == jnp.arange(m, dtype=np.int32)).astype(a.dtype)
    p = jnp.swapaxes(p, -1, -2)
    if permute_l:
        return jnp.matmul(p, l_), u
    return p, l_, u


# -- thin re-exports with SciPy's conventions -------------------------------------------------

def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False,
          check_finite=True, assume_a="gen"):
    """Solve ``a x = b``. ``assume_a='pos'`` uses Cholesky, ``'sym'``/``'her'``/``'gen'`` LU."""
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise ValueError(f"jax.scipy.linalg.solve: assume_a must be 'gen', 'sym', 'her' or "
                         f"'pos', got {assume_a!r}{user_line()}")
    a, b = _float("solve", a, b)
    _check_square("solve", a)
    if assume_a == "pos":
        return cho_solve(cho_factor(a, lower=True), b)
    return jnp.linalg.solve(a, b)


def inv(a, overwrite_a=False, check_finite=True):
    (a,) = _float("inv", a)
    return jnp.linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    (a,) = _float("det", a)
    return jnp.linalg.det(a)


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         turbo=True, eigvals=None, type=1, check_finite=True):
    """``(w, v)`` (ascending eigenvalues, eigenvectors as columns), or ``w`` if
    ``eigvals_only``. The generalized problem (``b``) is not supported (as JAX)."""
    if b is not None:
        raise NotImplementedError("jax.scipy.linalg.eigh: only the standard eigenvalue problem "
                                  f"(b=None) is supported{user_line()}")
    if eigvals is not None:
        raise NotImplementedError(f"jax.scipy.linalg.eigh: eigvals is not supported"
                                  f"{user_line()}")
    (a,) = _float("eigh", a)
    w, v = jnp.linalg.eigh(a, UPLO="L" if lower else "U")
    return w if eigvals_only else (w, v)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """``(q, r)`` for ``mode`` 'full' or 'economic', ``(r,)`` for 'r'; no pivoting (as JAX)."""
    if pivoting:
        raise NotImplementedError(f"jax.scipy.linalg.qr: pivoting is not supported"
                                  f"{user_line()}")
    if mode not in ("full", "economic", "r"):
        raise ValueError(f"jax.scipy.linalg.qr: mode must be 'full', 'economic' or 'r', got "
                         f"{mode!r}{user_line()}")
    (a,) = _float("qr", a)
    if mode == "r":
        return (jnp.linalg.qr(a, mode="complete")[1],)
    q, r = jnp.linalg.qr(a, mode="complete" if mode == "full" else "reduced")
    return q, r


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """``(u, s, vh)`` with ``a = u @ diag(s) @ vh``, or ``s`` if not ``compute_uv``."""
    (a,) = _float("svd", a)
    out = jnp.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return out if not compute_uv else tuple(out)


def block_diag(*arrs):
    """The block-diagonal matrix with the given blocks (0-d and 1-d ones count as rows)."""
    if not arrs:
        return jnp.zeros((1, 0))
    arrs = [jnp.atleast_2d(a) for a in arrs]
    for a in arrs:
        if a.ndim != 2:
            raise ValueError(f"jax.scipy.linalg.block_diag: blocks must have at most 2 "
                             f"dimensions, got shape {a.shape}{user_line()}")
    dtype = jnp.result_type(*arrs)
    ncols = sum(a.shape[1] for a in arrs)
    rows, start = [], 0
    for a in arrs:
        r, c = a.shape
        rows.append(jnp.pad(a.astype(dtype), ((0, 0), (start, ncols - start - c))))
        start += c
    return jnp.concatenate(rows, axis=0)


# -- matrix exponential ----------------------------------------------------------------------

# Pade(13) coefficients and the 1-norm bound up to which it is accurate to double precision
# (Higham 2005, "The scaling and squaring method for the matrix exponential revisited").
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def expm(A, *, upper_triangular=False, max_squarings=16):
    """Matrix exponential by scaling and squaring with a Pade(13) approximant.

    ``A`` is divided by ``2^s`` (``s`` from its 1-norm, at most ``max_squarings``); the
    approximant is then squared ``s`` times. The squarings are a fixed loop of
    ``max_squarings`` steps that keep the matrix once ``s`` is reached, so the function
    traces once and differentiates in both modes. Matrices whose norm needs more squarings
    than allowed give nan (as JAX).
    """
    (A,) = _float("expm", A)
    _check_square("expm", A)
    n = A.shape[-1]
    norm1 = jnp.max(jnp.sum(jnp.abs(A), axis=-2), axis=-1)
    s = jnp.maximum(0, jnp.ceil(jnp.log2(norm1 / _THETA13)))
    s = lax.stop_gradient(jnp.where(jnp.isfinite(s), s, jnp.zeros_like(s)))
    A = A / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = jnp.broadcast_to(jnp.eye(n, dtype=A.dtype), A.shape)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    u = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2)
             + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    v = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = jnp.linalg.solve(v - u, v + u)
    for i in range(max_squarings):
        R = jnp.where((i < s)[..., None, None], R @ R, R)
    return jnp.where((s > max_squarings)[..., None, None], jnp.full_like(R, jnp.nan), R)

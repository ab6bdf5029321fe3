"""``jitnet.lax.linalg``: the linear-algebra primitives with ``jax.lax.linalg``'s signatures."""
from __future__ import annotations

import numpy as np

from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims import linalg as pl
from ..prims.util import const, get_aval


def cholesky(x, *, symmetrize_input: bool = True):
    """Lower Cholesky factor; with ``symmetrize_input`` it factors (x + x^T) / 2."""
    if symmetrize_input:
        x = ew.mul(ew.add(x, pl.swap(x)), const(x, 0.5))
    return pl.cholesky(x)


def lu(x):
    """(lu, pivots, permutation): partial-pivoting LU with ``x[permutation] = L @ U``."""
    return pl.lu(x)


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False):
    """Solve ``op(a) x = b`` (left_side) or ``x op(a) = b`` for triangular ``a``."""
    if conjugate_a and get_aval(a).dtype.kind == "c":
        raise NotImplementedError(f"triangular_solve: complex matrices are not supported"
                                  f"{user_line()}")
    return pl.triangular_solve(a, b, left_side, lower, transpose_a, unit_diagonal)


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True):
    """(eigenvectors v, ascending eigenvalues w) of symmetric ``x``."""
    if symmetrize_input:
        x = ew.mul(ew.add(x, pl.swap(x)), const(x, 0.5))
    return pl.eigh(x, lower)


def qr(x, *, full_matrices: bool = True):
    return pl.qr(x, full_matrices)


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True):
    """``s`` or ``(u, s, vt)``, in ``jax.lax.linalg.svd``'s order."""
    if not compute_uv:
        return pl.svd(x, full_matrices, False)
    s, u, vt = pl.svd(x, full_matrices, True)
    return u, s, vt


def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The permutation that applying the row swaps ``i <-> pivots[..., i]`` in order makes.

    One gather and two selects per pivot, unrolled: meant for the small matrices that are
    factored here, and it works on traced pivots.
    """
    from .. import numpy as jnp
    pivots = jnp.asarray(pivots)
    if pivots.dtype.kind not in "iu":
        raise TypeError(f"lu_pivots_to_permutation: pivots must be integers, got "
                        f"{pivots.dtype}{user_line()}")
    k = pivots.shape[-1] if pivots.ndim else 0
    if pivots.ndim == 0 or k > permutation_size:
        raise ValueError(f"lu_pivots_to_permutation: pivots must have shape (..., k) with "
                         f"k <= permutation_size={permutation_size}, got {pivots.shape}"
                         f"{user_line()}")
    perm = jnp.broadcast_to(jnp.arange(permutation_size, dtype=np.int32),
                            pivots.shape[:-1] + (permutation_size,))
    pivots = pivots.astype(np.int32)
    positions = jnp.arange(permutation_size, dtype=np.int32)
    for i in range(k):
        j = pivots[..., i:i + 1]
        at_i = perm[..., i:i + 1]
        at_j = jnp.take_along_axis(perm, j, axis=-1)
        perm = jnp.where(positions == i, at_j, jnp.where(positions == j, at_i, perm))
    return perm

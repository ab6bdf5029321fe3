"""``jitnet.lax.linalg``: the linear-algebra primitives with ``jax.lax.linalg``'s signatures."""
from __future__ import annotations

import numpy as np

from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims import linalg as pl
from ..prims import shape as sh
from ..prims.reduce import reduce_sum
from ..prims.util import const, full_of, get_aval
from .values import as_array


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

    One masked row sum and two selects per pivot, unrolled: meant for the small matrices that are
    factored here, and it works on traced pivots.
    """
    pivots = as_array(pivots)
    shape, dt = tuple(get_aval(pivots).shape), get_aval(pivots).dtype
    if dt.kind not in "iu":
        raise TypeError(f"lu_pivots_to_permutation: pivots must be integers, got "
                        f"{dt}{user_line()}")
    k = shape[-1] if shape else 0
    if not shape or k > permutation_size:
        raise ValueError(f"lu_pivots_to_permutation: pivots must have shape (..., k) with "
                         f"k <= permutation_size={permutation_size}, got {shape}"
                         f"{user_line()}")
    last = len(shape) - 1
    out_shape = shape[:-1] + (permutation_size,)
    rows = tuple(range(last))

    def spread(column):   # (...,) -> (..., permutation_size)
        return sh.broadcast_in_dim(column, out_shape, rows)

    def entry(x, i):      # x[..., i], spread along the last axis
        return spread(sh.squeeze(sh.slice_in_dim(x, i, i + 1, 1, last), (last,)))

    positions = sh.broadcasted_iota(np.int32, out_shape, last)
    pivots = ew.convert_element_type(pivots, np.int32)
    perm = positions
    for i in range(k):
        j, at_i = entry(pivots, i), entry(perm, i)
        at_j = spread(reduce_sum(ew.select(ew.eq(positions, j), perm,  # perm[..., j]
                                           full_of(get_aval(perm), 0)), (last,)))
        perm = ew.select(ew.eq(positions, np.asarray(i, np.int32)), at_j,
                         ew.select(ew.eq(positions, j), at_i, perm))
    return perm

"""Linear-algebra primitives: cholesky, lu, triangular_solve, eigh, qr, svd.

Every primitive works on the trailing two dimensions and treats leading ones as
batch dimensions natively (the NumPy impls loop over them), so the vmap rules
only move the mapped dimension to the front. Factorizations of matrices they
cannot factor (cholesky of a non-positive-definite matrix) return NaNs instead
of raising, as XLA does, so eager and compiled code agree.

Only real floating-point dtypes are accepted for now (complex needs a
conjugation primitive that jitnet does not have yet).
"""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive
from ..trace.tracer import bind
from . import elementwise as ew
from . import shape as sh
from .dot import dot_general
from .util import (batch_size, bdim_to_front, broadcast_batch, const, dtype_error, get_aval,
                   shape_error, shape_str, tangent_aval)

# -- helpers written with jitnet operations (they run under tracing) --------------


def swap(x):
    """Transpose of the trailing two dimensions."""
    nd = len(get_aval(x).shape)
    return sh.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def matmul(a, b):
    """Batched ``a @ b`` for operands with identical leading batch dimensions."""
    nd = len(get_aval(a).shape)
    batch = tuple(range(nd - 2))
    return dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def tri_mask(shape, k: int = 0, lower: bool = True):
    """Boolean mask of ``shape`` (..., m, n) selecting ``tril(., k)`` or ``triu(., k)``."""
    m, n = shape[-2], shape[-1]
    rows = sh.broadcasted_iota(np.int32, (m, n), 0)
    cols = sh.broadcasted_iota(np.int32, (m, n), 1)
    shifted = ew.add(rows, const(rows, k))
    mask = ew.ge(shifted, cols) if lower else ew.le(shifted, cols)
    nd = len(shape)
    return sh.broadcast_in_dim(mask, tuple(shape), (nd - 2, nd - 1))


def tril(x, k: int = 0):
    return ew.select(tri_mask(get_aval(x).shape, k, True), x, const(x, 0))


def triu(x, k: int = 0):
    return ew.select(tri_mask(get_aval(x).shape, k, False), x, const(x, 0))


def sym_from_triangle(x, lower: bool):
    """The symmetric matrix whose ``lower`` (or upper) triangle is that of ``x``."""
    t = tril(x) if lower else triu(x)
    strict = tril(x, -1) if lower else triu(x, 1)
    return ew.add(t, swap(strict))


def diag_mask(shape):
    m, n = shape[-2], shape[-1]
    eye = ew.eq(sh.broadcasted_iota(np.int32, (m, n), 0), sh.broadcasted_iota(np.int32, (m, n), 1))
    nd = len(shape)
    return sh.broadcast_in_dim(eye, tuple(shape), (nd - 2, nd - 1))


def eye_like(x):
    """Identity matrices (ones on the diagonal) with ``x``'s shape and dtype."""
    return ew.convert_element_type(diag_mask(get_aval(x).shape), get_aval(x).dtype,
                                   get_aval(x).weak_type)


def diagonal(x):
    """The main diagonal of the trailing two dims of a square batch, shape (..., n)."""
    from .reduce import reduce_sum
    nd = len(get_aval(x).shape)
    return reduce_sum(ew.select(diag_mask(get_aval(x).shape), x, const(x, 0)), (nd - 1,))


# -- shared rule pieces -------------------------------------------------------------

def _check_float(name, *avals):
    for a in avals:
        if kind_of(a.dtype) != "f":
            raise dtype_error(f"{name} requires floating-point operands, got {a.dtype.name}"
                              f" (jnp.linalg converts integer inputs to float first)")
    if len({a.dtype for a in avals}) > 1:
        raise dtype_error(f"{name} requires operands of one dtype, got "
                          + " and ".join(a.dtype.name for a in avals))


def _check_matrix(name, x, square: bool):
    if len(x.shape) < 2 or (square and x.shape[-1] != x.shape[-2]):
        what = "square matrices" if square else "matrices"
        raise shape_error(f"{name}: operand must be a batch of {what} (..., m, "
                          f"{'m' if square else 'n'}), got shape {shape_str(x.shape)}")


def _lapack_dtype(x):
    """float16 has no LAPACK routines: compute in float32 (the result is cast back)."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _batched(fn, xs, out_shapes):
    """Apply ``fn(*matrices) -> tuple of arrays`` across the leading batch dims of ``xs``."""
    batch = xs[0].shape[:-2]
    outs = [np.empty(batch + s, d) for s, d in out_shapes]
    for idx in np.ndindex(*batch):
        for o, r in zip(outs, fn(*[x[idx] for x in xs])):
            o[idx] = r
    return outs


def _batch_unary(prim):
    """vmap rule for a one-operand primitive with native leading batch dims."""
    def batch(args, dims, **params):
        out = bind(prim, bdim_to_front(args[0], dims[0]), **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    return batch


def _zero_like(x):
    return Zero(tangent_aval(get_aval(x)))


# -- cholesky -----------------------------------------------------------------------

def _cholesky_shape(x):
    _check_matrix("cholesky", x, square=True)
    _check_float("cholesky", x)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _cholesky_impl(x):
    """Lower factors read from the lower triangles; NaNs where a factor does not exist."""
    y = _lapack_dtype(x)
    if y.size == 0:
        return y.astype(x.dtype)
    import scipy.linalg as sla  # imported on first use: ~50 ms of `import jitnet`
    potrf = sla.get_lapack_funcs("potrf", (y,))
    failed = np.where(np.tri(y.shape[-1], dtype=bool), np.nan, 0).astype(y.dtype)

    def one(a):
        c, info = potrf(a, lower=True, clean=True)
        return (failed if info != 0 else c,)
    (out,) = _batched(one, [y], [(y.shape[-2:], y.dtype)])
    return out.astype(x.dtype, copy=False)


def _cholesky_jvp(primals, tangents):
    """dL = L Phi(L^-1 S L^-T), Phi: lower triangle with the diagonal halved.

    S is the symmetric matrix built from dA's lower triangle, the part the
    primitive reads (equal to dA when dA is symmetric, as jnp.linalg makes it).
    """
    (a,), (da,) = primals, tangents
    chol = cholesky(a)
    if type(da) is Zero:
        return chol, _zero_like(chol)
    sym = sym_from_triangle(da, lower=True)
    tmp = triangular_solve(chol, sym, left_side=False, lower=True, transpose_a=True)
    x = triangular_solve(chol, tmp, left_side=True, lower=True)
    phi = tril(ew.select(diag_mask(get_aval(x).shape), ew.mul(x, const(x, 0.5)), x))
    return chol, matmul(chol, phi)


cholesky_p = Primitive("cholesky", kind=OP)
cholesky_p.impl = _cholesky_impl
cholesky_p.shape_rule = _cholesky_shape
cholesky_p.jvp = _cholesky_jvp
cholesky_p.batch = _batch_unary(cholesky_p)


def cholesky(x):
    """Lower Cholesky factor of the lower triangle of ``x`` (the upper one is not read)."""
    return bind(cholesky_p, x)


# -- triangular_solve -------------------------------------------------------------------

def _ts_shape(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    _check_matrix("triangular_solve", a, square=True)
    bad = (len(b.shape) != len(a.shape) or b.shape[:-2] != a.shape[:-2]
           or (b.shape[-2] if left_side else b.shape[-1]) != a.shape[-1])
    if bad:
        side = "(..., m, n)" if left_side else "(..., n, m)"
        raise shape_error(f"triangular_solve: with left_side={left_side}, b must have shape "
                          f"{side} with a's batch dims, for a of shape (..., m, m); got a "
                          f"{shape_str(a.shape)} and b {shape_str(b.shape)}")
    _check_float("triangular_solve", a, b)
    return ShapedArray(b.shape, b.dtype, a.weak_type and b.weak_type)


def _ts_impl(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    """BLAS trsm per matrix: a singular triangle gives infs/NaNs, never an error."""
    a2, b2 = _lapack_dtype(a), _lapack_dtype(b)
    if b2.size == 0:
        return b.copy()
    import scipy.linalg as sla
    trsm = sla.get_blas_funcs("trsm", (a2, b2))

    def one(a_, b_):
        return (trsm(1.0, a_, b_, side=0 if left_side else 1, lower=lower,
                     trans_a=int(transpose_a), diag=int(unit_diagonal)),)
    (out,) = _batched(one, [a2, b2], [(b.shape[-2:], b2.dtype)])
    return out.astype(b.dtype, copy=False)


def _referenced(da, lower, unit_diagonal):
    """The part of ``a`` that triangular_solve reads: its triangle, less a unit diagonal."""
    k = -1 if lower else 1
    return (tril if lower else triu)(da, k if unit_diagonal else 0)


def _ts_jvp(primals, tangents, *, left_side, lower, transpose_a, unit_diagonal):
    """d x = op(A)^-1 (db - op(dA) x) on the left; (db - x op(dA)) op(A)^-1 on the right."""
    (a, b), (da, db) = primals, tangents
    p = dict(left_side=left_side, lower=lower, transpose_a=transpose_a,
             unit_diagonal=unit_diagonal)
    x = bind(triangular_solve_p, a, b, **p)
    if type(da) is Zero and type(db) is Zero:
        return x, _zero_like(x)
    rhs = db
    if type(da) is not Zero:
        op_da = _referenced(da, lower, unit_diagonal)
        op_da = swap(op_da) if transpose_a else op_da
        prod = matmul(op_da, x) if left_side else matmul(x, op_da)
        rhs = ew.neg(prod) if type(db) is Zero else ew.sub(db, prod)
    return x, bind(triangular_solve_p, a, rhs, **p)


def _ts_transpose(ct, a, b, *, left_side, lower, transpose_a, unit_diagonal):
    """Linear in b: the adjoint of op(A)^-1 is a solve with op(A)^T."""
    if is_undefined(a):
        raise NotImplementedError("triangular_solve: transpose with respect to the matrix a "
                                  "(the solve is linear in b only)")
    if type(ct) is Zero:
        return None, Zero(b.aval)
    return None, bind(triangular_solve_p, a, ct, left_side=left_side, lower=lower,
                      transpose_a=not transpose_a, unit_diagonal=unit_diagonal)


def _ts_batch(args, dims, **params):
    size = batch_size(args, dims)
    a, b = (broadcast_batch(x, d, size) for x, d in zip(args, dims))
    return bind(triangular_solve_p, a, b, **params), 0


triangular_solve_p = Primitive("triangular_solve", kind=OP)
triangular_solve_p.impl = _ts_impl
triangular_solve_p.shape_rule = _ts_shape
triangular_solve_p.jvp = _ts_jvp
triangular_solve_p.transpose = _ts_transpose
triangular_solve_p.batch = _ts_batch


def triangular_solve(a, b, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, unit_diagonal: bool = False):
    """Solve ``op(a) x = b`` (left_side) or ``x op(a) = b``; op transposes if transpose_a.

    Only the ``lower`` (or upper) triangle of ``a`` is read, without its diagonal
    when ``unit_diagonal``.
    """
    return bind(triangular_solve_p, a, b, left_side=bool(left_side), lower=bool(lower),
                transpose_a=bool(transpose_a), unit_diagonal=bool(unit_diagonal))


# -- lu -----------------------------------------------------------------------------------

def _lu_shape(x):
    _check_matrix("lu", x, square=False)
    _check_float("lu", x)
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    return [ShapedArray(x.shape, x.dtype, x.weak_type),
            ShapedArray(batch + (min(m, n),), np.int32),
            ShapedArray(batch + (m,), np.int32)]


def pivots_to_permutation(piv, m: int):
    """Row swaps (row i <-> row piv[i], in order) as a permutation: ``a[perm] = l @ u``."""
    perm = np.arange(m, dtype=np.int32)
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_impl(x):
    y = _lapack_dtype(x)
    m, n = x.shape[-2:]
    import scipy.linalg as sla
    getrf = sla.get_lapack_funcs("getrf", (y,))

    def one(a):
        if a.size == 0:
            return a, np.zeros(min(m, n), np.int32), np.arange(m, dtype=np.int32)
        lu, piv, _ = getrf(a)  # info > 0 (singular) is fine: U has a zero on its diagonal
        return lu, piv, pivots_to_permutation(piv, m)
    lu, piv, perm = _batched(one, [y], [((m, n), y.dtype), ((min(m, n),), np.int32),
                                          ((m,), np.int32)])
    return [lu.astype(x.dtype, copy=False), piv, perm]


def permute_rows(x, perm):
    """``x[..., perm, :]`` for a batch of permutations ``perm`` (..., m)."""
    from .indexing import take_along_axis
    shape = tuple(get_aval(x).shape)
    nd = len(shape)
    idx = sh.broadcast_in_dim(perm, shape, tuple(range(nd - 1)))
    return take_along_axis(x, idx, nd - 2)


def _pad_to(x, rows: int, cols: int):
    """Zero-pad the trailing two dims of ``x`` up to (rows, cols)."""
    shape = get_aval(x).shape
    cfg = [(0, 0, 0)] * (len(shape) - 2) + [(0, rows - shape[-2], 0), (0, cols - shape[-1], 0)]
    return sh.pad(x, const(x, 0), cfg)


def _unit_tail(x, start: int):
    """Matrices like ``x`` with ones on the diagonal from row ``start`` on, zeros elsewhere."""
    shape = get_aval(x).shape
    n = shape[-1]
    rows = sh.broadcasted_iota(np.int32, (n, n), 0)
    tail = ew.bitwise_and(diag_mask((n, n)), ew.ge(rows, const(rows, start)))
    nd = len(shape)
    mask = sh.broadcast_in_dim(tail, tuple(shape), (nd - 2, nd - 1))
    return ew.convert_element_type(mask, get_aval(x).dtype, get_aval(x).weak_type)


def _lu_jvp(primals, tangents):
    """With P A = L U and L~, U~ the unit-padded square factors, X = L~^-1 P dA U~^-1 gives
    dL = L~ stril(X) and dU = triu(X) U~; the packed tangent is dL + dU (any m, n)."""
    (a,), (da,) = primals, tangents
    lu_, piv, perm = bind(lu_p, a)
    zeros_int = [_zero_like(piv), _zero_like(perm)]
    if type(da) is Zero:
        return [lu_, piv, perm], [_zero_like(lu_)] + zeros_int
    m, n = get_aval(a).shape[-2:]
    l_sq = _pad_to(lu_, m, m)
    l_full = ew.add(tril(l_sq, -1), eye_like(l_sq))
    u_sq = _pad_to(lu_, n, n)
    u_full = ew.add(triu(u_sq), _unit_tail(u_sq, m))  # rows past m of U~ are identity rows
    pda = permute_rows(da, perm)
    la = triangular_solve(l_full, pda, left_side=True, lower=True, unit_diagonal=True)
    x = triangular_solve(u_full, la, left_side=False, lower=False)
    dlu = ew.add(matmul(l_full, tril(x, -1)), matmul(triu(x), u_full))
    return [lu_, piv, perm], [dlu] + zeros_int


lu_p = Primitive("lu", multiple_results=True, kind=OP)
lu_p.impl = _lu_impl
lu_p.shape_rule = _lu_shape
lu_p.jvp = _lu_jvp
lu_p.batch = _batch_unary(lu_p)


def lu(x):
    """LU with partial pivoting: (lu, pivots, permutation) with ``x[perm] = L @ U``.

    ``lu`` packs unit-lower L (below the diagonal) and U; ``pivots[i]`` is the row
    swapped with row i at step i (int32, 0-based).
    """
    return tuple(bind(lu_p, x))


# -- eigh -----------------------------------------------------------------------------------

def _eigh_shape(x, *, lower):
    _check_matrix("eigh", x, square=True)
    _check_float("eigh", x)
    return [ShapedArray(x.shape, x.dtype, x.weak_type),
            ShapedArray(x.shape[:-1], x.dtype, x.weak_type)]


def _nan_on_failure(fn, y):
    """``fn`` over a batch of matrices; a matrix LAPACK cannot handle (no convergence, NaN
    input) gives NaN outputs instead of an exception, as in the compiled code."""
    try:
        return fn(y)
    except np.linalg.LinAlgError:
        pass
    flat = y.reshape((-1,) + y.shape[-2:])
    template = fn(np.zeros_like(flat[0]))
    template = template if isinstance(template, tuple) else (template,)
    outs = []
    for m in flat:
        try:
            r = fn(m)
            outs.append(r if isinstance(r, tuple) else (r,))
        except np.linalg.LinAlgError:
            outs.append(tuple(np.full(t.shape, np.nan, t.dtype) for t in template))
    res = tuple(np.stack([o[i] for o in outs]).reshape(y.shape[:-2] + template[i].shape)
                for i in range(len(template)))
    return res if len(res) > 1 else res[0]


def _eigh_impl(x, *, lower):
    y = _lapack_dtype(x)
    if y.size == 0:
        return [np.zeros(x.shape, x.dtype), np.zeros(x.shape[:-1], x.dtype)]
    w, v = _nan_on_failure(lambda m: tuple(np.linalg.eigh(m, UPLO="L" if lower else "U")), y)
    return [v.astype(x.dtype, copy=False), w.astype(x.dtype, copy=False)]


def _eigh_jvp(primals, tangents, *, lower):
    """dw = diag(V^T dA V); dV = V (F o V^T dA V), F_ij = 1/(w_j - w_i) off the diagonal."""
    (a,), (da,) = primals, tangents
    v, w = bind(eigh_p, a, lower=lower)
    if type(da) is Zero:
        return [v, w], [_zero_like(v), _zero_like(w)]
    vt_da_v = matmul(swap(v), matmul(sym_from_triangle(da, lower), v))
    shape = get_aval(v).shape
    nd = len(shape)
    w_j = sh.broadcast_in_dim(w, shape, tuple(range(nd - 2)) + (nd - 1,))
    w_i = sh.broadcast_in_dim(w, shape, tuple(range(nd - 1)))
    on_diag = diag_mask(shape)
    gap = ew.select(on_diag, const(w, 1), ew.sub(w_j, w_i))
    f = ew.select(on_diag, const(w, 0), ew.div(const(w, 1), gap))
    dv = matmul(v, ew.mul(f, vt_da_v))
    return [v, w], [dv, diagonal(vt_da_v)]


eigh_p = Primitive("eigh", multiple_results=True, kind=OP)
eigh_p.impl = _eigh_impl
eigh_p.shape_rule = _eigh_shape
eigh_p.jvp = _eigh_jvp
eigh_p.batch = _batch_unary(eigh_p)


def eigh(x, lower: bool = True):
    """(eigenvectors v, ascending eigenvalues w) of the symmetric matrix in one triangle."""
    return tuple(bind(eigh_p, x, lower=bool(lower)))


# -- qr -------------------------------------------------------------------------------------

def _qr_dims(shape, full_matrices):
    m, n = shape[-2:]
    k = m if full_matrices else min(m, n)
    return (m, k), (k, n)


def _qr_shape(x, *, full_matrices):
    _check_matrix("qr", x, square=False)
    _check_float("qr", x)
    qs, rs = _qr_dims(x.shape, full_matrices)
    return [ShapedArray(x.shape[:-2] + qs, x.dtype, x.weak_type),
            ShapedArray(x.shape[:-2] + rs, x.dtype, x.weak_type)]


def _qr_impl(x, *, full_matrices):
    y = _lapack_dtype(x)
    qs, rs = _qr_dims(x.shape, full_matrices)
    if y.size == 0:
        q = np.broadcast_to(np.eye(*qs, dtype=x.dtype), x.shape[:-2] + qs).copy()
        return [q, np.zeros(x.shape[:-2] + rs, x.dtype)]
    q, r = np.linalg.qr(y, mode="complete" if full_matrices else "reduced")
    return [q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)]


def _qr_jvp(primals, tangents, *, full_matrices):
    """For m >= n (reduced): C = Q^T dA R^-1, Om = stril(C) - stril(C)^T,
    dQ = Q (Om - C) + dA R^-1, dR = (C - Om) R."""
    (a,), (da,) = primals, tangents
    q, r = bind(qr_p, a, full_matrices=full_matrices)
    if type(da) is Zero:
        return [q, r], [_zero_like(q), _zero_like(r)]
    m, n = get_aval(a).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError("qr: derivatives are implemented only for m >= n with "
                                  "reduced factors (full_matrices=False or square input)")
    da_rinv = triangular_solve(r, da, left_side=False, lower=False)
    c = matmul(swap(q), da_rinv)
    low = tril(c, -1)
    omega = ew.sub(low, swap(low))
    dq = ew.add(matmul(q, ew.sub(omega, c)), da_rinv)
    dr = matmul(ew.sub(c, omega), r)
    return [q, r], [dq, dr]


qr_p = Primitive("qr", multiple_results=True, kind=OP)
qr_p.impl = _qr_impl
qr_p.shape_rule = _qr_shape
qr_p.jvp = _qr_jvp
qr_p.batch = _batch_unary(qr_p)


def qr(x, full_matrices: bool = False):
    """(q, r) with orthonormal columns q and upper-triangular r; ``x = q @ r``."""
    return tuple(bind(qr_p, x, full_matrices=bool(full_matrices)))


# -- svd -------------------------------------------------------------------------------------

def _svd_shape(x, *, full_matrices, compute_uv):
    _check_matrix("svd", x, square=False)
    _check_float("svd", x)
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k = min(m, n)
    s = ShapedArray(batch + (k,), x.dtype, x.weak_type)
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray(batch + (m, ku), x.dtype, x.weak_type),
            ShapedArray(batch + (kv, n), x.dtype, x.weak_type)]


def _svd_impl(x, *, full_matrices, compute_uv):
    y = _lapack_dtype(x)
    if y.size == 0:
        avals = _svd_shape(ShapedArray(x.shape, x.dtype), full_matrices=full_matrices,
                           compute_uv=compute_uv)
        return [np.zeros(a.shape, x.dtype) if i == 0 else
                np.broadcast_to(np.eye(*a.shape[-2:], dtype=x.dtype), a.shape).copy()
                for i, a in enumerate(avals)]
    if not compute_uv:
        return [_nan_on_failure(lambda m: np.linalg.svd(m, compute_uv=False), y)
                .astype(x.dtype, copy=False)]
    u, s, vt = _nan_on_failure(lambda m: tuple(np.linalg.svd(m, full_matrices=full_matrices)), y)
    return [o.astype(x.dtype, copy=False) for o in (s, u, vt)]


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    """With dP = U^T dA V: ds = diag(dP), dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1,
    dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1, F_ij = 1/(s_j^2 - s_i^2) off the
    diagonal. Needs distinct nonzero singular values; full U or V only for square inputs."""
    (a,), (da,) = primals, tangents
    outs = bind(svd_p, a, full_matrices=full_matrices, compute_uv=compute_uv)
    if type(da) is Zero:
        return outs, [_zero_like(o) for o in outs]
    m, n = get_aval(a).shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError("svd: derivatives of full_matrices=True singular vectors "
                                  "are not unique for non-square inputs; use "
                                  "full_matrices=False")
    s, u, vt = outs if compute_uv else bind(svd_p, a, full_matrices=False, compute_uv=True)
    v = swap(vt)
    dp = matmul(swap(u), matmul(da, v))
    if not compute_uv:
        return outs, [diagonal(dp)]
    shape = get_aval(dp).shape
    nd = len(shape)
    s_j = sh.broadcast_in_dim(s, shape, tuple(range(nd - 2)) + (nd - 1,))  # column scale
    s_i = sh.broadcast_in_dim(s, shape, tuple(range(nd - 1)))               # row scale
    on_diag = diag_mask(shape)
    gap = ew.select(on_diag, const(s, 1), ew.sub(ew.mul(s_j, s_j), ew.mul(s_i, s_i)))
    f = ew.select(on_diag, const(s, 0), ew.div(const(s, 1), gap))
    dp_s, s_dp = ew.mul(dp, s_j), ew.mul(s_i, dp)
    du = matmul(u, ew.mul(f, ew.add(dp_s, swap(dp_s))))
    dv = matmul(v, ew.mul(f, ew.add(s_dp, swap(s_dp))))
    if m > n:
        du = ew.add(du, _scale_columns(ew.sub(matmul(da, v), matmul(u, dp)), s))
    if n > m:
        dv = ew.add(dv, _scale_columns(ew.sub(matmul(swap(da), u), matmul(v, swap(dp))), s))
    return outs, [diagonal(dp), du, swap(dv)]


def _scale_columns(x, s):
    """``x / s`` with ``s`` (..., k) dividing the columns of ``x`` (..., m, k)."""
    shape = get_aval(x).shape
    nd = len(shape)
    return ew.div(x, sh.broadcast_in_dim(s, shape, tuple(range(nd - 2)) + (nd - 1,)))


svd_p = Primitive("svd", multiple_results=True, kind=OP)
svd_p.impl = _svd_impl
svd_p.shape_rule = _svd_shape
svd_p.jvp = _svd_jvp
svd_p.batch = _batch_unary(svd_p)


def svd(x, full_matrices: bool = True, compute_uv: bool = True):
    """Singular values ``s`` (descending), or ``(s, u, vt)`` with ``x = u diag(s) vt``."""
    outs = bind(svd_p, x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return tuple(outs) if compute_uv else outs[0]


__all__ = ["cholesky", "lu", "triangular_solve", "eigh", "qr", "svd", "tril", "triu",
           "matmul", "swap", "diagonal", "permute_rows"]


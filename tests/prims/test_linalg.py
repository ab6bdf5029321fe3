"""Linear-algebra primitives: impls against NumPy/SciPy, shape/dtype errors, jvp rules against
float64 central differences, the triangular_solve transpose (dot-product test), batch rules
against a Python loop."""
import itertools

import numpy as np
import pytest
import scipy.linalg as sla

import jitnet
import jitnet.numpy as jnp
from jitnet.core import dtypes
from jitnet.core.adtypes import UndefinedPrimal, Zero
from jitnet.core.aval import ShapedArray
from jitnet.prims import linalg as pl
from jitnet.trace.tracer import bind

TS_FLAGS = list(itertools.product([True, False], repeat=4))  # left, lower, trans, unit


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def spd(rng, shape):
    a = rng.standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def triangular(rng, shape, lower):
    """A well-conditioned triangle in ``lower`` (or upper) with garbage in the other half."""
    a = rng.standard_normal(shape)
    n = shape[-1]
    a[..., np.arange(n), np.arange(n)] = 2 + np.abs(a[..., np.arange(n), np.arange(n)])
    return a


def ts_params(left, lower, trans, unit):
    return dict(left_side=left, lower=lower, transpose_a=trans, unit_diagonal=unit)


def ts_reference(a, b, left, lower, trans, unit):
    """Solve with the triangle the primitive is documented to read, via a dense solve."""
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t = t - np.diag(np.diag(t)) + np.eye(a.shape[-1])
    op = t.T if trans else t
    return np.linalg.solve(op, b) if left else np.linalg.solve(op.T, b.T).T


def b_shape(a_shape, left, k=2):
    n = a_shape[-1]
    return a_shape[:-2] + ((n, k) if left else (k, n))


# -- impls ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 4, 4), (1, 1), (0, 0),
                                   (2, 0, 3)])
def test_lu_reconstructs_with_scipy_pivots(rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    lu, piv, perm = (np.asarray(o) for o in pl.lu(jnp.asarray(x)))
    m, n = shape[-2:]
    k = min(m, n)
    assert lu.dtype == np.float32 and piv.dtype == perm.dtype == np.int32
    assert piv.shape == shape[:-2] + (k,) and perm.shape == shape[:-2] + (m,)
    l_ = np.tril(lu, -1)[..., :, :k] + np.eye(m, k, dtype=np.float32)
    u_ = np.triu(lu)[..., :k, :]
    np.testing.assert_allclose(np.take_along_axis(x, perm[..., None], -2), l_ @ u_,
                               atol=1e-5)
    for idx in np.ndindex(*shape[:-2]):
        if x[idx].size:
            ref_lu, ref_piv = sla.lu_factor(x[idx].astype(np.float64))
            np.testing.assert_array_equal(piv[idx], ref_piv)
            np.testing.assert_allclose(lu[idx], ref_lu, atol=1e-5)


def test_lu_of_singular_matrix_does_not_raise():
    lu, piv, perm = pl.lu(jnp.zeros((3, 3)))
    np.testing.assert_array_equal(np.asarray(lu), 0)
    np.testing.assert_array_equal(np.asarray(perm), [0, 1, 2])


def test_pivots_to_permutation_matches_row_swaps():
    piv = [2, 2, 3, 3]
    rows = list(range(4))
    for i, p in enumerate(piv):
        rows[i], rows[p] = rows[p], rows[i]
    np.testing.assert_array_equal(pl.pivots_to_permutation(np.array(piv), 4), rows)


def test_cholesky_matches_numpy_and_reads_lower_triangle(rng):
    a = spd(rng, (2, 4, 4)).astype(np.float32)
    garbage = a + np.triu(rng.standard_normal((4, 4)), 1).astype(np.float32)
    out = np.asarray(pl.cholesky(jnp.asarray(garbage)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.linalg.cholesky(a), rtol=1e-5, atol=1e-5)


def test_cholesky_not_positive_definite_gives_nans_for_that_matrix_only(rng):
    a = np.stack([spd(rng, (3, 3)), -np.eye(3)]).astype(np.float32)
    out = np.asarray(pl.cholesky(jnp.asarray(a)))
    np.testing.assert_allclose(out[0], np.linalg.cholesky(a[0]), rtol=1e-5)
    assert np.isnan(out[1][np.tril_indices(3)]).all()
    assert (out[1][np.triu_indices(3, 1)] == 0).all()


@pytest.mark.parametrize("left,lower,trans,unit", TS_FLAGS)
def test_triangular_solve_all_flag_combinations(rng, left, lower, trans, unit):
    a = triangular(rng, (2, 4, 4), lower)
    b = rng.standard_normal(b_shape(a.shape, left, 3))
    out = np.asarray(pl.triangular_solve(jnp.asarray(a.astype(np.float32)),
                                         jnp.asarray(b.astype(np.float32)),
                                         left, lower, trans, unit))
    assert out.dtype == np.float32 and out.shape == b.shape
    for i in range(2):
        ref = ts_reference(a[i], b[i], left, lower, trans, unit)
        np.testing.assert_allclose(out[i], ref, rtol=1e-4, atol=1e-4)


def test_triangular_solve_singular_gives_infs_not_errors():
    out = np.asarray(pl.triangular_solve(jnp.zeros((2, 2)), jnp.ones((2, 1)), True, True))
    assert not np.isfinite(out).any()


def test_float16_is_computed_and_returned_as_float16(rng):
    a = spd(rng, (3, 3)).astype(np.float16)
    out = pl.cholesky(jnp.asarray(a))
    assert out.dtype == np.float16
    np.testing.assert_allclose(np.asarray(out, np.float64),
                               np.linalg.cholesky(a.astype(np.float64)), rtol=2e-2, atol=2e-2)


def test_eigh_matches_numpy(rng):
    a = spd(rng, (2, 4, 4)).astype(np.float32)
    v, w = (np.asarray(o) for o in pl.eigh(jnp.asarray(a)))
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=1e-5)
    np.testing.assert_allclose(v @ (w[..., None] * np.swapaxes(v, -1, -2)), a, rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("shape,full", [((5, 3), False), ((5, 3), True), ((3, 5), False),
                                        ((2, 4, 4), False)])
def test_qr_reconstructs(rng, shape, full):
    x = rng.standard_normal(shape).astype(np.float32)
    q, r = (np.asarray(o) for o in pl.qr(jnp.asarray(x), full))
    m, n = shape[-2:]
    k = m if full else min(m, n)
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    np.testing.assert_allclose(q @ r, x, atol=1e-5)
    eye = np.broadcast_to(np.eye(k), shape[:-2] + (k, k))
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, eye, atol=1e-5)
    np.testing.assert_array_equal(r, np.triu(r))


@pytest.mark.parametrize("shape,full", [((5, 3), False), ((3, 5), True), ((2, 4, 4), False)])
def test_svd_matches_numpy(rng, shape, full):
    x = rng.standard_normal(shape).astype(np.float32)
    s, u, vt = (np.asarray(o) for o in pl.svd(jnp.asarray(x), full, True))
    np.testing.assert_allclose(s, np.linalg.svd(x, compute_uv=False), rtol=1e-5)
    k = min(shape[-2:])
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vt[..., :k, :], x, atol=1e-5)
    assert u.shape[-1] == (shape[-2] if full else k)
    np.testing.assert_allclose(np.asarray(pl.svd(jnp.asarray(x), full, False)), s, rtol=1e-6)


# -- shape and dtype errors -------------------------------------------------------------

@pytest.mark.parametrize("fn,arg,exc,match", [
    (pl.cholesky, np.ones((2, 3), np.float32), ValueError, r"cholesky: .*square.*\(2, 3\)"),
    (pl.cholesky, np.ones(3, np.float32), ValueError, r"cholesky: .*\(3,\)"),
    (pl.cholesky, np.ones((3, 3), np.int32), TypeError, "cholesky requires floating.*int32"),
    (pl.lu, np.ones(3, np.float32), ValueError, r"lu: .*\(3,\)"),
    (pl.lu, np.ones((3, 3), np.int32), TypeError, "lu requires floating.*int32"),
    (pl.eigh, np.ones((2, 3), np.float32), ValueError, r"eigh: .*square"),
    (pl.qr, np.ones((3, 3), np.int32), TypeError, "qr requires floating"),
    (pl.svd, np.ones(3, np.float32), ValueError, r"svd: .*\(3,\)"),
])
def test_errors_name_the_operation_shape_and_user_line(fn, arg, exc, match):
    with pytest.raises(exc, match=match) as info:
        fn(jnp.asarray(arg))
    assert "test_linalg.py" in str(info.value)


@pytest.mark.parametrize("a_shape,b_shape_,left", [((3, 3), (2, 4), True), ((3, 3), (4, 2), False),
                                                   ((2, 3, 3), (3, 3, 4), True),
                                                   ((3, 3), (3,), True), ((3, 4), (3, 2), True)])
def test_triangular_solve_shape_errors(a_shape, b_shape_, left):
    with pytest.raises(ValueError, match="triangular_solve: "):
        pl.triangular_solve(jnp.ones(a_shape), jnp.ones(b_shape_), left, True)


def test_triangular_solve_dtype_errors(x64):
    with pytest.raises(TypeError, match="one dtype.*float32 and float64"):
        pl.triangular_solve(jnp.ones((2, 2), jnp.float32), jnp.ones((2, 2), jnp.float64), True)
    with pytest.raises(TypeError, match="floating.*int32"):
        pl.triangular_solve(jnp.ones((2, 2), jnp.int32), jnp.ones((2, 2), jnp.int32), True)


def test_shape_rules_raise_the_same_errors_under_tracing():
    with pytest.raises(ValueError, match="cholesky: .*square"):
        jitnet.make_jaxpr(pl.cholesky)(ShapedArray((2, 3), np.float32))
    outs = jitnet.make_jaxpr(pl.lu)(ShapedArray((5, 3), np.float32)).out_avals
    assert [(o.shape, o.dtype) for o in outs] == [((5, 3), np.float32), ((3,), np.int32),
                                                 ((5,), np.int32)]


# -- jvp rules against central differences ---------------------------------------------------

def central_difference(prim, args, tangents, params, eps=1e-6):
    """(f(x + eps t) - f(x - eps t)) / 2 eps for every output of ``prim``."""
    def f(sign):
        xs = [jnp.asarray(a if t is None else a + sign * eps * t) for a, t in zip(args, tangents)]
        out = bind(prim, *xs, **params)
        return [np.asarray(o) for o in (out if prim.multiple_results else [out])]
    return [(p - m) / (2 * eps) for p, m in zip(f(1), f(-1))]


def check_jvp(prim, args, tangents, rtol=1e-6, atol=1e-7, **params):
    """prim.jvp on concrete float64 arrays agrees with central differences."""
    primals = [jnp.asarray(a) for a in args]
    tans = [Zero(ShapedArray(np.shape(a), np.float64)) if t is None else jnp.asarray(t)
            for a, t in zip(args, tangents)]
    outs, touts = prim.jvp(primals, tans, **params)
    ref_outs = bind(prim, *primals, **params)
    if not prim.multiple_results:
        outs, touts, ref_outs = [outs], [touts], [ref_outs]
    fd = central_difference(prim, args, tangents, params)
    for o, r, t, d in zip(outs, ref_outs, touts, fd):
        np.testing.assert_array_equal(np.asarray(o), np.asarray(r))
        if np.asarray(o).dtype.kind in "iu":
            assert type(t) is Zero and t.aval.dtype == dtypes.float0
            continue
        assert t.shape == o.shape and t.dtype == o.dtype
        np.testing.assert_allclose(np.asarray(t), d, rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("symmetric_tangent", [True, False])
def test_cholesky_jvp(x64, rng, shape, symmetric_tangent):
    da = rng.standard_normal(shape)
    if symmetric_tangent:
        da = da + np.swapaxes(da, -1, -2)
    check_jvp(pl.cholesky_p, [spd(rng, shape)], [da])


@pytest.mark.parametrize("left,lower,trans,unit", TS_FLAGS)
def test_triangular_solve_jvp(x64, rng, left, lower, trans, unit):
    a = triangular(rng, (2, 3, 3), lower)
    b = rng.standard_normal(b_shape(a.shape, left))
    da, db = rng.standard_normal(a.shape), rng.standard_normal(b.shape)
    p = ts_params(left, lower, trans, unit)
    check_jvp(pl.triangular_solve_p, [a, b], [da, db], **p)
    check_jvp(pl.triangular_solve_p, [a, b], [da, None], **p)
    check_jvp(pl.triangular_solve_p, [a, b], [None, db], **p)


def test_triangular_solve_jvp_of_zero_tangents_is_zero(x64, rng):
    a, b = triangular(rng, (3, 3), True), rng.standard_normal((3, 2))
    zeros = [Zero(ShapedArray(a.shape, np.float64)), Zero(ShapedArray(b.shape, np.float64))]
    _, t = pl.triangular_solve_p.jvp([jnp.asarray(a), jnp.asarray(b)], zeros,
                                     **ts_params(True, True, False, False))
    assert type(t) is Zero and t.aval.shape == (3, 2)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3), (1, 4)])
def test_lu_jvp(x64, rng, shape):
    check_jvp(pl.lu_p, [rng.standard_normal(shape)], [rng.standard_normal(shape)])


def test_eigh_jvp(x64, rng):
    a = spd(rng, (2, 4, 4))
    check_jvp(pl.eigh_p, [a], [rng.standard_normal(a.shape)], rtol=1e-5, atol=1e-6,
              lower=True)
    check_jvp(pl.eigh_p, [a], [rng.standard_normal(a.shape)], rtol=1e-5, atol=1e-6,
              lower=False)


@pytest.mark.parametrize("shape,full", [((5, 3), False), ((4, 4), True), ((2, 3, 3), False)])
def test_qr_jvp(x64, rng, shape, full):
    check_jvp(pl.qr_p, [rng.standard_normal(shape)], [rng.standard_normal(shape)],
              rtol=1e-5, atol=1e-6, full_matrices=full)


def test_qr_jvp_wide_is_not_implemented(x64, rng):
    with pytest.raises(NotImplementedError, match="qr: derivatives"):
        pl.qr_p.jvp([jnp.ones((2, 3))], [jnp.ones((2, 3))], full_matrices=False)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 3, 3)])
def test_svd_jvp(x64, rng, shape):
    x, dx = rng.standard_normal(shape), rng.standard_normal(shape)
    check_jvp(pl.svd_p, [x], [dx], rtol=1e-5, atol=1e-6, full_matrices=False, compute_uv=False)
    check_jvp(pl.svd_p, [x], [dx], rtol=1e-5, atol=1e-6, full_matrices=False, compute_uv=True)
    if shape[-1] == shape[-2]:
        check_jvp(pl.svd_p, [x], [dx], rtol=1e-5, atol=1e-6, full_matrices=True,
                  compute_uv=True)


def test_svd_jvp_full_vectors_of_non_square_is_not_implemented(x64):
    with pytest.raises(NotImplementedError, match="full_matrices=True"):
        pl.svd_p.jvp([jnp.ones((2, 3))], [jnp.ones((2, 3))], full_matrices=True,
                     compute_uv=True)


# -- transpose ------------------------------------------------------------------------------

@pytest.mark.parametrize("left,lower,trans,unit", TS_FLAGS)
def test_triangular_solve_transpose_dot_product(x64, rng, left, lower, trans, unit):
    a = triangular(rng, (2, 3, 3), lower)
    b = rng.standard_normal(b_shape(a.shape, left))
    ct = rng.standard_normal(b.shape)
    p = ts_params(left, lower, trans, unit)
    y = np.asarray(pl.triangular_solve(jnp.asarray(a), jnp.asarray(b), **p))
    ct_a, ct_b = pl.triangular_solve_p.transpose(
        jnp.asarray(ct), jnp.asarray(a), UndefinedPrimal(ShapedArray(b.shape, np.float64)), **p)
    assert ct_a is None
    np.testing.assert_allclose(np.vdot(ct, y), np.vdot(np.asarray(ct_b), b), rtol=1e-10)


def test_triangular_solve_transpose_edge_cases(x64):
    a, b_aval = jnp.eye(2), ShapedArray((2, 1), np.float64)
    p = ts_params(True, True, False, False)
    ct_a, ct_b = pl.triangular_solve_p.transpose(Zero(b_aval), a, UndefinedPrimal(b_aval), **p)
    assert ct_a is None and type(ct_b) is Zero
    with pytest.raises(NotImplementedError, match="linear in b only"):
        pl.triangular_solve_p.transpose(jnp.ones((2, 1)), UndefinedPrimal(a.aval),
                                        jnp.ones((2, 1)), **p)


# -- batch rules ------------------------------------------------------------------------------

def check_batch(prim, args, dims, **params):
    """prim.batch agrees with binding the primitive once per batch element."""
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    outs, out_dims = prim.batch([jnp.asarray(a) for a in args], list(dims), **params)
    if not prim.multiple_results:
        outs, out_dims = [outs], [out_dims]
    for i in range(size):
        sl = [jnp.asarray(a if d is None else np.take(a, i, axis=d)) for a, d in zip(args, dims)]
        ref = bind(prim, *sl, **params)
        ref = ref if prim.multiple_results else [ref]
        for o, d, r in zip(outs, out_dims, ref):
            np.testing.assert_allclose(np.take(np.asarray(o), i, axis=d), np.asarray(r),
                                       rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bdim", [0, 1, 2])
def test_unary_batch_rules(rng, bdim):
    a = np.moveaxis(spd(rng, (3, 4, 4)), 0, bdim).astype(np.float32)
    check_batch(pl.cholesky_p, [a], [bdim])
    check_batch(pl.lu_p, [a], [bdim])
    check_batch(pl.eigh_p, [a], [bdim], lower=True)
    check_batch(pl.qr_p, [a], [bdim], full_matrices=False)
    check_batch(pl.svd_p, [a], [bdim], full_matrices=False, compute_uv=False)


@pytest.mark.parametrize("dims", [(0, 0), (None, 1), (2, None), (1, 2)])
@pytest.mark.parametrize("left", [True, False])
def test_triangular_solve_batch_rule(rng, dims, left):
    a = triangular(rng, (3, 3), True)
    b = rng.standard_normal(b_shape(a.shape, left))
    args = []
    for x, d in zip((a, b), dims):
        if d is None:
            args.append(x.astype(np.float32))
        else:
            args.append(np.moveaxis(np.stack([x, x + 1]), 0, d).astype(np.float32))
    check_batch(pl.triangular_solve_p, args, dims, **ts_params(left, True, True, False))


# -- rules under tracing, lax.linalg wrappers ---------------------------------------------------

@pytest.mark.parametrize("prim,shape,params", [
    (pl.cholesky_p, (2, 3, 3), {}), (pl.lu_p, (4, 3), {}), (pl.lu_p, (3, 4), {}),
    (pl.eigh_p, (3, 3), dict(lower=True)), (pl.qr_p, (4, 3), dict(full_matrices=False)),
    (pl.svd_p, (4, 3), dict(full_matrices=False, compute_uv=False)),
    (pl.svd_p, (3, 4), dict(full_matrices=False, compute_uv=True))])
def test_jvp_rules_trace_to_ir_with_matching_avals(prim, shape, params):
    aval = ShapedArray(shape, np.float32)

    def f(x, t):
        outs, touts = prim.jvp([x], [t], **params)
        if not prim.multiple_results:
            return [outs, touts]
        return list(outs) + [t for t in touts if type(t) is not Zero]  # int outputs: Zero
    jaxpr = jitnet.make_jaxpr(f)(aval, aval)
    outs = prim.shape_rule(aval, **params)
    outs = outs if prim.multiple_results else [outs]
    float_outs = [o for o in outs if o.dtype.kind == "f"]
    got = [(o.shape, o.dtype) for o in jaxpr.out_avals]
    assert got[:len(outs)] == [(o.shape, o.dtype) for o in outs]
    assert got[len(outs):] == [(o.shape, o.dtype) for o in float_outs]


def test_triangular_solve_jvp_traces(rng):
    a, b = ShapedArray((2, 3, 3), np.float32), ShapedArray((2, 3, 4), np.float32)
    p = ts_params(True, False, True, True)
    jaxpr = jitnet.make_jaxpr(
        lambda a, b, da, db: pl.triangular_solve_p.jvp([a, b], [da, db], **p)[1])(a, b, a, b)
    assert jaxpr.out_avals[0].shape == (2, 3, 4)


def test_lax_linalg_wrappers(rng):
    from jitnet.lax import linalg as lax_linalg
    a = spd(rng, (3, 3)).astype(np.float32)
    skew = np.triu(np.ones((3, 3), np.float32), 1)
    np.testing.assert_allclose(np.asarray(lax_linalg.cholesky(jnp.asarray(a + skew - skew.T))),
                               np.linalg.cholesky(a), rtol=1e-5)
    np.testing.assert_allclose(
        np.asarray(lax_linalg.cholesky(jnp.asarray(a + skew), symmetrize_input=False)),
        np.linalg.cholesky(a), rtol=1e-5)  # the upper triangle is not read
    lu, piv, perm = lax_linalg.lu(jnp.asarray(a))
    assert piv.dtype == perm.dtype == np.int32
    t = np.tril(a)
    x = lax_linalg.triangular_solve(jnp.asarray(t), jnp.asarray(np.eye(3, dtype=np.float32)),
                                    left_side=True, lower=True)
    np.testing.assert_allclose(np.asarray(x), np.linalg.inv(t), rtol=1e-4, atol=1e-5)
    u, s, vt = lax_linalg.svd(jnp.asarray(a))
    np.testing.assert_allclose(np.asarray(s), np.linalg.svd(a, compute_uv=False), rtol=1e-5)
    assert u.shape == vt.shape == (3, 3)
    v, w = lax_linalg.eigh(jnp.asarray(a))
    np.testing.assert_allclose(np.asarray(w), np.linalg.eigvalsh(a), rtol=1e-5)
    q, r = lax_linalg.qr(jnp.asarray(rng.standard_normal((4, 2)).astype(np.float32)))
    assert q.shape == (4, 4) and r.shape == (4, 2)

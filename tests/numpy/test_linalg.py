"""jnp.linalg against numpy.linalg (values, batching, dtypes, errors) and its derivatives.

Derivatives are checked with a small forward-mode evaluator that traces a function to IR and
runs each equation's jvp rule on concrete values, compared with float64 central differences.
"""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.core.adtypes import Zero
from jitnet.core.ir import Literal
from jitnet.prims.util import tangent_aval
from jitnet.trace.make_ir import literal_value, make_ir
from jitnet.trace.tracer import bind


@pytest.fixture
def rng():
    return np.random.default_rng(1)


def well_conditioned(rng, shape):
    return rng.standard_normal(shape) + 2 * shape[-1] ** 0.5 * np.eye(shape[-1])


def spd(rng, shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def f32(x):
    return np.asarray(x, np.float32)


def close(x, y, tol=1e-4):
    np.testing.assert_allclose(np.asarray(x), y, rtol=tol, atol=tol)


# -- values ------------------------------------------------------------------------------

@pytest.mark.parametrize("a_shape,b_shape", [((4, 4), (4,)), ((4, 4), (4, 2)), ((2, 4, 4), (4,)),
                                             ((2, 4, 4), (2, 4, 3)), ((3, 1, 4, 4), (2, 4, 1)),
                                             ((4, 4), (5, 4, 2))])
def test_solve_matches_numpy_with_batch_broadcasting(rng, a_shape, b_shape):
    a, b = f32(well_conditioned(rng, a_shape)), f32(rng.standard_normal(b_shape))
    out = jnp.linalg.solve(a, b)
    ref = np.linalg.solve(a, b)
    assert out.shape == ref.shape and out.dtype == np.float32
    close(out, ref)


def test_inv_det_slogdet_match_numpy(rng):
    a = f32(well_conditioned(rng, (3, 2, 4, 4)))
    close(jnp.linalg.inv(a), np.linalg.inv(a))
    close(jnp.linalg.det(a), np.linalg.det(a), 1e-3)
    sign, logdet = jnp.linalg.slogdet(a)
    ref = np.linalg.slogdet(a)
    close(sign, ref.sign)
    close(logdet, ref.logabsdet)
    assert jnp.linalg.det(a).shape == (3, 2)


def test_det_sign_follows_row_swaps():
    orders = [(0, 1, 2), (1, 0, 2), (1, 2, 0), (2, 1, 0), (2, 0, 1), (0, 2, 1)]
    perms = np.array([np.eye(3)[list(p)] for p in orders], np.float32)
    close(jnp.linalg.det(perms), np.linalg.det(perms))
    close(jnp.linalg.slogdet(perms).sign, [1, -1, 1, -1, 1, -1])


def test_singular_and_empty_matrices():
    close(jnp.linalg.det(np.zeros((2, 2), np.float32)), 0.0)
    sign, logdet = jnp.linalg.slogdet(np.zeros((2, 2), np.float32))
    assert float(sign) == 0 and float(logdet) == -np.inf
    close(jnp.linalg.det(np.zeros((0, 0), np.float32)), 1.0)
    assert jnp.linalg.inv(np.zeros((2, 0, 0), np.float32)).shape == (2, 0, 0)


def test_x64_results_are_float64_and_accurate(x64, rng):
    a, b = well_conditioned(rng, (2, 5, 5)), rng.standard_normal((2, 5, 3))
    out = jnp.linalg.solve(a, b)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), np.linalg.solve(a, b), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(jnp.linalg.det(a)), np.linalg.det(a), rtol=1e-12)


def test_integer_inputs_become_float():
    a = np.array([[2, 1], [1, 3]], np.int32)
    for out in (jnp.linalg.inv(a), jnp.linalg.det(a), jnp.linalg.solve(a, np.array([1, 2]))):
        assert out.dtype == np.float32
    close(jnp.linalg.det(a), 5.0)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_numpy_and_symmetrizes(rng, upper):
    a = f32(spd(rng, (2, 4, 4)))
    skew = f32(rng.standard_normal((4, 4)))
    out = jnp.linalg.cholesky(a + (skew - skew.T), upper=upper)  # the skew part cancels
    ref = np.linalg.cholesky(a)
    close(out, np.swapaxes(ref, -1, -2) if upper else ref)


def test_cholesky_not_positive_definite_is_nan():
    assert np.isnan(np.asarray(jnp.linalg.cholesky(-np.eye(2, dtype=np.float32)))[1, 0])


def test_eigh_eigvalsh_match_numpy(rng):
    a = f32(spd(rng, (3, 4, 4)))
    w, v = jnp.linalg.eigh(a)
    close(w, np.linalg.eigvalsh(a), 1e-3)
    close(np.asarray(v) @ (np.asarray(w)[..., None] * np.swapaxes(np.asarray(v), -1, -2)), a,
          1e-3)
    close(jnp.linalg.eigvalsh(a, UPLO="U"), np.linalg.eigvalsh(a, UPLO="U"), 1e-3)


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
def test_qr_modes_match_numpy_shapes(rng, mode, shape):
    x = f32(rng.standard_normal(shape))
    out, ref = jnp.linalg.qr(x, mode=mode), np.linalg.qr(x, mode=mode)
    if mode == "r":
        assert out.shape == ref.shape
        close(np.abs(out), np.abs(ref))  # rows of R are defined up to sign
        return
    assert out.Q.shape == ref.Q.shape and out.R.shape == ref.R.shape
    close(np.asarray(out.Q) @ np.asarray(out.R), x)


@pytest.mark.parametrize("full", [True, False])
def test_svd_matches_numpy(rng, full):
    x = f32(rng.standard_normal((2, 5, 3)))
    u, s, vh = jnp.linalg.svd(x, full_matrices=full)
    ref = np.linalg.svd(x, full_matrices=full)
    assert u.shape == ref.U.shape and vh.shape == ref.Vh.shape
    close(s, ref.S)
    close((np.asarray(u)[..., :3] * np.asarray(s)[..., None, :]) @ np.asarray(vh)[..., :3, :], x)
    close(jnp.linalg.svdvals(x), ref.S)


def test_functions_trace_under_make_jaxpr():
    a = np.eye(3, dtype=np.float32)
    jaxpr = jitnet.make_jaxpr(lambda a, b: jnp.linalg.solve(a, b))(a, np.ones(3, np.float32))
    assert [e.prim.name for e in jaxpr.eqns].count("triangular_solve") == 2
    assert jaxpr.out_avals[0].shape == (3,)


# -- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [jnp.linalg.inv, jnp.linalg.det, jnp.linalg.slogdet,
                                jnp.linalg.cholesky, jnp.linalg.eigh])
def test_non_square_input_is_rejected(fn):
    with pytest.raises(ValueError, match=r"square .*\(3, 2\)") as info:
        fn(np.ones((3, 2), np.float32))
    assert "test_linalg.py" in str(info.value)


def test_solve_shape_errors():
    with pytest.raises(ValueError, match=r"b must have shape \(3,\) or \(\.\.\., 3, k\)"):
        jnp.linalg.solve(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match="b must have shape"):
        jnp.linalg.solve(np.eye(3), np.ones((2, 3)))  # (..., n) batches are not vectors
    with pytest.raises(ValueError, match="incompatible shapes for broadcasting"):
        jnp.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))


def test_other_argument_errors():
    with pytest.raises(TypeError, match="complex"):
        jnp.linalg.det(np.eye(2, dtype=np.complex64))
    with pytest.raises(ValueError, match="unsupported mode 'raw'"):
        jnp.linalg.qr(np.eye(2), mode="raw")
    with pytest.raises(TypeError, match="requires ndarray"):
        jnp.linalg.det([[1.0, 0.0], [0.0, 1.0]])


# -- derivatives -------------------------------------------------------------------------

def jvp_by_rules(f, primals, tangents):
    """Forward mode by hand: trace ``f`` and run every equation's jvp rule on concrete values."""
    ir, consts, _ = make_ir(f, *primals)
    env = {}
    for v, x in zip(ir.invars, consts + [jnp.asarray(p) for p in primals]):
        env[id(v)] = (x, Zero(tangent_aval(v.aval)))
    for v, t in zip(ir.invars[len(consts):], tangents):
        env[id(v)] = (env[id(v)][0], jnp.asarray(t))

    def read(a):
        if isinstance(a, Literal):
            return literal_value(a), Zero(tangent_aval(a.aval))
        return env[id(a)]
    for e in ir.eqns:
        xs, ts = zip(*[read(a) for a in e.inputs]) if e.inputs else ((), ())
        if all(type(t) is Zero for t in ts):
            out = bind(e.prim, *xs, **e.params)
            outs = out if e.prim.multiple_results else [out]
            touts = [Zero(tangent_aval(o.aval)) for o in outs]
        else:
            outs, touts = e.prim.rule("jvp")(list(xs), list(ts), **e.params)
            if not e.prim.multiple_results:
                outs, touts = [outs], [touts]
        for v, o, t in zip(e.outputs, outs, touts):
            env[id(v)] = (o, t)
    return [read(a) for a in ir.outvars]


def check_derivative(f, primals, tangents, eps=1e-6, tol=1e-6):
    """jvp_by_rules(f) matches central differences in float64; returns the tangents."""
    results = jvp_by_rules(f, primals, tangents)
    plus = f(*[p + eps * t for p, t in zip(primals, tangents)])
    minus = f(*[p - eps * t for p, t in zip(primals, tangents)])
    plus, minus = (x if isinstance(x, (tuple, list)) else [x] for x in (plus, minus))
    for (_, t), p, m in zip(results, plus, minus):
        fd = (np.asarray(p) - np.asarray(m)) / (2 * eps)
        got = np.zeros_like(fd) if type(t) is Zero else np.asarray(t)
        np.testing.assert_allclose(got, fd, rtol=tol, atol=tol)
    return [t for _, t in results]


def test_det_derivative_is_det_times_trace_of_inverse_product(x64, rng):
    a, da = well_conditioned(rng, (2, 4, 4)), rng.standard_normal((2, 4, 4))
    (t,) = check_derivative(jnp.linalg.det, [a], [da])
    expected = np.linalg.det(a) * np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)
    np.testing.assert_allclose(np.asarray(t), expected, rtol=1e-10)


def test_slogdet_derivative(x64, rng):
    a, da = well_conditioned(rng, (3, 3)), rng.standard_normal((3, 3))
    sign_t, logdet_t = check_derivative(jnp.linalg.slogdet, [a], [da])
    assert type(sign_t) is Zero or not np.asarray(sign_t).any()
    np.testing.assert_allclose(np.asarray(logdet_t), np.trace(np.linalg.solve(a, da)),
                               rtol=1e-10)


@pytest.mark.parametrize("b_shape", [(4,), (2, 4, 3)])
def test_solve_derivative_in_a_and_b(x64, rng, b_shape):
    a = well_conditioned(rng, (2, 4, 4))
    b = rng.standard_normal(b_shape)
    check_derivative(jnp.linalg.solve, [a, b],
                     [rng.standard_normal(a.shape), rng.standard_normal(b.shape)])


def test_inv_and_cholesky_derivatives(x64, rng):
    a = well_conditioned(rng, (3, 3))
    check_derivative(jnp.linalg.inv, [a], [rng.standard_normal(a.shape)])
    s = spd(rng, (2, 3, 3))
    check_derivative(jnp.linalg.cholesky, [s], [rng.standard_normal(s.shape)])
    check_derivative(lambda x: jnp.linalg.cholesky(x, upper=True), [s],
                     [rng.standard_normal(s.shape)])


def test_eigh_and_svdvals_derivatives(x64, rng):
    s = spd(rng, (4, 4))
    check_derivative(lambda x: jnp.linalg.eigh(x).eigenvalues, [s], [rng.standard_normal(s.shape)])
    x = rng.standard_normal((4, 3))
    check_derivative(jnp.linalg.svdvals, [x], [rng.standard_normal(x.shape)])


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), ((0, 2), False), ((2, 0), True)])
def test_spectral_and_nuclear_norms(rng, ord, axis, keepdims):
    x = f32(rng.standard_normal((3, 2, 4)))
    if axis is None:
        x = x[0]
    out = jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    ref = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    assert out.shape == ref.shape
    close(out, ref)


def test_invalid_matrix_norm_order():
    with pytest.raises(ValueError, match="invalid matrix norm order 3"):
        jnp.linalg.norm(np.ones((2, 2)), ord=3)

"""Derivatives at special points (ties, zeros, domain edges) to second order, against closed
forms: the functions JAX gives a derivative rule of their own (issue 18, item 1).

Each expected value is derived by hand in the comment beside it; random points are checked
against float64 central differences of the value, so a rule that disagrees with the function
away from the special points fails too.
"""
import itertools

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import nn
from jitnet.scipy import special as jsp


@pytest.fixture(autouse=True)
def _x64():
    jitnet.config.update("jax_enable_x64", True)
    yield
    jitnet.config.update("jax_enable_x64", False)


def d1(f, argnums=0):
    return jitnet.grad(f, argnums)


def d2(f, a=0, b=0):
    return jitnet.grad(jitnet.grad(f, a), b)


def val(x):
    return float(np.asarray(x))


def fd2(f, x, h=1e-4):
    """float64 central second difference of a scalar function of a float."""
    return (f(x + h) - 2 * f(x) + f(x - h)) / h ** 2


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- logaddexp and what is built on it ------------------------------------------------


def test_logaddexp_tie_curvature():
    # d/dx log(e^x + e^y) = s(x - y), d2/dx2 = s(1 - s) = 1/4 at the tie, d2/dxdy = -1/4
    f = jnp.logaddexp
    assert val(d1(f)(0.0, 0.0)) == 0.5
    assert val(d2(f)(0.0, 0.0)) == pytest.approx(0.25, rel=1e-15)
    assert val(d2(f, 0, 1)(3.0, 3.0)) == pytest.approx(-0.25, rel=1e-15)
    assert val(d2(f, 1, 1)(-2.0, -2.0)) == pytest.approx(0.25, rel=1e-15)


def test_logaddexp2_tie_curvature():
    # log2(2^x + 2^y): d/dx = s((x - y) ln2), d2/dx2 = ln2 s(1 - s) = ln2 / 4 at the tie
    assert val(d2(jnp.logaddexp2)(1.0, 1.0)) == pytest.approx(np.log(2) / 4, rel=1e-14)


@pytest.mark.parametrize("x", [-30.0, -3.0, -0.4, 0.0, 0.7, 5.0, 40.0])
def test_softplus_and_log_sigmoid_second_derivatives(x):
    # softplus' = s(x), softplus'' = s(x)(1 - s(x)); log_sigmoid'' = -s(x)(1 - s(x))
    s = sigmoid(x)
    assert val(d1(nn.softplus)(x)) == pytest.approx(s, rel=1e-14)
    assert val(d2(nn.softplus)(x)) == pytest.approx(s * (1 - s), rel=1e-12)
    assert val(d2(nn.log_sigmoid)(x)) == pytest.approx(-s * (1 - s), rel=1e-12)


def test_logaddexp_infinite_arguments():
    # equal infinities split the slope; a finite argument against +inf gets none
    gx, gy = jitnet.grad(jnp.logaddexp, (0, 1))(jnp.inf, jnp.inf)
    assert (val(gx), val(gy)) == (0.5, 0.5)
    gx, gy = jitnet.grad(jnp.logaddexp, (0, 1))(jnp.inf, 1.0)
    assert (val(gx), val(gy)) == (1.0, 0.0)
    assert val(jnp.logaddexp(-jnp.inf, -jnp.inf)) == -np.inf


@pytest.mark.slow
def test_newton_logistic_regression_hessian_at_zero():
    # hessian of sum(softplus(X w)) is X^T diag(s(1 - s)) X, = X^T X / 4 at w = 0
    rng = np.random.RandomState(0)
    X = rng.standard_normal((6, 3))
    f = lambda w: jnp.sum(jnp.logaddexp(0.0, X @ w))
    np.testing.assert_allclose(np.asarray(jitnet.hessian(f)(jnp.zeros(3))), X.T @ X / 4,
                               rtol=1e-14)
    np.testing.assert_allclose(np.asarray(jitnet.jit(jitnet.hessian(f))(jnp.zeros(3))),
                               X.T @ X / 4, rtol=1e-14)
    w = rng.standard_normal(3)
    s = sigmoid(X @ w)
    np.testing.assert_allclose(np.asarray(jitnet.hessian(f)(w)),
                               X.T @ (X * (s * (1 - s))[:, None]), rtol=1e-12)


def test_logaddexp_under_vmap_and_jvp():
    xs = np.array([-1.0, 0.0, 2.0])
    got = jitnet.vmap(d2(lambda x: jnp.logaddexp(x, 0.0)))(xs)
    np.testing.assert_allclose(np.asarray(got), sigmoid(xs) * (1 - sigmoid(xs)), rtol=1e-14)
    _, t = jitnet.jvp(jnp.logaddexp, (0.0, 0.0), (1.0, 1.0))
    assert val(t) == 1.0  # s + (1 - s)


# -- abs, hypot, norms ----------------------------------------------------------------


def test_abs_slope_at_zero_is_one():
    # JAX's convention: d|x|/dx = 1 at x = 0 (and -1 below 0), second derivative 0
    assert val(d1(jnp.abs)(0.0)) == 1.0
    assert val(d1(jnp.abs)(-0.0)) == 1.0
    assert val(d1(jnp.abs)(-2.0)) == -1.0
    assert val(d2(jnp.abs)(0.0)) == 0.0
    g = jitnet.grad(lambda x: jnp.sum(jnp.abs(x)))(jnp.array([0.0, -1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(g), [1.0, -1.0, 1.0])


def test_hypot_second_derivative_on_an_axis():
    # hypot(x, y) = sqrt(x^2 + y^2): d2/dx2 = y^2 / r^3 = 1/|y| at x = 0, d/dx = x / r = 0
    assert val(d1(jnp.hypot)(0.0, -2.0)) == 0.0
    assert val(d2(jnp.hypot)(0.0, 2.0)) == pytest.approx(0.5, rel=1e-15)
    assert val(d2(jnp.hypot, 1, 1)(-4.0, 0.0)) == pytest.approx(0.25, rel=1e-15)
    x, y = 0.3, -1.7
    r = np.hypot(x, y)
    assert val(d2(jnp.hypot)(x, y)) == pytest.approx(y * y / r ** 3, rel=1e-13)
    assert val(d2(jnp.hypot, 0, 1)(x, y)) == pytest.approx(-x * y / r ** 3, rel=1e-13)


@pytest.mark.parametrize("ord", [1, np.inf])
def test_vector_norms_at_zeros(ord):
    # sum|x| and max|x| with abs'(0) = 1: the zero entries get slope +1 (JAX)
    x = jnp.array([0.0, 0.0, 0.0]) if ord == 1 else jnp.array([0.0, -3.0, 1.0])
    g = np.asarray(jitnet.grad(lambda v: jnp.linalg.norm(v, ord=ord))(x))
    expected = [1.0, 1.0, 1.0] if ord == 1 else [0.0, -1.0, 0.0]
    np.testing.assert_array_equal(g, expected)


# -- sinc ---------------------------------------------------------------------------------


def test_sinc_derivatives_at_zero():
    # sin(t)/t = 1 - t^2/6 + t^4/120 - ...; with t = pi x:
    # sinc'(0) = 0, sinc''(0) = -pi^2/3, sinc'''(0) = 0, sinc''''(0) = pi^4 / 5
    f = jnp.sinc
    assert val(f(0.0)) == 1.0
    assert val(d1(f)(0.0)) == 0.0
    assert val(d2(f)(0.0)) == pytest.approx(-np.pi ** 2 / 3, rel=1e-15)
    d3 = jitnet.grad(d2(f))
    assert val(d3(0.0)) == 0.0
    assert val(jitnet.grad(d3)(0.0)) == pytest.approx(np.pi ** 4 / 5, rel=1e-14)
    assert val(jitnet.jit(d2(f))(0.0)) == pytest.approx(-np.pi ** 2 / 3, rel=1e-15)
    assert val(jitnet.grad(jitnet.grad(d3))(0.0)) == 0.0


@pytest.mark.parametrize("x", [1e-30, -1e-30, 1e-8, 0.01, 0.1 / np.pi * 0.999,
                               0.1 / np.pi * 1.001, -0.05])
def test_sinc_second_derivative_near_zero(x):
    # with t = pi x: (sin t / t)'' = -1/3 + t^2/10 - t^4/168 + t^6/6480 - ... (|t| <= 0.1:
    # the next term is below 1e-10); sinc''(x) = pi^2 times that
    t = np.pi * x
    ref = np.pi ** 2 * (-1 / 3 + t ** 2 / 10 - t ** 4 / 168 + t ** 6 / 6480)
    assert val(d2(jnp.sinc)(x)) == pytest.approx(ref, rel=1e-9)
    assert val(jnp.sinc(x)) == pytest.approx(np.sinc(x), rel=1e-15)


@pytest.mark.parametrize("x", [-1.3, 0.25, 2.5])
def test_sinc_away_from_zero(x):
    ref = lambda z: np.sinc(z)
    assert val(d2(jnp.sinc)(x)) == pytest.approx(fd2(ref, x), rel=1e-6, abs=1e-6)


# -- pow --------------------------------------------------------------------------------


def test_pow_mixed_derivative_at_zero_exponent():
    # d/dx x^y = y x^(y-1); d/dy of that = x^(y-1) (1 + y log x) = 1/x at y = 0
    f = lambda x, y: jnp.power(x, y)
    assert val(d2(f, 0, 1)(2.0, 0.0)) == pytest.approx(0.5, rel=1e-15)
    assert val(d2(f, 1, 0)(4.0, 0.0)) == pytest.approx(0.25, rel=1e-15)
    assert val(d1(f, 0)(3.0, 0.0)) == 0.0
    # d/dy x^y = log(x) x^y: 0 at x = 0 (the limit for y > 0), finite in reverse mode
    assert val(d1(f, 1)(0.0, 2.0)) == 0.0
    # 0^0: y x^(y-1) = 0 * inf, nan as in JAX
    assert np.isnan(val(d1(f, 0)(0.0, 0.0)))
    x, y = 1.7, 0.6
    assert val(d2(f, 0, 1)(x, y)) == pytest.approx(x ** (y - 1) * (1 + y * np.log(x)),
                                                   rel=1e-13)


# -- where-branch leaks --------------------------------------------------------------------


def test_logit_derivative_near_the_edges():
    # logit' = 1 / (x (1 - x)); logit'' = (2x - 1) / (x (1 - x))^2
    assert val(d1(jsp.logit)(1e-30)) == pytest.approx(1e30, rel=1e-14)
    assert val(d1(jsp.logit)(1 - 2.0 ** -40)) == pytest.approx(2.0 ** 40, rel=1e-10)
    for x in (1e-8, 0.3, 0.5, 0.9):
        assert val(d1(jsp.logit)(x)) == pytest.approx(1 / (x * (1 - x)), rel=1e-13)
        assert val(d2(jsp.logit)(x)) == pytest.approx((2 * x - 1) / (x * (1 - x)) ** 2,
                                                      rel=1e-12, abs=1e-12)


def test_logit_float32():
    # float32: 1e-30 is a normal number and 1e30 fits, so no overflow artefact here
    g = jitnet.grad(jsp.logit)(np.float32(1e-30))
    assert np.isclose(val(g), 1e30, rtol=1e-6)


def test_floor_divide_gradient_is_zero_everywhere():
    # x // y is piecewise constant: slope 0, also at y = 0 where the value is x / 0
    gx, gy = jitnet.grad(jnp.floor_divide, (0, 1))(3.0, 0.0)
    assert (val(gx), val(gy)) == (0.0, 0.0)
    assert val(jnp.floor_divide(3.0, 0.0)) == np.inf
    gx, gy = jitnet.grad(jnp.floor_divide, (0, 1))(7.5, 2.0)
    assert (val(gx), val(gy)) == (0.0, 0.0)


def test_squareplus_slope_for_huge_inputs():
    # (x + sqrt(x^2 + b)) / 2: slope (1 + x / sqrt(x^2 + b)) / 2 -> 1 (x -> inf), 0 (-inf)
    assert val(d1(nn.squareplus)(1e30)) == 1.0
    assert val(d1(nn.squareplus)(-1e30)) == pytest.approx(1e-60, rel=1e-12)
    for x in (-3.0, 0.0, 2.0):
        assert val(d1(nn.squareplus)(x)) == pytest.approx((1 + x / np.sqrt(x * x + 4)) / 2,
                                                          rel=1e-14)


def test_relu_slope_at_nan_and_zero():
    # JAX's rule: slope 1 only where x > 0
    g = jitnet.grad(lambda x: jnp.sum(nn.relu(x)))(jnp.array([jnp.nan, 0.0, -1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(g), [0.0, 0.0, 0.0, 1.0])
    assert np.isnan(val(nn.relu(jnp.nan)))
    assert val(d2(nn.relu)(2.0)) == 0.0
    r = nn.relu(jnp.array([-2, 3]))
    assert r.dtype.kind == "i" and np.asarray(r).tolist() == [0, 3]


# -- singular points: infinite or nan, as JAX -------------------------------------------


def test_entr_derivatives():
    # entr = -x log x: entr' = -(log x + 1) (+inf at 0), entr'' = -1/x; constant -inf below 0
    assert val(d1(jsp.entr)(0.0)) == np.inf
    assert val(d1(jsp.entr)(-1.0)) == 0.0
    for x in (0.2, 1.0, 3.0):
        assert val(d1(jsp.entr)(x)) == pytest.approx(-(np.log(x) + 1), rel=1e-14)
        assert val(d2(jsp.entr)(x)) == pytest.approx(-1 / x, rel=1e-14)
    assert val(jsp.entr(0.0)) == 0.0 and val(jsp.entr(-1.0)) == -np.inf


def test_xlogy_and_xlog1py_at_their_singular_points():
    # xlogy: d/dx = log y, d/dy = x / y; at (0, 0): -inf and 0/0 = nan
    gx, gy = jitnet.grad(jsp.xlogy, (0, 1))(0.0, 0.0)
    assert val(gx) == -np.inf and np.isnan(val(gy))
    gx, gy = jitnet.grad(jsp.xlog1py, (0, 1))(0.0, -1.0)
    assert val(gx) == -np.inf and np.isnan(val(gy))
    assert val(jsp.xlogy(0.0, 0.0)) == 0.0 and val(jsp.xlog1py(0.0, -1.0)) == 0.0
    # at x = 0, y > 0 the slope in x is log y, in y it is 0; d2/dxdy = 1/y
    gx, gy = jitnet.grad(jsp.xlogy, (0, 1))(0.0, 2.0)
    assert val(gx) == pytest.approx(np.log(2.0)) and val(gy) == 0.0
    assert val(d2(jsp.xlogy, 0, 1)(0.0, 2.0)) == pytest.approx(0.5, rel=1e-15)
    assert val(d2(jsp.xlogy, 1, 1)(3.0, 2.0)) == pytest.approx(-3.0 / 4, rel=1e-15)
    assert val(d2(jsp.xlog1py, 1, 1)(3.0, 1.0)) == pytest.approx(-3.0 / 4, rel=1e-15)


# -- random points: every rule agrees with its function ------------------------------------

UNARY = [
    (nn.softplus, lambda x: np.logaddexp(x, 0.0), (-4, 4)),
    (nn.log_sigmoid, lambda x: -np.logaddexp(-x, 0.0), (-4, 4)),
    (jnp.sinc, np.sinc, (-3, 3)),
    (jsp.logit, lambda x: np.log(x / (1 - x)), (0.05, 0.95)),
    (jsp.entr, lambda x: -x * np.log(x), (0.1, 3)),
    (lambda x: jnp.hypot(x, 0.7), lambda x: np.hypot(x, 0.7), (-2, 2)),
    (lambda x: jnp.power(1.3, x), lambda x: 1.3 ** x, (-2, 2)),
    (lambda x: jsp.xlogy(x, x + 2), lambda x: x * np.log(x + 2), (-1, 2)),
    (lambda x: jsp.xlog1py(x, 2 * x), lambda x: x * np.log1p(2 * x), (-0.3, 2)),
]


@pytest.mark.parametrize("f, ref, lim", UNARY)
def test_second_derivatives_at_random_points(f, ref, lim):
    rng = np.random.RandomState(1)
    for x in rng.uniform(*lim, 4):
        got = val(d2(f)(float(x)))
        assert got == pytest.approx(fd2(ref, x), rel=1e-5, abs=1e-5)
        g1 = val(d1(f)(float(x)))
        h = 1e-6
        assert g1 == pytest.approx((ref(x + h) - ref(x - h)) / (2 * h), rel=1e-7, abs=1e-7)


# -- digamma, ndtri, clamp -------------------------------------------------------------------


def test_digamma_has_a_derivative_rule():
    # d/dx digamma = trigamma = polygamma(1, x); gammaln'' = trigamma; digamma'' = polygamma(2)
    import scipy.special as sps
    xs = np.array([1e-5, 0.5, 1.0, 2.5, 9.7, 123.0, 1e6, -0.5, -2.3])
    g = jitnet.vmap(jitnet.grad(jsp.digamma))(xs)
    np.testing.assert_allclose(np.asarray(g), sps.polygamma(1, xs), rtol=2e-15)
    assert val(d2(jsp.gammaln)(2.5)) == pytest.approx(sps.polygamma(1, 2.5), rel=1e-15)
    assert val(d2(jsp.digamma)(2.5)) == pytest.approx(sps.polygamma(2, 2.5), rel=1e-14)
    assert val(jitnet.jit(d2(jsp.gammaln))(0.3)) == pytest.approx(sps.polygamma(1, 0.3),
                                                                  rel=1e-14)
    # at the poles the value is nan and the slope +inf (as JAX)
    assert val(d1(jsp.digamma)(0.0)) == np.inf and val(d1(jsp.digamma)(-2.0)) == np.inf
    assert np.isnan(val(jsp.digamma(-2.0)))
    # float32: ~1e-7 relative
    g32 = jitnet.vmap(jitnet.grad(jsp.digamma))(xs.astype(np.float32))
    np.testing.assert_allclose(np.asarray(g32), sps.polygamma(1, xs.astype(np.float32)),
                               rtol=3e-6)


def test_ndtri_derivative_is_the_inverse_functions():
    # ndtri'(p) = 1 / ndtr'(x) = sqrt(2 pi) exp(x^2 / 2) at x = ndtri(p): 1 / phi(x)
    import scipy.special as sps
    for p in (1e-10, 0.02, 0.3, 0.5, 0.97):
        x = sps.ndtri(p)
        assert val(d1(jsp.ndtri)(p)) == pytest.approx(np.sqrt(2 * np.pi) * np.exp(x * x / 2),
                                                      rel=1e-12)
        # ndtri'' = 2 pi x exp(x^2)
        assert val(d2(jsp.ndtri)(p)) == pytest.approx(2 * np.pi * x * np.exp(x * x),
                                                      rel=1e-10, abs=1e-12)
    # outside [0, 1] the value is nan and so is the slope; at 0 and 1 the slope is +inf
    # (JAX gives 0 there, from differentiating a constant: the one-sided limit is +inf)
    assert np.isnan(val(d1(jsp.ndtri)(1.5))) and np.isnan(val(d1(jsp.ndtri)(-0.5)))
    assert val(d1(jsp.ndtri)(0.0)) == np.inf and val(d1(jsp.ndtri)(1.0)) == np.inf


def test_clamp_with_equal_bounds():
    # JAX: lo passes its slope only while lo < hi, so with lo == hi every slope is 0 except
    # hi's where x > hi
    g = jitnet.grad(jitnet.lax.clamp, (0, 1, 2))
    assert [val(v) for v in g(1.0, 0.5, 1.0)] == [0.0, 0.0, 0.0]
    assert [val(v) for v in g(1.0, 1.5, 1.0)] == [0.0, 0.0, 1.0]
    assert [val(v) for v in g(0.0, -1.0, 1.0)] == [1.0, 0.0, 0.0]
    assert [val(v) for v in g(0.0, 0.5, 1.0)] == [0.0, 1.0, 0.0]


# -- the differential walk over the op records (issue 18, item 5) ----------------------------

from jitnet.testing import records as R  # noqa: E402


def _fd_hessian(f, x, h=1e-4):
    """float64 central-difference Hessian of a scalar function of a float vector."""
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h * h)
    return H


def _check_hessian(fun, point, what):
    x0 = np.array(point, np.float64)

    def flat(v):
        return fun(*[v[i] for i in range(len(point))])

    def host(v):
        return float(np.asarray(flat(jnp.asarray(v))))

    ref = _fd_hessian(host, x0)
    for name, hess in (("rev-over-rev", jitnet.jacrev(jitnet.jacrev(flat))),
                       ("fwd-over-rev", jitnet.hessian(flat)),
                       ("fwd-over-fwd", jitnet.jacfwd(jitnet.jacfwd(flat)))):
        got = np.asarray(hess(jnp.asarray(x0)))
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5,
                                   err_msg=f"{what} at {point}: {name} Hessian")


def _record_points(rec):
    kinds = [a.kind for a in rec.args]
    values = [R.SPECIAL_VALUES.get(k) for k in kinds]
    if rec.prim == "pow":  # the exponent's special value is 0, the base's anything positive
        return [(1.3, 0.0), (2.0, 0.0)]
    if any(v is None for v in values):
        return []
    # every combination of the arguments' special values (ties among them), but not the
    # origin of a binary function (a pole of div and atan2)
    points = [p for p in itertools.product(*values) if len(p) == 1 or any(p)]
    return points


def _elementwise_records():
    from jitnet.core.primitive import Elementwise
    from jitnet.prims import elementwise as ew
    out = []
    for rec in R.RECORDS:
        prim = getattr(ew, rec.prim + "_p", None)
        if (rec.grad_order < 2 or prim is None or not isinstance(prim.kind, Elementwise)
                or rec.id in R.NONSMOOTH):
            continue
        for point in _record_points(rec):
            out.append(pytest.param(rec, point, id=f"{rec.id}{point}"))
    return out


@pytest.mark.parametrize("rec, point", _elementwise_records())
def test_records_second_derivatives_at_special_points(rec, point):
    _check_hessian(rec.fun, point, rec.id)


def test_records_walk_covers_the_smooth_elementwise_records():
    # every differentiable scalar elementwise record is either walked or named non-smooth
    walked = {p.values[0].id for p in _elementwise_records()}
    assert {"exp", "tanh", "pow", "atan2", "div", "digamma", "lgamma"} <= walked
    assert not walked & set(R.NONSMOOTH)


@pytest.mark.parametrize("sp", R._special_points(), ids=lambda s: s.name)
def test_composites_second_derivatives_at_special_points(sp):
    for point in sp.points:
        _check_hessian(sp.fun, point, sp.name)

"""The Bessel, exponential-integral, zeta, error-function and combinatorial members of
jitnet.scipy.special and the lax spellings, against scipy.special (float64 references) in
float32 and float64, with derivatives checked by finite differences (issue 18, item 4)."""
import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.special as sp

import jitnet
from jitnet import lax
from jitnet import numpy as jnp
from jitnet.scipy import special as js
from jitnet.test_util import check_grads

RTOL = {np.float32: 5e-6, np.float64: 1e-13}


def check(got, ref, dtype, rtol=None, atol=0.0):
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(ref, np.float64),
                               rtol=rtol or RTOL[dtype], atol=atol, equal_nan=True)


_SAMPLE = np.random.default_rng(0)
EDGES = [0.0, -0.0, 1e-8, -1e-8, np.inf, -np.inf, np.nan]

# name: (reference, random sample, extra points); float32 samples stay where float32 is finite
UNARY = {
    # both sides of the series/asymptotic switch at 20
    "i0e": (sp.i0e, _SAMPLE.uniform(-60, 60, 40), [19.99, 20.01, 700.0, -1e6]),
    "i1e": (sp.i1e, _SAMPLE.uniform(-60, 60, 40), [19.99, 20.01, 700.0, -1e6]),
    "i0": (sp.i0, _SAMPLE.uniform(-80, 80, 40), [19.99, 20.01]),
    "i1": (sp.i1, _SAMPLE.uniform(-80, 80, 40), [19.99, 20.01]),
    # both sides of the switch to the continued fraction at 2, past exp(x^2)'s overflow
    "erfcx": (sp.erfcx, _SAMPLE.uniform(-9, 30, 40), [1.99, 2.0, 9.5, 26.7, 1e4]),
    "dawsn": (sp.dawsn, _SAMPLE.uniform(-12, 12, 40), [6.49, 6.51, 1e5, -3.0]),
    "expi": (sp.expi, _SAMPLE.uniform(-50, 80, 40), [39.9, 40.1, -0.5, 1.0, 1.01]),
    "exp1": (sp.exp1, _SAMPLE.uniform(0, 60, 40), [1.0, 1.0001, 0.999, -1.0]),
    "spence": (sp.spence, _SAMPLE.uniform(0, 30, 40), [0.5, 2.0, 1.0, 0.4999, 2.001, -1.0, 1e8]),
    "loggamma": (sp.loggamma, _SAMPLE.uniform(-5, 40, 40), [1.0, 2.0, -1.0, 0.5]),
    "factorial": (sp.factorial, _SAMPLE.uniform(-3, 30, 40), [0.0, 1.0, 5.0, -1.0, 170.5]),
}
# float32 loses relative accuracy where the function crosses zero (expi at 0.37, spence at
# 1, loggamma at 1 and 2) or where rounding x to float32 is amplified (exp(x^2) x^2 eps)
ATOL32 = {"expi": 1e-6, "spence": 1e-6, "loggamma": 1e-6}
RTOL32 = {"erfcx": 2e-5, "dawsn": 2e-5, "i0": 2e-5, "i1": 2e-5, "expi": 2e-5, "exp1": 2e-5,
          "factorial": 5e-5, "loggamma": 2e-5}
RTOL64 = {"factorial": 1e-12}


def _reference(ref, x):
    with np.errstate(all="ignore"):
        out = ref(x)
    if ref is sp.loggamma:  # JAX: nan at 0 too (SciPy gives +inf there)
        out = np.where(x == 0, np.nan, out)
    if ref is sp.spence:  # Li2(1 - x) -> -inf: the right limit (SciPy and JAX give nan)
        out = np.where(x == np.inf, -np.inf, out)
    return out


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values(name, dtype):
    ref, sample, extra = UNARY[name]
    x = np.concatenate([sample, extra, EDGES]).astype(dtype)
    expected = _reference(ref, x.astype(np.float64))
    if dtype == np.float32:  # outside float32's range, the reference is compared as float32
        expected = expected.astype(np.float32)
        rtol, atol = RTOL32.get(name, 5e-6), ATOL32.get(name, 0.0)
    else:
        rtol, atol = RTOL64.get(name, 1e-13), 0.0
    check(getattr(js, name)(x), expected, dtype, rtol, atol)


def test_sici(dtype, generator):
    x = np.concatenate([generator.uniform(-60, 60, 40), [3.99, 4.01, 1e3, -1e3],
                        EDGES]).astype(dtype)
    si, ci = js.sici(x)
    ref_si, ref_ci = sp.sici(x.astype(np.float64))
    ref_ci = np.where(x == -np.inf, np.nan, ref_ci)  # JAX: nan (SciPy: 0)
    tol = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-15)}
    check(si, ref_si, dtype, **tol[dtype])
    check(ci, ref_ci, dtype, **tol[dtype])


def test_fresnel(dtype, generator):
    x = np.concatenate([generator.uniform(-40, 40, 40), [1.49, 1.51, 1e3, -2.0],
                        EDGES]).astype(dtype)
    s, c = js.fresnel(x)
    ref_s, ref_c = sp.fresnel(x.astype(np.float64))
    # float32: the phase pi x^2 / 2 is computed from a rounded x^2
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-15)
    check(s, ref_s, dtype, **tol)
    check(c, ref_c, dtype, **tol)


def test_hyp1f1(dtype, generator):
    a, b = generator.uniform(0.1, 10, 60), generator.uniform(0.1, 10, 60)
    x = generator.uniform(-80, 200, 60)
    keep = np.abs(sp.hyp1f1(a, b, x)) < (1e37 if dtype == np.float32 else np.inf)
    a, b, x = (np.concatenate([v[keep], e]) for v, e in
               ((a, [0.0, 2.5, 2.0, -2.0, 3.0]), (b, [0.0, 2.5, -1.0, 3.0, 0.5]),
                (x, [2.0, 3.0, 1.0, 5.0, -3.0])))
    # the reference at the rounded inputs: 1F1 amplifies the rounding of x by up to |x|
    a, b, x = (v.astype(dtype) for v in (a, b, x))
    expected = sp.hyp1f1(*(v.astype(np.float64) for v in (a, b, x)))
    expected[(a == 0) & (b == 0)] = 1.0  # JAX's convention (SciPy: inf)
    # float32: the large-x expansion's float32 gammaln costs up to ~6e-6 (20,000 random
    # points); the series keeps float32's precision
    tol = dict(rtol=2e-5) if dtype == np.float32 else dict(rtol=1e-10)
    check(js.hyp1f1(a, b, x), expected, dtype, **tol)


def test_hyp1f1_float32_where_the_series_cancels():
    """Points where float32 summation lost 0.05 to 0.4% (the worst of 20,000 random points):
    for x < 0 Kummer's transformation leaves a series in b - a < 0 whose leading terms
    alternate and cancel. In double-float arithmetic, with b - a exact as a pair, float32
    keeps its precision (float64 reference at the same float32 inputs)."""
    points = np.array([(9.796106, 2.7224844, -10.159563), (9.579998, 1.583562, -16.665018),
                       (8.514175, 0.99793667, -17.255693), (9.669556, 0.8862996, -27.387419)],
                      np.float32).T
    expected = sp.hyp1f1(*points.astype(np.float64))
    check(js.hyp1f1(*points), expected, np.float32, rtol=1e-6)


def test_hyp1f1_float32_near_the_top_of_the_range():
    """Results of 2e36 to 1e37 (series terms above 8e34, where Dekker's split overflowed)
    were NaN; first seen on a GPU test's 20,000 points."""
    points = np.array([(9.06236, 2.0563686, 64.78588), (8.453817, 1.158775, 62.140514),
                       (8.380544, 1.906361, 66.46678), (9.997081, 4.8502316, 71.11791)],
                      np.float32).T
    expected = sp.hyp1f1(*points.astype(np.float64))
    assert (np.abs(expected) > 1e36).all()
    check(js.hyp1f1(*points), expected, np.float32, rtol=1e-5)
    check(jitnet.jit(js.hyp1f1)(*points), expected, np.float32, rtol=1e-5)


def test_hyp1f1_float32_near_a_zero_of_the_reciprocal_gamma():
    """x < 0 beyond the series: the expansion's 1 / Gamma(b - a) at b - a = -2.0027, where
    rounding b - a to float32 cost 2.3e-5 (the worst of 20,000 random points); its low part
    enters through gammaln's derivative."""
    a, b, x = np.float32(2.5308845), np.float32(0.5281599), np.float32(-50.969574)
    expected = sp.hyp1f1(float(a), float(b), float(x))
    check(js.hyp1f1(a, b, x), expected, np.float32, rtol=5e-6)


def test_hyp2f1(dtype, generator):
    n = 60
    a, b = generator.uniform(-5, 5, n), generator.uniform(-5, 5, n)
    c = generator.uniform(0.1, 8, n)
    x = generator.uniform(-10, 0.9, n)  # transformed argument <= 0.91
    edges = np.array([(1.0, 2.0, 3.0, 1.5), (1.0, 2.0, 4.0, 1.0), (1.0, 2.0, 3.0, 1.0),
                      (0.5, 0.5, -2.0, 0.3), (-2.0, 0.5, -2.0, 0.3), (2.0, 3.0, 1.0, 0.9),
                      (0.0, 1.0, 2.0, 0.5), (3.0, -2.0, 1.5, 0.7), (1.5, 2.0, 2.0, -0.5)]).T
    # the reference at the rounded inputs: where the series cancels, 2F1 amplifies their
    # rounding to float32 far beyond float32's precision
    a, b, c, x = (np.concatenate([v, e]).astype(dtype) for v, e in zip((a, b, c, x), edges))
    expected = sp.hyp2f1(*(v.astype(np.float64) for v in (a, b, c, x)))
    keep = np.abs(expected) < 1e30
    tol = dict(rtol=5e-6) if dtype == np.float32 else dict(rtol=1e-10)
    got = js.hyp2f1(a, b, c, x)
    check(got[keep], expected[keep], dtype, **tol)
    assert np.isinf(np.asarray(got)[~keep]).all()


def test_hyp2f1_float32_where_the_series_cancels():
    """Points where float32 summation lost 2 to 12% (the first found by a random test): Pfaff
    and Euler's transformations leave a series whose terms cancel to 1e-3 of the largest.
    In double-float arithmetic float32 keeps its precision (float64 reference at the same
    float32 inputs)."""
    points = np.array([(-2.81394, -4.2599053, 4.3623667, -7.515428),
                       (-4.7574034, -2.7732668, 6.877792, -8.470304),
                       (-0.104880996, -3.6120493, 7.0551047, -6.588644),
                       (-4.2882905, -2.9605289, 5.242512, -7.338179)], np.float32).T
    expected = sp.hyp2f1(*points.astype(np.float64))
    check(js.hyp2f1(*points), expected, np.float32, rtol=5e-6)


def test_expn(dtype, generator):
    n = np.concatenate([generator.integers(0, 40, 60), [0, 1, 2, 3, 0, 1, 5, 2, -1, 2.5, 1]])
    x = np.concatenate([generator.uniform(0, 30, 60), [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1e-9,
                                                 np.inf, 1.0, 1.0, -1.0]])
    with np.errstate(all="ignore"):
        expected = sp.expn(np.floor(n), x)
    expected[n == 2.5] = np.nan  # SciPy truncates a non-integer n; JAX gives nan
    tol = dict(rtol=2e-5) if dtype == np.float32 else {}
    check(js.expn(n.astype(dtype), x.astype(dtype)), expected, dtype, **tol)


def test_zeta_and_polygamma(dtype, generator):
    x = np.concatenate([generator.uniform(1.01, 30, 30), [2.0, 3.0, 1.0, 0.5, 4.0, 3.0, 2.0]])
    q = np.concatenate([generator.uniform(0.01, 50, 30), [1.0, -1.5, 1.0, 1.0, 0.0, -2.0, np.inf]])
    tol = dict(rtol=2e-5, atol=1e-37) if dtype == np.float32 else dict(rtol=1e-13)
    check(js.zeta(x.astype(dtype), q.astype(dtype)), sp.zeta(x, q), dtype, **tol)
    with pytest.raises(NotImplementedError, match="zeta"):
        js.zeta(2.0)
    n = np.concatenate([generator.integers(0, 6, 30), [1, 2, 3, -1]])
    xp = np.concatenate([generator.uniform(0.05, 25, 30), [-1.5, -2.5, 0.0, 1.0]])
    with np.errstate(all="ignore"):
        expected = sp.polygamma(n, xp)
    expected[n < 0] = np.nan
    expected[xp == 0] = np.inf  # pole, as SciPy (odd n) and JAX; SciPy gives nan for even n
    check(js.polygamma(n, xp.astype(dtype)), expected, dtype, **tol)
    with pytest.raises(ValueError, match="polygamma.*integer"):
        js.polygamma(1.0, xp)


def test_combinatorial(dtype, generator):
    N = generator.integers(-2, 40, 40).astype(dtype)
    k = generator.integers(-2, 40, 40).astype(dtype)
    tol = dict(rtol=5e-5) if dtype == np.float32 else dict(rtol=1e-12)
    check(js.comb(N, k), sp.comb(N, k), dtype, **tol)
    rep = sp.comb(N, k, repetition=True)
    rep[np.isnan(rep)] = 0.0  # JAX's convention: 0 off the domain (SciPy: nan)
    check(js.comb(N, k, repetition=True), rep, dtype, **tol)
    z = np.concatenate([generator.uniform(-8, 8, 40), [0.0, -1.0, -2.0, 2.5]]).astype(dtype)
    m = np.concatenate([generator.uniform(-3, 5, 40), [2.0, 1.0, 1.5, 0.0]]).astype(dtype)
    check(js.poch(z, m), sp.poch(z, m), dtype, rtol=2e-4 if dtype == np.float32 else 1e-12)
    with pytest.raises(NotImplementedError, match="exact"):
        js.factorial(3, exact=True)


def test_boxcox(dtype, generator):
    lmbda = np.concatenate([generator.uniform(-2, 2, 30), [0.0, 1e-9, 0.5, 0.5]]).astype(dtype)
    x = np.concatenate([generator.uniform(0.01, 10, 30), [2.0, 2.0, 0.0, -1.0]]).astype(dtype)
    with np.errstate(all="ignore"):
        check(js.boxcox(x, lmbda), sp.boxcox(x, lmbda), dtype)
        check(js.boxcox1p(x - 1, lmbda), sp.boxcox1p(x - 1, lmbda), dtype)


def test_owens_t(dtype, generator):
    h = np.concatenate([generator.uniform(-8, 8, 40), [0.0, 0.0, 1.0, 2.0, np.nan]]).astype(dtype)
    a = np.concatenate([generator.uniform(-6, 6, 40), [0.5, -3.0, 1.0, np.inf, 1.0]]).astype(dtype)
    tol = dict(rtol=2e-5, atol=1e-12) if dtype == np.float32 else dict(rtol=1e-12)
    check(js.owens_t(h, a), sp.owens_t(h, a), dtype, **tol)


def _bernoulli_exact(n):
    """``B_n`` from the explicit double sum (not the algorithm the library uses)."""
    return sum(Fraction(1, k + 1) * sum((-1) ** j * math.comb(k, j) * Fraction(j) ** n
                                        for j in range(k + 1)) for k in range(n + 1))


def test_bernoulli():
    jitnet.config.update("jax_enable_x64", True)
    try:
        b = np.asarray(js.bernoulli(40))
        exact = [float(_bernoulli_exact(n)) for n in range(41)]
        exact[1] = -0.5
        np.testing.assert_allclose(b, exact, rtol=1e-16)
        big = np.asarray(js.bernoulli(110))[102::2]  # from the zeta formula
        np.testing.assert_allclose(big, [float(_bernoulli_exact(n)) for n in range(102, 111, 2)],
                                   rtol=1e-13)
        assert np.isinf(np.asarray(js.bernoulli(300))[-1])
    finally:
        jitnet.config.update("jax_enable_x64", False)
    assert js.bernoulli(2).dtype == np.float32
    with pytest.raises(ValueError, match="bernoulli"):
        js.bernoulli(-1)


def test_bessel_jn(dtype, generator):
    z = np.concatenate([generator.uniform(-25, 25, 20), [0.0, 1e-3, -1e-8, 3.0]]).astype(dtype)
    out = js.bessel_jn(z, v=6)
    assert out.shape == (7, z.size)
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-14)
    check(out, sp.jv(np.arange(7)[:, None], z.astype(np.float64)), dtype, **tol)
    with pytest.raises(ValueError, match="bessel_jn"):
        js.bessel_jn(z, v=60)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="i0e"):
        js.i0e("a")
    with pytest.raises(TypeError, match="bessel_jn: v"):
        js.bessel_jn(np.ones(2), v=1.5)
    with pytest.raises(ValueError, match=r"hyp1f1.*\(2,\).*\(3,\)"):
        js.hyp1f1(np.ones(2), np.ones(3), 1.0)


# -- derivatives --------------------------------------------------------------------------

def _a(*v):
    return np.array(v)


# (function, arguments, order): a point on each side of every branch switch. Second order is
# checked in forward mode (jvp of jvp: the rules themselves); reverse mode, which transposes
# them, once at first order by the grad calls below and in test_igamma_rules.
GRAD_CASES = {
    "i0e": (js.i0e, (_a(0.3, -2.0, 25.0),), 2), "i1e": (js.i1e, (_a(0.3, -2.0, 25.0),), 2),
    "i0": (js.i0, (_a(0.5, -3.0),), 2), "i1": (js.i1, (_a(0.5, -3.0),), 2),
    "erfcx": (js.erfcx, (_a(-1.0, 0.5, 30.0),), 2), "dawsn": (js.dawsn, (_a(0.4, -3.0, 8.0),), 2),
    "expi": (js.expi, (_a(-2.0, 0.7, 45.0),), 2), "exp1": (js.exp1, (_a(0.5, 3.0),), 2),
    "spence": (js.spence, (_a(0.3, 1.3, 5.0),), 2), "loggamma": (js.loggamma, (_a(0.7, 4.0),), 2),
    "factorial": (js.factorial, (_a(0.5, 3.0),), 2),
    "zeta": (js.zeta, (_a(2.5, 4.0), _a(0.7, 3.0)), 2),
    "polygamma": (lambda x: js.polygamma(2, x), (_a(0.6, 4.0),), 2),
    "poch": (js.poch, (_a(1.5, 3.0), _a(0.7, 2.2)), 2),
    "owens_t": (js.owens_t, (_a(0.3, -1.2), _a(0.6, 2.5)), 2),
    "sici": (js.sici, (_a(1.5, 7.0),), 2), "fresnel": (js.fresnel, (_a(0.7, -2.5),), 2),
    "boxcox": (js.boxcox, (_a(0.5, 3.0), _a(0.3, -1.2)), 2),
    "hyp1f1": (js.hyp1f1, (_a(0.7, 2.5), _a(1.5, 0.8), _a(-3.0, 50.0)), 1),
    "hyp2f1": (js.hyp2f1, (_a(0.7, 2.5), _a(1.5, -0.8), _a(2.5, 3.0), _a(-3.0, 0.4)), 1),
    "bessel_jn": (lambda x: js.bessel_jn(x, v=2, n_iter=20), (_a(0.7, 5.0),), 1),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grads(name, x64):
    fun, args, order = GRAD_CASES[name]
    check_grads(fun, args, order=order, modes=("fwd",) if order == 2 else ("fwd", "rev"),
                rtol=1e-6)


def test_grad_rules_at_special_points(x64):
    """Closed forms, in reverse mode, where the rule differs from differentiating a
    composition."""
    g = jitnet.grad
    # i0'(0) = I_1(0) = 0, i1'(0) = 1/2 (JAX's composition gives i0'(0) = 1)
    assert float(g(js.i0)(0.0)) == 0.0
    assert float(g(js.i1)(0.0)) == 0.5
    assert float(g(js.i1e)(0.0)) == 0.5
    np.testing.assert_allclose(float(g(js.i0e)(2.0)), sp.i1e(2.0) - sp.i0e(2.0), rtol=1e-14)
    np.testing.assert_allclose(float(g(js.expi)(1.5)), np.exp(1.5) / 1.5, rtol=1e-14)
    si, ci = g(lambda x: js.sici(x)[0])(0.0), g(lambda x: js.sici(x)[1])(2.0)
    assert float(si) == 1.0
    np.testing.assert_allclose(float(ci), np.cos(2.0) / 2.0, rtol=1e-14)
    np.testing.assert_allclose(float(g(js.expn, argnums=1)(3.0, 1.5)), -sp.expn(2, 1.5),
                               rtol=1e-13)
    # exp1'' = e^-x (1/x + 1/x^2) (JAX: nan)
    np.testing.assert_allclose(float(g(g(js.exp1))(2.0)), np.exp(-2.0) * 0.75, rtol=1e-13)
    # zeta in q, through the expansion: -x zeta(x + 1, q)
    np.testing.assert_allclose(float(g(js.zeta, argnums=1)(3.0, 2.5)),
                               -3.0 * sp.zeta(4.0, 2.5), rtol=1e-12)
    # owens_t in h and a (closed forms)
    np.testing.assert_allclose(float(g(js.owens_t, argnums=1)(0.8, 1.7)),
                               np.exp(-0.5 * 0.64 * (1 + 1.7 ** 2)) / (2 * np.pi * (1 + 1.7 ** 2)),
                               rtol=1e-13)


def test_igamma_rules(x64):
    a, x = np.array([0.7, 2.5, 6.0]), np.array([0.4, 2.0, 9.0])
    check_grads(js.gammainc, (a, x), order=2, modes=("fwd",), rtol=1e-5)
    check_grads(js.gammaincc, (a, x), order=1, rtol=1e-5)
    # lax.igamma_grad_a and random_gamma_grad against SciPy and finite differences
    h = 1e-6
    fd_a = (sp.gammainc(a + h, x) - sp.gammainc(a - h, x)) / (2 * h)
    np.testing.assert_allclose(np.asarray(lax.igamma_grad_a(a, x)), fd_a, rtol=1e-7)
    u = sp.gammainc(a, x)
    fd_x = (sp.gammaincinv(a + h, u) - sp.gammaincinv(a - h, u)) / (2 * h)
    np.testing.assert_allclose(np.asarray(lax.random_gamma_grad(a, x)), fd_x, rtol=1e-6)


# -- lax spellings, transforms ------------------------------------------------------------

def test_lax_names(x64):
    x = np.array([0.5, 3.0, 30.0])
    np.testing.assert_allclose(np.asarray(lax.bessel_i0e(x)), sp.i0e(x), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(lax.bessel_i1e(x)), sp.i1e(x), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(lax.igamma(x, x + 1)), sp.gammainc(x, x + 1),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(lax.igammac(x, x + 1)), sp.gammaincc(x, x + 1),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(lax.betainc(x, x, np.full(3, 0.4))),
                               sp.betainc(x, x, 0.4), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(lax.zeta(x + 1.5, x)), sp.zeta(x + 1.5, x),
                               rtol=1e-13)
    m = np.array([1.0, 2.0, 1.5])
    out = np.asarray(lax.polygamma(m, x))
    np.testing.assert_allclose(out[:2], sp.polygamma([1, 2], x[:2]), rtol=1e-13)
    assert np.isnan(out[2])  # non-integer order
    with pytest.raises(TypeError, match="lax.igamma.*float32.*float64"):
        lax.igamma(np.float32(1.0), np.array([1.0]))
    with pytest.raises(TypeError, match="lax.zeta"):
        lax.zeta(np.array([2]), np.array([1]))


def test_jit_and_vmap_match_eager(x64):
    """One compiled program for several functions; vmap of one with a loop inside."""
    def several(x):
        return js.i1e(x), js.erfcx(x), js.spence(x), js.zeta(x + 1.0, x), js.owens_t(x, x)
    x = np.array([0.3, 2.0, 7.5, 25.0, 45.0])
    for got, want in zip(jitnet.jit(several)(x), several(x)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-13)
    batched = jitnet.vmap(lambda n, x: js.expn(n, x))(np.array([1.0, 2.0, 3.0]), x[:3])
    np.testing.assert_allclose(np.asarray(batched), sp.expn([1, 2, 3], x[:3]), rtol=1e-13)


# -- wofz (Faddeeva) -----------------------------------------------------------------------------

def _wofz_points():
    rng = np.random.default_rng(1)
    return np.concatenate([
        rng.uniform(-20, 20, 300) + 1j * rng.uniform(-3, 20, 300),          # both half-planes
        10 ** rng.uniform(-6, 3, 300) * np.exp(1j * rng.uniform(-0.3, np.pi + 0.3, 300)),
        rng.uniform(-10, 10, 50) + 0j, [0j, 1e-300 + 0j, 5j, -5j]])         # axes and 0


def test_wofz_against_scipy_eager_and_jit(x64):
    z = _wofz_points()
    ref = sp.wofz(z)
    for f in (js.wofz, jitnet.jit(js.wofz)):
        got = np.asarray(f(jnp.asarray(z)))
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, ref, rtol=5e-14)
    x = np.linspace(-6, 6, 25)                                   # real input: complex output
    np.testing.assert_allclose(np.asarray(js.wofz(x)), sp.wofz(x), rtol=5e-14)


def test_wofz_complex64():
    z = _wofz_points()[:650].astype(np.complex64)
    got = np.asarray(js.wofz(jnp.asarray(z)))
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, sp.wofz(z.astype(np.complex128)), rtol=5e-5)


def test_wofz_derivative_is_the_closed_form(x64):
    z = np.array([0.3 + 0.7j, -1.2 + 0.2j, 2.0 - 0.5j, 0j])
    _, d = jitnet.jvp(js.wofz, (jnp.asarray(z),), (jnp.ones_like(jnp.asarray(z)),))
    np.testing.assert_allclose(np.asarray(d), -2 * z * sp.wofz(z) + 2j / np.sqrt(np.pi),
                               rtol=1e-12, atol=1e-14)


# -- sph_harm_y ----------------------------------------------------------------------------------

def test_sph_harm_y_against_scipy(x64):
    rng = np.random.default_rng(0)
    n, m = rng.integers(0, 12, 300), rng.integers(-12, 13, 300)      # |m| > n included: 0
    theta, phi = rng.uniform(0, np.pi, 300), rng.uniform(0, 2 * np.pi, 300)
    theta[:3] = [0.0, np.pi, np.pi / 2]                               # the poles, the equator
    ref = sp.sph_harm_y(n, m, theta, phi)
    np.testing.assert_allclose(np.asarray(js.sph_harm_y(n, m, theta, phi)), ref, atol=1e-14)
    jitted = jitnet.jit(lambda *a: js.sph_harm_y(*a, n_max=11))
    np.testing.assert_allclose(np.asarray(jitted(n, m, theta, phi)), ref, atol=1e-14)
    big = js.sph_harm_y(np.array([60, 60]), np.array([-37, 55]), 1.1, 0.4)  # no overflow
    np.testing.assert_allclose(np.asarray(big), sp.sph_harm_y([60, 60], [-37, 55], 1.1, 0.4),
                               atol=1e-14)


def test_sph_harm_y_float32_derivative_and_errors(x64):
    f = lambda t: jnp.real(js.sph_harm_y(np.array([4]), np.array([1]), t, 0.3)[0])
    h, t0 = 1e-6, 0.9
    fd = (sp.sph_harm_y(4, 1, t0 + h, 0.3).real - sp.sph_harm_y(4, 1, t0 - h, 0.3).real) / (2 * h)
    np.testing.assert_allclose(float(jitnet.grad(f)(t0)), fd, rtol=1e-7)
    with pytest.raises(TypeError, match="sph_harm_y: n must be an integer"):
        js.sph_harm_y(np.array([1.0]), np.array([0]), 0.1, 0.2)
    with pytest.raises(jitnet.ConcretizationTypeError, match="n_max"):
        jitnet.jit(js.sph_harm_y)(np.array([2]), np.array([1]), 0.1, 0.2)
    jitnet.config.update("jax_enable_x64", False)
    got = js.sph_harm_y(np.array([3]), np.array([2]), np.float32(0.7), np.float32(0.3))
    assert got.dtype == np.complex64
    np.testing.assert_allclose(np.asarray(got), sp.sph_harm_y(3, 2, 0.7, 0.3), rtol=1e-5)

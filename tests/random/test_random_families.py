"""The gamma family, the counting laws and the transformed laws of ``jitnet.random``.

References are independent of the code: SciPy's distributions (KS tests, closed-form
moments with tolerances from the sample size, pmf frequencies), finite differences of
SciPy's inverse incomplete gamma for the reparameterized gradient, and NumPy algebra.
Every key is fixed, so each test is deterministic.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax, random
import record_sampler_reference
from random_reference_helpers import x64
from random_stats import a, check_ks, check_law_moments, check_pmf

N = 20_000
KEY = random.PRNGKey(1234)

CONTINUOUS = [
    ("gamma_small_a", lambda k: random.gamma(k, 0.3, (N,)), st.gamma(0.3)),
    ("gamma", lambda k: random.gamma(k, 4.5, (N,)), st.gamma(4.5)),
    ("loggamma_exp", lambda k: jnp.exp(random.loggamma(k, 2.0, (N,))), st.gamma(2.0)),
    ("beta", lambda k: random.beta(k, 0.7, 2.5, (N,)), st.beta(0.7, 2.5)),
    ("dirichlet_marginal", lambda k: random.dirichlet(k, jnp.array([0.5, 1.5, 2.0]), (N,))[:, 1],
     st.beta(1.5, 2.5)),
    ("chisquare", lambda k: random.chisquare(k, 3.0, (N,)), st.chi2(3.0)),
    ("f", lambda k: random.f(k, 5.0, 12.0, (N,)), st.f(5.0, 12.0)),
    ("t", lambda k: random.t(k, 4.5, (N,)), st.t(4.5)),
    ("generalized_normal", lambda k: random.generalized_normal(k, 1.5, (N,)), st.gennorm(1.5)),
    ("cauchy", lambda k: random.cauchy(k, (N,)), st.cauchy()),
    ("pareto", lambda k: random.pareto(k, 3.0, (N,)), st.pareto(3.0)),
    ("rayleigh", lambda k: random.rayleigh(k, 2.0, (N,)), st.rayleigh(scale=2.0)),
    ("maxwell", lambda k: random.maxwell(k, (N,)), st.maxwell()),
    ("double_sided_maxwell_abs",
     lambda k: jnp.abs(random.double_sided_maxwell(k, 1.0, 2.0, (N,)) - 1.0),
     st.maxwell(scale=2.0)),
    ("weibull_min", lambda k: random.weibull_min(k, 2.0, 1.5, (N,)),
     st.weibull_min(1.5, scale=2.0)),
    ("wald", lambda k: random.wald(k, 1.7, (N,)), st.invgauss(1.7)),
    ("triangular", lambda k: random.triangular(k, -1.0, 0.5, 2.0, (N,)),
     st.triang(0.5, loc=-1.0, scale=3.0)),
    ("lognormal", lambda k: random.lognormal(k, 0.6, (N,)), st.lognorm(0.6)),
]


@pytest.mark.parametrize("name,sample,dist", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_law(name, sample, dist):
    x = sample(KEY)
    assert x.shape == (N,) and x.dtype == np.float32
    assert np.all(np.isfinite(a(x)))
    check_ks(x, dist)
    if name not in ("cauchy", "pareto"):  # infinite (or barely finite) higher moments
        check_law_moments(x, dist)


def test_loggamma_keeps_tiny_samples():
    # a = 0.01: most Gamma samples are far below float32's smallest normal; loggamma's
    # log-space boost keeps them, and exp of it matches gamma where gamma is representable
    lg = a(random.loggamma(KEY, 0.01, (N,)))
    assert np.all(np.isfinite(lg)) and np.median(lg) < -60
    check_ks(lg, st.loggamma(0.01))
    g = a(random.gamma(KEY, 0.01, (N,)))
    big = g > 1e-30
    np.testing.assert_allclose(np.exp(lg[big]), g[big], rtol=1e-4)


def test_double_sided_maxwell_is_symmetric():
    x = a(random.double_sided_maxwell(KEY, 0.0, 1.0, (N,)))
    assert abs(np.mean(x > 0) - 0.5) < 5 * 0.5 / math.sqrt(N)


def test_ball_is_uniform_in_the_ball():
    n = N // 4
    for p, d in ((2, 3), (1, 2)):
        x = a(random.ball(KEY, d, p, (n,)))
        assert x.shape == (n, d)
        r = np.sum(np.abs(x) ** p, axis=-1) ** (1 / p)
        assert np.all(r < 1)
        check_ks(r ** d, st.uniform())  # uniform in a d-dim ball: P(R <= r) = r^d
        # and the direction is uniform on the sphere: each coordinate symmetric
        assert np.all(np.abs(np.mean(x > 0, axis=0) - 0.5) < 5 * 0.5 / math.sqrt(n))


def test_dirichlet_sums_to_one_with_beta_marginals():
    alpha = np.array([0.2, 1.0, 3.0])
    x = a(random.dirichlet(KEY, jnp.asarray(alpha), (N,)))
    np.testing.assert_allclose(x.sum(-1), 1, rtol=1e-5)
    check_ks(x[:, 0], st.beta(0.2, alpha.sum() - 0.2))


@pytest.mark.parametrize("method", ["cholesky", "svd", "eigh"])
def test_multivariate_normal_mean_and_covariance(method):
    mean = np.array([1.0, -2.0, 0.5])
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    x = a(random.multivariate_normal(KEY, jnp.asarray(mean, jnp.float32),
                                     jnp.asarray(cov, jnp.float32), (N,), method=method))
    assert x.shape == (N, 3)
    # any projection w.x is normal with mean w.mean and variance w' cov w
    for w in (np.array([1.0, 0, 0]), np.array([0.3, -1.0, 2.0])):
        check_ks(x @ w, st.norm(w @ mean, math.sqrt(w @ cov @ w)))
    emp = np.cov(x.T)
    se = np.sqrt((cov ** 2 + np.outer(np.diag(cov), np.diag(cov))) / N)  # Wishart variance
    assert np.all(np.abs(emp - cov) < 5 * se)


# -- counting laws ---------------------------------------------------------------------

@pytest.mark.parametrize("lam", [3.0, 45.0])  # Knuth below 10, rejection above
def test_poisson_pmf(lam):
    x = random.poisson(KEY, lam, (N,))
    assert x.dtype == np.int32
    check_pmf(x, st.poisson(lam).pmf)
    check_law_moments(x, st.poisson(lam))


def test_poisson_mixed_rates_and_zero():
    lam = jnp.array([0.0, 2.0, 30.0])
    x = a(random.poisson(KEY, lam, (N // 2, 3)))
    assert np.all(x[:, 0] == 0)
    check_pmf(x[:, 1], st.poisson(2.0).pmf)
    check_pmf(x[:, 2], st.poisson(30.0).pmf)


@pytest.mark.parametrize("n,p", [(20, 0.3), (200, 0.7)])  # inversion; BTRS with p > 1/2
def test_binomial_pmf(n, p):
    x = random.binomial(KEY, n, p, (N,))
    assert x.dtype == np.float32
    check_pmf(x, st.binom(n, p).pmf)
    check_law_moments(x, st.binom(n, p))


def test_binomial_edge_cases_follow_jax():
    x = a(random.binomial(KEY, jnp.array([0.0, 7.0, 5.0, -1.0, np.inf]),
                          jnp.array([0.5, 1.0, np.nan, 0.5, 0.5])))
    assert x[0] == 0 and x[1] == 7 and np.isnan(x[2]) and np.isnan(x[3]) and x[4] == np.inf


def test_multinomial_counts():
    p = np.array([0.2, 0.5, 0.3])
    x = a(random.multinomial(KEY, 30.0, jnp.asarray(p, jnp.float32), shape=(N, 3)))
    assert x.shape == (N, 3)
    np.testing.assert_array_equal(x.sum(-1), 30)
    for j in range(3):
        check_pmf(x[:, j], st.binom(30, p[j]).pmf)
    # the counts are negatively correlated as cov = -n p_i p_j
    c = np.cov(x[:, 0], x[:, 1])[0, 1]
    assert abs(c - (-30 * 0.2 * 0.5)) < 5 * math.sqrt(30 * 0.2 * 30 * 0.5 * 2 / N)


def test_geometric_pmf():
    x = random.geometric(KEY, 0.3, (N,))
    assert x.dtype == np.int32
    check_pmf(x, st.geom(0.3).pmf, lo=1)
    check_law_moments(x, st.geom(0.3))


# -- gradients --------------------------------------------------------------------------

def fd_inverse_cdf(alpha, x):
    """d x / d alpha at fixed u = P(alpha, x): central differences of SciPy's gammaincinv."""
    u = sp.gammainc(alpha, x)
    h = 1e-5 * alpha
    return (sp.gammaincinv(alpha + h, u) - sp.gammaincinv(alpha - h, u)) / (2 * h)


def test_random_gamma_grad_against_finite_differences():
    with x64(True):
        alpha = np.array([0.01, 0.2, 1.0, 2.5, 7.0, 40.0, 900.0, 0.5, 3.0])
        u = np.array([0.5, 0.9, 0.01, 0.5, 0.99, 0.2, 0.7, 1e-6, 0.999999])
        x = sp.gammaincinv(alpha, u)
        got = np.asarray(lax.random_gamma_grad(jnp.asarray(alpha), jnp.asarray(x)))
        np.testing.assert_allclose(got, fd_inverse_cdf(alpha, x), rtol=1e-6)
        edge = np.asarray(lax.random_gamma_grad(jnp.array([1.0, -1.0, 2.0]),
                                                jnp.array([0.0, 1.0, -1.0])))
        assert edge[0] == 0 and np.isnan(edge[1]) and np.isnan(edge[2])


def test_gamma_sample_gradient_is_the_implicit_derivative():
    alpha = jnp.array([0.15, 0.8, 1.0, 3.0, 25.0])
    for k in random.split(KEY, 2):
        x = a(random.gamma(k, alpha))
        g = a(jax.grad(lambda al: jnp.sum(random.gamma(k, al)))(alpha))
        np.testing.assert_allclose(g, fd_inverse_cdf(a(alpha), x), rtol=2e-4)
        # loggamma: d log x / d alpha = (dx/dalpha) / x
        lg = jax.grad(lambda al: jnp.sum(random.loggamma(k, al)))(alpha)
        np.testing.assert_allclose(a(lg), fd_inverse_cdf(a(alpha), x) / x, rtol=2e-3)


def test_gradient_flows_through_the_gamma_family():
    # E[beta(a, b)] = a / (a + b): the pathwise gradient of the sample mean estimates its
    # derivative b / (a + b)^2 (unbiased; the sample standard error bounds the error)
    ab = jnp.array([1.5, 2.5])
    per = jax.vmap(jax.grad(lambda p, k: random.beta(k, p[0], p[1])), in_axes=(None, 0))(
        ab, random.split(KEY, 2000))
    per = a(per)
    want = np.array([2.5 / 16, -1.5 / 16])
    se = per.std(0) / math.sqrt(len(per))
    assert np.all(np.abs(per.mean(0) - want) < 5 * se)


# -- transforms, keys, shapes and dtypes ------------------------------------------------------

def test_vmap_over_keys_matches_a_loop():
    keys = random.split(KEY, 3)
    for f in (lambda k: random.gamma(k, jnp.array([0.5, 2.0])),
              lambda k: random.poisson(k, jnp.array([1.0, 20.0])),
              lambda k: random.binomial(k, 30.0, 0.4, (2,))):
        got = a(jax.vmap(f)(keys))
        want = np.stack([a(f(k)) for k in keys])
        np.testing.assert_array_equal(got, want)


def test_jit_matches_eager():
    # one compiled sampler (Numba compiles of the threefry hash are slow: one is enough
    # here, tests/random/test_random_transforms.py compiles more) ...
    f = lambda k: random.geometric(k, jnp.array([0.25, 0.6]), (3, 2))
    np.testing.assert_array_equal(a(jax.jit(f)(KEY)), a(f(KEY)))


@pytest.mark.parametrize("f", [
    lambda k: random.gamma(k, jnp.array([0.5, 2.0])),
    lambda k: random.poisson(k, jnp.array([1.0, 20.0])),
    lambda k: random.binomial(k, jnp.array([5.0, 100.0]), 0.4),
], ids=["gamma", "poisson", "binomial"])
def test_rejection_samplers_trace_for_jit(f):
    # ... and the rejection loops trace to one while_loop each, with static shapes
    text = str(jax.make_jaxpr(f)(KEY))
    assert "while" in text and "f32[2]" in text


def test_same_key_same_sample_and_typed_keys():
    k = random.key(7)
    for f in (lambda k: random.gamma(k, 1.3, (4,)), lambda k: random.poisson(k, 4.0, (4,))):
        x = a(f(k))
        np.testing.assert_array_equal(x, a(f(random.key_data(k))))  # same key, raw
        assert not np.array_equal(x, a(f(random.fold_in(k, 1))))


SHAPES = [
    (lambda: random.gamma(KEY, jnp.ones((2, 1))), (2, 1), np.float32),
    (lambda: random.gamma(KEY, jnp.ones(3), (2, 3)), (2, 3), np.float32),
    (lambda: random.gamma(KEY, 2.0, (0, 3)), (0, 3), np.float32),
    (lambda: random.beta(KEY, jnp.ones((2, 1)), jnp.ones(3)), (2, 3), np.float32),
    (lambda: random.dirichlet(KEY, jnp.ones((2, 4))), (2, 4), np.float32),
    (lambda: random.dirichlet(KEY, jnp.ones(4), (5,)), (5, 4), np.float32),
    (lambda: random.t(KEY, jnp.ones(3), dtype=jnp.float16), (3,), np.float16),
    (lambda: random.f(KEY, 2.0, jnp.ones(2)), (2,), np.float32),
    (lambda: random.ball(KEY, 4, shape=(2,)), (2, 4), np.float32),
    (lambda: random.poisson(KEY, jnp.ones(3), dtype=jnp.int16), (3,), np.int16),
    (lambda: random.binomial(KEY, jnp.full((2, 1), 5.0), jnp.full(3, 0.5)), (2, 3), np.float32),
    (lambda: random.multinomial(KEY, jnp.array([5.0, 9.0]), jnp.ones(3) / 3, shape=(2, 3)),
     (2, 3), np.float32),
    (lambda: random.multinomial(KEY, 5.0, jnp.ones((2, 3)) / 3), (2, 3), np.float32),
    (lambda: random.geometric(KEY, jnp.full((2, 2), 0.5)), (2, 2), np.int32),
    (lambda: random.double_sided_maxwell(KEY, jnp.zeros(3), 1.0), (3, 3), np.float32),
    (lambda: random.weibull_min(KEY, jnp.ones(3), 2.0), (3,), np.float32),
    (lambda: random.multivariate_normal(KEY, jnp.zeros((2, 3)), jnp.eye(3)), (2, 3),
     np.float32),
    (lambda: random.lognormal(KEY, shape=(2,), dtype=jnp.complex64), (2,), np.complex64),
    (lambda: random.triangular(KEY, 0.0, jnp.full((2, 1), 0.5), jnp.ones(3)), (2, 3),
     np.float32),
]


@pytest.mark.parametrize("i", range(len(SHAPES)))
def test_shapes_and_dtypes(i):
    call, shape, dtype = SHAPES[i]
    x = call()
    assert x.shape == shape and x.dtype == dtype


def test_float64_under_x64():
    with x64(True):
        for f in (random.gamma, random.pareto, random.rayleigh):
            assert f(KEY, 2.0, (2,)).dtype == np.float64
        assert random.poisson(KEY, 2.0, (2,)).dtype == np.int64
        assert random.cauchy(KEY, (2,)).dtype == np.float64


@pytest.mark.parametrize("call,exc,match", [
    (lambda: random.gamma(KEY, jnp.ones(3), (2,)), ValueError, "broadcast"),
    (lambda: random.gamma(KEY, 1.0, dtype=jnp.int32), ValueError, "float dtype"),
    (lambda: random.beta(KEY, jnp.ones(2), jnp.ones(3)), ValueError, "broadcast"),
    (lambda: random.dirichlet(KEY, 1.0), ValueError, "alpha.ndim >= 1"),
    (lambda: random.dirichlet(KEY, jnp.ones((2, 3)), (3,)), ValueError, "broadcast"),
    (lambda: random.poisson(KEY, 1.0, dtype=jnp.float32), ValueError, "int dtype"),
    (lambda: random.poisson(KEY, jnp.ones(2), (3,)), ValueError, "broadcast"),
    (lambda: random.geometric(KEY, 0.5, dtype=jnp.float32), ValueError, "int dtype"),
    (lambda: random.binomial(KEY, jnp.ones(2), jnp.ones(3) / 2), ValueError, "broadcast"),
    (lambda: random.multinomial(KEY, 5.0, jnp.ones(3) / 3, shape=(4,)), ValueError,
     "broadcast"),
    (lambda: random.multinomial(KEY, jnp.ones(2), jnp.ones(3) / 3), ValueError, "broadcast"),
    (lambda: random.weibull_min(KEY, jnp.ones(2), 1.0, (3,)), ValueError, "do not broadcast"),
    (lambda: random.multivariate_normal(KEY, jnp.zeros(3), jnp.eye(2)), ValueError,
     r"cov.shape == \(..., n, n\)"),
    (lambda: random.multivariate_normal(KEY, jnp.zeros(2), jnp.eye(2), method="qr"),
     ValueError, "method must be one of"),
    (lambda: random.triangular(KEY, [0.0], 0.5, 1.0), TypeError, "asarray"),
    (lambda: random.ball(KEY, 2.5), TypeError, "concrete integer"),
    (lambda: random.t(KEY, 3.0, (-1,)), ValueError, "non-negative"),
])
def test_bad_arguments_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# -- JAX's numbers ----------------------------------------------------------------------------

with open(record_sampler_reference.PATH) as _f:
    JAX_OUTPUTS = json.load(_f)


@pytest.mark.parametrize("name", sorted(record_sampler_reference.CASES))
def test_matches_jax(name):
    # recorded under JAX 0.10.2 (tests/random/record_sampler_reference.py): the same key
    # gives the same draws, up to float32 rounding of log/erf_inv/lgamma/... (XLA's
    # implementations differ from jitnet's by a few ulps, amplified by tails and quotients)
    want = JAX_OUTPUTS["cases"][name]
    got = np.asarray(record_sampler_reference.CASES[name](random))
    assert got.dtype == want["dtype"] and list(got.shape) == want["shape"]
    np.testing.assert_allclose(got.ravel(), np.asarray(want["values"]), rtol=2e-5, atol=1e-6)

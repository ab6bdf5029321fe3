"""jitnet.scipy.stats against scipy.stats (float64 references), plus derivatives."""
import numpy as np
import pytest
import scipy.stats as ss

import jitnet
from jitnet.scipy import stats
from jitnet.testing import check_grads

X = np.array([-2.5, -0.7, 0.0, 0.3, 1.9, 4.0])        # anywhere on the real line
POS = np.array([0.05, 0.4, 1.0, 2.2, 3.7, 9.0])       # positive support
UNIT = np.array([0.02, 0.15, 0.4, 0.5, 0.77, 0.98])   # (0, 1)
K = np.array([0., 1., 2., 3., 5., 8.])                # counts

# (jitnet function, scipy function, arguments); shape parameters broadcast against x
CASES = [
    (stats.norm.logpdf, ss.norm.logpdf, (X, 0.5, 1.7)),
    (stats.norm.pdf, ss.norm.pdf, (X, 0.5, 1.7)),
    (stats.norm.cdf, ss.norm.cdf, (X, 0.5, 1.7)),
    (stats.norm.logcdf, ss.norm.logcdf, (X * 4, 0.5, 1.7)),
    (stats.norm.sf, ss.norm.sf, (X, 0.5, 1.7)),
    (stats.norm.logsf, ss.norm.logsf, (X * 4, 0.5, 1.7)),
    (stats.norm.ppf, ss.norm.ppf, (UNIT, 0.5, 1.7)),
    (stats.norm.isf, ss.norm.isf, (UNIT, 0.5, 1.7)),
    (stats.t.logpdf, ss.t.logpdf, (X, 3.5, 0.2, 1.3)),
    (stats.t.pdf, ss.t.pdf, (X, POS, 0.2, 1.3)),
    (stats.gamma.logpdf, ss.gamma.logpdf, (POS, 2.5, 0.0, 1.5)),
    (stats.gamma.pdf, ss.gamma.pdf, (POS, POS[::-1], 0.0, 0.7)),
    (stats.gamma.cdf, ss.gamma.cdf, (X + 1, 2.5, 0.0, 1.5)),
    (stats.gamma.sf, ss.gamma.sf, (POS * 3, 2.5, 0.0, 1.5)),
    (stats.gamma.logcdf, ss.gamma.logcdf, (POS, POS[::-1])),
    (stats.gamma.logsf, ss.gamma.logsf, (POS * 3, 2.5)),
    (stats.chi2.cdf, ss.chi2.cdf, (POS, 3.0)),
    (stats.chi2.sf, ss.chi2.sf, (POS * 2, 4.0)),
    (stats.chi2.logsf, ss.chi2.logsf, (POS * 2, 4.0)),
    (stats.poisson.cdf, ss.poisson.cdf, (np.array([-1., 0., 1.5, 3., 7., 20.]), 4.5)),
    (stats.chi2.logpdf, ss.chi2.logpdf, (POS, 3.0)),
    (stats.chi2.pdf, ss.chi2.pdf, (POS, 4.5, 0.0, 2.0)),
    (stats.beta.logpdf, ss.beta.logpdf, (UNIT, 2.5, 0.7)),
    (stats.beta.pdf, ss.beta.pdf, (UNIT * 3 - 1, 1.5, 3.0, -1.0, 3.0)),
    (stats.beta.cdf, ss.beta.cdf, (UNIT * 1.2 - 0.1, 2.5, 0.7)),
    (stats.beta.sf, ss.beta.sf, (UNIT, POS, 3.0)),
    (stats.beta.logcdf, ss.beta.logcdf, (UNIT, 2.5, 0.7)),
    (stats.beta.logsf, ss.beta.logsf, (UNIT * 2, 1.5, 3.0, 0.0, 2.0)),
    (stats.uniform.logpdf, ss.uniform.logpdf, (UNIT * 2, 0.1, 1.5)),
    (stats.uniform.pdf, ss.uniform.pdf, (UNIT * 2, 0.1, 1.5)),
    (stats.uniform.cdf, ss.uniform.cdf, (X, -1.0, 3.0)),
    (stats.uniform.ppf, ss.uniform.ppf, (UNIT, -1.0, 3.0)),
    (stats.laplace.logpdf, ss.laplace.logpdf, (X, 0.3, 0.8)),
    (stats.laplace.pdf, ss.laplace.pdf, (X, 0.3, 0.8)),
    (stats.laplace.cdf, ss.laplace.cdf, (X, 0.3, 0.8)),
    (stats.logistic.logpdf, ss.logistic.logpdf, (X * 30, 0.3, 0.8)),
    (stats.logistic.pdf, ss.logistic.pdf, (X, 0.3, 0.8)),
    (stats.logistic.cdf, ss.logistic.cdf, (X, 0.3, 0.8)),
    (stats.logistic.sf, ss.logistic.sf, (X, 0.3, 0.8)),
    (stats.logistic.ppf, ss.logistic.ppf, (UNIT, 0.3, 0.8)),
    (stats.logistic.isf, ss.logistic.isf, (UNIT, 0.3, 0.8)),
    (stats.expon.logpdf, ss.expon.logpdf, (POS, 0.0, 2.0)),
    (stats.expon.pdf, ss.expon.pdf, (POS, 0.0, 2.0)),
    (stats.expon.cdf, ss.expon.cdf, (X, -0.5, 2.0)),
    (stats.expon.sf, ss.expon.sf, (X, -0.5, 2.0)),
    (stats.expon.ppf, ss.expon.ppf, (UNIT, -0.5, 2.0)),
    (stats.cauchy.logpdf, ss.cauchy.logpdf, (X, 0.3, 0.8)),
    (stats.cauchy.pdf, ss.cauchy.pdf, (X, 0.3, 0.8)),
    (stats.cauchy.cdf, ss.cauchy.cdf, (X, 0.3, 0.8)),
    (stats.cauchy.sf, ss.cauchy.sf, (X, 0.3, 0.8)),
    (stats.cauchy.ppf, ss.cauchy.ppf, (UNIT, 0.3, 0.8)),
    (stats.cauchy.logcdf, ss.cauchy.logcdf, (X * 10, 0.3, 0.8)),
    (stats.cauchy.logsf, ss.cauchy.logsf, (X * 10, 0.3, 0.8)),
    (stats.expon.logcdf, ss.expon.logcdf, (X, -0.5, 2.0)),
    (stats.expon.logsf, ss.expon.logsf, (X, -0.5, 2.0)),
    (stats.pareto.logpdf, ss.pareto.logpdf, (POS + 0.5, 2.5, 0.0, 0.8)),
    (stats.pareto.pdf, ss.pareto.pdf, (POS * 2, POS, 0.0, 1.0)),
    (stats.nbinom.logpmf, ss.nbinom.logpmf, (K - 1, 3.5, 0.4)),
    (stats.nbinom.pmf, ss.nbinom.pmf, (K, 2.0, UNIT)),
    (stats.cauchy.isf, ss.cauchy.isf, (UNIT, 0.3, 0.8)),
    (stats.bernoulli.logpmf, ss.bernoulli.logpmf, (np.array([0., 1., 0., 1., 2., -1.]), UNIT)),
    (stats.bernoulli.pmf, ss.bernoulli.pmf, (np.array([0., 1., 0., 1., 2., -1.]), UNIT)),
    (stats.bernoulli.cdf, ss.bernoulli.cdf, (np.array([-1., 0., 0.5, 1., 2., 0.]), UNIT)),
    (stats.bernoulli.ppf, ss.bernoulli.ppf, (UNIT, np.array([0.3, 0.9, 0.5, 0.7, 0.15, 0.01]))),
    (stats.poisson.logpmf, ss.poisson.logpmf, (K, 2.5)),
    (stats.poisson.pmf, ss.poisson.pmf, (K - 1, POS, -1.0)),
    (stats.geom.logpmf, ss.geom.logpmf, (K, 0.3)),
    (stats.geom.pmf, ss.geom.pmf, (K, UNIT)),
    (stats.binom.logpmf, ss.binom.logpmf, (K, 6.0, 0.3)),
    (stats.binom.pmf, ss.binom.pmf, (K, 7.0, UNIT)),
]


def _id(case):
    return f"{case[0].__module__.rsplit('.', 1)[-1]}.{case[0].__name__}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_scipy_float32(case):
    f, ref, args = case
    out = f(*[np.float32(a) if np.ndim(a) == 0 else a.astype(np.float32) for a in args])
    assert out.dtype == np.float32
    expected = ref(*args)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_scipy_float64(case, x64):
    f, ref, args = case
    out = f(*args)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), ref(*args), rtol=1e-11, atol=1e-300)


def test_outside_support():
    minus_inf = -np.inf
    assert float(stats.gamma.logpdf(-1.0, 2.0)) == minus_inf
    assert float(stats.beta.logpdf(1.5, 2.0, 2.0)) == minus_inf
    assert float(stats.uniform.logpdf(2.0)) == minus_inf
    assert float(stats.expon.logpdf(-0.1)) == minus_inf
    assert float(stats.poisson.logpmf(1.5, 2.0)) == minus_inf
    assert float(stats.poisson.logpmf(-1.0, 2.0)) == minus_inf
    assert float(stats.geom.logpmf(0.0, 0.5)) == minus_inf
    assert float(stats.binom.logpmf(7.0, 6.0, 0.5)) == minus_inf
    assert np.isnan(float(stats.uniform.ppf(1.5)))
    assert np.isnan(float(stats.bernoulli.cdf(0.5, 1.5)))
    assert float(stats.poisson.pmf(0.0, 0.0)) == 1.0  # mu = 0: all the mass at 0


def test_integer_inputs_become_float():
    out = stats.poisson.logpmf(np.arange(4), 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), ss.poisson.logpmf(np.arange(4), 2), rtol=1e-5)


def test_dirichlet():
    alpha = np.array([0.7, 2.0, 3.5])
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])  # columns are points on the simplex
    expected = [ss.dirichlet.logpdf(x[:, i], alpha) for i in range(2)]
    np.testing.assert_allclose(np.asarray(stats.dirichlet.logpdf(x, alpha)), expected,
                               rtol=1e-5)
    np.testing.assert_allclose(np.asarray(stats.dirichlet.logpdf(x[:2], alpha)), expected,
                               rtol=1e-5)  # K - 1 components: the last one is 1 - sum
    np.testing.assert_allclose(np.asarray(stats.dirichlet.pdf(x, alpha)), np.exp(expected),
                               rtol=1e-5)
    assert float(stats.dirichlet.logpdf(np.array([0.2, 0.2, 0.2]), alpha)) == -np.inf
    with pytest.raises(ValueError, match="dirichlet.logpdf.*shape"):
        stats.dirichlet.logpdf(np.ones(5) / 5, alpha)


def test_multinomial():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 1.0, 3.0], [1.0, 1.0, 1.0]])
    p = np.array([0.2, 0.3, 0.5])
    out = stats.multinomial.logpmf(x, 5, p)
    np.testing.assert_allclose(np.asarray(out)[:2], ss.multinomial.logpmf(x[:2], 5, p),
                               rtol=1e-5)
    assert float(out[2]) == -np.inf  # counts do not sum to n
    np.testing.assert_allclose(np.asarray(stats.multinomial.pmf(x[:2], 5, p)),
                               ss.multinomial.pmf(x[:2], 5, p), rtol=1e-5)


def _spd(n, rng):
    a = rng.randn(n, n)
    return a @ a.T + n * np.eye(n)


def test_multivariate_normal():
    rng = np.random.RandomState(1)
    cov, mean, x = _spd(3, rng), rng.randn(3), rng.randn(5, 3)
    expected = ss.multivariate_normal.logpdf(x, mean, cov)
    np.testing.assert_allclose(np.asarray(stats.multivariate_normal.logpdf(x, mean, cov)),
                               expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(stats.multivariate_normal.pdf(x, mean, cov)),
                               np.exp(expected), rtol=1e-5)
    # a batch of covariances, one per point
    covs = np.stack([_spd(3, rng) for _ in range(5)])
    batched = stats.multivariate_normal.logpdf(x, mean, covs)
    np.testing.assert_allclose(np.asarray(batched), [ss.multivariate_normal.logpdf(
        x[i], mean, covs[i]) for i in range(5)], rtol=1e-5)
    # scalar variance, and the univariate case
    np.testing.assert_allclose(np.asarray(stats.multivariate_normal.logpdf(x, mean, 2.0)),
                               ss.multivariate_normal.logpdf(x, mean, 2.0 * np.eye(3)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(stats.multivariate_normal.logpdf(x[:, 0], 0.5, 2.0)),
                               ss.norm.logpdf(x[:, 0], 0.5, np.sqrt(2.0)), rtol=1e-5)
    with pytest.raises(ValueError, match="multivariate_normal.logpdf.*cov"):
        stats.multivariate_normal.logpdf(x, mean, np.eye(4))
    with pytest.raises(ValueError, match="multivariate_normal.logpdf.*x must"):
        stats.multivariate_normal.logpdf(x[:, :2], mean, cov)


GRAD_CASES = [
    (stats.norm.logpdf, (X, 0.5, 1.7)),
    (stats.norm.cdf, (X, 0.5, 1.7)),
    (stats.norm.ppf, (UNIT, 0.5, 1.7)),
    (stats.t.logpdf, (X, 3.5, 0.2, 1.3)),
    (stats.gamma.logpdf, (POS, 2.5, 0.0, 1.5)),
    (stats.gamma.cdf, (POS, 2.5, 0.0, 1.5)),
    (stats.beta.logpdf, (UNIT, 2.5, 0.7)),
    (stats.beta.cdf, (UNIT, 2.5, 0.7)),
    (stats.laplace.logpdf, (X + 0.01, 0.3, 0.8)),
    (stats.logistic.logpdf, (X, 0.3, 0.8)),
    (stats.cauchy.logpdf, (X, 0.3, 0.8)),
    (stats.poisson.logpmf, (K, 2.5)),
    (stats.bernoulli.logpmf, (np.array([0., 1., 1.]), np.array([0.2, 0.5, 0.9]))),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[_id(c) for c in GRAD_CASES])
def test_grads(case, x64):
    f, args = case
    # differentiate in every float argument at once (the counts k stay fixed)
    fixed = f in (stats.poisson.logpmf, stats.bernoulli.logpmf)
    if fixed:
        k, rest = args[0], args[1:]
        check_grads(lambda *a: f(k, *a), rest, order=1)
    else:
        check_grads(f, args, order=1)


def test_mvn_dirichlet_grads(x64):
    rng = np.random.RandomState(2)
    cov, mean, x = _spd(3, rng), rng.randn(3), rng.randn(4, 3)
    check_grads(stats.multivariate_normal.logpdf, (x, mean, cov), order=1)
    alpha = np.array([0.7, 2.0, 3.5])
    check_grads(lambda a: stats.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), a), (alpha,), order=1)


def test_jit_and_vmap():
    f = jitnet.jit(lambda x, m, s: stats.norm.logpdf(x, m, s).sum())
    x = X.astype(np.float32)
    np.testing.assert_allclose(float(f(x, 0.5, 1.7)), ss.norm.logpdf(X, 0.5, 1.7).sum(),
                               rtol=1e-5)
    out = jitnet.vmap(stats.gamma.logpdf, in_axes=(0, None))(POS.astype(np.float32), 2.5)
    np.testing.assert_allclose(np.asarray(out), ss.gamma.logpdf(POS, 2.5), rtol=2e-5)


def test_bad_input_names_the_function():
    with pytest.raises(ValueError, match="norm.logpdf"):
        stats.norm.logpdf(np.ones(3), np.zeros(2))
    with pytest.raises(TypeError, match="norm.cdf"):
        stats.norm.cdf("a")

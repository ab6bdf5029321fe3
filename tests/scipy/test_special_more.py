"""The gamma family, relative entropies, softmax and nn.logmeanexp against SciPy/NumPy,
with derivatives checked by finite differences (issue 18, item 4)."""
import numpy as np
import pytest
import scipy.special as sps

import jitnet
from jitnet import nn
from jitnet.scipy import special as jsp
from jitnet.test_util import check_grads


@pytest.fixture(autouse=True)
def _x64():
    jitnet.config.update("jax_enable_x64", True)
    yield
    jitnet.config.update("jax_enable_x64", False)


X = np.array([0.3, 1.0, 2.5, 7.2, 30.0, -0.5, -1.5, -2.7])


def close(got, ref, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(got), ref, rtol=rtol, atol=0)


def test_gamma_and_sign():
    close(jsp.gamma(X), sps.gamma(X), rtol=1e-12)
    close(jsp.gammasgn(X), np.sign(sps.gamma(X)), rtol=0)
    assert np.isnan(np.asarray(jsp.gamma(np.array([0.0, -2.0])))).all()
    check_grads(jsp.gamma, (np.array([0.7, 2.2, -0.4]),), order=2)


def test_beta_betaln():
    a = np.array([0.5, 2.0, 3.3, 10.0])
    b = np.array([1.5, 0.2, 3.3, 0.7])
    close(jsp.beta(a, b), sps.beta(a, b), rtol=1e-12)
    close(jsp.betaln(a, b), sps.betaln(a, b), rtol=1e-12)
    check_grads(jsp.betaln, (a, b), order=2)


def test_multigammaln():
    a = np.array([3.0, 5.5, 10.0])
    for d in (1, 2, 3):
        close(jsp.multigammaln(a, d), [sps.multigammaln(v, d) for v in a])
    with pytest.raises(ValueError, match="multigammaln"):
        jsp.multigammaln(a, 0)


def test_polygamma_orders_0_and_1():
    x = np.array([0.4, 1.0, 3.7, -0.5])
    close(jsp.polygamma(0, x), sps.polygamma(0, x), rtol=1e-13)
    close(jsp.polygamma(1, x), sps.polygamma(1, x), rtol=1e-13)


def test_rel_entr_and_kl_div():
    x = np.array([0.0, 0.0, 0.5, 2.0, -1.0, 1.0, np.nan])
    y = np.array([0.0, 1.0, 0.25, 3.0, 1.0, -1.0, 1.0])
    close(jsp.rel_entr(x, y), sps.rel_entr(x, y), rtol=1e-14)
    close(jsp.kl_div(x, y), sps.kl_div(x, y), rtol=1e-14)
    xp, yp = np.array([0.5, 2.0]), np.array([0.25, 3.0])
    check_grads(jsp.rel_entr, (xp, yp), order=2)
    check_grads(jsp.kl_div, (xp, yp), order=2)


def test_scipy_softmax_defaults_to_all_axes():
    x = np.random.RandomState(0).standard_normal((2, 3))
    close(jsp.softmax(x), sps.softmax(x), rtol=1e-14)
    close(jsp.log_softmax(x, axis=1), sps.log_softmax(x, axis=1), rtol=1e-13)


def test_logmeanexp():
    x = np.random.RandomState(1).standard_normal((3, 4)) * 50
    ref = np.log(np.mean(np.exp(x.astype(np.longdouble)), axis=1)).astype(np.float64)
    close(nn.logmeanexp(x, axis=1), ref, rtol=1e-12)
    mask = np.array([True, False, True, True])
    ref_m = np.log(np.mean(np.exp(x[:, mask].astype(np.longdouble)), axis=1)).astype(float)
    close(nn.logmeanexp(x, axis=1, where=mask), ref_m, rtol=1e-12)
    check_grads(lambda v: nn.logmeanexp(v, axis=0), (x[0] / 50,), order=2)

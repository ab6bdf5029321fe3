"""jitnet.nn.initializers: JAX's values for the same key, plus the statistics they promise."""
from __future__ import annotations

import importlib.util
import math
import os

import numpy as np
import pytest
import scipy.stats as st

import jitnet.numpy as jnp
from jitnet import random
from jitnet.nn import initializers as init


def _load_reference_helpers():
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "random",
                        "random_reference_helpers.py")
    spec = importlib.util.spec_from_file_location("random_reference_helpers", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ref = _load_reference_helpers()
CASES = [(i, c) for i, c in enumerate(ref.REFERENCE["cases"]) if c["fn"].startswith("init:")]
UNIFORM_BASED = {"init:uniform", "init:glorot_uniform", "init:xavier_uniform", "init:he_uniform",
                 "init:lecun_uniform", "init:zeros", "init:ones", "init:constant"}


def test_reference_covers_every_initializer():
    names = {c["fn"][5:] for _, c in CASES}
    assert names >= {"zeros", "ones", "constant", "uniform", "normal", "truncated_normal",
                     "variance_scaling", "glorot_normal", "glorot_uniform", "xavier_uniform",
                     "he_normal", "he_uniform", "kaiming_normal", "lecun_normal",
                     "lecun_uniform", "orthogonal"}


@pytest.mark.parametrize("i,case", CASES, ids=[ref.case_id(i, c) for i, c in CASES])
def test_matches_jax(i, case):
    got = ref.replay(case, random, init)
    want = ref.expected_array(case["out"])
    assert got.dtype == want.dtype and got.shape == want.shape
    fn = case["fn"]
    uniform_vs = fn == "init:variance_scaling" and case["factory"]["distribution"] == "uniform"
    if fn in UNIFORM_BASED or uniform_vs:
        np.testing.assert_array_equal(got, want)  # uniform bits times a constant: exact
    elif want.dtype == np.float64:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    elif fn == "init:orthogonal":  # QR rounding differs from LAPACK's (see random tests)
        np.testing.assert_allclose(got, want, rtol=0, atol=3e-6)
    else:  # erf_inv differs from XLA's by float32 rounding
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


KEY = random.PRNGKey(7)


def test_zeros_ones_constant():
    np.testing.assert_array_equal(np.asarray(init.zeros(KEY, (2, 3))), np.zeros((2, 3)))
    assert init.ones(KEY, (4,), jnp.float16).dtype == np.float16
    c = init.constant(2.5, dtype=jnp.float16)(KEY, (3,))
    assert c.dtype == np.float16 and np.all(np.asarray(c) == 2.5)
    assert init.constant(1)(KEY, (2,)).dtype == np.float32


def test_default_dtype_follows_x64():
    with ref.x64(True):
        assert init.glorot_normal()(KEY, (4, 3)).dtype == np.float64
        assert init.zeros(KEY, (2,)).dtype == np.float64
    assert init.glorot_normal()(KEY, (4, 3)).dtype == np.float32
    assert init.normal(dtype=jnp.float16)(KEY, (3,)).dtype == np.float16


def test_compute_fans():
    assert init._compute_fans((16, 8)) == (16, 8)
    assert init._compute_fans((3, 3, 4, 6)) == (36, 54)  # HWIO conv kernel
    assert init._compute_fans((5, 2, 3), in_axis=1, out_axis=2, batch_axis=0) == (2, 3)
    assert init._compute_fans((3, 5, 2, 4), in_axis=1, out_axis=(0, 3), batch_axis=2) == (5, 12)
    with pytest.raises(ValueError, match="at least 2D"):
        init._compute_fans((5,))


@pytest.mark.parametrize("factory,var", [
    (init.glorot_uniform, 2 / (200 + 300)), (init.glorot_normal, 2 / (200 + 300)),
    (init.he_uniform, 2 / 200), (init.he_normal, 2 / 200), (init.kaiming_uniform, 2 / 200),
    (init.lecun_uniform, 1 / 200), (init.lecun_normal, 1 / 200),
])
def test_variance_scaling_variance(factory, var):
    w = np.asarray(factory()(KEY, (200, 300)), np.float64)
    n = w.size
    assert abs(w.mean()) < 5 * math.sqrt(var / n)
    assert abs(w.var() - var) < 5 * math.sqrt(2 * var * var / n)


def test_variance_scaling_distributions():
    w = np.asarray(init.variance_scaling(3.0, "fan_out", "uniform")(KEY, (50, 400)))
    lim = math.sqrt(3 * 3.0 / 400)
    assert st.kstest(w.ravel(), st.uniform(loc=-lim, scale=2 * lim).cdf).pvalue > 1e-3
    w = np.asarray(init.variance_scaling(2.0, "fan_avg", "normal")(KEY, (100, 300)))
    assert st.kstest(w.ravel(), st.norm(scale=math.sqrt(2.0 / 200)).cdf).pvalue > 1e-3
    sd = math.sqrt(1.0 / 100) / .87962566103423978
    w = np.asarray(init.variance_scaling(1.0, "fan_in", "truncated_normal")(KEY, (100, 300)))
    assert np.all(np.abs(w) < 2 * sd)
    assert st.kstest(w.ravel(), st.truncnorm(-2, 2, scale=sd).cdf).pvalue > 1e-3
    w = np.asarray(init.variance_scaling(1.0, "fan_geo_avg", "normal")(KEY, (100, 400)))
    assert abs(w.var() - 1 / 200) < 5 * math.sqrt(2 / 40000) / 200


def test_normal_uniform_truncated_normal_scale():
    w = np.asarray(init.uniform(0.3)(KEY, (20000,)))
    assert w.min() >= 0 and w.max() < 0.3
    assert st.kstest(w, st.uniform(scale=0.3).cdf).pvalue > 1e-3
    w = np.asarray(init.normal(0.2)(KEY, (20000,)))
    assert st.kstest(w, st.norm(scale=0.2).cdf).pvalue > 1e-3
    w = np.asarray(init.truncated_normal(0.5, lower=-1.0, upper=3.0)(KEY, (20000,)))
    assert w.min() > -0.5 and w.max() < 1.5
    assert st.kstest(w, st.truncnorm(-1, 3, scale=0.5).cdf).pvalue > 1e-3


@pytest.mark.parametrize("shape,column_axis", [((4, 4), -1), ((3, 7), -1), ((7, 3), -1),
                                               ((2, 3, 8), -1), ((5, 2, 3), 0)])
def test_orthogonal(shape, column_axis):
    w = np.asarray(init.orthogonal(scale=1.5, column_axis=column_axis)(KEY, shape))
    assert w.shape == shape
    m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis]) / 1.5
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=3e-6)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=3e-6)


def test_orthogonal_errors_and_empty():
    with pytest.raises(ValueError, match="at least a 2D shape"):
        init.orthogonal()(KEY, (5,))
    assert init.orthogonal()(KEY, (0, 3)).shape == (0, 3)


def test_bad_variance_scaling_arguments():
    with pytest.raises(ValueError, match="invalid mode"):
        init.variance_scaling(1.0, "fan_sideways", "normal")
    with pytest.raises(ValueError, match="invalid distribution"):
        init.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="at least 2D"):
        init.glorot_normal()(KEY, (5,))


def test_aliases():
    assert init.xavier_uniform is init.glorot_uniform
    assert init.xavier_normal is init.glorot_normal
    assert init.kaiming_uniform is init.he_uniform
    assert init.kaiming_normal is init.he_normal

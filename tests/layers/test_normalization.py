"""BatchNormalization (training statistics, state update, inference) and LayerNormalization
against NumPy formulas."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet import layers
from jitnet.layers import partition
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)


@pytest.fixture(scope="module")
def x():
    return (np.random.RandomState(0).randn(4, 3, 5) * 2 + 1).astype(np.float32)


def with_weights(layer, **values):
    for k, v in values.items():
        setattr(layer, k, jitnet.numpy.asarray(v, np.float32))
    return layer


def test_batchnorm_training_step_and_inference(x):
    bn = layers.BatchNormalization(momentum=0.9).init(KEY, x)
    gamma, beta = np.linspace(0.5, 1.5, 5), np.linspace(-1, 1, 5)
    mm, mv = np.full(5, 0.3), np.full(5, 2.0)
    bn = with_weights(bn, gamma=gamma, beta=beta, moving_mean=mm, moving_variance=mv)
    y, new = bn.apply(x, training=True)
    xd = x.astype(np.float64)
    mean, var = xd.mean((0, 1)), xd.var((0, 1))               # biased batch variance
    np.testing.assert_allclose(np.asarray(y), (xd - mean) / np.sqrt(var + 1e-3) * gamma + beta,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(new.moving_mean), mm * 0.9 + mean * 0.1, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(new.moving_variance), mv * 0.9 + var * 0.1, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(bn.moving_mean), mm)        # the old layer is unchanged
    # inference uses the (updated) moving statistics
    y_inf = np.asarray(new(x))
    ref = (xd - new.moving_mean) / np.sqrt(np.asarray(new.moving_variance) + 1e-3) * gamma + beta
    np.testing.assert_allclose(y_inf, ref, rtol=1e-5, atol=1e-5)
    assert bn.apply(x, training=False)[1] is bn                      # no state change


def test_batchnorm_weights_and_counts(x):
    bn = layers.BatchNormalization().init(KEY, x)
    np.testing.assert_array_equal(np.asarray(bn.gamma), np.ones(5))
    np.testing.assert_array_equal(np.asarray(bn.moving_variance), np.ones(5))
    trainable, rest = partition(bn)
    assert trainable.gamma is not None and trainable.moving_mean is None
    assert rest.moving_variance is not None and rest.beta is None
    assert layers.BatchNormalization(center=False, scale=False).init(KEY, x).count_params() == 10


def test_batchnorm_frozen_layer_runs_in_inference_mode(x):
    bn = layers.BatchNormalization(trainable=False).init(KEY, x)
    y, new = bn.apply(x, training=True)
    np.testing.assert_allclose(np.asarray(y), x / np.sqrt(1 + 1e-3), rtol=1e-6)
    assert new is bn


def test_batchnorm_other_axis(x):
    bn = layers.BatchNormalization(axis=1, center=False).init(KEY, x)
    assert bn.gamma.shape == (3,)
    y, new = bn.apply(x, training=True)
    mean, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(np.asarray(y), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4,
                               atol=1e-5)


def test_batchnorm_gradients(x64, x):
    xd = x.astype(np.float64)
    bn = layers.BatchNormalization(dtype="float64").init(KEY, xd)
    check_grads(lambda m, x: m.apply(x, training=True)[0], (bn, xd), order=2)
    check_grads(lambda m, x: m(x), (bn, xd), order=1)


@pytest.mark.parametrize("axis", [-1, (1, 2)])
def test_layernorm_matches_numpy(x, axis):
    ln = layers.LayerNormalization(axis=axis).init(KEY, x)
    axes = (2,) if axis == -1 else axis
    shape = tuple(x.shape[a] for a in axes)
    assert ln.gamma.shape == shape and ln.beta.shape == shape
    rs = np.random.RandomState(1)
    g, b = rs.randn(*shape), rs.randn(*shape)
    ln = with_weights(ln, gamma=g, beta=b)
    xd = x.astype(np.float64)
    mean, var = xd.mean(axes, keepdims=True), xd.var(axes, keepdims=True)
    ref = (xd - mean) / np.sqrt(var + 1e-3) * g + b
    np.testing.assert_allclose(np.asarray(ln(x)), ref, rtol=1e-5, atol=1e-5)


def test_layernorm_gradients(x64, x):
    xd = x.astype(np.float64)
    ln = layers.LayerNormalization(dtype="float64").init(KEY, xd)
    check_grads(lambda m, x: m(x), (ln, xd), order=2)


def test_errors(x):
    bn = layers.BatchNormalization(name="bn").init(KEY, x)
    with pytest.raises(ValueError, match=r"bn \(BatchNormalization\).*\(5,\).*\(4, 3, 6\)"):
        bn(np.zeros((4, 3, 6), np.float32))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        layers.LayerNormalization(axis=3).init(KEY, x)

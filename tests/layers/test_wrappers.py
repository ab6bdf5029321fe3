"""TimeDistributed: one layer applied to every time step with shared weights."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet import layers, models

KEY = jitnet.random.PRNGKey(0)


def test_time_distributed_conv_matches_per_step_calls():
    x = np.random.RandomState(0).randn(2, 3, 5, 5, 2).astype(np.float32)
    td = layers.TimeDistributed(layers.Conv2D(4, 3, padding="same")).init(KEY, x)
    y = np.asarray(td(x))
    assert y.shape == (2, 3, 5, 5, 4)
    assert td.count_params() == 3 * 3 * 2 * 4 + 4                 # one kernel for all steps
    for t in range(3):
        np.testing.assert_allclose(y[:, t], np.asarray(td.layer(x[:, t])), rtol=1e-6,
                                   atol=1e-6)


def test_time_distributed_dense_in_a_model():
    x = np.random.RandomState(1).randn(2, 4, 3).astype(np.float32)
    model = models.Sequential([layers.Input((4, 3)), layers.TimeDistributed(layers.Dense(2)),
                               layers.LSTM(2)])
    model.init(KEY, x)
    dense = model.layers[0].layer
    h = np.asarray(model.layers[0](x))
    np.testing.assert_allclose(h, x @ np.asarray(dense.kernel) + np.asarray(dense.bias),
                               rtol=1e-5, atol=1e-6)
    assert model(x).shape == (2, 2)


def test_time_distributed_errors():
    with pytest.raises(TypeError, match="TimeDistributed wraps a Layer"):
        layers.TimeDistributed(lambda x: x)
    with pytest.raises(ValueError, match=r"TimeDistributed expects a rank-3.*\(2, 3\)"):
        layers.TimeDistributed(layers.Dense(2)).init(KEY, np.zeros((2, 3), np.float32))

"""Pooling layers against NumPy loops over windows."""
from __future__ import annotations

import math

import numpy as np
import pytest

import jitnet
from jitnet import layers
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)


def np_pool(x, pool, strides, padding, kind):
    """Windows read from a padded copy: max ignores -inf pads, average counts real elements."""
    nsp = x.ndim - 2
    if padding == "same":
        outs = [math.ceil(n / s) for n, s in zip(x.shape[1:-1], strides)]
        los = [max((o - 1) * s + k - n, 0) // 2
               for o, s, k, n in zip(outs, strides, pool, x.shape[1:-1])]
    else:
        outs = [(n - k) // s + 1 for n, k, s in zip(x.shape[1:-1], pool, strides)]
        los = [0] * nsp
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for o in np.ndindex(*outs):
        idx = tuple(slice(max(i * s - lo, 0), i * s - lo + k)
                    for i, s, lo, k in zip(o, strides, los, pool))
        win = x[(slice(None),) + idx + (slice(None),)]
        axes = tuple(range(1, nsp + 1))
        y[(slice(None),) + o] = win.max(axes) if kind == "max" else win.mean(axes)
    return y


@pytest.fixture(scope="module")
def x():
    return np.random.RandomState(0).randn(2, 5, 6, 3).astype(np.float32)


@pytest.mark.parametrize("cls,kind", [(layers.MaxPooling2D, "max"),
                                      (layers.AveragePooling2D, "avg")])
@pytest.mark.parametrize("kw", [dict(), dict(pool_size=3, strides=2, padding="same"),
                                dict(pool_size=(2, 3), strides=1), dict(padding="same")])
def test_pooling2d_matches_numpy(x, cls, kind, kw):
    layer = cls(**kw).init(KEY, x)
    pool = kw.get("pool_size", (2, 2))
    pool = (pool, pool) if isinstance(pool, int) else pool
    strides = kw.get("strides", pool)
    strides = (strides, strides) if isinstance(strides, int) else strides
    ref = np_pool(x.astype(np.float64), pool, strides, kw.get("padding", "valid"), kind)
    np.testing.assert_allclose(np.asarray(layer(x)), ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls,kind", [(layers.MaxPooling1D, "max"),
                                      (layers.AveragePooling1D, "avg")])
def test_pooling1d_matches_numpy(cls, kind):
    x = np.random.RandomState(1).randn(2, 7, 3).astype(np.float32)
    layer = cls(pool_size=3, strides=2, padding="same").init(KEY, x)
    np.testing.assert_allclose(np.asarray(layer(x)), np_pool(x, (3,), (2,), "same", kind),
                               rtol=1e-6, atol=1e-6)
    assert cls().init(KEY, x)(x).shape == (2, 3, 3)      # Keras: pool_size=2, strides=2


def run(layer, x):
    return np.asarray(layer.init(KEY, x)(x))


def test_global_pooling(x):
    np.testing.assert_allclose(run(layers.GlobalAveragePooling2D(), x), x.mean((1, 2)),
                               rtol=1e-6)
    np.testing.assert_allclose(run(layers.GlobalMaxPooling2D(), x), x.max((1, 2)))
    assert run(layers.GlobalAveragePooling2D(keepdims=True), x).shape == (2, 1, 1, 3)
    np.testing.assert_allclose(run(layers.GlobalAveragePooling1D(), x[:, 0]), x[:, 0].mean(1),
                               rtol=1e-6)
    np.testing.assert_allclose(run(layers.GlobalMaxPooling1D(), x[:, 0]), x[:, 0].max(1))


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool2D is layers.AveragePooling2D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D


def test_gradients(x64):
    x = np.random.RandomState(2).randn(1, 4, 5, 2)     # distinct values: max is differentiable
    for layer, order in [(layers.AveragePooling2D(pool_size=3, strides=2, padding="same"), 2),
                         (layers.MaxPooling2D(padding="same"), 1),
                         (layers.GlobalAveragePooling2D(), 1)]:
        check_grads(layer.init(KEY, x), (x,), order=order)


def test_wrong_rank(x):
    with pytest.raises(ValueError, match=r"MaxPooling2D.*rank-4.*\(5, 6, 3\)"):
        layers.MaxPooling2D().init(KEY, x)(x[0])
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D.*rank-3.*\(2, 5, 6, 3\)"):
        layers.GlobalAveragePooling1D().init(KEY, x)
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(pool_size=0)

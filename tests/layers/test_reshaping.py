"""UpSampling, ZeroPadding and Cropping against index arithmetic written out in NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet import layers
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)


@pytest.fixture(scope="module")
def x():
    return np.random.RandomState(0).randn(2, 3, 4, 2).astype(np.float32)


def run(layer, x):
    return np.asarray(layer.init(KEY, x)(x))


def test_upsampling2d(x):
    y = run(layers.UpSampling2D(size=(2, 3)), x)
    assert y.shape == (2, 6, 12, 2)
    for i in range(6):
        for j in range(12):
            np.testing.assert_array_equal(y[:, i, j], x[:, i // 2, j // 3])
    seq = x[:, 0]
    y1 = run(layers.UpSampling1D(), seq)
    np.testing.assert_array_equal(y1, seq[:, [0, 0, 1, 1, 2, 2, 3, 3]])


@pytest.mark.parametrize("padding,pads", [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))),
                                          (((0, 1), (2, 3)), ((0, 1), (2, 3)))])
def test_zero_padding2d(x, padding, pads):
    y = run(layers.ZeroPadding2D(padding), x)
    (t, b), (l, r) = pads
    want = np.zeros((2, 3 + t + b, 4 + l + r, 2), np.float32)
    want[:, t:t + 3, l:l + 4] = x
    np.testing.assert_array_equal(y, want)


def test_zero_padding1d_and_cropping1d(x):
    seq = x[:, 0]
    y = run(layers.ZeroPadding1D((1, 2)), seq)
    assert y.shape == (2, 7, 2) and not y[:, [0, 5, 6]].any()
    np.testing.assert_array_equal(y[:, 1:5], seq)
    np.testing.assert_array_equal(run(layers.Cropping1D(), seq), seq[:, 1:3])
    np.testing.assert_array_equal(run(layers.Cropping1D((0, 3)), seq), seq[:, :1])


@pytest.mark.parametrize("cropping,rows,cols", [(1, (1, 2), (1, 3)),
                                                (((0, 1), (2, 0)), (0, 2), (2, 4))])
def test_cropping2d(x, cropping, rows, cols):
    np.testing.assert_array_equal(run(layers.Cropping2D(cropping), x),
                                  x[:, rows[0]:rows[1], cols[0]:cols[1]])


def test_gradients(x64, x):
    xd = x.astype(np.float64)
    for layer in (layers.UpSampling2D(), layers.ZeroPadding2D(), layers.Cropping2D(1)):
        check_grads(layer.init(KEY, xd), (xd,), order=2)


def test_errors(x):
    with pytest.raises(ValueError, match=r"UpSampling2D expects a rank-4 input.*\(3, 4, 2\)"):
        layers.UpSampling2D().init(KEY, x)(x[0])
    with pytest.raises(ValueError, match="interpolation='nearest'"):
        layers.UpSampling2D(interpolation="bilinear")
    with pytest.raises(ValueError, match="padding must be"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="leaves nothing"):
        layers.Cropping2D(((2, 1), (0, 0))).init(KEY, x)

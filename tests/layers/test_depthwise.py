"""DepthwiseConv and SeparableConv against a NumPy per-channel loop (Keras's layouts)."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet import layers
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)


def np_depthwise(x, k, strides, padding, dilation):
    """``y[..., c * m_count + m] = sum_offsets x[..., c] * k[offset, c, m]``, channels last."""
    nsp = x.ndim - 2
    span = [(kk - 1) * d + 1 for kk, d in zip(k.shape[:nsp], dilation)]
    if padding == "same":
        outs = [-(-n // s) for n, s in zip(x.shape[1:-1], strides)]
        totals = [max((o - 1) * s + sp - n, 0)
                  for o, s, sp, n in zip(outs, strides, span, x.shape[1:-1])]
        pads = [(t // 2, t - t // 2) for t in totals]
    elif padding == "causal":
        pads = [(span[0] - 1, 0)]
    else:
        pads = [(0, 0)] * nsp
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = [(n - sp) // s + 1 for n, sp, s in zip(xp.shape[1:-1], span, strides)]
    cin, mult = k.shape[-2:]
    y = np.zeros((x.shape[0], *outs, cin, mult))
    for off in np.ndindex(*k.shape[:nsp]):
        idx = tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                    for o, d, s, n in zip(off, dilation, strides, outs))
        y += xp[(slice(None),) + idx][..., None] * k[off]
    return y.reshape(y.shape[:-2] + (cin * mult,))


@pytest.mark.parametrize("cls,shape,kw", [
    (layers.DepthwiseConv2D, (2, 7, 6, 3), dict(kernel_size=3, depth_multiplier=2)),
    (layers.DepthwiseConv2D, (2, 7, 6, 3), dict(kernel_size=(3, 2), strides=2, padding="same")),
    (layers.DepthwiseConv2D, (1, 8, 8, 2), dict(kernel_size=3, dilation_rate=2, padding="same",
                                                activation="relu")),
    (layers.DepthwiseConv1D, (2, 9, 3), dict(kernel_size=3, padding="causal", depth_multiplier=3)),
])
def test_depthwise_matches_numpy(cls, shape, kw):
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    layer = cls(**kw, bias_initializer="uniform").init(KEY, x)
    cin, mult = shape[-1], kw.get("depth_multiplier", 1)
    assert layer.kernel.shape == layer.kernel_size + (cin, mult)
    assert layer.bias.shape == (cin * mult,)
    nsp = len(shape) - 2
    want = np_depthwise(x.astype(np.float64), np.asarray(layer.kernel, np.float64),
                        layer.strides, layer.padding, layer.dilation_rate) + np.asarray(layer.bias)
    if kw.get("activation") == "relu":
        want = np.maximum(want, 0)
    got = np.asarray(jitnet.jit(lambda l, x: l(x))(layer, x))
    assert got.shape == want.shape and len(layer.kernel_size) == nsp
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_separable_matches_numpy_and_has_keras_weights():
    x = np.random.RandomState(1).randn(2, 6, 6, 3).astype(np.float32)
    layer = layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2,
                                   bias_initializer="uniform").init(KEY, x)
    assert [(n, getattr(layer, n).shape) for n in ("depthwise_kernel", "pointwise_kernel",
                                                     "bias")] == \
        [("depthwise_kernel", (3, 3, 3, 2)), ("pointwise_kernel", (1, 1, 6, 4)), ("bias", (4,))]
    assert layer.count_params() == 3 * 3 * 3 * 2 + 6 * 4 + 4
    dw = np_depthwise(x.astype(np.float64), np.asarray(layer.depthwise_kernel, np.float64),
                      (1, 1), "same", (1, 1))
    want = dw @ np.asarray(layer.pointwise_kernel, np.float64)[0, 0] + np.asarray(layer.bias)
    np.testing.assert_allclose(np.asarray(layer(x)), want, rtol=1e-5, atol=1e-5)


def test_gradients_and_errors(x64):
    x = np.random.RandomState(2).randn(1, 5, 5, 2)
    dw = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, dtype="float64").init(KEY, x)
    check_grads(lambda m, x: m(x), (dw, x), order=1)
    sep = layers.SeparableConv2D(3, 2, padding="same", dtype="float64").init(KEY, x)
    check_grads(lambda m, x: m(x), (sep, x), order=1)
    with pytest.raises(ValueError, match="depth_multiplier must be a positive int"):
        layers.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="was built for 2 input channels"):
        dw(np.zeros((1, 5, 5, 3)))

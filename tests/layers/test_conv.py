"""Conv1D, Conv2D, Conv2DTranspose against NumPy loops over kernel offsets / scatters."""
from __future__ import annotations

import math

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import layers
from jitnet.testing import check_grads
from jitnet.tree_util import tree_map

KEY = jitnet.random.PRNGKey(0)


def same_pads(n, k, s):
    """TensorFlow's SAME rule: ceil(n / s) outputs, the odd pad at the end."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def np_conv(x, w, strides, padding, dilation=None, groups=1):
    """Channels-last convolution (cross-correlation) as a sum over kernel offsets."""
    nsp = x.ndim - 2
    dilation = dilation or (1,) * nsp
    ks = [(k - 1) * d + 1 for k, d in zip(w.shape[:nsp], dilation)]
    if padding == "same":
        pads = [same_pads(n, k, s) for n, k, s in zip(x.shape[1:-1], ks, strides)]
    elif padding == "causal":
        pads = [(ks[0] - 1, 0)]
    else:
        pads = [(0, 0)] * nsp
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = [(n - k) // s + 1 for n, k, s in zip(xp.shape[1:-1], ks, strides)]
    cin_g, filters = w.shape[-2], w.shape[-1]
    fg = filters // groups
    y = np.zeros((x.shape[0], *outs, filters))
    for offset in np.ndindex(*w.shape[:nsp]):
        idx = tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                    for o, d, s, m in zip(offset, dilation, strides, outs))
        patch = xp[(slice(None),) + idx]
        for g in range(groups):
            y[..., g * fg:(g + 1) * fg] += patch[..., g * cin_g:(g + 1) * cin_g] @ \
                w[offset][:, g * fg:(g + 1) * fg]
    return y


def keras_transpose_length(n, k, s, padding, output_padding, d=1):
    k = (k - 1) * d + 1
    if output_padding is None:
        return n * s + max(k - s, 0) if padding == "valid" else n * s
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * s + k - 2 * pad + output_padding


def np_conv_transpose(x, w, strides, padding, output_padding=None, d=1):
    """The adjoint of a forward convolution (kernel (k..., filters, in)) written as a scatter:
    input position i, kernel offset t land at output position i*s + t - crop, where crop is
    the start padding of the forward SAME convolution from the output length (0 for VALID)."""
    nsp = x.ndim - 2
    ops = output_padding or (None,) * nsp
    lengths = [keras_transpose_length(n, k, s, padding, p, d)
               for n, k, s, p in zip(x.shape[1:-1], w.shape[:nsp], strides, ops)]
    crops = [max((n - 1) * s + (k - 1) * d + 1 - L, 0) // 2 if padding == "same" else 0
             for n, k, s, L in zip(x.shape[1:-1], w.shape[:nsp], strides, lengths)]
    y = np.zeros((x.shape[0], *lengths, w.shape[-2]))
    for i in np.ndindex(*x.shape[1:-1]):
        for t in np.ndindex(*w.shape[:nsp]):
            p = tuple(a * s + b * d - c for a, s, b, c in zip(i, strides, t, crops))
            if all(0 <= q < L for q, L in zip(p, lengths)):
                y[(slice(None),) + p] += x[(slice(None),) + i] @ w[t].T
    return y


@pytest.fixture(scope="module")
def x2d():
    return np.random.RandomState(0).randn(2, 6, 5, 4).astype(np.float32)


@pytest.mark.parametrize("kw", [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), strides=2, padding="same"),
    dict(kernel_size=3, strides=(2, 1), padding="valid"),
    dict(kernel_size=2, dilation_rate=2, padding="same"),
    dict(kernel_size=3, groups=2, padding="same"),
])
def test_conv2d_matches_numpy(x2d, kw):
    layer = layers.Conv2D(6, **kw).init(KEY, x2d)
    ks = kw["kernel_size"]
    ks = (ks, ks) if isinstance(ks, int) else ks
    assert layer.kernel.shape == ks + (4 // kw.get("groups", 1), 6)   # Keras's layout
    strides = layers.conv.normalize_tuple(kw.get("strides", 1), 2, "", "")
    ref = np_conv(x2d.astype(np.float64), np.asarray(layer.kernel, np.float64), strides,
                  kw.get("padding", "valid"), (kw.get("dilation_rate", 1),) * 2,
                  kw.get("groups", 1))
    np.testing.assert_allclose(np.asarray(layer(x2d)), ref, rtol=1e-5, atol=1e-5)


def test_conv2d_same_strided_shapes():
    for n, s in [(5, 2), (6, 2), (7, 3), (1, 2)]:
        x = np.zeros((1, n, n + 1, 2), np.float32)
        y = layers.Conv2D(3, 3, strides=s, padding="same").init(KEY, x)(x)
        assert y.shape == (1, -(-n // s), -(-(n + 1) // s), 3)


def test_conv2d_bias_and_activation(x2d):
    layer = layers.Conv2D(3, 1, activation="relu", bias_initializer="ones").init(KEY, x2d)
    ref = np.maximum(np.einsum("nhwc,cf->nhwf", x2d, np.asarray(layer.kernel)[0, 0]) + 1.0, 0)
    np.testing.assert_allclose(np.asarray(layer(x2d)), ref, rtol=1e-5, atol=1e-5)
    assert layers.Conv2D(3, 1, use_bias=False).init(KEY, x2d).count_params() == 4 * 3


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_matches_numpy(padding):
    x = np.random.RandomState(1).randn(2, 7, 3).astype(np.float32)
    layer = layers.Conv1D(4, 3, padding=padding, dilation_rate=2).init(KEY, x)
    assert layer.kernel.shape == (3, 3, 4)
    ref = np_conv(x.astype(np.float64), np.asarray(layer.kernel, np.float64), (1,), padding,
                  (2,)) + np.asarray(layer.bias)
    np.testing.assert_allclose(np.asarray(layer(x)), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k,s,padding,op", [
    (3, 2, "same", None), (3, 2, "valid", None), (2, 3, "valid", None), (4, 2, "same", None),
    (3, 1, "same", None), (3, 2, "same", 1), (4, 2, "same", 1), (3, 3, "valid", 2),
])
def test_conv2d_transpose_matches_scatter(k, s, padding, op):
    x = np.random.RandomState(2).randn(2, 3, 4, 3).astype(np.float32)
    layer = layers.Conv2DTranspose(2, k, strides=s, padding=padding, output_padding=op,
                                   bias_initializer="ones").init(KEY, x)
    assert layer.kernel.shape == (k, k, 2, 3)       # Keras: (kh, kw, filters, in)
    y = np.asarray(layer(x))
    lengths = [keras_transpose_length(n, k, s, padding, op) for n in (3, 4)]
    assert y.shape == (2, *lengths, 2)
    ref = np_conv_transpose(x.astype(np.float64), np.asarray(layer.kernel, np.float64),
                            (s, s), padding, None if op is None else (op, op)) + 1.0
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_transpose_dilated(padding):
    x = np.random.RandomState(6).randn(1, 3, 4, 2).astype(np.float32)
    layer = layers.Conv2DTranspose(3, 3, padding=padding, dilation_rate=2,
                                   use_bias=False).init(KEY, x)
    ref = np_conv_transpose(x.astype(np.float64), np.asarray(layer.kernel, np.float64), (1, 1),
                            padding, d=2)
    y = np.asarray(layer(x))
    assert y.shape == ref.shape == ((1, 3, 4, 3) if padding == "same" else (1, 7, 8, 3))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_conv_transpose_is_the_adjoint_of_conv(x2d):
    """<conv(u), v> == <u, conv_transpose(v)> with the same kernel (SAME, stride 2, input
    sizes a multiple of the stride so that the transposed output has the input's size)."""
    x = x2d[:, :4, :4]
    conv = layers.Conv2D(3, 3, strides=2, padding="same", use_bias=False).init(KEY, x)
    y = np.asarray(conv(x))
    v = np.random.RandomState(3).randn(*y.shape).astype(np.float32)
    tconv = layers.Conv2DTranspose(4, 3, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=conv.kernel).init(KEY, v)
    u = np.asarray(tconv(v))
    np.testing.assert_allclose(np.vdot(y, v), np.vdot(x, u), rtol=1e-4)


def test_conv1d_transpose_shape():
    x = np.zeros((1, 5, 2), np.float32)
    assert layers.Conv1DTranspose(3, 3, strides=2).init(KEY, x)(x).shape == (1, 11, 3)


def test_gradients(x64):
    x = np.random.RandomState(4).randn(1, 4, 4, 2)
    conv = layers.Conv2D(2, 3, strides=2, padding="same", dtype="float64").init(KEY, x)
    check_grads(lambda m, x: m(x), (conv, x), order=2)
    tconv = layers.Conv2DTranspose(2, 3, strides=2, padding="same",
                                   dtype="float64").init(KEY, x)
    check_grads(lambda m, x: m(x), (tconv, x), order=1)
    grouped = layers.Conv2D(4, 2, groups=2, dilation_rate=2, padding="same",
                            dtype="float64").init(KEY, x)
    check_grads(lambda m, x: m(x), (grouped, x), order=1)
    seq = x[:, 0]
    causal = layers.Conv1D(2, 3, padding="causal", dtype="float64").init(KEY, seq)
    check_grads(lambda m, x: m(x), (causal, seq), order=1)


def test_vmap_over_stacked_convs(x2d):
    convs = [layers.Conv2D(3, 3, padding="same").init(jitnet.random.PRNGKey(i), x2d)
             for i in range(3)]
    stacked = tree_map(lambda *ws: jnp.stack(ws), *convs)
    ys = jitnet.vmap(lambda m, x: m(x), in_axes=(0, None))(stacked, x2d)
    for i, c in enumerate(convs):
        np.testing.assert_allclose(np.asarray(ys[i]), np.asarray(c(x2d)), rtol=1e-5, atol=1e-6)


def test_bad_inputs_raise_clear_errors(x2d):
    with pytest.raises(ValueError, match=r"Conv2D expects a rank-4 input.*\(2, 6, 5\)"):
        layers.Conv2D(2, 3).init(KEY, x2d[..., 0])
    conv = layers.Conv2D(2, 3, name="c").init(KEY, x2d)
    with pytest.raises(ValueError, match=r"c \(Conv2D\).*rank-4.*\(6, 5, 4\)"):
        conv(x2d[0])
    with pytest.raises(ValueError, match=r"built for 4 input channels.*\(2, 6, 5, 3\)"):
        conv(x2d[..., :3])
    with pytest.raises(ValueError, match="groups"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(3, 3, padding="causal")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv2D(3, (3, 3, 3))
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv2DTranspose(3, 3, strides=2, output_padding=2)

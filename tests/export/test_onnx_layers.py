"""Parity: every layer in jitnet.layers, exported with a dynamic batch, gives in ONNX Runtime
the outputs jitnet computes, at the traced batch size and at another one."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet import layers as L, models
from jitnet.export import to_onnx

pytest.importorskip("onnx", reason="onnx is not installed (the 'export' extra)")

KEY = jitnet.random.PRNGKey(0)
TOL = dict(rtol=2e-5, atol=2e-5)


def seq(layer, shape):
    return lambda: (models.Sequential([L.Input(shape), layer]), [shape])


def two_inputs(merge, shape=(4,)):
    def make():
        a, b = L.Input(shape), L.Input(shape)
        return models.Model([a, b], merge([L.Dense(3)(a), L.Dense(3)(b)])), [shape, shape]
    return make


def mha():
    q, v = L.Input((3, 4)), L.Input((5, 6))
    return models.Model([q, v], L.MultiHeadAttention(2, 3)(q, v)), [(3, 4), (5, 6)]


def embedding():
    ids = L.Input((4,), dtype="int32")
    return models.Model(ids, L.Dense(2)(L.Flatten()(L.Embedding(7, 3)(ids)))), ["ids"]


CASES = {
    "Dense": seq(L.Dense(4, activation="tanh"), (5,)),
    "Dense_3d": seq(L.Dense(3), (2, 5)),
    "Activation_softmax": seq(L.Activation("softmax"), (6,)),
    "Activation_gelu": seq(L.Activation("gelu"), (6,)),
    "Activation_misc": lambda: (models.Sequential([L.Input((6,)), L.Activation("elu"),
                                                   L.Activation("softplus"), L.Activation("swish"),
                                                   L.Activation("sigmoid"), L.Activation("selu"),
                                                   L.Activation("log_softmax")]), [(6,)]),
    "Flatten": seq(L.Flatten(), (2, 3, 2)),
    "Reshape": seq(L.Reshape((3, -1)), (6,)),
    "Lambda": seq(L.Lambda(lambda x: jitnet.numpy.abs(x) - 0.5), (4,)),
    "Identity_Dropout": lambda: (models.Sequential([L.Input((4,)), L.Identity(), L.Dropout(0.5)]),
                                 [(4,)]),
    "Add": two_inputs(L.Add()),
    "Subtract": two_inputs(L.Subtract()),
    "Multiply": two_inputs(L.Multiply()),
    "Average": two_inputs(L.Average()),
    "Maximum": two_inputs(L.Maximum()),
    "Minimum": two_inputs(L.Minimum()),
    "Concatenate": two_inputs(L.Concatenate()),
    "Conv1D_causal_dilated": seq(L.Conv1D(3, 3, padding="causal", dilation_rate=2), (8, 2)),
    "Conv2D_same_strided": seq(L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                               (7, 7, 2)),
    "Conv2D_grouped": seq(L.Conv2D(4, 3, groups=2), (6, 6, 2)),
    "Conv2D_depthwise": seq(L.Conv2D(4, (3, 2), groups=4, dilation_rate=(1, 2)), (6, 6, 4)),
    "Conv1DTranspose": seq(L.Conv1DTranspose(3, 3, strides=2), (5, 2)),
    "Conv2DTranspose_same": seq(L.Conv2DTranspose(3, 3, strides=2, padding="same"), (4, 4, 2)),
    "Conv2DTranspose_outpad": seq(L.Conv2DTranspose(2, 3, strides=2, output_padding=1),
                                  (3, 3, 2)),
    "MaxPooling1D": seq(L.MaxPooling1D(2), (7, 3)),
    "MaxPooling2D_same": seq(L.MaxPooling2D(2, padding="same"), (5, 5, 2)),
    "AveragePooling1D": seq(L.AveragePooling1D(3, strides=2), (7, 3)),
    "AveragePooling2D_same": seq(L.AveragePooling2D(2, padding="same"), (5, 5, 2)),
    "GlobalAveragePooling2D": seq(L.GlobalAveragePooling2D(), (4, 4, 2)),
    "GlobalMaxPooling2D": seq(L.GlobalMaxPooling2D(keepdims=True), (4, 4, 2)),
    "GlobalAveragePooling1D": seq(L.GlobalAveragePooling1D(), (4, 2)),
    "GlobalMaxPooling1D": seq(L.GlobalMaxPooling1D(), (4, 2)),
    "UpSampling1D": seq(L.UpSampling1D(3), (3, 2)),
    "UpSampling2D": seq(L.UpSampling2D(2), (3, 3, 2)),
    "ZeroPadding1D": seq(L.ZeroPadding1D((1, 2)), (3, 2)),
    "ZeroPadding2D": seq(L.ZeroPadding2D(1), (3, 3, 2)),
    "Cropping1D": seq(L.Cropping1D((1, 2)), (6, 2)),
    "Cropping2D": seq(L.Cropping2D(1), (4, 4, 2)),
    "BatchNormalization": seq(L.BatchNormalization(), (5, 3)),
    "LayerNormalization": seq(L.LayerNormalization(), (4, 3)),
    "Embedding": embedding,
    "SimpleRNN_backwards": seq(L.SimpleRNN(4, go_backwards=True), (3, 5)),
    "LSTM_sequences": seq(L.LSTM(4, return_sequences=True), (3, 5)),
    "GRU": seq(L.GRU(4), (3, 5)),
    "GRU_no_reset_after": seq(L.GRU(3, reset_after=False, return_sequences=True), (3, 5)),
    "Bidirectional_LSTM": seq(L.Bidirectional(L.LSTM(2, return_sequences=True)), (3, 5)),
    "TimeDistributed": seq(L.TimeDistributed(L.Dense(2)), (3, 4)),
    "MultiHeadAttention": mha,
}


def sample(spec, batch, rs):
    if spec == "ids":
        return rs.randint(0, 7, (batch, 4)).astype(np.int32)
    return rs.randn(batch, *spec).astype(np.float32)


def randomize(model, rs):
    """Random weights everywhere (zero biases and unit BatchNorm statistics test little)."""
    return jitnet.tree_util.tree_map(
        lambda w: jitnet.numpy.asarray((rs.randn(*w.shape) * 0.5).astype(w.dtype)), model)


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_parity(name, ort_run):
    rs = np.random.RandomState(0)
    model, specs = CASES[name]()
    xs = [sample(s, 3, rs) for s in specs]
    model.init(KEY, *[x[:1] for x in xs])
    model = randomize(model, rs)
    if name == "BatchNormalization":      # a variance must stay positive
        bn = model.layers[0]
        bn.moving_variance = jitnet.numpy.asarray(rs.rand(3).astype(np.float32) + 0.5)
    proto = to_onnx(model, *xs)
    for batch in (3, 5):
        xb = [sample(s, batch, rs) for s in specs]
        want = np.asarray(model(*xb))
        (got,) = ort_run(proto, *xb)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOL)

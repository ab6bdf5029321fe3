"""Parity for the demo models: the Fashion-MNIST CNN (layers), the hand-written MLP and CNN of
fashion_mnist_jit.py (plain functions over parameter pytrees), and the char-RNN's LSTM."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet.export import to_onnx

onnx = pytest.importorskip("onnx", reason="onnx is not installed (the 'export' extra)")

KEY = jitnet.random.PRNGKey(0)
TOL = dict(rtol=1e-4, atol=1e-5)


def images(batch, seed=0):
    return np.random.RandomState(seed).rand(batch, 28, 28, 1).astype(np.float32)


def test_fashion_mnist_cnn(ort_run, tmp_path, example):
    model = example("fashion_mnist").make_model((28, 28), 10)
    model.init(KEY, images(1))
    path = tmp_path / "cnn.onnx"
    proto = to_onnx(model, images(2), path=path)
    assert onnx.load(str(path)) == proto
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 28, 28, 1]
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    np.testing.assert_array_equal(inits["layers/0/kernel"], np.asarray(model.layers[0].kernel))
    np.testing.assert_array_equal(inits["layers/7/bias"], np.asarray(model.layers[7].bias))
    ops = [n.op_type for n in proto.graph.node]
    assert "Expand" not in ops and "Shape" not in ops     # biases broadcast; reshape uses -1
    for batch in (2, 7):
        x = images(batch, seed=batch)
        np.testing.assert_allclose(ort_run(proto, x)[0], np.asarray(model(x)), **TOL)


def test_fashion_mnist_jit_mlp_and_cnn(ort_run, example):
    ex = example("fashion_mnist_jit")
    mlp_params = ex.init_mlp(KEY, [784, 32, 10])
    cnn_params = ex.init_cnn(KEY, (28, 28), 10)
    for fn in (lambda x: ex.mlp(mlp_params, x), lambda x: ex.cnn(cnn_params, x)):
        proto = to_onnx(fn, images(2)[..., 0])
        for batch in (2, 5):
            x = images(batch, seed=batch)[..., 0]
            np.testing.assert_allclose(ort_run(proto, x)[0], np.asarray(fn(x)), **TOL)


def test_char_rnn_lstm(ort_run, example):
    model = example("char_rnn").make_model(vocab=20, seq=8, hidden=16)
    ids = np.random.RandomState(1).randint(0, 20, (3, 8)).astype(np.int32)
    model.init(KEY, ids[:1])
    proto = to_onnx(model, ids)
    assert any(n.op_type == "Scan" for n in proto.graph.node)
    for batch in (3, 1):
        x = np.random.RandomState(batch).randint(0, 20, (batch, 8)).astype(np.int32)
        np.testing.assert_allclose(ort_run(proto, x)[0], np.asarray(model(x)), **TOL)


def test_static_batch_keeps_the_example_shape(ort_run, example):
    model = example("fashion_mnist").make_model((28, 28), 10)
    model.init(KEY, images(1))
    proto = to_onnx(model, images(3), dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [3, 28, 28, 1]
    assert not any(n.op_type == "Shape" for n in proto.graph.node)
    x = images(3, seed=4)
    np.testing.assert_allclose(ort_run(proto, x)[0], np.asarray(model(x)), **TOL)

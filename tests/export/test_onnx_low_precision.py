"""Export in float16 and bfloat16 (issue 13, item 5): the ONNX graph keeps the narrow types.
ONNX Runtime's CPU provider runs float16 graphs; it has no bfloat16 MatMul, so a bfloat16
graph is checked for validity (onnx.checker) and its types, not run."""
from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import jitnet
from jitnet.export import to_onnx

onnx = pytest.importorskip("onnx", reason="onnx is not installed (the 'export' extra)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")

W = np.random.RandomState(0).randn(4, 3)
B = np.random.RandomState(2).randn(3)


def _mlp(w, b):
    return lambda x: jitnet.nn.relu(x @ w + b) * 2.0


def test_float16_graph_runs_in_onnx_runtime_and_matches_jitnet():
    w, b = W.astype(np.float16), B.astype(np.float16)
    x = np.random.RandomState(1).randn(5, 4).astype(np.float16)
    f = _mlp(w, b)
    model = to_onnx(f, x)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    assert out.dtype == np.float16
    # both round after each op; ORT may fuse, so allow one float16 ulp of the result
    np.testing.assert_allclose(out.astype(np.float32), np.asarray(f(x)).astype(np.float32),
                               rtol=2e-3, atol=2e-3)
    x2 = np.random.RandomState(3).randn(9, 4).astype(np.float16)  # the dynamic batch
    out2 = sess.run(None, {sess.get_inputs()[0].name: x2})[0]
    np.testing.assert_allclose(out2.astype(np.float32), np.asarray(f(x2)).astype(np.float32),
                               rtol=2e-3, atol=2e-3)


def test_bfloat16_graph_is_valid_onnx_with_bfloat16_types():
    bf16 = ml_dtypes.bfloat16
    f = _mlp(W.astype(bf16), B.astype(bf16))
    model = to_onnx(f, np.ones((5, 4), bf16))
    onnx.checker.check_model(model)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16
    weights = {i.data_type for i in model.graph.initializer if len(i.dims) == 2}
    assert weights == {onnx.TensorProto.BFLOAT16}

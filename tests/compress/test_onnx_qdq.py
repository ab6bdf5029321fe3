"""QDQ int8 ONNX: hand-built graphs, run by ONNX Runtime, against NumPy forwards."""
import numpy as np
import pytest

from jitnet import compress

onnx = pytest.importorskip("onnx", reason="the onnx package is missing: pip install "
                           "'jitnet[export]' (make test installs it)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is missing: pip install "
                          "'jitnet[export]' (make test installs it)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def deq_reference(w, axis):
    """Per-channel symmetric int8 round trip, written independently of jitnet."""
    m = np.abs(w).max(axis=tuple(i for i in range(w.ndim) if i != axis), keepdims=True)
    s = np.where(m > 0, m / 127, 1.0)
    return np.round(w / s) * s


def mlp_and_conv(rng, opset=17):
    w1 = rng.standard_normal((8, 6)).astype(np.float32)
    b1 = rng.standard_normal(6).astype(np.float32)
    w2 = rng.standard_normal((3, 6)).astype(np.float32)        # Gemm with transB=1
    b2 = rng.standard_normal(3).astype(np.float32)
    wc = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"]),
             helper.make_node("Add", ["h0", "b1"], ["h1"]),
             helper.make_node("Relu", ["h1"], ["h2"]),
             helper.make_node("Gemm", ["h2", "w2", "b2"], ["y"], transB=1),
             helper.make_node("Conv", ["img", "wc"], ["z"], pads=[1, 1, 1, 1])]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 8]),
         helper.make_tensor_value_info("img", TensorProto.FLOAT, [None, 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [None, 4, 5, 5])],
        [numpy_helper.from_array(a, n) for a, n in
         [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (wc, "wc")]])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return model, dict(w1=w1, b1=b1, w2=w2, b2=b2, wc=wc)


def run(model, feeds, level="ORT_ENABLE_BASIC"):
    """ONNX Runtime's outputs. The basic level runs DequantizeLinear as written; the
    extended one may fuse it with MatMul into com.microsoft.MatMulNBits, which rounds
    differently (see docs/COMPRESS.md)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def conv_same_3x3(img, w):
    """NCHW, OIHW, stride 1, pad 1: a direct loop."""
    n, c, h, wd = img.shape
    p = np.pad(img, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd))
    for i in range(h):
        for j in range(wd):
            out[:, :, i, j] = np.einsum("nckl,ockl->no", p[:, :, i:i + 3, j:j + 3], w)
    return out


def test_qdq_graph_runs_and_matches_dequantized_reference(rng):
    model, w = mlp_and_conv(rng)
    q = compress.quantize_onnx(model)
    onnx.checker.check_model(q, full_check=True)
    kinds = {t.name: t.data_type for t in q.graph.initializer}
    for name in ("w1", "w2", "wc"):
        assert kinds[f"{name}_quantized"] == TensorProto.INT8 and name not in kinds
    assert kinds["b1"] == kinds["b2"] == TensorProto.FLOAT            # biases stay float
    dq = {n.output[0]: n for n in q.graph.node if n.op_type == "DequantizeLinear"}
    assert {k: dq[k].attribute[0].i for k in dq} == {"w1": 1, "w2": 0, "wc": 0}

    x = rng.standard_normal((5, 8)).astype(np.float32)
    img = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    y, z = run(q, {"x": x, "img": img})
    w1, w2, wc = deq_reference(w["w1"], 1), deq_reference(w["w2"], 0), deq_reference(w["wc"], 0)
    y_ref = np.maximum(x @ w1 + w["b1"], 0) @ w2.T + w["b2"]
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(z, conv_same_3x3(img, wc), rtol=1e-4, atol=1e-4)
    y_float, _ = run(model, {"x": x, "img": img})
    assert 0 < np.abs(y - y_float).max() < 0.1 * np.abs(y_float).max()


def test_qdq_file_is_four_times_smaller(rng):
    w = rng.standard_normal((256, 128)).astype(np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 128])],
                              [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    ratio = len(model.SerializeToString()) / len(compress.quantize_onnx(model).SerializeToString())
    assert 3.8 < ratio <= 4.0          # 4 bytes -> 1 per weight, plus 128 scales and zero points


def test_qdq_errors_and_untouched_input(rng):
    model, _ = mlp_and_conv(rng, opset=11)
    with pytest.raises(ValueError, match="opset 11"):
        compress.quantize_onnx(model)
    model, _ = mlp_and_conv(rng)
    before = model.SerializeToString()
    compress.quantize_onnx(model, op_types=("Conv",))
    assert model.SerializeToString() == before                 # a copy is returned
    only_conv = compress.quantize_onnx(model, op_types=("Conv",))
    assert [n.output[0] for n in only_conv.graph.node if n.op_type == "DequantizeLinear"] == ["wc"]
    with pytest.raises(ValueError, match="op_types"):
        compress.quantize_onnx(model, op_types=("Relu",))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    with pytest.raises(ValueError, match="no float32 weight"):
        compress.quantize_onnx(helper.make_model(graph, opset_imports=[
            helper.make_opsetid("", 17)]))


def test_exported_jitnet_cnn_in_qdq_matches_dequantized_model(rng):
    """End to end: a jitnet CNN exported by to_onnx (conv kernels reach Conv through a
    Transpose), rewritten to QDQ, run by ONNX Runtime = jitnet's dequantized model."""
    import jitnet as jax
    from jitnet import layers, models
    from jitnet.export import to_onnx
    model = models.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                               layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(5)])
    model.init(jax.random.PRNGKey(0), np.zeros((1, 8, 8, 1), np.float32))
    x = rng.rand(7, 8, 8, 1).astype(np.float32)
    q = compress.quantize_onnx(to_onnx(model, x[:1]))
    onnx.checker.check_model(q)
    assert sum(n.op_type == "DequantizeLinear" for n in q.graph.node) == 2
    assert sum(t.data_type == TensorProto.INT8 for t in q.graph.initializer) == 4  # + zero points
    expected = np.asarray(compress.dequantize(compress.quantize(model))(x))
    got = run(q, {q.graph.input[0].name: x})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    fused = run(q, {q.graph.input[0].name: x}, "ORT_ENABLE_ALL")[0]
    assert np.abs(fused - expected).max() < 0.03 * np.abs(expected).max()

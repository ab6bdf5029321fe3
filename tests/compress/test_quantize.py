"""int8 per-channel weight quantization against a NumPy reference written here."""
import os

import numpy as np
import pytest

import jitnet as jax
from jitnet import compress, layers, models


def reference(w, axis):
    """Per-channel symmetric int8, one channel at a time (independent of the vectorised code)."""
    w = np.moveaxis(np.asarray(w, np.float64), axis, 0)
    q, scales = np.zeros(w.shape, np.int8), np.zeros(w.shape[0], np.float64)
    for c in range(w.shape[0]):
        m = np.abs(w[c]).max()
        scales[c] = m / 127 if m > 0 else 1.0
        q[c] = np.round(w[c] / scales[c])
    return np.moveaxis(q, 0, axis), scales


@pytest.mark.parametrize("shape,axis", [((5, 7), -1), ((3, 3, 2, 6), 3), ((3, 3, 6, 2), 2),
                                        ((4, 9), 0)])
def test_quantize_array_matches_reference_and_error_bound(rng, shape, axis):
    w = rng.standard_normal(shape).astype(np.float32) * rng.uniform(0.01, 3, shape[axis]).reshape(
        [-1 if i == axis % len(shape) else 1 for i in range(len(shape))]).astype(np.float32)
    qa = compress.quantize_array(w, axis)
    q_ref, s_ref = reference(w, axis)
    assert qa.values.dtype == np.int8 and qa.scale.dtype == np.float32
    np.testing.assert_allclose(qa.scale, s_ref, rtol=1e-6)
    assert np.abs(qa.values.astype(int) - q_ref.astype(int)).max() <= 1   # float32 vs 64 ties
    # every channel's largest magnitude maps to +-127, and the error is at most half a step
    assert np.all(np.abs(np.moveaxis(qa.values, axis, 0)).reshape(shape[axis], -1).max(1) == 127)
    bshape = [1] * len(shape)
    bshape[axis] = -1
    err = np.abs(np.asarray(qa.dequantize()) - w)
    assert np.all(err <= s_ref.reshape(bshape) / 2 * (1 + 1e-5))


def test_zero_channel_and_bad_input():
    w = np.zeros((4, 3), np.float32)
    w[:, 1] = [1.0, -2.0, 0.5, 0.0]
    qa = compress.quantize_array(w)
    np.testing.assert_allclose(qa.scale, [1.0, 2.0 / 127, 1.0], rtol=1e-7)
    np.testing.assert_array_equal(np.asarray(qa.dequantize())[:, [0, 2]], 0)
    with pytest.raises(TypeError, match="float"):
        compress.quantize_array(np.ones((2, 2), np.int32))
    with pytest.raises(ValueError, match="NaN"):
        compress.quantize_array(np.array([[1.0, np.nan]], np.float32))
    with pytest.raises(ValueError, match="axis"):
        compress.quantize_array(np.ones((2, 2), np.float32), axis=2)


def small_cnn():
    m = models.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                           layers.Conv2DTranspose(3, 2, strides=2), layers.Flatten(),
                           layers.Dense(16, activation="relu"), layers.BatchNormalization(),
                           layers.Dense(3)])
    return m.init(jax.random.PRNGKey(0), np.zeros((1, 8, 8, 1), np.float32))


def test_quantize_model_selection_and_outputs(rng):
    m = small_cnn()
    q = compress.quantize(m)
    kinds = {l.name: type(getattr(l, "kernel", None)).__name__ for l in q.layers}
    assert kinds == {"conv2d": "QuantizedArray", "conv2d_transpose": "QuantizedArray",
                     "flatten": "NoneType", "dense": "QuantizedArray",
                     "dense_1": "QuantizedArray", "batch_normalization": "NoneType"}
    assert q.layers[1].kernel.axis == 2                  # (k, k, filters, in): filters axis
    assert not isinstance(q.layers[0].bias, compress.QuantizedArray)
    assert q.layers[0].bias.dtype == np.float32 and q.layers[4].gamma.dtype == np.float32
    # the dequantized model is the float model with each kernel replaced by its NumPy
    # reference reconstruction
    x = rng.rand(6, 8, 8, 1).astype(np.float32)
    ref = small_cnn()
    for layer in ref.layers:
        if hasattr(layer, "kernel"):
            axis = 2 if isinstance(layer, layers.Conv2DTranspose) else -1
            qv, s = reference(layer.kernel, axis)
            shape = [1] * qv.ndim
            shape[axis] = -1
            layer.kernel = (qv * s.reshape(shape)).astype(np.float32)
    d = compress.dequantize(q)
    np.testing.assert_allclose(np.asarray(d(x)), np.asarray(ref(x)), rtol=1e-4, atol=1e-5)
    jitted = jax.jit(lambda qm, x: compress.dequantize(qm)(x))(q, x)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(d(x)), rtol=1e-5, atol=1e-6)

    only = compress.quantize(m, select=["dense_1"])
    assert [isinstance(l.kernel, compress.QuantizedArray) for l in only.layers
            if hasattr(l, "kernel")] == [False, False, False, True]
    both = compress.quantize(m, select=lambda layer, name: name in ("kernel", "bias")
                             and isinstance(layer, layers.Dense))
    assert isinstance(both.layers[3].bias, compress.QuantizedArray)
    with pytest.raises(ValueError, match="no layer named"):
        compress.quantize(m, select=["nope"])
    with pytest.raises(TypeError, match="jitnet.layers model"):
        compress.quantize({"w": np.ones((2, 2), np.float32)})
    with pytest.raises(ValueError, match="not built"):
        compress.quantize(models.Sequential([layers.Dense(3)]))


def test_save_load_int8_on_disk_and_size(tmp_path):
    from safetensors.numpy import load_file
    m = models.Sequential([layers.Input((64,)), layers.Dense(128, activation="relu"),
                           layers.Dense(10)]).init(jax.random.PRNGKey(1),
                                                    np.zeros((1, 64), np.float32))
    q = compress.quantize(m)
    path = compress.save_quantized(q, tmp_path / "int8")
    stored = load_file(str(tmp_path / "int8" / "arrays.safetensors"))   # an independent reader
    assert stored["model/layers/0/kernel/0"].dtype == np.int8
    assert stored["model/layers/0/kernel/1"].dtype == np.float32
    back = compress.load_quantized(path)
    for a, b in zip(jax.tree_util.tree_leaves(q), jax.tree_util.tree_leaves(back)):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # 4 bytes -> 1 byte per kernel entry, plus 4 bytes per channel and float32 biases
    n_kernel, n_chan, n_bias = 64 * 128 + 128 * 10, 128 + 10, 128 + 10
    assert compress.size_bytes(m) == 4 * (n_kernel + n_bias)
    assert compress.size_bytes(q) == n_kernel + 4 * n_chan + 4 * n_bias
    assert compress.size_bytes(m) / compress.size_bytes(q) > 3.5
    m.save(tmp_path / "float")
    data = [os.path.getsize(tmp_path / d / "arrays.safetensors") for d in ("float", "int8")]
    assert data[0] / data[1] > 3.4     # + safetensors headers; the JSON manifests are alike
    with pytest.raises(ValueError, match="quantized model"):
        compress.load_quantized(tmp_path / "float")
    with pytest.raises(ValueError, match="no QuantizedArray"):
        compress.save_quantized(m, tmp_path / "x")

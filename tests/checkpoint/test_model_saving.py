"""model.save / models.load_model: JSON configuration + safetensors weights, only known
classes constructed, weights restored exactly, mismatched models explained."""
import json

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import checkpoint as ckpt
from jitnet import layers as L, models
from jitnet import tree_util

X = np.random.RandomState(0).randn(5, 4).astype(np.float32)


def same_weights(a, b):
    la, lb = tree_util.tree_leaves(a), tree_util.tree_leaves(b)
    return len(la) == len(lb) and all(
        np.asarray(u).dtype == np.asarray(v).dtype and np.array_equal(u, v) for u, v in zip(la, lb))


def test_sequential_round_trip(tmp_path):
    m = models.Sequential([L.Input((4,)), L.Dense(8, activation="relu"), L.Dropout(0.5),
                           L.BatchNormalization(), L.Dense(3, use_bias=False)])
    m.init(jax.random.PRNGKey(1), X)
    m.save(tmp_path / "m")
    back = models.load_model(tmp_path / "m")
    assert type(back) is models.Sequential and [type(l).__name__ for l in back.layers] == \
        ["Dense", "Dropout", "BatchNormalization", "Dense"]
    assert back.layers[0].activation == "relu" and back.layers[3].use_bias is False
    assert same_weights(m, back)
    np.testing.assert_array_equal(back(X), m(X))
    cfg = json.loads((tmp_path / "m" / "manifest.json").read_text())["metadata"]["model_config"]
    assert cfg["layer"]["class_name"] == "Sequential" and cfg["input_specs"] == [[[None, 4],
                                                                                  "float32"]]


def test_functional_graph_with_shared_layer_and_two_outputs(tmp_path):
    inp = L.Input((4,))
    shared = L.Dense(3, name="shared")
    a = shared(inp)
    b = shared(L.Dense(4)(inp))
    out = L.Concatenate()([a, b])
    m = models.Model(inp, [out, a])
    m.init(jax.random.PRNGKey(2), X)
    m.save(tmp_path / "f")
    back = models.load_model(tmp_path / "f")
    assert [l.name for l in back.layers] == [l.name for l in m.layers]
    assert same_weights(m, back)
    for u, v in zip(back(X), m(X)):
        np.testing.assert_array_equal(u, v)


def test_tuple_configuration_survives(tmp_path):
    x = np.random.RandomState(1).randn(2, 6, 6, 1).astype(np.float32)
    m = models.Sequential([L.Conv2D(2, (3, 2), strides=(1, 2)), L.Flatten()])
    m.init(jax.random.PRNGKey(0), x)
    m.save(tmp_path / "c")
    back = models.load_model(tmp_path / "c")
    assert back.layers[0].kernel_size == (3, 2) and back.layers[0].strides == (1, 2)
    np.testing.assert_array_equal(back(x), m(x))


class Scale(L.Layer):
    def __init__(self, factor=2.0, name=None):
        super().__init__(name=name)
        self.factor = factor

    def build(self, input_shape):
        self.add_weight("scale", (input_shape[-1],), "ones")

    def call(self, x):
        return x * self.scale * self.factor


def shifted_relu(x):
    return jnp.maximum(x - 0.5, 0.0)


def test_custom_classes_and_functions_only_through_custom_objects(tmp_path):
    m = models.Sequential([L.Input((4,)), Scale(3.0), L.Dense(2, activation=shifted_relu)])
    m.init(jax.random.PRNGKey(0), X)
    m.save(tmp_path / "m")
    with pytest.raises(ValueError, match=r"unknown layer class 'Scale' from module "
                       r"'tests.checkpoint.test_model_saving', which is not part of jitnet"):
        models.load_model(tmp_path / "m")
    with pytest.raises(ValueError, match="names the function 'shifted_relu', which is neither "
                       "in jitnet.nn nor in custom_objects"):
        models.load_model(tmp_path / "m", custom_objects={"Scale": Scale})
    back = models.load_model(tmp_path / "m", custom_objects={"Scale": Scale,
                                                            "shifted_relu": shifted_relu})
    assert back.layers[0].factor == 3.0 and back.layers[1].activation is shifted_relu
    np.testing.assert_array_equal(back(X), m(X))


def test_a_lambda_cannot_be_saved(tmp_path):
    m = models.Sequential([L.Input((4,)), L.Dense(2, activation=lambda x: x * 2)])
    m.init(jax.random.PRNGKey(0), X)
    with pytest.raises(TypeError, match=r"dense.activation is a function .* JSON"):
        m.save(tmp_path / "m")


def test_a_file_cannot_name_an_arbitrary_class(tmp_path):
    m = models.Sequential([L.Input((4,)), L.Dense(2)])
    m.init(jax.random.PRNGKey(0), X)
    m.save(tmp_path / "m")
    mpath = tmp_path / "m" / "manifest.json"
    manifest = json.loads(mpath.read_text())
    manifest["metadata"]["model_config"]["layer"]["config"]["layers"][0]["__layer__"][
        "class_name"] = "subprocess.Popen"
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="unknown layer class 'subprocess.Popen'"):
        models.load_model(tmp_path / "m")


def test_weights_into_a_different_model_list_the_mismatches(tmp_path):
    m = models.Sequential([L.Input((4,)), L.Dense(8), L.Dense(3)])
    m.init(jax.random.PRNGKey(0), X)
    m.save(tmp_path / "m")
    other = models.Sequential([L.Input((4,)), L.Dense(5), L.Dense(3, use_bias=False)])
    other.init(jax.random.PRNGKey(0), X)
    with pytest.raises(ValueError) as e:
        ckpt.restore(tmp_path / "m", like=other, item="model")
    msg = str(e.value)
    assert "layers/0/kernel: checkpoint has float32[4, 8], expected float32[4, 5]" in msg
    assert "layers/0/bias: checkpoint has float32[8], expected float32[5]" in msg
    assert "layers/1/kernel: checkpoint has float32[8, 3], expected float32[5, 3]" in msg
    assert "layers/1: checkpoint has unexpected ['bias']" in msg


def test_unbuilt_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        models.Sequential([L.Dense(2)]).save(tmp_path / "m")


def _seq3():
    return np.random.RandomState(0).randn(2, 5, 6).astype(np.float32)


LAYER_CASES = {
    "conv_pool": (lambda: [L.Conv2D(2, 3, padding="same"), L.MaxPooling2D(2),
                           L.GlobalAveragePooling2D()],
                  lambda: np.random.RandomState(0).randn(2, 6, 6, 3).astype(np.float32)),
    "recurrent": (lambda: [L.LSTM(3, return_sequences=True), L.Bidirectional(L.GRU(2)),
                           L.LayerNormalization()], _seq3),
    "wrappers": (lambda: [L.TimeDistributed(L.Dense(2)), L.Cropping1D(1), L.Flatten()], _seq3),
    "embedding": (lambda: [L.Embedding(10, 4), L.GlobalAveragePooling1D()],
                  lambda: np.array([[1, 2, 3], [9, 0, 4]], np.int32)),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_kinds_round_trip(tmp_path, case):
    make_layers, make_x = LAYER_CASES[case]
    x = make_x()
    m = models.Sequential([L.Input(x.shape[1:], dtype=x.dtype.name), *make_layers()])
    m.init(jax.random.PRNGKey(0), x)
    m.save(tmp_path / "m")
    back = models.load_model(tmp_path / "m")
    assert [type(l) for l in back.layers] == [type(l) for l in m.layers]
    assert same_weights(m, back)
    np.testing.assert_array_equal(back(x), m(x))


def test_attention_model_round_trip(tmp_path):
    x = _seq3()
    inp = L.Input((5, 6))
    m = models.Model(inp, L.MultiHeadAttention(2, 3)(inp, inp))
    m.init(jax.random.PRNGKey(0), x)
    m.save(tmp_path / "m")
    np.testing.assert_array_equal(models.load_model(tmp_path / "m")(x), m(x))

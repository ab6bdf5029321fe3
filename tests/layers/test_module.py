"""Models built from the layers: summary counts by hand, jit == eager, BatchNorm state through a
model, vmap over stacked models, and the base's pytree round trips."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import layers, models
from jitnet.layers import combine, partition
from jitnet.tree_util import tree_leaves, tree_map

KEY = jitnet.random.PRNGKey(0)


def conv_net():
    return models.Sequential([
        layers.Input((8, 8, 3)),
        layers.Conv2D(4, 3, activation="relu"),          # 3*3*3*4 + 4 = 112
        layers.BatchNormalization(),                      # 4 gamma + 4 beta | 8 moving
        layers.MaxPooling2D(),                            # (3, 3, 4)
        layers.Conv2DTranspose(2, 2, strides=2),          # 2*2*2*4 + 2 = 34 -> (6, 6, 2)
        layers.GlobalAveragePooling2D(),
        layers.Dense(3),                                  # 2*3 + 3 = 9
    ])


@pytest.fixture(scope="module")
def images():
    return np.random.RandomState(0).randn(2, 8, 8, 3).astype(np.float32)


@pytest.fixture(scope="module")
def net(images):
    return conv_net().init(KEY, images)


def summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_conv_net_summary_counts(net):
    lines = summary_lines(net)
    rows = {l.split()[0]: l for l in lines if "(" in l and ")" in l and "Layer" not in l}
    assert rows["conv2d"].split()[-1] == "112" and "(None, 6, 6, 4)" in rows["conv2d"]
    assert rows["batch_normalization"].split()[-1] == "16"
    assert "(None, 3, 3, 4)" in rows["max_pooling2d"]
    assert rows["conv2d_transpose"].split()[-1] == "34"
    assert "(None, 6, 6, 2)" in rows["conv2d_transpose"]
    assert "(None, 2)" in rows["global_average_pooling2d"]
    assert rows["dense"].split()[-1] == "9"
    assert "Total params: 171" in lines
    assert "Trainable params: 163" in lines and "Non-trainable params: 8" in lines


def test_lstm_summary_counts():
    model = models.Sequential([layers.Input((5,), dtype="int32"), layers.Embedding(10, 3),
                               layers.LSTM(4, return_sequences=True), layers.GRU(2),
                               layers.Dense(1)])
    model.init(KEY, np.zeros((1, 5), np.int32))
    lines = summary_lines(model)
    # Embedding 10*3; LSTM 4*4*(3+4+1); GRU 3*2*(4+2+2); Dense 2+1
    assert f"Total params: {30 + 128 + 48 + 3}" in lines
    rows = [l for l in lines if l.startswith(("lstm", "gru"))]
    assert "(None, 5, 4)" in rows[0] and rows[0].split()[-1] == "128"
    assert "(None, 2)" in rows[1] and rows[1].split()[-1] == "48"


@pytest.mark.slow
def test_jit_equals_eager(net, images):
    eager = np.asarray(net(images))
    np.testing.assert_allclose(np.asarray(jitnet.jit(lambda m, x: m(x))(net, images)), eager,
                               rtol=1e-5, atol=1e-5)


def test_batchnorm_state_through_a_model(net, images):
    _, trained = net.apply(images, training=True, key=KEY)
    conv, bn = net.layers[0], net.layers[1]
    h = np.asarray(conv(images), np.float64)
    np.testing.assert_allclose(np.asarray(trained.layers[1].moving_mean),
                               0.99 * np.asarray(bn.moving_mean) + 0.01 * h.mean((0, 1, 2)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(trained.layers[1].moving_variance),
                               0.99 + 0.01 * h.var((0, 1, 2)), rtol=1e-5)
    # only the state changed; the trainable weights are the same arrays
    assert trained.layers[0].kernel is net.layers[0].kernel
    assert not np.allclose(np.asarray(trained(images)), np.asarray(net(images)))


def test_grad_through_training_pass_with_state(net, images):
    """value_and_grad over the trainable part, the new state returned as aux."""
    params, rest = partition(net)

    def loss(p, x):
        y, new = combine(p, rest).apply(x, training=True, key=KEY)
        return jnp.mean(y ** 2), new
    (value, new), g = jitnet.value_and_grad(loss, has_aux=True)(params, images)
    assert g.layers[1].moving_mean is None and g.layers[0].kernel.shape == (3, 3, 3, 4)
    def at(step):
        bumped = tree_map(lambda a: a, params)
        bumped.layers[5].bias = params.layers[5].bias + jnp.asarray([step, 0.0, 0.0])
        return float(loss(bumped, images)[0])
    eps = 1e-2
    fd = (at(eps) - at(-eps)) / (2 * eps)                  # exact: the loss is quadratic here
    np.testing.assert_allclose(float(g.layers[5].bias[0]), fd, rtol=2e-2)


@pytest.mark.slow
def test_jit_equals_eager_sequence_model():
    ids = np.random.RandomState(3).randint(0, 10, (2, 5)).astype(np.int32)
    inp = layers.Input((5,), dtype="int32")
    h = layers.Embedding(10, 4)(inp)
    h = layers.Add()([h, layers.MultiHeadAttention(2, 2)(h, h)])
    h = layers.LayerNormalization()(h)
    h = layers.GRU(3, return_sequences=True)(h)
    model = models.Model(inp, layers.Dense(2)(layers.LSTM(3)(h)))
    model.init(KEY, ids)
    np.testing.assert_allclose(np.asarray(jitnet.jit(lambda m, x: m(x))(model, ids)),
                               np.asarray(model(ids)), rtol=1e-5, atol=1e-6)


def test_vmap_over_stacked_dense():
    x = np.random.RandomState(1).randn(4, 3).astype(np.float32)
    models = [layers.Dense(2).init(jitnet.random.PRNGKey(i), x) for i in range(3)]
    stacked = tree_map(lambda *ws: jnp.stack(ws), *models)
    ys = jitnet.vmap(lambda m: m(x))(stacked)
    for i, m in enumerate(models):
        np.testing.assert_allclose(np.asarray(ys[i]),
                                   x @ np.asarray(m.kernel) + np.asarray(m.bias), rtol=1e-5)


def test_partition_combine_round_trip(net):
    trainable, rest = partition(net)
    n_train = sum(int(np.prod(a.shape)) for a in tree_leaves(trainable))
    assert n_train == 163
    back = combine(trainable, rest)
    for a, b in zip(tree_leaves(back), tree_leaves(net)):
        assert a is b


def test_init_is_deterministic_by_key(images):
    a, b = conv_net().init(KEY, images), conv_net().init(KEY, images)
    c = conv_net().init(jitnet.random.PRNGKey(1), images)
    for x, y in zip(tree_leaves(a), tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert not np.array_equal(np.asarray(a.layers[0].kernel), np.asarray(c.layers[0].kernel))


def test_shared_layer_in_functional_model():
    x = np.random.RandomState(2).randn(2, 4, 3).astype(np.float32)
    a, b = layers.Input((4, 3)), layers.Input((4, 3))
    shared = layers.LSTM(2)
    model = models.Model([a, b], layers.Subtract()([shared(a), shared(b)]))
    model.init(KEY, x, x[::-1])
    assert model.count_params() == layers.LSTM(2).init(KEY, x).count_params()
    np.testing.assert_allclose(np.asarray(model(x, x[::-1])),
                               np.asarray(shared(x)) - np.asarray(shared(x[::-1])), rtol=1e-6)
    g = jitnet.grad(lambda m: jnp.sum(m(x, x[::-1]) ** 2))(model)
    assert len(tree_leaves(g)) == 3                            # one kernel set, not two


def test_default_names_follow_keras():
    model = models.Sequential([layers.SimpleRNN(2), layers.LSTM(2), layers.GRU(2),
                               layers.Conv2DTranspose(2, 2), layers.MaxPooling2D(),
                               layers.MultiHeadAttention(1, 1), layers.LSTM(2)])
    assert [l.name for l in model.layers] == [
        "simple_rnn", "lstm", "gru", "conv2d_transpose", "max_pooling2d",
        "multi_head_attention", "lstm_1"]


def test_custom_layer_from_the_package_docstring():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.add_weight("scale", (input_shape[-1],), "ones")

        def call(self, x):
            return x * self.scale

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer = Scale().init(KEY, x)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    g = jitnet.grad(lambda m: jnp.sum(m(x)))(layer)
    np.testing.assert_array_equal(np.asarray(g.scale), x.sum(0))


def test_wrong_rank_in_a_model_names_the_layer(net):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 8, 8, 3\).*"
                                         r"\(2, 8, 8\)"):
        net(np.zeros((2, 8, 8), np.float32))
    model = models.Sequential([layers.Flatten(), layers.Conv1D(2, 3)])
    with pytest.raises(ValueError, match=r"conv1d \(Conv1D\) expects a rank-3 input.*\(2, 12\)"):
        model.init(KEY, np.zeros((2, 3, 4), np.float32))


def test_a_few_sgd_steps_reduce_the_loss(net, images):
    """End to end: grads through conv, BatchNorm (state threaded), pooling and dense."""
    target = np.random.RandomState(5).randn(2, 3).astype(np.float32)

    def loss(params, rest, x):
        y, new = combine(params, rest).apply(x, training=True, key=KEY)
        return jnp.mean((y - target) ** 2), new

    params, rest = partition(net)
    losses = []
    for _ in range(4):
        (value, new), g = jitnet.value_and_grad(loss, has_aux=True)(params, rest, images)
        losses.append(float(value))
        params = tree_map(lambda p, d: p - 0.1 * d, params, g)
        rest = partition(new)[1]
    assert losses[-1] < losses[0] * 0.9, losses
    assert not np.allclose(np.asarray(rest.layers[1].moving_mean),
                           np.asarray(net.layers[1].moving_mean))

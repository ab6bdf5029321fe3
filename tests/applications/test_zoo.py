"""jitnet.applications: parameter counts against published numbers and hand formulas,
output shapes, forward/backward at tiny sizes (eager, checked against float64 finite
differences), saving and reloading by name.

Published references: torchvision's ResNet-18/34 (11,689,512 / 21,797,672 parameters, no
conv biases, BatchNorm's two trainable vectors), Keras's MobileNet (4,253,864 with 1000
classes; 219,058 of which 213,586 trainable for alpha=0.25, 32x32, 2 classes, from
keras.applications.MobileNet), and Keras's VAE example (encoder 69,076 + decoder 65,089).
Full-size models are built abstractly (``eval_shape``): counting needs shapes, not values."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import applications as A
from jitnet import layers, models
from jitnet.layers import combine, partition
from jitnet.testing import check_grads
from jitnet.tree_util import tree_leaves, tree_map


def n_params(tree) -> int:
    return sum(int(np.prod(x.shape)) for x in tree_leaves(tree))


def abstract(build, input_shape=None):
    """``(trainable count, total count, output shape)`` of ``build()`` without its weights'
    values (and without the output when ``input_shape`` is None)."""
    def run(*xs):
        m = build()
        return partition(m)[0], m, (m(*xs) if xs else None)
    specs = [jax.ShapeDtypeStruct((2,) + tuple(input_shape), np.float32)] if input_shape else []
    params, model, out = jax.eval_shape(run, *specs)
    return n_params(params), n_params(model), (None if out is None else tuple(out.shape))


def resnet_formula(blocks, filters, cin, classes):
    """Trainable parameters of a basic-block ResNet: 3x3 convolutions without bias,
    BatchNormalization's gamma and beta, 1x1 projections where the shape changes."""
    total = 7 * 7 * cin * filters[0] + 2 * filters[0]
    c = filters[0]
    for stage, (n, f) in enumerate(zip(blocks, filters)):
        for b in range(n):
            total += 9 * c * f + 2 * f + 9 * f * f + 2 * f
            if c != f or (stage > 0 and b == 0):
                total += c * f + 2 * f
            c = f
    return total + c * classes + classes


def test_resnet_counts_match_torchvision_and_the_formula():
    assert resnet_formula((2, 2, 2, 2), (64, 128, 256, 512), 3, 1000) == 11_689_512
    assert resnet_formula((3, 4, 6, 3), (64, 128, 256, 512), 3, 1000) == 21_797_672
    trainable, total, _ = abstract(lambda: A.ResNet18(input_shape=(32, 32, 3)))
    assert trainable == 11_689_512
    assert total - trainable == 2 * (64 + 2 * (64 * 2 + 128 * 2 + 256 * 2 + 512 * 2)
                                     + 128 + 256 + 512)    # moving mean and variance
    trainable, _, out = abstract(lambda: A.ResNet34(input_shape=(32, 32, 3), include_top=False),
                                 (32, 32, 3))
    assert trainable == 21_797_672 - (512 * 1000 + 1000) and out == (2, 1, 1, 512)
    _, _, out = abstract(lambda: A.ResNet18(input_shape=(32, 32, 3), include_top=False,
                                            pooling="avg"), (32, 32, 3))
    assert out == (2, 512)


def mobilenet_formula(alpha, classes, cin=3):
    """All parameters (BatchNormalization counted with its 4 vectors, as Keras counts)."""
    c = int(32 * alpha)
    total = 9 * cin * c + 4 * c
    for f, _ in A.mobilenet.BLOCKS:
        f = int(f * alpha)
        total += 9 * c + 4 * c + c * f + 4 * f
        c = f
    return total + c * classes + classes


def test_mobilenet_counts_match_keras():
    assert mobilenet_formula(1.0, 1000) == 4_253_864
    assert mobilenet_formula(0.25, 2) == 219_058
    trainable, total, out = abstract(lambda: A.MobileNet(), None)
    assert total == 4_253_864
    trainable, total, out = abstract(
        lambda: A.MobileNet(input_shape=(32, 32, 3), alpha=0.25, classes=2), (32, 32, 3))
    assert (trainable, total, out) == (213_586, 219_058, (2, 2))


def vit_formula(patch, cin, n_tokens, d, mlp, n_layers, classes):
    block = 2 * 2 * d + 4 * (d * d + d) + (d * mlp + mlp) + (mlp * d + d)
    return (patch * patch * cin * d + d) + n_tokens * d + n_layers * block + 2 * d \
        + d * classes + classes


def test_vit_lstm_and_vae_counts():
    kw = dict(input_shape=(16, 16, 3), patch_size=4, num_layers=2, num_heads=2, hidden_dim=16,
              mlp_dim=32, classes=3)
    # 5,571 and 927: the same architectures built with Keras 3 layers (count_params)
    assert vit_formula(4, 3, 16, 16, 32, 2, 3) == 5_571
    trainable, total, out = abstract(lambda: A.VisionTransformer(**kw), (16, 16, 3))
    assert trainable == total == 5_571 and out == (2, 3)
    m = A.LSTMLanguageModel(11, embedding_dim=5, units=7, num_layers=2)
    lstm = lambda i, u: 4 * (i * u + u * u + u)    # noqa: E731  Keras's fused gates
    assert m.count_params() == 11 * 5 + lstm(5, 7) + lstm(7, 7) + 7 * 11 + 11 == 927
    assert m(np.zeros((2, 6), np.int32)).shape == (2, 6, 11)
    vae = A.VAE().init(jax.random.PRNGKey(0), np.zeros((1, 28, 28, 1), np.float32))
    encoder = sum(l.count_params() for l in (vae.encoder, vae.z_mean, vae.z_log_var))
    assert (encoder, vae.decoder.count_params()) == (69_076, 65_089)


def tiny_models():
    return {
        "resnet": (lambda: A.ResNet((1, 1), filters=(4, 8), input_shape=(16, 16, 3), classes=2,
                                    classifier_activation=None), (16, 16, 3), (2,)),
        "mobilenet": (lambda: A.MobileNet(input_shape=(32, 32, 3), alpha=0.25, classes=2,
                                          classifier_activation=None), (32, 32, 3), (2,)),
        "vit": (lambda: A.VisionTransformer((8, 8, 3), patch_size=4, num_layers=1, num_heads=2,
                                            hidden_dim=8, mlp_dim=8, classes=2,
                                            classifier_activation=None), (8, 8, 3), (2,)),
        "lstm_lm": (lambda: A.LSTMLanguageModel(7, 5, embedding_dim=4, units=6), (5,), (5, 7)),
        "vae": (lambda: A.VAE((8, 8, 1), latent_dim=2, filters=(2, 4), dense_units=4).init(
            jax.random.PRNGKey(0), np.zeros((1, 8, 8, 1), np.float32)), (8, 8, 1), (8, 8, 1)),
    }


@pytest.mark.parametrize("name", list(tiny_models()))
def test_forward_backward_tiny(name, x64):
    build, in_shape, out_shape = tiny_models()[name]
    model = build()
    rs = np.random.RandomState(0)
    x = rs.randint(0, 7, (2,) + in_shape).astype(np.int32) if name == "lstm_lm" \
        else rs.rand(2, *in_shape)
    params, rest = partition(model)
    # a generic point: zero biases after ReLU zeros sit exactly on ReLU's kink
    params = tree_map(lambda a: np.asarray(a, np.float64) + 0.1 * rs.randn(*a.shape), params)
    rest = tree_map(lambda a: np.asarray(a, np.float64), rest)
    w = rs.randn(2, *out_shape)

    # MobileNet's last stages are 1x1: BatchNormalization over a batch of 2 single pixels
    # has a curvature that defeats finite differences, so it is checked in inference mode
    training = name != "mobilenet"

    def loss(params):
        y, _ = combine(params, rest).apply(x, training=training, key=jax.random.PRNGKey(1))
        y = y[0] if isinstance(y, tuple) else y
        return jnp.sum(jnp.tanh(y) * w)

    value, grads = jax.value_and_grad(loss)(params)
    assert np.isfinite(float(value))
    g = tree_leaves(grads)
    assert [a.shape for a in g] == [a.shape for a in tree_leaves(params)]
    assert all(np.all(np.isfinite(a)) for a in g) and sum(np.abs(a).sum() > 0 for a in g) \
        >= len(g) - 1
    check_grads(loss, (params,), order=1, modes=("rev",), eps=1e-6, rtol=1e-4, atol=1e-6)


def test_vae_loss_is_the_negative_elbo():
    vae = A.VAE((4, 4, 1), latent_dim=2, filters=(2,), dense_units=3)
    rs = np.random.RandomState(0)
    y = (rs.rand(3, 4, 4, 1) > 0.5).astype(np.float32)
    logits, mean, log_var = rs.randn(3, 4, 4, 1), rs.randn(3, 2), rs.randn(3, 2)
    p = 1 / (1 + np.exp(-logits))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=(1, 2, 3))
    kl = 0.5 * (np.exp(log_var) + mean ** 2 - 1 - log_var).sum(1)
    got = A.VAELoss().call(y, tuple(a.astype(np.float32) for a in (logits, mean, log_var)))
    np.testing.assert_allclose(np.asarray(got), bce + kl, rtol=1e-5)
    assert vae.latent_dim == 2
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        A.VAELoss().check_targets(y * 255, ())
    with pytest.raises(ValueError, match="divisible by 4"):
        A.VAE((6, 6, 1))


def test_weights_argument_and_errors(tmp_path):
    build = tiny_models()["resnet"][0]
    src = build()
    src.save(str(tmp_path / "ckpt"))
    same = A.ResNet((1, 1), filters=(4, 8), input_shape=(16, 16, 3), classes=2,
                    classifier_activation=None, weights=str(tmp_path / "ckpt"))
    for a, b in zip(tree_leaves(same), tree_leaves(src)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # a new head for 5 classes: the body comes from the checkpoint, the head stays fresh
    new = A.ResNet((1, 1), filters=(4, 8), input_shape=(16, 16, 3), classes=5,
                   classifier_activation=None)
    with pytest.warns(UserWarning, match="skipped 2 weight"):
        report = new.load_weights(str(tmp_path / "ckpt"), skip_mismatch=True)
    assert [p for p, _ in report.skipped] == ["predictions/kernel", "predictions/bias"]
    assert len(report.loaded) == len(tree_leaves(src)) - 2
    vit = A.VisionTransformer((8, 8, 3), patch_size=4, num_layers=1, num_heads=2, hidden_dim=8,
                              mlp_dim=8, classes=2)
    vit.save(str(tmp_path / "vit"))
    loaded = models.load_model(str(tmp_path / "vit"))       # the zoo's own layer class
    assert isinstance(layers.named_layers(loaded)["pos_embed"], A.AddPositionEmbedding)
    with pytest.raises(ValueError, match="cannot be downloaded"):
        A.ResNet18(weights="imagenet")
    with pytest.raises(ValueError, match="at least 32"):
        A.MobileNet(input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="must divide the image size"):
        A.VisionTransformer((10, 10, 3), patch_size=4)
    with pytest.raises(ValueError, match="pooling must be"):
        A.ResNet18(include_top=False, pooling="mean")

"""example_libraries.stax: layer outputs against NumPy, init shapes against apply shapes."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import random
from jitnet.example_libraries import stax

KEY = random.PRNGKey(0)


def _init_apply(layer, shape, x, **kwargs):
    init, apply = layer
    out_shape, params = init(KEY, shape)
    out = apply(params, x, **kwargs)
    return out_shape, params, out


def test_dense(generator):
    x = generator.standard_normal((3, 4)).astype(np.float32)
    out_shape, (W, b), out = _init_apply(stax.Dense(5), (-1, 4), x)
    assert out_shape == (-1, 5) and W.shape == (4, 5) and b.shape == (5,)
    np.testing.assert_allclose(np.asarray(out), x @ np.asarray(W) + np.asarray(b), rtol=1e-5)


def _np_conv_nhwc(x, w, stride):
    """Valid cross-correlation, NHWC input, HWIO kernel."""
    kh, kw = w.shape[:2]
    n, h, wd, _ = x.shape
    oh, ow = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
    out = np.zeros((n, oh, ow, w.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,hwco->no", patch, w)
    return out


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_conv(padding, generator):
    x = generator.standard_normal((2, 6, 5, 3)).astype(np.float32)
    out_shape, (W, b), out = _init_apply(stax.Conv(4, (3, 2), (2, 1), padding), x.shape, x)
    assert W.shape == (3, 2, 3, 4) and b.shape == (1, 1, 1, 4)
    assert out.shape == out_shape
    xp = x if padding == "VALID" else np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))  # SAME
    expected = _np_conv_nhwc(xp, np.asarray(W), (2, 1)) + np.asarray(b)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-4, atol=1e-5)


def test_conv_transpose_shapes(generator):
    x = generator.standard_normal((2, 4, 4, 3)).astype(np.float32)
    for padding in ("SAME", "VALID"):
        out_shape, _, out = _init_apply(stax.ConvTranspose(5, (3, 3), (2, 2), padding),
                                        x.shape, x)
        assert out.shape == out_shape
    out_shape, _, out = _init_apply(stax.Conv1DTranspose(2, (3,)), (2, 4, 3), x[:, 0])
    assert out.shape == out_shape == (2, 6, 2)


def test_pools(generator):
    x = generator.standard_normal((2, 4, 6, 3)).astype(np.float32)
    blocks = x.reshape(2, 2, 2, 3, 2, 3)
    shape, _, out = _init_apply(stax.MaxPool((2, 2), (2, 2)), x.shape, x)
    assert shape == out.shape == (2, 2, 3, 3)
    np.testing.assert_allclose(np.asarray(out), blocks.max(axis=(2, 4)))
    _, _, out = _init_apply(stax.SumPool((2, 2), (2, 2)), x.shape, x)
    np.testing.assert_allclose(np.asarray(out), blocks.sum(axis=(2, 4)), rtol=1e-5)
    # SAME padding: edge windows average only the inputs they cover
    shape, _, out = _init_apply(stax.AvgPool((3, 3), (1, 1), "SAME"), x.shape, x)
    assert shape == out.shape == x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cp = np.pad(np.ones_like(x), ((0, 0), (1, 1), (1, 1), (0, 0)))
    s = sum(xp[:, i:i + 4, j:j + 6] for i in range(3) for j in range(3))
    c = sum(cp[:, i:i + 4, j:j + 6] for i in range(3) for j in range(3))
    np.testing.assert_allclose(np.asarray(out), s / c, rtol=1e-5)
    # NCHW through spec
    xc = np.transpose(x, (0, 3, 1, 2))
    _, _, out = _init_apply(stax.MaxPool((2, 2), (2, 2), spec="NCHW"), xc.shape, xc)
    np.testing.assert_allclose(np.asarray(out), np.transpose(blocks.max(axis=(2, 4)), (0, 3, 1, 2)))


def test_batchnorm(generator):
    x = generator.standard_normal((4, 3, 2, 5)).astype(np.float32)
    shape, (beta, gamma), out = _init_apply(stax.BatchNorm(), x.shape, x)
    assert beta.shape == gamma.shape == (5,)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(np.asarray(out), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4,
                               atol=1e-5)
    init, apply = stax.BatchNorm(axis=0, center=False)
    _, (beta, gamma) = init(KEY, (4, 5))
    assert beta == ()
    out = apply((beta, 2 * gamma), x[:, 0, 0])
    xs = x[:, 0, 0]
    np.testing.assert_allclose(np.asarray(out), 2 * (xs - xs.mean(0)) / np.sqrt(xs.var(0) + 1e-5),
                               rtol=1e-4, atol=1e-5)


def test_activations_flatten_identity(generator):
    x = generator.standard_normal((2, 3, 4)).astype(np.float32)
    for layer, f in [(stax.Tanh, np.tanh), (stax.Relu, lambda v: np.maximum(v, 0)),
                     (stax.Exp, np.exp), (stax.Sigmoid, lambda v: 1 / (1 + np.exp(-v))),
                     (stax.Softplus, lambda v: np.log1p(np.exp(v))),
                     (stax.LogSoftmax, lambda v: v - np.log(np.exp(v).sum(-1, keepdims=True))),
                     (stax.Identity, lambda v: v)]:
        shape, params, out = _init_apply(layer, x.shape, x)
        assert shape == x.shape and params == ()
        np.testing.assert_allclose(np.asarray(out), f(x), rtol=1e-5, atol=1e-6)
    shape, _, out = _init_apply(stax.Flatten, (-1, 3, 4), x)
    assert shape == (-1, 12) and out.shape == (2, 12)


def test_dropout():
    x = np.ones((200, 50), np.float32)
    init, apply = stax.Dropout(0.8)
    out = np.asarray(apply((), x, rng=KEY))
    assert set(np.unique(out)) <= {0.0, 1.25}
    assert abs((out > 0).mean() - 0.8) < 0.02  # rate is the keep probability, as in stax
    with pytest.raises(ValueError, match="PRNG key"):
        apply((), x)
    np.testing.assert_array_equal(np.asarray(stax.Dropout(0.8, mode="test")[1]((), x)), x)


def test_combinators_and_shapes_agree(generator):
    block = stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(3), stax.serial(stax.Dense(3),
                                                                                 stax.Relu)),
                        stax.FanInSum)
    net = stax.serial(stax.Dense(6), block, stax.FanOut(2),
                      stax.parallel(stax.Identity, stax.Dense(2)), stax.FanInConcat(),
                      stax.Dropout(0.9), stax.Dense(4), stax.LogSoftmax)
    init, apply = net
    shape, params = init(KEY, (-1, 5))
    assert shape == (-1, 4)
    x = generator.standard_normal((7, 5)).astype(np.float32)
    out = apply(params, x, rng=random.PRNGKey(1))
    assert out.shape == (7, 4)
    np.testing.assert_allclose(np.asarray(jnp.exp(out).sum(-1)), np.ones(7), rtol=1e-5)
    # FanInSum of (Dense, Dense+Relu) computed by hand
    (W1, b1), ((W2, b2), _) = params[1][1]
    h = np.asarray(jnp.dot(x, params[0][0]) + params[0][1])
    expected = (h @ np.asarray(W1) + np.asarray(b1)) + np.maximum(h @ np.asarray(W2)
                                                                  + np.asarray(b2), 0)
    got = stax.serial(stax.Dense(6), block)[1](params[:2], x)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_shape_dependent_and_jit_grad(generator):
    layer = stax.shape_dependent(lambda shape: stax.Dense(shape[-1] * 2))
    init, apply = stax.serial(stax.Conv(2, (3, 3), padding="SAME"), stax.Relu,
                              stax.MaxPool((2, 2), (2, 2)), stax.Flatten, layer, stax.LogSoftmax)
    shape, params = init(KEY, (-1, 6, 6, 1))
    assert shape == (-1, 36)
    x = generator.standard_normal((3, 6, 6, 1)).astype(np.float32)

    def loss(p):
        return -jnp.mean(apply(p, x)[:, 0])

    # one compiled program (forward and backward) against the eager gradient
    value, g = jitnet.jit(jitnet.value_and_grad(loss))(params)
    assert jitnet.tree_util.tree_structure(g) == jitnet.tree_util.tree_structure(params)
    eager_value, eager_g = jitnet.value_and_grad(loss)(params)
    np.testing.assert_allclose(float(value), float(eager_value), rtol=1e-5)
    for a, b in zip(jitnet.tree_util.tree_leaves(g), jitnet.tree_util.tree_leaves(eager_g)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_init_is_deterministic_and_keyed():
    init = stax.serial(stax.Dense(3), stax.Dense(2))[0]
    _, p1 = init(KEY, (-1, 4))
    _, p2 = init(KEY, (-1, 4))
    _, p3 = init(random.PRNGKey(1), (-1, 4))
    np.testing.assert_array_equal(np.asarray(p1[0][0]), np.asarray(p2[0][0]))
    assert not np.allclose(np.asarray(p1[0][0]), np.asarray(p3[0][0]))
    # serial splits the key per layer: the first layer gets split(key)[1]
    _, d = stax.Dense(3)[0](random.split(KEY)[1], (-1, 4))
    np.testing.assert_array_equal(np.asarray(p1[0][0]), np.asarray(d[0]))

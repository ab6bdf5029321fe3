"""MultiHeadAttention against an explicit NumPy softmax attention, per head."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import layers, models
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)
HEADS, KEY_DIM = 2, 3


def np_mha(layer, q_in, v_in, k_in=None, mask=None, scores=None):
    """Per head h: softmax(q_h k_h^T / sqrt(key_dim)) v_h, masked entries excluded; then the
    heads' outputs projected and summed."""
    w = {n: np.asarray(getattr(layer, n), np.float64) for n in
         ("query_kernel", "key_kernel", "value_kernel", "output_kernel", "query_bias",
          "key_bias", "value_bias", "output_bias")}
    k_in = v_in if k_in is None else k_in
    B, Tq, Tk = q_in.shape[0], q_in.shape[1], k_in.shape[1]
    out = np.zeros((B, Tq, w["output_kernel"].shape[-1])) + w["output_bias"]
    for h in range(HEADS):
        q = q_in @ w["query_kernel"][:, h] + w["query_bias"][h]
        k = k_in @ w["key_kernel"][:, h] + w["key_bias"][h]
        v = v_in @ w["value_kernel"][:, h] + w["value_bias"][h]
        for b in range(B):
            s = q[b] @ k[b].T / np.sqrt(KEY_DIM)
            if mask is not None:
                s = np.where(np.broadcast_to(mask[b] if mask.shape[0] > 1 else mask[0],
                                             (Tq, Tk)), s, -np.inf)
            p = np.exp(s - s.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            if scores is not None:
                scores[b, h] = p
            out[b] += (p @ v[b]) @ w["output_kernel"][h]
    return out


def randomize_biases(layer):
    rs = np.random.RandomState(5)
    for n in ("query_bias", "key_bias", "value_bias", "output_bias"):
        setattr(layer, n, jnp.asarray(rs.randn(*getattr(layer, n).shape).astype(np.float32)))
    return layer


@pytest.fixture(scope="module")
def data():
    rs = np.random.RandomState(0)
    return (rs.randn(2, 3, 4).astype(np.float32), rs.randn(2, 5, 6).astype(np.float32),
            rs.randn(2, 5, 2).astype(np.float32))


@pytest.fixture(scope="module")
def mha(data):
    q, v, k = data
    return randomize_biases(layers.MultiHeadAttention(HEADS, KEY_DIM).init(KEY, q, v, k))


def test_weight_layout(mha):
    assert mha.query_kernel.shape == (4, HEADS, KEY_DIM) and mha.query_bias.shape == (2, 3)
    assert mha.key_kernel.shape == (2, HEADS, KEY_DIM)
    assert mha.value_kernel.shape == (6, HEADS, KEY_DIM)
    assert mha.output_kernel.shape == (HEADS, KEY_DIM, 4) and mha.output_bias.shape == (4,)
    assert mha.count_params() == (4 + 2 + 6 + 3) * 6 + 6 * 4 + 4


def test_matches_numpy(data, mha):
    q, v, k = data
    y = mha(q, v, key=k)
    assert y.shape == (2, 3, 4)
    np.testing.assert_allclose(np.asarray(y), np_mha(mha, q, v, k), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(mha.apply(q, v, k)[0]), np.asarray(y))


def test_mask(data, mha):
    q, v, k = data
    mask = np.random.RandomState(1).rand(2, 3, 5) > 0.4
    mask[:, :, 0] = True                                   # every query sees some key
    y = mha(q, v, k, attention_mask=mask)
    np.testing.assert_allclose(np.asarray(y), np_mha(mha, q, v, k, mask), rtol=1e-5, atol=1e-5)
    causal = np.tril(np.ones((3, 5), bool))[None]
    np.testing.assert_allclose(np.asarray(mha(q, v, k, use_causal_mask=True)),
                               np_mha(mha, q, v, k, causal), rtol=1e-5, atol=1e-5)


def test_return_attention_scores(data, mha):
    q, v, k = data
    mask = np.tril(np.ones((3, 5), bool))[None].repeat(2, 0)
    want_scores = np.zeros((2, HEADS, 3, 5))
    want = np_mha(mha, q, v, k, mask, want_scores)
    out, scores = mha(q, v, k, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(scores), want_scores, rtol=1e-5, atol=1e-6)
    assert np.asarray(mha(q, v, k)).shape == (2, 3, 4)       # the flag lasts one call
    with pytest.raises(ValueError, match="not supported in the functional API"):
        mha(layers.Input((3, 4)), layers.Input((5, 6)), return_attention_scores=True)


def test_self_attention_default_key_and_output_shape(data):
    q = data[0]
    mha = layers.MultiHeadAttention(HEADS, KEY_DIM, value_dim=2, output_shape=7).init(KEY, q, q)
    assert mha.value_kernel.shape == (4, HEADS, 2) and mha.output_kernel.shape == (HEADS, 2, 7)
    mha = randomize_biases(mha)
    y = mha(q, q)
    assert y.shape == (2, 3, 7)
    np.testing.assert_allclose(np.asarray(y), np_mha(mha, q, q), rtol=1e-5, atol=1e-5)


def test_dropout_needs_a_key_and_is_off_in_inference(data):
    q, v, _ = data
    mha = layers.MultiHeadAttention(HEADS, KEY_DIM, dropout=0.5).init(KEY, q, v)
    np.testing.assert_allclose(np.asarray(mha(q, v)), np_mha(mha, q, v), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="key=..."):
        mha.apply(q, v, training=True)
    a = np.asarray(mha.apply(q, v, training=True, key=jitnet.random.PRNGKey(1))[0])
    b = np.asarray(mha.apply(q, v, training=True, key=jitnet.random.PRNGKey(2))[0])
    assert not np.allclose(a, b) and not np.allclose(a, np.asarray(mha(q, v)))


def test_functional_api(data):
    q, v, k = data
    qi, vi, ki = layers.Input((3, 4)), layers.Input((5, 6)), layers.Input((5, 2))
    mi = layers.Input((3, 5), dtype="bool")
    mha = layers.MultiHeadAttention(HEADS, KEY_DIM)
    model = models.Model([qi, vi, ki, mi], mha(qi, vi, key=ki, attention_mask=mi))
    mask = np.ones((2, 3, 5), bool)
    mask[1, :, 3:] = False
    model.init(KEY, q, v, k, mask)
    mha = randomize_biases(model.layers[0])
    np.testing.assert_allclose(np.asarray(model(q, v, k, mask)), np_mha(mha, q, v, k, mask),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="not supported in the functional API"):
        mha(qi, vi, use_causal_mask=True)


def test_gradients(x64, data):
    q, v, k = (a.astype(np.float64) for a in data)
    mha = layers.MultiHeadAttention(HEADS, KEY_DIM, dtype="float64").init(KEY, q, v, k)
    check_grads(lambda m, q, v, k: m(q, v, k), (mha, q, v, k), order=1)


def test_errors(data, mha):
    q, v, k = data
    with pytest.raises(ValueError, match=r"rank-3 query.*\(3, 4\)"):
        mha(q[0], v, k)
    with pytest.raises(ValueError, match=r"built for values with 6 features.*\(2, 5, 5\)"):
        mha(q, v[..., :5], k)
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 3, 4\)"):
        mha(q, v, k, attention_mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 2)

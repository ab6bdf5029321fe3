"""jax.nn.dot_product_attention against a NumPy reference written here (per head, per
example, loops over masks), plus gradients by finite differences."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.test_util import check_grads


def reference(q, k, v, bias=None, keep=None, scale=None):
    """q (B,T,N,H), k/v (B,S,K,H); keep (B,N,T,S) bool."""
    b, t, n, h = q.shape
    kh = k.shape[2]
    scale = 1 / np.sqrt(h) if scale is None else scale
    out = np.zeros((b, t, n, h))
    for bi in range(b):
        for ni in range(n):
            kv = ni // (n // kh)
            logits = q[bi, :, ni] @ k[bi, :, kv].T * scale
            if bias is not None:
                logits = logits + bias[bi, ni]
            if keep is not None:
                logits = np.where(keep[bi, ni], logits, np.finfo(np.float32).min)
            w = np.exp(logits - logits.max(-1, keepdims=True))
            w /= w.sum(-1, keepdims=True)
            out[bi, :, ni] = w @ v[bi, :, kv]
    return out


def qkv(generator, b=2, t=4, s=5, n=4, kh=2, h=3):
    return tuple(generator.standard_normal(shape).astype(np.float32)
                 for shape in ((b, t, n, h), (b, s, kh, h), (b, s, kh, h)))


def close(x, y):
    np.testing.assert_allclose(np.asarray(x), y, rtol=2e-5, atol=2e-5)


def test_plain_grouped_and_unbatched(generator):
    q, k, v = qkv(generator)
    close(jax.nn.dot_product_attention(q, k, v), reference(q, k, v))
    close(jax.nn.dot_product_attention(q, k, v, scale=0.3), reference(q, k, v, scale=0.3))
    close(jax.nn.dot_product_attention(q[0], k[0], v[0]), reference(q, k, v)[0])
    q1, k1, v1 = qkv(generator, n=2, kh=2)
    close(jax.jit(jax.nn.dot_product_attention)(q1, k1, v1), reference(q1, k1, v1))


def test_bias_mask_causal_window_lengths(generator):
    q, k, v = qkv(generator, t=5, s=5)
    b, t, n, _ = q.shape
    s = k.shape[1]
    bias = generator.standard_normal((1, n, t, s)).astype(np.float32)
    mask = generator.random((b, 1, t, s)) > 0.3
    close(jax.nn.dot_product_attention(q, k, v, bias=bias, mask=mask),
          reference(q, k, v, np.broadcast_to(bias, (b, n, t, s)),
                    np.broadcast_to(mask, (b, n, t, s))))
    causal = np.tril(np.ones((t, s), bool))
    close(jax.nn.dot_product_attention(q, k, v, is_causal=True),
          reference(q, k, v, keep=np.broadcast_to(causal, (b, n, t, s))))
    rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
    window = (cols >= rows - 1) & (cols <= rows + 2)
    close(jax.nn.dot_product_attention(q, k, v, local_window_size=(1, 2)),
          reference(q, k, v, keep=np.broadcast_to(window, (b, n, t, s))))
    kl, ql = np.array([3, 5]), np.array([5, 2])
    keep = ((np.arange(t)[None, :, None] < ql[:, None, None])
            & (np.arange(s)[None, None, :] < kl[:, None, None]))[:, None]
    expected = reference(q, k, v, keep=np.broadcast_to(keep, (b, n, t, s)))
    expected[np.arange(t)[None, :] >= ql[:, None]] = 0  # rows past a query's length
    close(jax.nn.dot_product_attention(q, k, v, query_seq_lengths=ql,
                                       key_value_seq_lengths=kl), expected)
    # a fully masked row: uniform weights (finite), as JAX
    none = np.zeros((b, 1, t, s), bool)
    out = np.asarray(jax.nn.dot_product_attention(q, k, v, mask=none))
    close(out, np.broadcast_to(v.mean(1, keepdims=True).repeat(n // 2, axis=2), out.shape))


def test_errors_name_the_shapes(generator):
    q, k, v = qkv(generator)
    with pytest.raises(ValueError, match="multiple"):
        jax.nn.dot_product_attention(q[:, :, :3], k, v)
    with pytest.raises(ValueError, match=r"\(B, S, K, H\)"):
        jax.nn.dot_product_attention(q, k[:, :, :, :2], v)
    with pytest.raises(ValueError, match="bias"):
        jax.nn.dot_product_attention(q, k, v, bias=np.zeros((3, 3)))
    with pytest.raises(TypeError, match="boolean"):
        jax.nn.dot_product_attention(q, k, v, mask=np.ones((4, 5)))


def test_gradients(x64, generator):
    q, k, v = (a.astype(np.float64) for a in qkv(generator, b=1, t=3, s=3, n=2, kh=1, h=2))
    mask = np.tril(np.ones((3, 3), bool))
    check_grads(lambda q, k, v: jnp.sum(jax.nn.dot_product_attention(q, k, v, mask=mask) ** 2),
                (q, k, v), order=2, modes=("rev",))

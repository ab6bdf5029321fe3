"""``jax.nn.dot_product_attention``: scaled dot-product attention on (batch, length, heads,
head_dim) arrays, with bias, boolean masks, causal and sliding-window masks, per-example
sequence lengths and grouped key/value heads, as JAX defines it.

Masked logits are set to the dtype's most negative finite value, not -inf, so a row with
every key masked gives uniform weights instead of NaN, and rows past a query's length are
zeros (what JAX's XLA implementation does)."""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as jnp
from ..core.source_info import user_line
from .functions import softmax


def _as_bnts(x, name, b, n, t, s):
    x = jnp.asarray(x)
    if x.ndim > 4:
        raise ValueError(f"dot_product_attention: {name} must have at most 4 dimensions "
                         f"(B, N, T, S), got shape {x.shape}{user_line()}")
    try:
        return jnp.broadcast_to(x, (b, n, t, s))
    except ValueError:
        raise ValueError(f"dot_product_attention: {name} of shape {x.shape} does not broadcast "
                         f"to (B, N, T, S) = {(b, n, t, s)}{user_line()}") from None


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal=False, query_seq_lengths=None,
                          key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual=False):
    """``softmax(q k^T * scale + bias, masked) v`` per head.

    Shapes: query ``(B, T, N, H)``, key and value ``(B, S, K, H)`` with ``N`` a multiple of
    ``K`` (grouped-query attention); without the batch axis ``(T, N, H)``. ``bias`` and
    ``mask`` (True keeps) broadcast to ``(B, N, T, S)``. ``scale`` defaults to
    ``1/sqrt(H)``. ``local_window_size`` is ``w`` or ``(left, right)``: query ``t`` sees keys
    ``t - left .. t + right``. ``implementation`` may be None or 'xla' (the one we have)."""
    if implementation not in (None, "xla"):
        raise ValueError(f"dot_product_attention: implementation={implementation!r} is not "
                         f"available in jitnet (use None or 'xla'){user_line()}")
    q, k, v = jnp.asarray(query), jnp.asarray(key), jnp.asarray(value)
    batched = q.ndim == 4
    if q.ndim not in (3, 4) or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"dot_product_attention: query, key and value must all be (B, T, N, H) "
                         f"or (T, N, H); got {q.shape}, {k.shape}, {v.shape}{user_line()}")
    if not batched:
        q, k, v = q[None], k[None], v[None]
    b, t, n, h = q.shape
    _, s, kh, _ = k.shape
    if k.shape != v.shape[:3] + (h,) or v.shape[:3] != (b, s, kh) or k.shape[0] != b:
        raise ValueError(f"dot_product_attention: key {k.shape} and value {v.shape} must be "
                         f"(B, S, K, H) with query's B and H {(b, h)}{user_line()}")
    if n % kh:
        raise ValueError(f"dot_product_attention: the number of query heads ({n}) must be a "
                         f"multiple of the key/value heads ({kh}){user_line()}")
    dtype = jnp.result_type(q, k, v)
    scale = 1.0 / math.sqrt(h) if scale is None else scale
    groups = n // kh
    qg = q.reshape(b, t, kh, groups, h)
    logits = jnp.einsum("btkgh,bskh->bkgts", qg, k).reshape(b, n, t, s) * scale
    if bias is not None:
        logits = logits + _as_bnts(bias, "bias", b, n, t, s).astype(logits.dtype)
    keep = None
    if mask is not None:
        m = _as_bnts(mask, "mask", b, n, t, s)
        if m.dtype != bool:
            raise TypeError(f"dot_product_attention: mask must be boolean, got {m.dtype}")
        keep = m
    rows = np.arange(t)[:, None]
    cols = np.arange(s)[None, :]
    static = np.ones((t, s), bool)
    if is_causal:
        static &= cols <= rows
    if local_window_size is not None:
        left, right = ((local_window_size, local_window_size)
                       if isinstance(local_window_size, int) else local_window_size)
        static &= (cols >= rows - left) & (cols <= rows + right)
    if not static.all():
        keep = jnp.asarray(static) if keep is None else keep & static
    if query_seq_lengths is not None or key_value_seq_lengths is not None:
        ql = (jnp.full((b,), t) if query_seq_lengths is None
              else jnp.asarray(query_seq_lengths))
        kl = (jnp.full((b,), s) if key_value_seq_lengths is None
              else jnp.asarray(key_value_seq_lengths))
        lengths = ((jnp.arange(t)[None, :, None] < ql[:, None, None])
                   & (jnp.arange(s)[None, None, :] < kl[:, None, None]))[:, None]
        keep = lengths if keep is None else keep & lengths
    if keep is not None:
        big_negative = jnp.finfo(logits.dtype).min
        logits = jnp.where(keep, logits, big_negative)
    weights = softmax(logits.astype(np.float32) if logits.dtype == np.float16 else logits,
                      axis=-1).astype(dtype)
    out = jnp.einsum("bkgts,bskh->btkgh", weights.reshape(b, kh, groups, t, s), v)
    out = out.reshape(b, t, n, h)
    if query_seq_lengths is not None:  # rows past a query's length are zeros, as JAX
        valid = jnp.arange(t)[None, :] < jnp.asarray(query_seq_lengths)[:, None]
        out = jnp.where(valid[:, :, None, None], out, 0)
    if not batched:
        out = out[0]
    if return_residual:
        lse = jnp.log(jnp.sum(jnp.exp(logits - jnp.max(logits, -1, keepdims=True)), -1)) \
            + jnp.max(logits, -1)
        return out, lse
    return out

"""``MultiHeadAttention`` (Keras's layer, weights in Keras's layout)."""
from __future__ import annotations

import contextvars
import math

import numpy as np

from .. import nn
from .. import numpy as jnp
from .. import random
from .module import Layer, expect_rank

# added to the scores of masked-out keys before the softmax (Keras uses the same kind of
# large finite number, so a fully masked row gives uniform weights rather than NaN)
_MASKED = -1e9

# set by __call__ for the duration of one call with return_attention_scores=True: a call
# argument, not configuration, so it must not live on the layer (a pytree)
_RETURN_SCORES: contextvars.ContextVar = contextvars.ContextVar("mha_scores", default=False)


class MultiHeadAttention(Layer):
    """Scaled dot-product attention with ``num_heads`` heads, Keras's layer.

    Called as ``mha(query, value, key=None, attention_mask=None)`` with query (B, Tq, dq),
    value (B, Tv, dv), key (B, Tv, dk) (default: value) and an optional boolean mask
    (B, Tq, Tv), True where a query may attend to a key; returns (B, Tq, output_shape or dq).
    Weights: ``query_kernel`` (dq, heads, key_dim), ``key_kernel`` (dk, heads, key_dim),
    ``value_kernel`` (dv, heads, value_dim), ``output_kernel`` (heads, value_dim, out) and
    the matching biases. Dropout on the attention weights needs a key in training.

    The inputs travel positionally as (query, value[, key[, mask]]), so ``apply`` and the
    functional API take them in that order."""

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None,
                 trainable: bool = True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        for what, v in (("num_heads", num_heads), ("key_dim", key_dim),
                        ("value_dim", key_dim if value_dim is None else value_dim)):
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"MultiHeadAttention: {what} must be a positive int, "
                                 f"got {v!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        if output_shape is not None and not isinstance(output_shape, int):
            output_shape = tuple(output_shape)
            if len(output_shape) != 1:
                raise ValueError("MultiHeadAttention: output_shape must be an int or a "
                                 f"1-tuple, got {output_shape!r}")
            output_shape = output_shape[0]
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = key_dim if value_dim is None else value_dim
        self.dropout, self.use_bias, self.output_shape = float(dropout), use_bias, output_shape
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def __call__(self, query, value, key=None, attention_mask=None,
                 return_attention_scores: bool = False, training=None,
                 use_causal_mask: bool = False, rng=None):
        """Keras's call signature; ``rng`` is the PRNG key for dropout in an eager
        ``training=True`` call (``apply`` and ``fit`` pass theirs). With
        ``return_attention_scores`` the result is ``(output, scores)``, scores being the
        softmax weights (B, heads, Tq, Tk) before dropout."""
        from .functional import KerasTensor
        if (use_causal_mask or return_attention_scores) and isinstance(query, KerasTensor):
            raise ValueError(f"{self.label}: use_causal_mask and "
                             "return_attention_scores are not supported in the functional "
                             "API; use them inside a subclassed model's call")
        if use_causal_mask:
            causal = np.tril(np.ones((query.shape[1], value.shape[1]), bool))[None]
            attention_mask = causal if attention_mask is None else \
                jnp.logical_and(attention_mask, causal)
        inputs = (query, value)
        if key is not None or attention_mask is not None:
            inputs += (value if key is None else key,)
        if attention_mask is not None:
            inputs += (attention_mask,)
        token = _RETURN_SCORES.set(bool(return_attention_scores))
        try:
            return super().__call__(*inputs, training=training, key=rng)
        finally:
            _RETURN_SCORES.reset(token)

    def build(self, input_shape):
        shapes = list(input_shape)
        for s, what in zip(shapes[:3], ("query", "value", "key")):
            if len(s) != 3:
                raise ValueError(f"{self.label} expects a rank-3 {what} (batch, time, "
                                 f"features), got shape {tuple(s)}")
        dq, dv = shapes[0][-1], shapes[1][-1]
        dk = shapes[2][-1] if len(shapes) > 2 else dv
        h, out = self.num_heads, self.output_shape or dq
        for part, d_in, d_head in (("query", dq, self.key_dim), ("key", dk, self.key_dim),
                                   ("value", dv, self.value_dim)):
            self.add_weight(f"{part}_kernel", (d_in, h, d_head), self.kernel_initializer)
            if self.use_bias:
                self.add_weight(f"{part}_bias", (h, d_head), self.bias_initializer)
        self.add_weight("output_kernel", (h, self.value_dim, out), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("output_bias", (out,), self.bias_initializer)

    def _check_inputs(self, inputs):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        for x, what in ((q, "query"), (v, "value"), (k, "key")):
            expect_rank(self, x, 3, f"{what} (batch, time, features)")
        for x, what, w in ((q, "query", self.query_kernel), (v, "value", self.value_kernel),
                           (k, "key", self.key_kernel)):
            if x.shape[-1] != w.shape[0]:
                raise ValueError(f"{self.label} was built for {what}s with {w.shape[0]} "
                                 f"features, got shape {tuple(x.shape)}")
        if q.shape[0] != v.shape[0] or k.shape[:2] != v.shape[:2]:
            raise ValueError(f"{self.label}: query {tuple(q.shape)}, value "
                             f"{tuple(v.shape)} and key {tuple(k.shape)} must share the batch "
                             "size, and key and value the time steps")
        if len(inputs) > 3:
            want = (q.shape[0], q.shape[1], k.shape[1])
            m = tuple(inputs[3].shape)
            if len(m) != 3 or any(a not in (1, b) for a, b in zip(m, want)):
                raise ValueError(f"{self.label}: attention_mask of shape {m} does not "
                                 f"broadcast to (batch, query steps, key steps) = {want}")

    def _project(self, x, part):
        y = jnp.einsum("btd,dhk->bthk", x, getattr(self, f"{part}_kernel"))
        return y + getattr(self, f"{part}_bias") if self.use_bias else y

    def call(self, query, value, key=None, attention_mask=None, ctx=None):
        key = value if key is None else key
        q = self._project(query, "query") * (1.0 / math.sqrt(self.key_dim))
        k, v = self._project(key, "key"), self._project(value, "value")
        scores = jnp.einsum("bqhk,bthk->bhqt", q, k)
        if attention_mask is not None:
            allowed = jnp.asarray(attention_mask).astype(bool)[:, None]
            scores = jnp.where(allowed, scores, jnp.asarray(_MASKED, scores.dtype))
        probs = weights = nn.softmax(scores, axis=-1)
        if ctx is not None and ctx.training and self.dropout > 0.0:
            keep = random.bernoulli(ctx.next_key(f"{self.label} dropout"),
                                    1.0 - self.dropout, weights.shape)
            weights = jnp.where(keep, weights / (1.0 - self.dropout), jnp.zeros_like(weights))
        heads = jnp.einsum("bhqt,bthv->bqhv", weights, v)
        out = jnp.einsum("bqhv,hvo->bqo", heads, self.output_kernel)
        if self.use_bias:
            out = out + self.output_bias
        return (out, probs) if _RETURN_SCORES.get() else out

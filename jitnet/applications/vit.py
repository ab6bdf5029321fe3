"""A small Vision Transformer (Dosovitskiy et al. 2020): non-overlapping patches embedded by
a strided convolution, learned position embeddings, pre-norm encoder blocks (multi-head
self-attention and a GELU MLP, each around a residual), and global average pooling of the
tokens before the head (ViT's "gap" classifier, no class token)."""
from __future__ import annotations

from .. import layers, models
from .common import check_args, check_shape, finish


class AddPositionEmbedding(layers.Layer):
    """Adds a learned embedding per position: ``embeddings`` (sequence, features)."""

    def __init__(self, initializer="random_normal", name=None, trainable: bool = True,
                 dtype="float32"):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.initializer = initializer

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.label} expects (batch, sequence, features), got shape "
                             f"{tuple(input_shape)}")
        self.add_weight("embeddings", input_shape[1:], self.initializer)

    def call(self, x):
        return x + self.embeddings


def encoder_block(x, num_heads: int, mlp_dim: int, dropout: float, name: str):
    """Pre-norm transformer block: x + MHA(LN(x)), then x + MLP(LN(x))."""
    hidden = x.shape[-1]
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln1")(x)
    y = layers.MultiHeadAttention(num_heads, hidden // num_heads, dropout=dropout,
                                  name=f"{name}_mha")(y, y)
    x = layers.Add(name=f"{name}_add1")([x, layers.Dropout(dropout, name=f"{name}_drop1")(y)])
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln2")(x)
    y = layers.Dense(mlp_dim, activation="gelu", name=f"{name}_mlp1")(y)
    y = layers.Dense(hidden, name=f"{name}_mlp2")(layers.Dropout(dropout, name=f"{name}_drop2")(y))
    return layers.Add(name=f"{name}_add2")([x, layers.Dropout(dropout, name=f"{name}_drop3")(y)])


def VisionTransformer(input_shape=(32, 32, 3), patch_size=4, num_layers=4, num_heads=4,
                      hidden_dim=64, mlp_dim=128, dropout=0.0, include_top=True, weights=None,
                      classes=10, classifier_activation="softmax", name="vit"):
    """ViT for ``input_shape`` images cut in ``patch_size`` squares (the sides must divide).
    Without the top it returns the pooled ``hidden_dim`` features."""
    fn = "VisionTransformer"
    check_args(fn, weights, include_top, None)
    shape = check_shape(fn, input_shape, (32, 32, 3), min_size=patch_size)
    if shape[0] % patch_size or shape[1] % patch_size:
        raise ValueError(f"{fn}: patch_size {patch_size} must divide the image size "
                         f"{shape[:2]}")
    if hidden_dim % num_heads:
        raise ValueError(f"{fn}: num_heads ({num_heads}) must divide hidden_dim "
                         f"({hidden_dim})")
    n = (shape[0] // patch_size) * (shape[1] // patch_size)
    inputs = layers.Input(shape)
    x = layers.Conv2D(hidden_dim, patch_size, strides=patch_size, name="patch_embed")(inputs)
    x = layers.Reshape((n, hidden_dim), name="tokens")(x)
    x = AddPositionEmbedding(name="pos_embed")(x)
    x = layers.Dropout(dropout, name="embed_drop")(x)
    for i in range(num_layers):
        x = encoder_block(x, num_heads, mlp_dim, dropout, f"block{i + 1}")
    x = layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    if include_top:
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return finish(models.Model(inputs, x, name=name), weights)

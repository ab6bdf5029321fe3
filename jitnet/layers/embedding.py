"""``Embedding``: integer ids -> rows of a trainable (input_dim, output_dim) table."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from .module import Layer


class Embedding(Layer):
    """Looks up ``embeddings[ids]``: (batch, ...) integer ids -> (batch, ..., output_dim).

    The default initializer, "uniform", is Keras's RandomUniform(-0.05, 0.05).
    Ids outside ``[0, input_dim)`` give NaN rows (``jnp.take``'s "fill" mode), so a bad id
    shows up rather than silently reading another row."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 name=None, trainable: bool = True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        for what, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"Embedding: {what} must be a positive int, got {v!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer

    def build(self, input_shape):
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        self.embeddings_initializer)

    def _check_inputs(self, inputs):
        x = inputs[0]
        if not np.issubdtype(np.dtype(x.dtype), np.integer):
            raise TypeError(f"{self.label} takes integer ids, got dtype "
                            f"{np.dtype(x.dtype).name} (shape {tuple(x.shape)}); cast with "
                            f"x.astype('int32')")

    def call(self, ids):
        return jnp.take(self.embeddings, ids, axis=0)

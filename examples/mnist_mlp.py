"""Train an MLP on Fashion-MNIST (or scikit-learn's digits) with a jitted functional step.

    python examples/mnist_mlp.py [--epochs 8] [--hidden 512 512] [--batch 128]

Prints epoch, training loss, test accuracy and time per epoch.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import optim
from jitnet.data import batches, load_image_classification


def init_params(sizes, seed=0):
    rng = np.random.RandomState(seed)
    return [(rng.normal(0, np.sqrt(2.0 / m), (m, n)).astype(np.float32),
             np.zeros(n, np.float32)) for m, n in zip(sizes[:-1], sizes[1:])]


def predict(params, x):
    for w, b in params[:-1]:
        x = jnp.maximum(x @ w + b, 0.0)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params, x, y):
    logits = predict(params, x)
    shifted = logits - jax.lax.stop_gradient(jnp.max(logits, axis=-1, keepdims=True))
    log_probs = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=-1, keepdims=True))
    return -jnp.mean(jnp.sum(y * log_probs, axis=-1))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--hidden", type=int, nargs="*", default=[512, 512])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    name, (x_tr, y_tr), (x_te, y_te) = load_image_classification()
    x_tr = x_tr.reshape(len(x_tr), -1).astype(np.float32) / 255.0
    x_te = x_te.reshape(len(x_te), -1).astype(np.float32) / 255.0
    n_classes = int(y_tr.max()) + 1
    y_tr1 = np.eye(n_classes, dtype=np.float32)[y_tr]
    print(f"dataset {name}: train {x_tr.shape}, test {x_te.shape}, {n_classes} classes")

    params = init_params([x_tr.shape[1], *args.hidden, n_classes])
    opt = optim.adam(args.lr)
    opt_state = opt.init(params)

    @jax.jit
    def train_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def accuracy(params, x, y):
        return jnp.mean(jnp.argmax(predict(params, x), axis=-1) == y)

    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        losses = []
        for xb, yb in batches(x_tr, y_tr1, batch_size=args.batch, seed=epoch):
            params, opt_state, loss = train_step(params, opt_state, xb, yb)
            losses.append(loss)
        train_time = time.perf_counter() - t0
        acc = float(accuracy(params, x_te, y_te))
        print(f"epoch {epoch:2d}  loss {float(np.mean([float(l) for l in losses])):.4f}  "
              f"test accuracy {acc * 100:.2f}%  time {train_time:.2f}s")


if __name__ == "__main__":
    main()

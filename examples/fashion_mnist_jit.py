"""Train an MLP or a small CNN on Fashion-MNIST (or scikit-learn's digits) with a jitted
functional step.

    python examples/fashion_mnist_jit.py [--epochs 8] [--hidden 512 512] [--batch 128]
    python examples/fashion_mnist_jit.py --model cnn [--epochs 2] [--batch 64]

The CNN is benchmark W4's: conv3x3 1->16 ReLU, conv3x3 16->32 ReLU, 2x2 max-pool, dense.
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


def init_mlp(key, sizes):
    he = jax.nn.initializers.he_normal()
    keys = jax.random.split(key, len(sizes) - 1)
    return [(he(k, (m, n)), jnp.zeros(n)) for k, m, n in zip(keys, sizes[:-1], sizes[1:])]


def mlp(params, x):
    x = x.reshape(x.shape[0], -1)
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def init_cnn(key, image_hw, n_classes):
    he = jax.nn.initializers.he_normal(in_axis=(1, 2, 3), out_axis=0)   # OIHW kernels
    k1, k2, k3 = jax.random.split(key, 3)
    h, w = image_hw[0] - 4, image_hw[1] - 4      # two VALID 3x3 convolutions
    n_flat = 32 * (h // 2) * (w // 2)
    return {"conv1": (he(k1, (16, 1, 3, 3)), jnp.zeros(16)),
            "conv2": (he(k2, (32, 16, 3, 3)), jnp.zeros(32)),
            "dense": init_mlp(k3, [n_flat, n_classes])[0]}


def cnn(params, x):
    x = x[:, None]                                              # NCHW, one channel
    for name in ("conv1", "conv2"):
        w, b = params[name]
        x = jax.lax.conv_general_dilated(x, w, (1, 1), "VALID")
        x = jax.nn.relu(x + b[:, None, None])
    x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    w, b = params["dense"]
    return x.reshape(x.shape[0], -1) @ w + b


def cross_entropy(logits, y):
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--epochs", type=int, default=None, help="default: 8 (mlp), 2 (cnn)")
    ap.add_argument("--hidden", type=int, nargs="*", default=[512, 512], help="mlp widths")
    ap.add_argument("--batch", type=int, default=None, help="default: 128 (mlp), 64 (cnn)")
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    cnn_model = args.model == "cnn"
    epochs = args.epochs or (2 if cnn_model else 8)
    batch = args.batch or (64 if cnn_model else 128)

    name, (x_tr, y_tr), (x_te, y_te) = load_image_classification()
    x_tr = x_tr.astype(np.float32) / 255.0          # (N, H, W)
    x_te = x_te.astype(np.float32) / 255.0
    n_classes = int(y_tr.max()) + 1
    y_tr1 = np.eye(n_classes, dtype=np.float32)[y_tr]
    print(f"dataset {name}: train {x_tr.shape}, test {x_te.shape}, {n_classes} classes, "
          f"model {args.model}")

    key = jax.random.PRNGKey(0)
    if cnn_model:
        model, params = cnn, init_cnn(key, x_tr.shape[1:], n_classes)
    else:
        model = mlp
        params = init_mlp(key, [x_tr[0].size, *args.hidden, n_classes])
    opt = optim.adam(args.lr)
    opt_state = opt.init(params)

    def loss_fn(params, x, y):
        return cross_entropy(model(params, x), y)

    @jax.jit
    def train_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def n_correct(params, x, y):
        return jnp.sum(jnp.argmax(model(params, x), axis=-1) == y)

    def accuracy(params, chunk=1000):     # in chunks: a CNN's activations for 10k images are GBs
        hits = sum(int(n_correct(params, x_te[i:i + chunk], y_te[i:i + chunk]))
                   for i in range(0, len(x_te), chunk))
        return hits / len(x_te)

    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        losses = []
        for xb, yb in batches(x_tr, y_tr1, batch_size=batch, seed=epoch):
            params, opt_state, loss = train_step(params, opt_state, xb, yb)
            losses.append(loss)
        train_time = time.perf_counter() - t0
        acc = accuracy(params)
        print(f"epoch {epoch:2d}  loss {float(np.mean([float(l) for l in losses])):.4f}  "
              f"test accuracy {acc * 100:.2f}%  time {train_time:.2f}s")


if __name__ == "__main__":
    main()

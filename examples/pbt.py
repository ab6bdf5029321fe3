"""Population-based training (Jaderberg et al., 2017) on ``train.Population``.

    python examples/pbt.py [--members 8] [--epochs 12] [--every 2]

Eight copies of an MLP (64 hidden units, 10 outputs) train together on Fashion-MNIST
(12000 images; scikit-learn's 8x8 digits when it is not installed), one vmapped step per
batch for all of them, each with its own learning rate, weight decay, dropout rate
and seed. Every ``--every`` epochs the members are ranked by validation loss; the worst
quarter *exploit* the best quarter (``copy_member``: weights, optimizer state and
hyperparameters) and then *explore* (``set_hparams``: each copied hyperparameter times 0.8
or 1.25). Neither changes a shape, so the compiled step is reused throughout (the script
checks that it was traced once).
"""
from __future__ import annotations

import argparse

import numpy as np

from jitnet import layers, losses, models, train
from flat_images import load_flat


def make_model(features):
    return models.Sequential([layers.Input((features,)), layers.Dense(64, activation="relu"),
                              layers.Dropout(0.1), layers.Dense(10)])


def exploit_and_explore(pop, rs, monitor="val_loss"):
    """Copy the best quarter onto the worst quarter, then perturb the copies' values."""
    last = np.array([h.history[monitor][-1] for h in pop.histories])
    order = np.argsort(last)                       # best first (a loss: lower is better)
    q = max(1, pop.n // 4)
    hp = {k: v.copy() for k, v in pop.hparams.items()}
    for src, dst in zip(order[:q], order[-q:]):
        pop.copy_member(int(src), int(dst))
        for name in hp:
            factor = rs.choice([0.8, 1.25])
            hp[name][dst] = hp[name][src] * factor
        print(f"  member {dst} ({monitor} {last[dst]:.4f}) <- member {src} "
              f"({last[src]:.4f}), " + ", ".join(f"{k}={v[dst]:.3g}" for k, v in hp.items()))
    hp["dropout"] = np.clip(hp["dropout"], 0.0, 0.9)
    pop.set_hparams(**hp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--every", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=12000, help="training samples used")
    args = ap.parse_args()
    name, (x_tr, y_tr), (x_val, y_val), (x_test, y_test) = load_flat(args.samples)

    rs = np.random.RandomState(args.seed)
    n = args.members
    pop = train.Population(make_model(x_tr.shape[1]), {
        "learning_rate": 10 ** rs.uniform(-4, -1.5, n),
        "weight_decay": 10 ** rs.uniform(-5, -1, n),
        "dropout": rs.uniform(0.0, 0.5, n)}, seeds=range(n), seed=args.seed)
    pop.compile(optimizer="adamw", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    for start in range(0, args.epochs, args.every):
        pop.fit(x_tr, y_tr, batch_size=32, initial_epoch=start,
                epochs=min(start + args.every, args.epochs), validation_data=(x_val, y_val))
        last = [h.history["val_loss"][-1] for h in pop.histories]
        print(f"epoch {min(start + args.every, args.epochs)}: val_loss "
              + " ".join(f"{v:.3f}" for v in last))
        if start + args.every < args.epochs:
            exploit_and_explore(pop, rs)
    assert pop.engine.train_step.trace_count() == 1, "PBT should never retrace the step"

    i = pop.best_index("val_loss")
    best = pop.best("val_loss")
    loss, acc = best.evaluate(x_test, y_test, batch_size=256)
    print(f"best member {i}: " + ", ".join(f"{k}={v[i]:.3g}" for k, v in pop.hparams.items())
          + f"; test loss {loss:.4f}, accuracy {acc:.3f}")


if __name__ == "__main__":
    main()

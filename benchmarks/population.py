"""A population of N models in one compiled step vs N sequential runs (issue 21, item 2).

Model: benchmark W2c's MLP 64-64-10 (ReLU, dropout 0.1 so the rate is a per-member
hyperparameter), AdamW, batch 32, 2048 synthetic samples (64 steps per epoch). For each N:

* ``population``: ``train.Population`` with N learning rates / weight decays / dropout rates
  / seeds, one ``fit`` epoch (one vmapped step per batch for all members);
* ``sequential``: N ordinary models (``compile`` + ``fit``), one epoch each, one after the
  other (the compiled step is shared: only the first model compiles).

Both are warmed by one epoch first (compile excluded; the first epoch's time is reported as
``compile``). Rounds are interleaved, ``--repeats`` of them; the table gives the best round
(least disturbed by other processes) and the median. Note the machine's load with figures.

    python benchmarks/population.py [--sizes 1 4 16] [--repeats 3] [--samples 2048]
    python benchmarks/population.py --model cnn [--samples 512]   # the Fashion-MNIST demo CNN
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jitnet import layers, losses, models, optim, train  # noqa: E402

BATCH, IN, HID, OUT = 32, 64, 64, 10
LOSS = losses.SparseCategoricalCrossentropy(from_logits=True)


MODEL = "mlp"


def make_model(rate=0.1):
    if MODEL == "cnn":  # examples/fashion_mnist.py's network, on 28x28x1 inputs
        return models.Sequential([
            layers.Input((28, 28, 1)), layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2), layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(rate),
            layers.Dense(64, activation="relu"), layers.Dense(OUT)])
    return models.Sequential([layers.Input((IN,)), layers.Dense(HID, activation="relu"),
                              layers.Dropout(rate), layers.Dense(OUT)])


def hparams(n):
    rs = np.random.RandomState(n)
    return {"learning_rate": list(10 ** rs.uniform(-4, -2, n)),
            "weight_decay": list(10 ** rs.uniform(-5, -2, n)),
            "dropout": list(rs.uniform(0.0, 0.5, n))}


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def setup(n, x, y):
    hp = hparams(n)
    pop = train.Population(make_model(), hp, seeds=list(range(n)))
    pop.compile(optimizer="adamw", loss=LOSS, metrics=["accuracy"])
    models = []
    for i in range(n):
        m = make_model(hp["dropout"][i])
        m.compile(optimizer=optim.inject_hyperparams(optim.adamw)(
            learning_rate=hp["learning_rate"][i], weight_decay=hp["weight_decay"][i]),
            loss=LOSS, metrics=["accuracy"], seed=i)
        models.append(m)

    def population():
        pop.fit(x, y, batch_size=BATCH, epochs=1)

    def sequential():
        for m in models:
            m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    return population, sequential


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    args = ap.parse_args(argv)
    global MODEL
    MODEL = args.model
    rs = np.random.RandomState(0)
    shape = (28, 28, 1) if MODEL == "cnn" else (IN,)
    x = rs.randn(args.samples, *shape).astype(np.float32)
    y = rs.randint(0, OUT, args.samples).astype(np.int32)
    print(f"model {MODEL}, {args.samples} samples, batch {BATCH}; "
          f"load (1, 5, 15 min): {os.getloadavg()}")
    print(f"{'N':>3} {'compile pop s':>13} {'pop s/epoch':>18} {'sequential s/epoch':>20} "
          f"{'speed-up':>9}")
    for n in args.sizes:
        population, sequential = setup(n, x, y)
        first = timed(population)
        timed(sequential)
        pop_t, seq_t = [], []
        for _ in range(args.repeats):
            pop_t.append(timed(population))
            seq_t.append(timed(sequential))
        pb, pm = min(pop_t), statistics.median(pop_t)
        sb, sm = min(seq_t), statistics.median(seq_t)
        print(f"{n:>3} {first:>13.1f} {pb:>8.3f} ({pm:.3f}) {sb:>10.3f} ({sm:.3f}) "
              f"{sb / pb:>8.1f}x", flush=True)
    print(f"load (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Fashion-MNIST with the high-level API: a small CNN, ``compile`` and ``fit`` (``make demo``).

    python examples/fashion_mnist.py [--epochs 10] [--batch 64]
    mpiexec -n 2 python examples/fashion_mnist.py --strategy mpi    # data-parallel (make demo-mpi)

Prints the model summary, trains with a progress bar (one line per epoch when the output is
not a terminal) and early stopping on the validation loss, then the test accuracy, and
writes the training curves and the test confusion matrix as PNG files (``--plots``).
The same task at the two lower levels: ``fashion_mnist_trainer.py`` (Trainer with a pure
loss function) and ``fashion_mnist_jit.py`` (a hand-written jitted step).
Falls back to scikit-learn's 8x8 digits when Debian's dataset-fashion-mnist is missing.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import jitnet as jax
from jitnet import layers, losses, models, train
from jitnet.data import load_image_classification


def make_model(image_hw, n_classes):
    return models.Sequential([
        layers.Input(image_hw + (1,)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2) if image_hw[0] >= 16 else layers.Identity(),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(64, activation="relu"),
        layers.Dense(n_classes),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plots", default="demo_output", help="folder for the PNG plots")
    ap.add_argument("--strategy", choices=["mpi"], default=None,
                    help="mpi: data-parallel over the ranks of mpiexec (--batch is global)")
    args = ap.parse_args()
    main_rank = True
    if args.strategy == "mpi":
        from jitnet import distributed
        distributed.initialize()
        main_rank = distributed.is_main()   # rank 0 prints (fit's progress too); all train
    say = print if main_rank else (lambda *a, **k: None)
    if args.strategy == "mpi":
        say(f"{distributed.size()} ranks, global batch {args.batch}")

    name, (x_tr, y_tr), (x_te, y_te) = load_image_classification()
    x_tr = (x_tr.astype(np.float32) / 255.0)[..., None]       # (N, H, W, 1): channels last
    x_te = (x_te.astype(np.float32) / 255.0)[..., None]
    n_classes = int(y_tr.max()) + 1
    say(f"dataset {name}: train {x_tr.shape}, test {x_te.shape}, {n_classes} classes")

    model = make_model(x_tr.shape[1:3], n_classes)
    model.compile(optimizer=jax.optim.get("adam", learning_rate=args.lr),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], seed=args.seed)
    model.init(jax.random.PRNGKey(args.seed), x_tr[:1])
    if main_rank:
        model.summary()

    t0 = time.perf_counter()
    history = model.fit(x_tr, y_tr, epochs=args.epochs, batch_size=args.batch, validation_split=0.1,
              callbacks=[train.EarlyStopping(patience=2, restore_best_weights=True)],
              strategy=args.strategy)
    loss, acc = model.evaluate(x_te, y_te, batch_size=500)
    say(f"test loss {loss:.4f}, test accuracy {acc:.4f} "
        f"({time.perf_counter() - t0:.0f} s including compilation)")
    if not main_rank:
        return
    try:
        from jitnet import viz
        paths = viz.save_training_plots(args.plots, history, y_te,
                                        model.predict(x_te, batch_size=500))
        print("plots written to: " + ", ".join(paths))
    except ImportError:
        print("matplotlib is not installed: no plots (pip install 'jitnet[plot]')")


if __name__ == "__main__":
    main()

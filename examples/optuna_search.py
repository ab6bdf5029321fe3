"""Hyperparameter search with Optuna: ``model.fit`` inside an objective, with pruning.

    pip install 'jitnet[hpo]'        # optuna
    python examples/optuna_search.py [--trials 12] [--epochs 8]

Each trial builds an MLP (64 hidden units, 10 outputs) for Fashion-MNIST (12000 images;
scikit-learn's 8x8 digits when it is not installed) with its own learning rate, weight
decay and dropout rate, trains it with ``fit`` and returns the validation loss.
``train.OptunaPruningCallback`` reports ``val_loss`` after every epoch and stops trials
the median pruner finds unpromising (``optuna.TrialPruned``). The learning rate and
weight decay are injected hyperparameters (arrays in the optimizer state) and the dropout
rate a run-time constant of the generated code: every trial has the same shapes, so only
the first one compiles (the log shows the compilations per trial).
"""
from __future__ import annotations

import argparse

import numpy as np
import optuna

from jitnet import layers, losses, models, optim, train
from flat_images import load_flat
from jitnet.runtime import compile_log


def make_model(rate, features):
    return models.Sequential([layers.Input((features,)), layers.Dense(64, activation="relu"),
                              layers.Dropout(rate), layers.Dense(10)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--samples", type=int, default=12000, help="training samples used")
    args = ap.parse_args()
    name, (x_tr, y_tr), (x_val, y_val), (x_test, y_test) = load_flat(args.samples)

    def objective(trial):
        model = make_model(trial.suggest_float("dropout", 0.0, 0.5), x_tr.shape[1])
        model.compile(optimizer=optim.inject_hyperparams(optim.adamw)(
                          learning_rate=trial.suggest_float("learning_rate", 1e-4, 3e-2,
                                                            log=True),
                          weight_decay=trial.suggest_float("weight_decay", 1e-5, 1e-1,
                                                           log=True)),
                      loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], seed=trial.number)
        before = compile_log.counts["compile"] + compile_log.counts["cache_load"]
        try:
            model.fit(x_tr, y_tr, epochs=args.epochs, batch_size=32, verbose=0,
                      validation_data=(x_val, y_val),
                      callbacks=[train.OptunaPruningCallback(trial, monitor="val_loss")])
        finally:
            compiled = compile_log.counts["compile"] + compile_log.counts["cache_load"] - before
            print(f"trial {trial.number}: {compiled} programs compiled or loaded")
        return model.evaluate(x_val, y_val, batch_size=256)[0]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3,
                                                                   n_warmup_steps=2))
    study.optimize(objective, n_trials=args.trials)
    states = [t.state.name for t in study.trials]
    print(f"{states.count('COMPLETE')} trials complete, {states.count('PRUNED')} pruned")
    print(f"best val_loss {study.best_value:.4f} with {study.best_params}")

    best = make_model(study.best_params["dropout"], x_tr.shape[1])
    best.compile(optimizer=optim.adamw(study.best_params["learning_rate"],
                                       weight_decay=study.best_params["weight_decay"]),
                 loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                 metrics=["accuracy"], seed=study.best_trial.number)
    x, y = np.concatenate([x_tr, x_val]), np.concatenate([y_tr, y_val])  # all of it
    best.fit(x, y, epochs=args.epochs, batch_size=32, verbose=0)
    loss, acc = best.evaluate(x_test, y_test, batch_size=256)
    print(f"retrained on train+validation: test loss {loss:.4f}, accuracy {acc:.3f}")


if __name__ == "__main__":
    main()

"""Optuna's pruning callback with ``model.fit`` and ``Trainer``; trials reuse compiled code."""
import warnings

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import layers, losses, models, optim, train
from jitnet.runtime import compile_log

optuna = pytest.importorskip("optuna", reason="the hpo extra (optuna) is not installed")
optuna.logging.set_verbosity(optuna.logging.WARNING)


def _compiles():
    return compile_log.counts["compile"] + compile_log.counts["cache_load"]


def _model(rate):
    # the architecture of tests/train/test_fit.py and test_population.py
    return models.Sequential([layers.Input((4,)), layers.Dense(8, activation="tanh"),
                              layers.Dropout(rate), layers.Dense(3)])


def test_pruned_trial_stops_early_and_trials_share_compiled_code(blobs, np_mlp_loss):
    x, y = blobs
    xt, yt, xv, yv = x[:200], y[:200], x[200:], y[200:]
    epochs, seen = 4, {}

    def objective(trial):
        lr = trial.suggest_float("lr", 0.0, 0.1)
        rate = trial.suggest_float("rate", 0.0, 0.5)
        model = _model(rate)
        # the optimizer, loss and metrics of test_fit.py's Dropout model: shared programs
        model.compile(optimizer=optim.get("adam", learning_rate=lr),
                      loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], seed=0)
        before = _compiles()
        cb = train.OptunaPruningCallback(trial, monitor="val_loss")
        try:
            model.fit(xt, yt, epochs=epochs, batch_size=50, verbose=0,
                      validation_data=(xv, yv), callbacks=[cb])
        finally:
            seen[trial.number] = (_compiles() - before, cb.pruned_epoch,
                                  np_mlp_loss(model, xv, yv))
        return model.evaluate(xv, yv, batch_size=50)[0]

    # lr = 0 leaves the loss at its initial value (> 0.95); the pruner cuts it after epoch 1
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=0.95,
                                                                      n_warmup_steps=1))
    study.enqueue_trial({"lr": 0.05, "rate": 0.1})
    study.enqueue_trial({"lr": 0.0, "rate": 0.3})
    study.enqueue_trial({"lr": 0.02, "rate": 0.2})
    study.optimize(objective, n_trials=3)
    t0, t1, t2 = study.trials
    S = optuna.trial.TrialState
    assert (t0.state, t1.state, t2.state) == (S.COMPLETE, S.PRUNED, S.COMPLETE)
    assert sorted(t0.intermediate_values) == list(range(epochs))
    assert sorted(t1.intermediate_values) == [0, 1]          # stopped after epoch 1 of 4
    assert seen[1][1] == 1 and seen[0][1] is None
    # the reported values are the validation losses of the weights at that epoch
    np.testing.assert_allclose(t1.intermediate_values[1], seen[1][2], rtol=1e-4)
    np.testing.assert_allclose(t0.intermediate_values[epochs - 1], seen[0][2], rtol=1e-4)
    np.testing.assert_allclose(t0.value, seen[0][2], rtol=1e-4)
    assert t1.intermediate_values[1] > 0.95 > t0.intermediate_values[1]
    # new learning rate and dropout rate, same shapes: nothing compiled for trials 2 and 3
    assert seen[1][0] == 0 and seen[2][0] == 0


def _loss_fn(params, batch, mask):
    # tests/train/test_trainer.py's loss, optimizer and batch size: the same programs
    x, y = batch
    # (statement for statement: the programs' text follows the order of the operations)
    logits = x @ params["w"] + params["b"]
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1)[:, 0]
    n = jnp.sum(mask)
    acc = jnp.sum((jnp.argmax(logits, 1) == y) * mask) / n
    return jnp.sum(nll * mask) / n, {"acc": acc}


def test_pruning_callback_with_trainer(blobs):
    x, y = blobs
    params = {"w": jnp.zeros((4, 3), jnp.float32), "b": jnp.zeros(3, jnp.float32)}
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=1.0))
    trial_lr0 = study.ask()
    # a rate too small to move the loss: 0.0 would be a literal of the program text (a
    # program of its own), any other rate is an argument of test_trainer's programs
    t = train.Trainer(max_epochs=5, optimizer=optim.adam(1e-30),
                      batch_size=64, verbose=0,
                      callbacks=[train.OptunaPruningCallback(trial_lr0, "val_loss")])
    with pytest.raises(optuna.TrialPruned, match="pruned at epoch 0"):
        t.fit(_loss_fn, params, (x, y), val_data=(x, y))
    # zero weights (to 1e-30): the loss is log(3), which the threshold 1.0 prunes at once
    np.testing.assert_allclose(study.trials[0].intermediate_values[0], np.log(3.0), rtol=1e-6)


def test_pruning_callback_bad_input_and_missing_metric():
    with pytest.raises(TypeError, match="optuna Trial"):
        train.OptunaPruningCallback(object(), "val_loss")
    study = optuna.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="interval"):
        train.OptunaPruningCallback(trial, "val_loss", interval=0)
    cb = train.OptunaPruningCallback(trial, "val_auc", interval=2)
    cb.on_epoch_end(0, {"val_auc": 0.5})            # not a reporting epoch
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cb.on_epoch_end(1, {"val_loss": 0.5})
    assert "'val_auc' is not in the epoch's logs" in str(w[0].message)
    cb.on_epoch_end(3, {"val_auc": 0.75})
    assert study.trials[0].intermediate_values == {3: 0.75}

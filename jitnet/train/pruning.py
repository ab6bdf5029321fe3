"""Optuna's pruning callback for ``model.fit`` and ``Trainer`` (the ``hpo`` extra).

It behaves as Optuna's ``TFKerasPruningCallback`` / ``KerasPruningCallback`` /
``PyTorchLightningPruningCallback``: after each epoch it reports the monitored value to the
trial (``trial.report(value, step=epoch)``) and raises ``optuna.TrialPruned`` when
``trial.should_prune()``; the objective lets it propagate and Optuna records the trial as
pruned. Trials of the same architecture and batch size reuse the compiled step: the
learning rate is an injected hyperparameter and float constants (a dropout rate) are
run-time arguments of the generated code, so only the first trial compiles.
"""
from __future__ import annotations

import warnings

from .callbacks import Callback


def _optuna():
    try:
        import optuna
    except ImportError:  # pragma: no cover - the hpo extra installs it
        raise ImportError("OptunaPruningCallback needs Optuna: pip install 'jitnet[hpo]' "
                          "(or pip install optuna)") from None
    return optuna


class OptunaPruningCallback(Callback):
    """Report ``monitor`` to an Optuna ``trial`` every ``interval`` epochs; stop the run
    with ``optuna.TrialPruned`` when the trial's pruner says so.

        def objective(trial):
            model.compile(optimizer=optim.get("adam", trial.suggest_float("lr", 1e-4, 1e-1,
                                                                          log=True)), ...)
            model.fit(x, y, validation_data=(xv, yv), epochs=10,
                      callbacks=[train.OptunaPruningCallback(trial, monitor="val_loss")])
            return model.evaluate(xv, yv)[0]

    A monitored name missing from the epoch's logs gives a warning and no report (as in
    Optuna's integrations); a NaN is reported as it is (Optuna's pruners prune it).
    """

    def __init__(self, trial, monitor: str = "val_loss", interval: int = 1):
        super().__init__()
        if not (hasattr(trial, "report") and hasattr(trial, "should_prune")):
            raise TypeError(f"OptunaPruningCallback: trial must be an optuna Trial (with "
                            f"report and should_prune), got {type(trial).__name__}")
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f"OptunaPruningCallback: interval must be a positive int, "
                             f"got {interval!r}")
        self._optuna = _optuna()
        self.trial, self.monitor, self.interval = trial, monitor, interval
        self.pruned_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.interval:
            return
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"OptunaPruningCallback: {self.monitor!r} is not in the epoch's "
                          f"logs ({', '.join(sorted(logs or {}))}); nothing reported",
                          stacklevel=2)
            return
        self.trial.report(float(value), step=epoch)
        if self.trial.should_prune():
            self.pruned_epoch = epoch
            self.trainer.stop_training = True
            raise self._optuna.TrialPruned(f"Trial was pruned at epoch {epoch}.")

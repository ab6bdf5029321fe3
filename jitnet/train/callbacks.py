"""Callbacks with Keras's hook names. They run on the host between compiled steps.

A callback sees ``self.trainer`` (the running loop: its ``state``, ``learning_rate``,
``stop_training``) and, under ``model.fit``, ``self.model``. Anything that must change
the step itself (clipping, accumulation) is composed into the optimizer instead.
"""
from __future__ import annotations

import csv
import math
import os

import numpy as np


class Callback:
    """Base class: override the hooks you need. ``logs`` map names to scalars.

    ``main_process_only``: a callback that only writes (progress, logs, checkpoints) runs on
    rank 0 alone in a data-parallel run (Lightning's ``rank_zero_only``); the others run on
    every rank, where they see the same reduced logs and so decide the same."""
    main_process_only = False

    def __init__(self):
        self.trainer = None
        self.model = None
        self.params: dict = {}

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer
        self.model = getattr(trainer, "model", None)

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


_HOOKS = [n for n in vars(Callback) if n.startswith("on_")]


class CallbackList:
    """Calls a hook on every callback in order; hooks nobody overrides cost nothing."""

    def __init__(self, callbacks, trainer, params: dict):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_trainer(trainer)
            cb.set_params(params)
        for hook in _HOOKS:
            fns = [getattr(cb, hook) for cb in self.callbacks
                   if getattr(getattr(cb, hook), "__func__", None) is not getattr(Callback, hook)]
            setattr(self, hook, _fanout(fns))

    def __iter__(self):
        return iter(self.callbacks)


def _fanout(fns):
    if not fns:
        return lambda *a, **k: None
    if len(fns) == 1:
        return fns[0]

    def call(*args, **kwargs):
        for f in fns:
            f(*args, **kwargs)
    return call


def as_floats(logs, order=()) -> dict:
    """Host values of step logs, the names in ``order`` first (the loss, then the metrics
    as compiled: a dict coming out of ``jit`` has its keys sorted)."""
    logs = logs or {}
    keys = [k for k in order if k in logs] + [k for k in logs if k not in order]
    return {k: float(np.asarray(logs[k])) if np.ndim(np.asarray(logs[k])) == 0
            else np.asarray(logs[k]) for k in keys}


class History(Callback):
    """Records epoch-end logs: ``history.history["loss"]``, ``history.epoch``."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path=None, **kwargs):
        """Training and validation curves as a matplotlib ``Figure``, written to ``path``
        (PNG) when given: ``jitnet.viz.plot_history`` (needs the ``plot`` extra)."""
        from ..viz.plots import plot_history
        return plot_history(self, path, **kwargs)


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; hooks: {_HOOKS}")
            setattr(self, name, fn)


def _monitor_mode(monitor: str, mode: str):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        name = monitor.removeprefix("val_")
        mode = "max" if any(s in name for s in ("acc", "auc", "precision", "recall", "f1")) \
            else "min"
    return mode


class _Monitor(Callback):
    """Shared by callbacks that watch one logged quantity for improvement."""

    def __init__(self, monitor, mode, min_delta):
        super().__init__()
        self.monitor = monitor
        self.mode = _monitor_mode(monitor, mode)
        self.min_delta = abs(min_delta)

    def _value(self, logs):
        if logs is None or self.monitor not in logs:
            avail = ", ".join(sorted(logs or {}))
            raise KeyError(f"{type(self).__name__}: monitored quantity {self.monitor!r} is not "
                           f"in the logs (available: {avail})")
        return float(logs[self.monitor])

    def _better(self, value, best) -> bool:
        if best is None:
            return not math.isnan(value)
        if self.mode == "min":
            return value < best - self.min_delta
        return value > best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; optionally put the best
    weights back (they are the state at that epoch: immutable arrays, so no copy is made)."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose = patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_state = self.baseline, None

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.start_from_epoch:
            return
        value = self._value(logs)
        self.wait += 1
        if self._better(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_state = self.trainer.state
            if self.baseline is None or self._better(value, self.baseline) or \
                    value == self.baseline:
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.restore_best_weights and self.best_state is not None:
                self.trainer.restore_weights(self.best_state)
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch start to ``schedule(epoch, lr)`` (no recompile)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(self.schedule(epoch, self.trainer.learning_rate))
        self.trainer.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.trainer.learning_rate


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter, self.best = 0, 0, None

    def on_epoch_end(self, epoch, logs=None):
        value = self._value(logs)
        if logs is not None:
            logs["learning_rate"] = self.trainer.learning_rate
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(value, self.best):
            self.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = self.trainer.learning_rate
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.trainer.learning_rate = new
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: invalid loss, terminating training")
            self.trainer.stop_training = True


class CSVLogger(Callback):
    """Writes one row of epoch-end logs per epoch to ``filename``."""
    main_process_only = True

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = None
        if exists:
            with open(self.filename) as f:
                self.keys = next(csv.reader(f, delimiter=self.sep))[1:]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            self.writer = csv.DictWriter(self.file, ["epoch"] + self.keys, delimiter=self.sep,
                                         extrasaction="ignore")
            if self.file.tell() == 0:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()


class OneCycle(Callback):
    """FastAI's one-cycle policy, set per batch: the learning rate rises from
    ``max_lr / div_factor`` to ``max_lr`` over ``pct_start`` of the steps, then anneals
    (cosine) to ``max_lr / (div_factor * final_div_factor)``."""

    def __init__(self, max_lr, pct_start=0.25, div_factor=25.0, final_div_factor=1e5):
        super().__init__()
        self.max_lr, self.pct_start = max_lr, pct_start
        self.div_factor, self.final_div_factor = div_factor, final_div_factor

    def on_train_begin(self, logs=None):
        self.total = max(1, int(self.params["epochs"] * self.params["steps"]))
        self.i = 0

    def lr_at(self, i) -> float:
        start, peak = self.max_lr / self.div_factor, self.max_lr
        end = start / self.final_div_factor
        up = max(1, int(round(self.total * self.pct_start)))
        if i < up:
            a, b, t = start, peak, i / up
        else:
            a, b, t = peak, end, (i - up) / max(1, self.total - up)
        return b + (a - b) * (1 + math.cos(math.pi * min(t, 1.0))) / 2

    def on_train_batch_begin(self, batch, logs=None):
        self.trainer.learning_rate = self.lr_at(self.i)
        self.i += 1

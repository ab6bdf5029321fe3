"""Training checkpoints that resume exactly, and Keras's ``ModelCheckpoint`` callback.

A run checkpoint (a ``jitnet.checkpoint`` directory) holds three items:

* ``model`` -- under ``model.fit``, the model with its current weights (so
  ``jitnet.models.load_model`` reads a run checkpoint too); its configuration is in the
  metadata;
* ``train`` -- the ``TrainState``: step, parameters (``None`` where ``model`` holds them),
  model state, optimizer state (counts, injected learning rate), metric states, PRNG key;
* ``loop`` -- the running step logs and the ``History`` so far;

and in the metadata ``loop: {epoch, batch, step}``, the position of the next batch. The data
order of epoch ``e`` depends only on the loader's seed and ``e`` and dropout keys only on
the key and the step, so jumping the loader to ``(epoch, batch)`` with this state continues
the run bit for bit.
"""
from __future__ import annotations

import os
import shutil
from typing import NamedTuple

from .. import checkpoint
from .callbacks import _Monitor


def _model_parts(engine):
    from ..layers.module import combine
    return combine(engine.state.params, engine.state.model_state)


def _tree(engine, weights_only: bool, logs=None):
    state = engine.state
    if weights_only:
        return {"model": _model_parts(engine)} if engine.model is not None \
            else {"params": state.params}
    tree = {"train": state}
    if engine.model is not None:
        tree["model"] = _model_parts(engine)
        tree["train"] = state._replace(params=None, model_state=None)
    if logs is not None:
        history = engine.history
        tree["loop"] = {"logs": dict(logs),
                        "history": {k: list(v) for k, v in history.history.items()},
                        "epochs": list(history.epoch)}
    return tree


def save_run(engine, path, *, epoch: int, batch: int, logs=None,
             weights_only: bool = False) -> str:
    """Write ``engine``'s run to ``path``; resuming starts at batch ``batch`` of ``epoch``."""
    meta = {} if weights_only else {"loop": {"epoch": int(epoch), "batch": int(batch),
                                             "step": int(engine.state.step)}}
    if engine.model is not None:
        from ..layers.serialization import model_metadata
        meta.update(model_metadata(engine.model))
    tree = _tree(engine, weights_only, None if weights_only else (logs or {}))
    return checkpoint.save(path, tree, meta)


class Resumed(NamedTuple):
    """Where a resumed ``fit`` starts (the next batch) and what it carries over."""
    epoch: int
    batch: int
    logs: dict
    history: dict
    epochs: list


def load_run(engine, path) -> Resumed:
    """Put the checkpointed state into ``engine``; returns where and with what to go on."""
    from ..layers.module import partition
    reader = checkpoint.CheckpointReader(checkpoint.resolve(path))
    loop = reader.metadata.get("loop")
    if not isinstance(loop, dict) or set(loop) != {"epoch", "batch", "step"}:
        raise ValueError(f"resume: {reader.path} is not a training checkpoint (no loop "
                         "position; written by model.save or save_weights_only=True?)")
    like = _tree(engine, False)
    train = reader.restore(like=like["train"], item="train")
    if engine.model is not None:
        params, rest = partition(reader.restore(like=like["model"], item="model"))
        train = train._replace(params=params, model_state=rest)
    engine.state = train
    run = reader.restore(item="loop")
    return Resumed(loop["epoch"], loop["batch"], run["logs"], run["history"], run["epochs"])


class ModelCheckpoint(_Monitor):
    """Save the run every epoch or every ``save_freq`` steps (Keras's names).

    ``filepath`` is a checkpoint directory and may hold ``{epoch}`` (1-based), ``{batch}``,
    ``{step}`` and logged values (``"ckpt/e{epoch:02d}-{val_loss:.3f}"``). A full checkpoint
    resumes exactly with ``model.fit(..., resume=path)`` / ``Trainer.fit(..., ckpt_path=)``
    and loads with ``jitnet.models.load_model``; ``save_weights_only`` writes only weights.
    When ``filepath`` has fields, the directory of the checkpoints gets a ``latest`` pointer
    to the newest full one, so ``resume=<that directory>`` continues a killed run.
    ``save_best_only`` saves when ``monitor`` improves (``mode`` min/max/auto);
    ``max_to_keep`` deletes the oldest checkpoints this callback wrote beyond that many."""
    main_process_only = True

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch", initial_value_threshold=None,
                 max_to_keep: int | None = None):
        super().__init__(monitor, mode, 0.0)
        if save_freq != "epoch" and (not isinstance(save_freq, int) or
                                     isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or an int >= 1 "
                             f"(steps), got {save_freq!r}")
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"ModelCheckpoint: max_to_keep must be None or an int >= 1, "
                             f"got {max_to_keep!r}")
        self.filepath = os.fspath(filepath)
        self.verbose, self.save_best_only = verbose, save_best_only
        self.save_weights_only, self.save_freq = save_weights_only, save_freq
        self.initial_value_threshold, self.max_to_keep = initial_value_threshold, max_to_keep
        self.best, self.written = initial_value_threshold, []

    def on_train_begin(self, logs=None):
        self.best, self.written = self.initial_value_threshold, []

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        step = int(self.trainer.state.step)
        if step % self.save_freq == 0:
            self._save(self.trainer.epoch, batch + 1, batch, logs or {}, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, None, logs or {}, {})

    def _save(self, epoch: int, batch: int, batch_index, logs: dict, step_logs: dict):
        if self.save_best_only:
            value = self._value(logs)
            if not self._better(value, self.best):
                return
            self.best = value
        shown = epoch if batch == 0 else epoch + 1        # Keras's 1-based epoch number
        fields = {k: float(v) for k, v in logs.items() if getattr(v, "ndim", 0) == 0}
        try:
            path = self.filepath.format(epoch=shown, batch=batch_index,
                                        step=int(self.trainer.state.step), **fields)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {e}, which is "
                           f"not logged (available: epoch, batch, step, "
                           f"{', '.join(sorted(fields))})") from None
        self.trainer.save_checkpoint(path, epoch=epoch, batch=batch, logs=step_logs,
                                     weights_only=self.save_weights_only)
        if path != self.filepath and not self.save_weights_only:
            checkpoint.point_latest(path)     # resume=<their directory> finds the newest
        if self.verbose:
            print(f"Epoch {shown}: saving checkpoint to {path}")
        self._retain(os.path.abspath(path))

    def _retain(self, path: str) -> None:
        if path in self.written:
            self.written.remove(path)
        self.written.append(path)
        while self.max_to_keep is not None and len(self.written) > self.max_to_keep:
            shutil.rmtree(self.written.pop(0), ignore_errors=True)

"""``CheckpointManager``: step-numbered checkpoints in one directory, a ``latest`` pointer,
and retention (the last ``max_to_keep``, plus the best by a monitored metric)."""
from __future__ import annotations

import math
import os
import re
import shutil

from .files import CheckpointError, CheckpointReader, save, write_text_atomic

LATEST = "latest"
_STEP_DIR = re.compile(r"^step_(\d+)$")
_CHECKPOINT_NAME = re.compile(r"^[A-Za-z0-9_=+-][A-Za-z0-9_.=+-]*$")   # a plain sibling name


def step_dir(step: int) -> str:
    return f"step_{int(step):08d}"


def resolve(path) -> str:
    """``path`` itself, or the checkpoint its ``latest`` pointer names (the directory of a
    ``CheckpointManager`` or of a ``ModelCheckpoint``), so ``fit(resume=...)`` takes either."""
    path = os.fspath(path)
    pointer = os.path.join(path, LATEST)
    if os.path.isfile(pointer):
        with open(pointer) as f:
            name = f.read().strip()
        if not _CHECKPOINT_NAME.match(name):
            raise CheckpointError(f"{pointer}: does not name a checkpoint in its directory: "
                                  f"{name!r}")
        return os.path.join(path, name)
    return path


def point_latest(checkpoint_path) -> None:
    """Make ``checkpoint_path``'s directory's ``latest`` pointer name it (atomically)."""
    path = os.path.abspath(os.fspath(checkpoint_path))
    write_text_atomic(os.path.join(os.path.dirname(path), LATEST), os.path.basename(path))


class CheckpointManager:
    """Save and find checkpoints ``directory/step_00000120/`` by step.

    ``save(step, tree, metrics=, metadata=)`` writes atomically, then moves the ``latest``
    pointer (so a crash mid-save leaves ``latest`` on the previous good checkpoint), then
    deletes checkpoints beyond retention: the newest ``max_to_keep`` (all when None) are
    kept, and with ``keep_best="val_loss"`` also the best by that metric (``mode`` "min",
    "max" or "auto" as in ``EarlyStopping``)."""

    def __init__(self, directory, max_to_keep: int | None = None, keep_best: str | None = None,
                 mode: str = "auto"):
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"CheckpointManager: max_to_keep must be None or an int >= 1, "
                             f"got {max_to_keep!r}")
        from ..train.callbacks import _monitor_mode
        self.directory = os.path.abspath(os.fspath(directory))
        self.max_to_keep, self.keep_best = max_to_keep, keep_best
        self.mode = _monitor_mode(keep_best, mode) if keep_best else None
        os.makedirs(self.directory, exist_ok=True)

    def path(self, step: int) -> str:
        return os.path.join(self.directory, step_dir(step))

    def all_steps(self) -> list[int]:
        """Steps with a checkpoint directory (temporary directories of a crashed save are
        not listed)."""
        return sorted(int(m.group(1)) for n in os.listdir(self.directory)
                      if (m := _STEP_DIR.match(n)) and os.path.isdir(os.path.join(
                          self.directory, n)))

    def latest_step(self) -> int | None:
        m = _STEP_DIR.match(os.path.basename(resolve(self.directory)))
        if m:
            return int(m.group(1))
        steps = self.all_steps()
        return steps[-1] if steps else None

    def metrics(self, step: int) -> dict | None:
        """The metrics saved with ``step`` (None when it has none or cannot be read)."""
        try:
            return CheckpointReader(self.path(step)).metadata.get("metrics")
        except (OSError, ValueError):
            return None

    def best_step(self) -> int | None:
        if not self.keep_best:
            return None
        best, best_v = None, None
        for s in self.all_steps():
            v = (self.metrics(s) or {}).get(self.keep_best)
            if v is None:
                continue
            if best_v is None or (v < best_v if self.mode == "min" else v > best_v):
                best, best_v = s, v
        return best

    def save(self, step: int, tree, metrics: dict | None = None, metadata=None) -> str:
        meta = dict(metadata or {})
        meta["step"] = int(step)
        if metrics is not None:       # a NaN or infinite metric is kept as null (JSON)
            meta["metrics"] = {k: float(v) if math.isfinite(float(v)) else None
                               for k, v in metrics.items()}
        if self.keep_best and self.keep_best not in (metrics or {}):
            raise KeyError(f"CheckpointManager.save: keep_best={self.keep_best!r} needs that "
                           f"metric in metrics= (got {sorted(metrics or {})})")
        path = save(self.path(step), tree, meta)
        point_latest(path)
        self._prune(int(step))
        return path

    def _prune(self, newest: int) -> None:
        if self.max_to_keep is None:
            return
        steps = self.all_steps()
        keep = set(steps[-self.max_to_keep:]) | {newest}
        best = self.best_step()
        if best is not None:
            keep.add(best)
        for s in steps:
            if s not in keep:
                shutil.rmtree(self.path(s), ignore_errors=True)

    def reader(self, step: int | None = None) -> CheckpointReader:
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"CheckpointManager: no checkpoint in {self.directory}")
        return CheckpointReader(self.path(step))

    def restore(self, step: int | None = None, like=None, *, item=None):
        """The tree of ``step`` (default: the latest), as ``checkpoint.restore``."""
        return self.reader(step).restore(like=like, item=item)

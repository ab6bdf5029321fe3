"""Experiment loggers with Lightning's interface, and Keras's ``TensorBoard`` callback.

A ``Logger`` receives dictionaries of scalars with a step (``log_metrics``), the run's
hyperparameters once (``log_hyperparams``) and ``finalize`` at the end. ``LoggerCallback``
feeds any number of loggers from ``fit``'s hooks; ``Trainer(logger=...)`` adds it for you.

``TensorBoard`` is Keras's callback: event files under ``log_dir/train`` and
``log_dir/validation`` with ``epoch_<name>`` (and ``batch_<name>``) scalars, weight
histograms, the model summary as text and, given ``image_data``, a grid of misclassified
samples. Event files are written with tensorboardX (the ``tensorboard`` extra).
"""
from __future__ import annotations

import csv
import json
import math
import os
from typing import Iterable

import numpy as np

from .callbacks import Callback


def _summary_writer(log_dir: str):
    try:
        from tensorboardX import SummaryWriter
    except ImportError:  # pragma: no cover - the extra is part of dev
        raise ImportError("TensorBoard logging needs tensorboardX: pip install "
                          "'jitnet[tensorboard]'") from None
    return SummaryWriter(log_dir)


def _scalars(metrics: dict) -> dict:
    """The finite-or-not scalar entries of ``metrics`` as floats (arrays of size 1 too)."""
    out = {}
    for k, v in (metrics or {}).items():
        a = np.asarray(v)
        if a.size == 1 and a.dtype.kind in "biuf":
            out[k] = float(a.reshape(()))
    return out


def _next_version(root: str) -> int:
    try:
        taken = [int(d[len("version_"):]) for d in os.listdir(root)
                 if d.startswith("version_") and d[len("version_"):].isdigit()]
    except FileNotFoundError:
        return 0
    return max(taken, default=-1) + 1


class Logger:
    """Lightning's logger interface. ``log_dir`` is ``save_dir/name/version_<n>`` (the next
    free version unless given), so reruns never overwrite each other."""

    def __init__(self, save_dir=".", name: str = "jitnet_logs", version=None):
        if not isinstance(name, str) or not name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string, got "
                             f"{name!r}")
        self.save_dir, self.name = os.fspath(save_dir), name
        root = os.path.join(self.save_dir, name)
        self.version = _next_version(root) if version is None else version
        v = self.version if isinstance(self.version, str) else f"version_{self.version}"
        self.log_dir = os.path.join(root, v)

    def log_metrics(self, metrics: dict, step: int) -> None:
        raise NotImplementedError

    def log_hyperparams(self, params: dict) -> None:
        raise NotImplementedError

    def log_text(self, tag: str, text: str, step: int = 0) -> None:
        """Optional: loggers that cannot store text ignore it."""

    def save(self) -> None:
        """Flush what is buffered."""

    def finalize(self, status: str = "success") -> None:
        self.save()

    def _write_hparams(self, params: dict) -> None:
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "hparams.json"), "w") as f:
            json.dump(params, f, indent=1, sort_keys=True, default=str)


class CSVLogger(Logger):
    """Lightning's ``CSVLogger``: ``metrics.csv`` (one row per ``log_metrics`` call, a
    ``step`` column first, empty cells for keys a row lacks) and ``hparams.json``.
    Not to be confused with Keras's ``jitnet.train.CSVLogger`` callback (epoch rows)."""

    def __init__(self, save_dir=".", name: str = "jitnet_logs", version=None):
        super().__init__(save_dir, name, version)
        self.metrics_file = os.path.join(self.log_dir, "metrics.csv")
        self.rows: list[dict] = []
        self.keys: list[str] = []

    def log_metrics(self, metrics: dict, step: int) -> None:
        row = _scalars(metrics)
        self.keys += [k for k in row if k not in self.keys]
        self.rows.append({"step": int(step), **row})
        self.save()

    def log_hyperparams(self, params: dict) -> None:
        self._write_hparams(dict(params))

    def save(self) -> None:
        os.makedirs(self.log_dir, exist_ok=True)
        with open(self.metrics_file, "w", newline="") as f:   # rewritten: keys may grow
            w = csv.DictWriter(f, ["step"] + self.keys, restval="")
            w.writeheader()
            w.writerows(self.rows)


class TensorBoardLogger(Logger):
    """Lightning's ``TensorBoardLogger``: scalars, text, histograms and images in one event
    directory (``log_dir``), hyperparameters as ``hparams.json`` and a text summary."""

    def __init__(self, save_dir=".", name: str = "jitnet_logs", version=None):
        super().__init__(save_dir, name, version)
        self.experiment = _summary_writer(self.log_dir)   # the tensorboardX SummaryWriter

    def log_metrics(self, metrics: dict, step: int) -> None:
        for k, v in _scalars(metrics).items():
            self.experiment.add_scalar(k, v, int(step))

    def log_hyperparams(self, params: dict) -> None:
        self._write_hparams(dict(params))
        rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(params.items()))
        self.log_text("hparams", "| name | value |\n| --- | --- |\n" + rows)

    def log_text(self, tag: str, text: str, step: int = 0) -> None:
        self.experiment.add_text(tag, text, int(step))

    def log_histogram(self, tag: str, values, step: int) -> None:
        self.experiment.add_histogram(tag, np.asarray(values, np.float64).ravel(), int(step))

    def log_image(self, tag: str, image, step: int) -> None:
        """``image``: (H, W) or (H, W, C) with values in [0, 1]."""
        img = np.asarray(image, np.float32)
        self.experiment.add_image(tag, img, int(step),
                                  dataformats="HW" if img.ndim == 2 else "HWC")

    def save(self) -> None:
        self.experiment.flush()

    def finalize(self, status: str = "success") -> None:
        self.experiment.close()


def as_loggers(logger) -> list:
    """Lightning's ``logger=`` argument: a Logger, a list of them, or None/False."""
    if logger is None or logger is False:
        return []
    loggers = list(logger) if isinstance(logger, (list, tuple)) else [logger]
    for lg in loggers:
        if not isinstance(lg, Logger):
            raise TypeError(f"logger: expected jitnet.train.loggers.Logger instances, got "
                            f"{type(lg).__name__}")
    return loggers


def _learning_rate(trainer):
    try:
        return trainer.learning_rate
    except Exception:   # an optimizer without an injected learning rate: nothing to log
        return None


class LoggerCallback(Callback):
    """Feeds loggers from ``fit``: hyperparameters at the start, the epoch logs (with the
    learning rate and ``epoch``) at each epoch end, and every ``log_every_n_steps`` batches
    the running training logs; the step is the optimizer step count."""
    main_process_only = True

    def __init__(self, logger, log_every_n_steps: int = 50, hparams: dict | None = None):
        super().__init__()
        self.loggers = as_loggers(logger)
        if not isinstance(log_every_n_steps, int) or log_every_n_steps < 0:
            raise ValueError(f"LoggerCallback: log_every_n_steps must be an int >= 0, got "
                             f"{log_every_n_steps!r}")
        self.every, self.hparams = log_every_n_steps, dict(hparams or {})

    def _step(self) -> int:
        return int(np.asarray(self.trainer.state.step))

    def on_train_begin(self, logs=None):
        hp = {**{k: v for k, v in self.params.items() if k != "verbose"}, **self.hparams}
        for lg in self.loggers:
            lg.log_hyperparams(hp)

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        if self.every and step % self.every == 0:
            for lg in self.loggers:
                lg.log_metrics({f"train_{k}": v for k, v in _scalars(logs).items()}, step)

    def on_epoch_end(self, epoch, logs=None):
        out = {"epoch": epoch, **_scalars(logs)}
        lr = _learning_rate(self.trainer)
        if lr is not None:
            out.setdefault("learning_rate", lr)
        for lg in self.loggers:
            lg.log_metrics(out, self._step())
            lg.save()

    def on_train_end(self, logs=None):
        for lg in self.loggers:
            lg.finalize("success")


# -- Keras's TensorBoard callback -------------------------------------------------------------

def named_arrays(tree, prefix: str = "") -> Iterable[tuple[str, np.ndarray]]:
    """``(path, array)`` for every array in a pytree of dicts, sequences and layers (a
    layer's arrays are named ``layer_name/attribute``), for histograms."""
    if hasattr(tree, "shape") and hasattr(tree, "dtype"):
        yield prefix or "value", np.asarray(tree)
        return
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        fields = getattr(tree, "_fields", None)
        items = zip(fields, tree) if fields else enumerate(tree)
    elif hasattr(tree, "sublayers") and hasattr(tree, "name"):     # a jitnet layer
        items = [(k, v) for k, v in vars(tree).items() if not k.startswith("_")]
        prefix = f"{prefix}/{tree.name}" if prefix else (tree.name or type(tree).__name__)
        for k, v in items:
            yield from named_arrays(v, f"{prefix}/{k}")
        return
    else:
        return
    for k, v in items:
        yield from named_arrays(v, f"{prefix}/{k}" if prefix else str(k))


def image_grid(images, ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile ``images`` (N, H, W) or (N, H, W, C) into one (H', W', C) float image in
    [0, 1] (each image min-max scaled), ``ncols`` per row (default: a near square)."""
    imgs = np.asarray(images, np.float32)
    if imgs.ndim == 3:
        imgs = imgs[..., None]
    if imgs.ndim != 4 or imgs.shape[-1] not in (1, 3, 4) or len(imgs) == 0:
        raise ValueError(f"image_grid: expected a non-empty (N, H, W) or (N, H, W, C) with "
                         f"C in 1, 3, 4, got shape {np.shape(images)}")
    n, h, w, c = imgs.shape
    lo = imgs.reshape(n, -1).min(1)[:, None, None, None]
    hi = imgs.reshape(n, -1).max(1)[:, None, None, None]
    imgs = (imgs - lo) / np.where(hi > lo, hi - lo, 1.0)
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    grid = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), np.float32)
    for i, img in enumerate(imgs):
        r, q = divmod(i, ncols)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h,
             pad + q * (w + pad):pad + q * (w + pad) + w] = img
    return grid


def misclassified(x, y_true, logits, max_images: int = 16):
    """The first ``max_images`` samples whose arg-max prediction differs from ``y_true``:
    ``(images, true labels, predicted labels)``."""
    pred = np.asarray(logits).argmax(-1)
    y_true = np.asarray(y_true).reshape(pred.shape)
    wrong = np.flatnonzero(pred != y_true)[:max_images]
    return np.asarray(x)[wrong], y_true[wrong], pred[wrong]


class TensorBoard(Callback):
    """Keras's ``TensorBoard`` callback.

    * ``log_dir/train``: ``epoch_<name>`` scalars of the training logs and
      ``epoch_learning_rate``; with ``update_freq=N`` also ``batch_<name>`` every N batches
      (step: the optimizer step);
    * ``log_dir/validation``: ``epoch_<name>`` of the ``val_`` logs (prefix removed);
    * every ``histogram_freq`` epochs (0: never) a histogram of every weight;
    * ``write_graph``: the model summary as text (``model_summary``) at the start;
    * ``image_data=(x, y)`` (a Keras model's fit): every ``histogram_freq`` epochs (or every
      epoch when 0) a grid of up to ``max_images`` misclassified samples (``misclassified``);
    * ``grad_data=(x, y)`` (a Keras model's fit, with ``histogram_freq``): histograms
      ``grad/<weight>`` of the compiled loss's gradient on that data, by a separate jitted
      function (compiled once).
    Nothing here runs inside the compiled training step, which is the same with or without it.
    """
    main_process_only = True

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 update_freq="epoch", image_data=None, max_images: int = 16, grad_data=None):
        super().__init__()
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch' or an int >= 1, got "
                             f"{update_freq!r}")
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, got "
                             f"{histogram_freq!r}")
        for name, d in (("image_data", image_data), ("grad_data", grad_data)):
            if d is not None and len(d) != 2:
                raise ValueError(f"TensorBoard: {name} must be (x, y)")
        if grad_data is not None and not histogram_freq:
            raise ValueError("TensorBoard: grad_data needs histogram_freq >= 1")
        self.grad_data, self._grad_fn = grad_data, None
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq, self.write_graph = histogram_freq, write_graph
        self.update_freq, self.image_data, self.max_images = update_freq, image_data, max_images
        self._writers: dict = {}

    def _writer(self, which: str):
        w = self._writers.get(which)
        if w is None:
            w = self._writers[which] = _summary_writer(os.path.join(self.log_dir, which))
        return w

    def on_train_begin(self, logs=None):
        self._writers = {}
        model = self.model
        if self.write_graph and model is not None and getattr(model, "built", False):
            lines: list = []
            try:
                model.summary(print_fn=lines.append)
            except ValueError:  # input shape unknown: no summary to show
                lines = []
            if lines:   # indented: TensorBoard renders text as Markdown
                self._writer("train").add_text("model_summary",
                                               "\n".join("    " + ln for ln in lines), 0)

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch":
            return
        step = int(np.asarray(self.trainer.state.step))
        if step % self.update_freq == 0:
            w = self._writer("train")
            for k, v in _scalars(logs).items():
                w.add_scalar(f"batch_{k}", v, step)

    def on_epoch_end(self, epoch, logs=None):
        scalars = _scalars(logs)
        train = {k: v for k, v in scalars.items() if not k.startswith("val_")}
        lr = _learning_rate(self.trainer)
        if lr is not None:
            train.setdefault("learning_rate", lr)
        for k, v in train.items():
            self._writer("train").add_scalar(f"epoch_{k}", v, epoch)
        for k, v in scalars.items():
            if k.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{k[4:]}", v, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            w = self._writer("train")
            for name, a in named_arrays(self.trainer.state.params):
                if a.dtype.kind == "f" and a.size:
                    w.add_histogram(name, a.astype(np.float64).ravel(), epoch)
            if self.grad_data is not None:
                for name, a in named_arrays(self._gradients()):
                    if a.dtype.kind == "f" and a.size:
                        w.add_histogram("grad/" + name, a.astype(np.float64).ravel(), epoch)
        if self.image_data is not None and (not self.histogram_freq or
                                            epoch % self.histogram_freq == 0):
            self._write_misclassified(epoch)
        for w in self._writers.values():
            w.flush()

    def _gradients(self):
        """Gradient of the compiled loss (mean over ``grad_data``) w.r.t. the weights."""
        if self.model is None:
            raise ValueError("TensorBoard: grad_data needs a Keras model's fit")
        from .. import numpy as jnp
        from .. import grad, jit
        from ..layers.module import combine
        from .keras import _training
        if self._grad_fn is None:
            loss = _training(self.model)["loss"]

            def objective(params, rest, x, y):
                return jnp.mean(loss.call(y, combine(params, rest)(x)))
            self._grad_fn = jit(grad(objective))
        x, y = self.grad_data
        s = self.trainer.state
        return self._grad_fn(s.params, s.model_state, np.asarray(x), np.asarray(y))

    def _write_misclassified(self, epoch):
        if self.model is None:
            raise ValueError("TensorBoard: image_data needs a Keras model's fit (model.predict)")
        x, y = self.image_data
        from ..layers.module import combine
        model = combine(self.trainer.state.params, self.trainer.state.model_state)
        imgs, _, _ = misclassified(x, y, model.predict(x), self.max_images)
        img = np.asarray(imgs)
        if len(img) and (img.ndim == 3 or (img.ndim == 4 and img.shape[-1] in (1, 3, 4))):
            self._writer("train").add_image("misclassified", image_grid(img), epoch,
                                            dataformats="HWC")

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()

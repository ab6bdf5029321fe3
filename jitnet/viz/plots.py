"""Training plots with matplotlib (the ``plot`` extra), headless: figures are made with
matplotlib's object API on the Agg canvas (no pyplot, no display, no global figure list)
and written as PNG when a path is given. Every function returns the ``Figure``.
"""
from __future__ import annotations

import os

import numpy as np


def _figure(figsize, dpi):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - the extra is part of dev
        raise ImportError("plots need matplotlib: pip install 'jitnet[plot]'") from None
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path):
    """Write ``fig`` to ``path`` (PNG unless the suffix says otherwise); the pixel size is
    exactly ``figsize * dpi``."""
    if path is not None:
        path = os.fspath(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fig.savefig(path, dpi=fig.dpi)
    return fig


def _history_dict(history) -> dict:
    h = getattr(history, "history", history)
    if not isinstance(h, dict) or not h:
        raise ValueError("plot_history: expected a History (or its .history dict) with "
                         f"recorded epochs, got {type(history).__name__}")
    return h


def plot_history(history, path=None, metrics=None, figsize=(10, 4), dpi=100):
    """Training and validation curves: one panel per metric (``loss``, ``accuracy``...),
    the ``val_`` series dashed in the same panel. ``metrics`` picks and orders panels."""
    h = _history_dict(history)
    names = metrics or [k for k in h if not k.startswith("val_") and k != "learning_rate"]
    missing = [m for m in names if m not in h and "val_" + m not in h]
    if missing:
        raise ValueError(f"plot_history: no recorded series {missing}; recorded: {sorted(h)}")
    epochs = list(getattr(history, "epoch", None) or range(len(next(iter(h.values())))))
    fig = _figure(figsize, dpi)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        for key, style in ((name, "-"), ("val_" + name, "--")):
            if key in h:
                ys = np.asarray(h[key], np.float64)
                ax.plot([e + 1 for e in epochs[:len(ys)]], ys, style, marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_lr_find(result, path=None, figsize=(6, 4), dpi=100):
    """The learning-rate finder's smoothed loss over a log learning-rate axis, with its
    suggestion (``LRFinderResult.suggestion``) marked."""
    lrs, losses = np.asarray(result.lrs, np.float64), np.asarray(result.losses, np.float64)
    if lrs.size == 0 or lrs.shape != losses.shape:
        raise ValueError(f"plot_lr_find: need matching non-empty lrs and losses, got "
                         f"{lrs.shape} and {losses.shape}")
    fig = _figure(figsize, dpi)
    ax = fig.add_subplot()
    ax.plot(lrs, losses)
    ax.set_xscale("log")
    s = float(result.suggestion)
    ax.plot([s], [np.interp(np.log(s), np.log(lrs), losses)], "ro",
            label=f"suggestion {s:.2e}")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("smoothed loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _labels(y, name: str) -> np.ndarray:
    a = np.asarray(y)
    if a.ndim == 2:             # scores or one-hot: the arg-max is the class
        a = a.argmax(-1)
    if a.ndim != 1 or a.dtype.kind not in "biu":
        raise ValueError(f"{name}: expected integer class labels (N,) or scores (N, C), got "
                         f"shape {np.shape(y)} dtype {a.dtype}")
    return a


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``m[i, j]`` of samples of class ``i`` predicted as ``j`` (labels or scores)."""
    t, p = _labels(y_true, "confusion_matrix y_true"), _labels(y_pred, "confusion_matrix y_pred")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true has {t.shape[0]} samples, y_pred "
                         f"{p.shape[0]}")
    n = num_classes or int(max(t.max(initial=-1), p.max(initial=-1)) + 1)
    m = np.zeros((n, n), np.int64)
    np.add.at(m, (t, p), 1)
    return m


def plot_confusion_matrix(y_true, y_pred, path=None, class_names=None, normalize=False,
                          figsize=(6, 6), dpi=100):
    """The confusion matrix as a heat map with counts (or row fractions, ``normalize``)."""
    n = len(class_names) if class_names is not None else None
    m = confusion_matrix(y_true, y_pred, n).astype(np.float64)
    if normalize:
        m = m / np.maximum(m.sum(1, keepdims=True), 1)
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(m))]
    fig = _figure(figsize, dpi)
    ax = fig.add_subplot()
    im = ax.imshow(m, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(len(m)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(m)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = m.max() if m.size else 0
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:.2f}" if normalize else f"{int(v)}", ha="center", va="center",
                color="white" if v > top / 2 else "black", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_predictions(images, y_true, y_pred, path=None, class_names=None, ncols=8,
                     max_images=32, figsize=None, dpi=100):
    """A grid of sample images titled ``predicted (true)``, wrong ones in red."""
    imgs = np.asarray(images)[:max_images]
    t = _labels(y_true, "plot_predictions y_true")[:max_images]
    p = _labels(y_pred, "plot_predictions y_pred")[:max_images]
    if imgs.ndim == 4 and imgs.shape[-1] == 1:
        imgs = imgs[..., 0]
    if imgs.ndim not in (3, 4) or len(imgs) != len(t) or len(t) != len(p):
        raise ValueError(f"plot_predictions: need images (N, H, W[, C]) and N labels, got "
                         f"{np.shape(images)}, {np.shape(y_true)}, {np.shape(y_pred)}")
    name = (lambda i: str(class_names[i])) if class_names is not None else str
    ncols = min(ncols, len(imgs))
    nrows = -(-len(imgs) // ncols)
    fig = _figure(figsize or (1.5 * ncols, 1.7 * nrows), dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k < len(imgs):
            ax.imshow(imgs[k], cmap="gray" if imgs.ndim == 3 else None)
            ax.set_title(f"{name(p[k])} ({name(t[k])})", fontsize=7,
                         color="black" if p[k] == t[k] else "red")
    fig.tight_layout()
    return _save(fig, path)


def save_training_plots(folder, history, y_true=None, y_pred=None, class_names=None) -> list:
    """Write ``curves.png`` (``plot_history``) and, given test labels and predictions,
    ``confusion_matrix.png`` into ``folder``; returns the paths written."""
    folder = os.fspath(folder)
    paths = [os.path.join(folder, "curves.png")]
    plot_history(history, paths[0])
    if y_true is not None and y_pred is not None:
        paths.append(os.path.join(folder, "confusion_matrix.png"))
        plot_confusion_matrix(y_true, y_pred, paths[-1], class_names=class_names)
    return paths

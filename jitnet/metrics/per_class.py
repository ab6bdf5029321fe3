"""Metrics from per-class counts: ``FBetaScore``, ``F1Score`` and ``ConfusionMatrix``."""
from __future__ import annotations

from .. import numpy as jnp
from .. import nn
from ..core.source_info import user_line
from ..losses import EPSILON, broadcast_weights, weighted
from .base import Metric


class FBetaScore(Metric):
    """F-beta score of multi-class or multi-label predictions of shape ``(batch, classes)``.

    ``threshold=None`` marks each row's maximal entries as predicted (an all-zero row marks
    nothing); otherwise entries ``> threshold``. ``average``: None (one score per class),
    ``"micro"`` (global counts), ``"macro"`` (mean over classes) or ``"weighted"`` (mean
    weighted by each class's support). Per-class state needs the number of classes:
    ``num_classes=`` or ``init(y_pred_shape)``.
    """

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name=None, dtype=None,
                 num_classes: int | None = None):
        super().__init__(name if name is not None else "fbeta_score", dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: average must be None, 'micro', 'macro' "
                             f"or 'weighted', got {average!r}{user_line()}")
        if not float(beta) > 0:
            raise ValueError(f"{type(self).__name__}: beta must be > 0, got {beta!r}")
        if threshold is not None and not 0.0 < float(threshold) <= 1.0:
            raise ValueError(f"{type(self).__name__}: threshold must be in (0, 1], got "
                             f"{threshold!r}{user_line()}")
        self.average, self.beta = average, float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self.num_classes = None if num_classes is None else int(num_classes)

    def init(self, y_pred_shape=None):
        if self.average == "micro":
            shape = ()
        elif self.num_classes is not None:
            shape = (self.num_classes,)
        elif y_pred_shape is not None and len(y_pred_shape) >= 1:
            shape = (int(y_pred_shape[-1]),)
        else:
            raise ValueError(f"{type(self).__name__}: the per-class state needs the number of "
                             f"classes; pass num_classes= or init(y_pred_shape){user_line()}")
        return {k: self._zeros(shape) for k in ("tp", "fp", "fn", "support")}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        name = type(self).__name__
        if y_pred.ndim != 2 or tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError(f"{name}: y_true and y_pred must both have shape (batch, classes), "
                             f"got {tuple(y_true.shape)} and {tuple(y_pred.shape)}{user_line()}")
        if self.average != "micro" and state["tp"].shape != (y_pred.shape[1],):
            raise ValueError(f"{name}: the state has {state['tp'].shape[0]} classes but y_pred "
                             f"has shape {tuple(y_pred.shape)}{user_line()}")
        y_pred = y_pred.astype(self.dtype)
        if self.threshold is None:
            top = jnp.max(y_pred, axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        pred = predicted.astype(self.dtype)
        true = y_true.astype(self.dtype)
        if sample_weight is None:
            w = jnp.ones(y_pred.shape, self.dtype)
        else:
            w = broadcast_weights(name, sample_weight, pred)
        axis = None if self.average == "micro" else 0

        def total(values):
            return jnp.sum(weighted(values, w), axis=axis)

        return {"tp": state["tp"] + total(pred * true),
                "fp": state["fp"] + total(pred * (1 - true)),
                "fn": state["fn"] + total((1 - pred) * true),
                "support": state["support"] + total(true)}

    def _result(self, state):
        tp, fp, fn = state["tp"], state["fp"], state["fn"]
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            support = state["support"]
            return jnp.sum(score * support / (jnp.sum(support) + EPSILON))
        if self.average == "macro":
            return jnp.mean(score)
        return score

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold, "num_classes": self.num_classes}


class F1Score(FBetaScore):
    """F-1 score: ``FBetaScore`` with ``beta=1`` (Keras 3's ``F1Score``)."""

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name=None, dtype=None, num_classes: int | None = None):
        super().__init__(average, 1.0, threshold, name if name is not None else "f1_score",
                         dtype, num_classes)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config


class ConfusionMatrix(Metric):
    """Weighted counts ``M[i, j]`` of samples of true class ``i`` predicted as ``j``.

    ``y_true``: integer labels ``(batch,)`` (or ``(batch, 1)``, or one-hot of ``y_pred``'s
    shape); ``y_pred``: scores ``(batch, num_classes)`` (argmax, first maximum wins) or
    integer predictions of the labels' shape. Labels outside ``[0, num_classes)`` count
    nowhere. ``result`` is the ``(num_classes, num_classes)`` matrix.
    """

    def __init__(self, num_classes: int, name=None, dtype=None):
        super().__init__(name if name is not None else "confusion_matrix", dtype)
        if int(num_classes) < 1:
            raise ValueError(f"ConfusionMatrix: num_classes must be >= 1, got {num_classes}")
        self.num_classes = int(num_classes)

    def init(self, y_pred_shape=None):
        return self._zeros((self.num_classes, self.num_classes))

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        n = self.num_classes
        tshape, pshape = tuple(y_true.shape), tuple(y_pred.shape)
        if tshape == pshape and pshape[-1:] == (n,) and len(pshape) == 2:
            labels, predicted = jnp.argmax(y_true, -1), jnp.argmax(y_pred, -1)
        else:
            if tshape[-1:] == (1,) and len(tshape) == 2:
                y_true, tshape = jnp.squeeze(y_true, -1), tshape[:-1]
            if len(tshape) != 1 or pshape not in (tshape, tshape + (n,)):
                raise ValueError(f"ConfusionMatrix: y_true has shape {tshape} and y_pred has "
                                 f"shape {pshape}; expected labels (batch,) with scores "
                                 f"(batch, {n}) or predicted labels (batch,){user_line()}")
            labels = y_true
            predicted = jnp.argmax(y_pred, -1) if len(pshape) == 2 else y_pred
        rows = nn.one_hot(labels.astype(jnp.int32), n, dtype=self.dtype)
        cols = nn.one_hot(predicted.astype(jnp.int32), n, dtype=self.dtype)
        if sample_weight is not None:
            rows = rows * broadcast_weights("ConfusionMatrix", sample_weight,
                                            rows[:, 0])[:, None]
        return state + rows.T @ cols

    def _result(self, state):
        return state

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}

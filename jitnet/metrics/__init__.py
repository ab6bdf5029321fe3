"""Keras-style metrics whose state is a pytree, so a jitted training step can carry it.

Functional interface (what the training loop uses)::

    state = metric.init()                                     # pytree of float32 arrays
    state = metric.update(state, y_true, y_pred, sample_weight)  # pure, jittable
    value = metric.result(state)

plus Keras's stateful ``update_state`` / ``result()`` / ``reset_state`` for eager use.
``sample_weight`` (shape ``(batch,)``, or broadcastable to the values) is how padded rows
are masked: a row of weight 0 contributes nothing at all, even when its predictions are
inf or nan, so a padded final batch gives the result of the unpadded one. Metrics are
hashable and comparable by their configuration (static configuration of a jitted step).
Counts are float32 (exact up to 2**24 samples per state, as Keras's float32 variables).

The metrics live in modules named for their families (``base``: ``Metric`` and the means;
``accuracy``, ``regression``, ``thresholds``: precision/recall/AUC, ``per_class``: F-scores
and the confusion matrix); this namespace gathers them and looks them up by name (``get``).
"""
from __future__ import annotations

from .. import losses as _losses
from ..core.source_info import user_line
from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                       SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                       TopKCategoricalAccuracy, accuracy, binary_accuracy, categorical_accuracy,
                       sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                       top_k_categorical_accuracy)
from .base import Mean, MeanMetricWrapper, Metric
from .per_class import ConfusionMatrix, F1Score, FBetaScore
from .regression import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError
from .thresholds import AUC, Precision, Recall

__all__ = ["Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "Precision", "Recall", "FBetaScore", "F1Score",
           "AUC", "ConfusionMatrix", "MeanSquaredError", "MeanAbsoluteError",
           "RootMeanSquaredError", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "get"]


# -- lookup -------------------------------------------------------------------------------

_BY_NAME = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision, "recall": Recall, "auc": AUC, "f1_score": F1Score,
}

_CLASSES = {name: obj for name, obj in globals().items()
            if isinstance(obj, type) and issubclass(obj, Metric) and not name.startswith("_")
            and name not in ("Metric", "MeanMetricWrapper", "ConfusionMatrix")}

_ACCURACY_BY_LOSS = {
    _losses.SparseCategoricalCrossentropy: SparseCategoricalAccuracy,
    _losses.CategoricalCrossentropy: CategoricalAccuracy,
    _losses.BinaryCrossentropy: BinaryAccuracy,
}


def get(identifier, loss=None) -> Metric:
    """A ``Metric`` from a name (``"auc"``, or a class name such as ``"AUC"``), a ``Metric``
    (returned as is) or a function ``f(y_true, y_pred)`` of per-sample values (wrapped in
    a ``MeanMetricWrapper``).

    ``"accuracy"``/``"acc"`` follow the loss (a name or ``Loss``) like Keras's ``compile``:
    sparse categorical cross-entropy gives ``SparseCategoricalAccuracy``, categorical
    ``CategoricalAccuracy``, binary ``BinaryAccuracy``, anything else ``Accuracy``; the
    metric keeps the name it was asked by.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            loss_obj = _losses.get(loss) if loss is not None else None
            cls = _ACCURACY_BY_LOSS.get(type(loss_obj), Accuracy)
            return cls(name=identifier)
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"metrics.get: unknown metric {identifier!r}; known names are "
                             f"{sorted(_BY_NAME) + ['accuracy', 'acc']}{user_line()}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"metrics.get: expected a metric name, a Metric or a function "
                    f"f(y_true, y_pred), got {identifier!r}{user_line()}")

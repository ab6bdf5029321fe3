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
"""
from __future__ import annotations

import numpy as np

from . import numpy as jnp
from . import nn
from . import losses as _losses
from .core.source_info import user_line
from .losses import (EPSILON, aligned, broadcast_weights, divide_no_nan, snake_case,
                     sparse_labels, weighted)

__all__ = ["Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "Precision", "Recall", "FBetaScore", "F1Score",
           "AUC", "ConfusionMatrix", "MeanSquaredError", "MeanAbsoluteError",
           "RootMeanSquaredError", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "get"]


# -- per-sample metric functions (Keras's names) ------------------------------------------

def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` (elementwise; shapes as for the losses)."""
    y_true, y_pred = aligned("accuracy", y_true, y_pred)
    return (y_true == y_pred).astype(jnp.float32)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where ``(y_pred > threshold) == y_true`` (elementwise)."""
    y_true, y_pred = aligned("binary_accuracy", y_true, y_pred)
    predicted = (y_pred > threshold).astype(jnp.float32)
    return (y_true.astype(jnp.float32) == predicted).astype(jnp.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of one-hot ``y_true`` equals the argmax of ``y_pred``.

    Ties in ``y_pred`` go to the first maximal class (``jnp.argmax``), as in Keras.
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"categorical_accuracy: y_true has shape {tuple(y_true.shape)} but "
                         f"y_pred has shape {tuple(y_pred.shape)}; one-hot targets must have "
                         f"y_pred's shape (use sparse_categorical_accuracy for integer "
                         f"labels){user_line()}")
    return (jnp.argmax(y_true, -1) == jnp.argmax(y_pred, -1)).astype(jnp.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the argmax of ``y_pred`` (first maximum wins)."""
    labels = sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    return (jnp.argmax(y_pred, -1) == labels).astype(jnp.float32)


def _in_top_k(labels, y_pred, k: int):
    """Whether each label's score is among the ``k`` largest: fewer than ``k`` classes score
    strictly higher. A tie at the k-th place counts as a hit, as Keras's ``in_top_k``.
    Labels outside ``[0, num_classes)`` are misses."""
    in_range = (labels >= 0) & (labels < y_pred.shape[-1])
    index = jnp.expand_dims(jnp.where(in_range, labels, 0), -1)
    score = jnp.take_along_axis(y_pred, index, axis=-1)
    return ((jnp.sum(y_pred > score, axis=-1) < k) & in_range).astype(jnp.float32)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the argmax of one-hot ``y_true`` is in the top ``k`` of ``y_pred``."""
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"top_k_categorical_accuracy: y_true has shape {tuple(y_true.shape)} "
                         f"but y_pred has shape {tuple(y_pred.shape)}; they must be equal "
                         f"(use sparse_top_k_categorical_accuracy for integer labels)"
                         f"{user_line()}")
    return _in_top_k(jnp.argmax(y_true, -1).astype(jnp.int32), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the integer label is in the top ``k`` of ``y_pred``."""
    labels = sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(labels, jnp.asarray(y_pred), k)


# -- the base class ----------------------------------------------------------------------

class Metric:
    """Base class. Subclasses define ``init``, ``update`` and ``_result`` (the value of a
    state; ``result`` adds the internal state of the stateful interface).

    ``init(y_pred_shape=None)`` takes the model's output shape only for metrics whose state
    size depends on the number of classes (``F1Score`` without ``num_classes``); the
    stateful ``update_state`` passes it by itself.
    """

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name if name is not None else snake_case(type(self).__name__)
        self.dtype = jnp.dtype(dtype if dtype is not None else jnp.float32)
        self._state = None

    def init(self, y_pred_shape=None):
        raise NotImplementedError

    def update(self, state, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def _result(self, state):
        raise NotImplementedError

    def result(self, state=None):
        """The metric's value for ``state`` (or for the internal state)."""
        if state is None:
            state = self._state if self._state is not None else self.init()
        return self._result(state)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Stateful update (Keras style); for eager use outside a jitted step."""
        if self._state is None:
            self._state = self.init(tuple(np.shape(y_pred)))
        self._state = self.update(self._state, y_true, y_pred, sample_weight)

    def reset_state(self):
        self._state = None

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": str(self.dtype)}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _key(self):
        return (type(self),) + tuple(sorted((k, _hashable(v))
                                            for k, v in self.get_config().items()))

    def __eq__(self, other):
        return isinstance(other, Metric) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def _zeros(self, shape=()):
        return jnp.zeros(shape, self.dtype)


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


# -- means -------------------------------------------------------------------------------

class Mean(Metric):
    """Weighted mean of values: ``update(state, values, sample_weight=None)``.

    Values of shape ``(batch, ...)`` are first averaged per sample; each sample counts with
    its weight (1 without weights). The training loop keeps the running loss in one.
    """

    def init(self, y_pred_shape=None):
        return {"total": self._zeros(), "count": self._zeros()}

    def update(self, state, values, sample_weight=None):
        values = jnp.asarray(values).astype(self.dtype)
        if values.ndim == 0:
            values = jnp.reshape(values, (1,))
        if sample_weight is None:
            w = jnp.ones(values.shape, self.dtype)
        else:
            w = broadcast_weights(self.name, sample_weight, values)
        per_sample, count = weighted(values, w), w
        if values.ndim > 1:
            rest = tuple(range(1, values.ndim))
            per_sample, count = jnp.mean(per_sample, axis=rest), jnp.mean(count, axis=rest)
        return {"total": state["total"] + jnp.sum(per_sample),
                "count": state["count"] + jnp.sum(count)}

    def update_state(self, values, sample_weight=None):
        if self._state is None:
            self._state = self.init()
        self._state = self.update(self._state, values, sample_weight)

    def _result(self, state):
        return divide_no_nan(state["total"], state["count"])


class MeanMetricWrapper(Mean):
    """The weighted mean of ``fn(y_true, y_pred, **kwargs)`` (per-sample or elementwise)."""

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be callable, got {fn!r}")
        super().__init__(name if name is not None else getattr(fn, "__name__", "metric"), dtype)
        self.fn = fn
        self.kwargs = kwargs

    def update(self, state, y_true, y_pred, sample_weight=None):
        return super().update(state, self.fn(y_true, y_pred, **self.kwargs), sample_weight)

    def update_state(self, y_true, y_pred, sample_weight=None):
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.kwargs}

    def _key(self):
        return super()._key() + (self.fn,)


class _BuiltinMean(MeanMetricWrapper):
    """A Keras mean metric class: fixed function, config = its arguments."""

    fn = None
    default_name = None

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(type(self).fn, name if name is not None else self.default_name,
                         dtype, **kwargs)

    def _key(self):
        return Metric._key(self)


class Accuracy(_BuiltinMean):
    """How often ``y_pred`` equals ``y_true`` exactly."""
    fn, default_name = staticmethod(accuracy), "accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(_BuiltinMean):
    """How often ``y_pred > threshold`` matches the binary ``y_true``."""
    fn, default_name = staticmethod(binary_accuracy), "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold: float = 0.5):
        super().__init__(name, dtype, threshold=float(threshold))


class CategoricalAccuracy(_BuiltinMean):
    """How often the argmax of ``y_pred`` matches that of one-hot ``y_true``."""
    fn, default_name = staticmethod(categorical_accuracy), "categorical_accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(_BuiltinMean):
    """How often the argmax of ``y_pred`` equals the integer label."""
    fn, default_name = staticmethod(sparse_categorical_accuracy), "sparse_categorical_accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class TopKCategoricalAccuracy(_BuiltinMean):
    """How often the one-hot target is in the top ``k`` predictions (ties at the k-th
    score count as hits)."""
    fn, default_name = staticmethod(top_k_categorical_accuracy), "top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name=None, dtype=None):
        super().__init__(name, dtype, k=int(k))


class SparseTopKCategoricalAccuracy(_BuiltinMean):
    """How often the integer label is in the top ``k`` predictions (ties at the k-th score
    count as hits)."""
    fn = staticmethod(sparse_top_k_categorical_accuracy)
    default_name = "sparse_top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name=None, dtype=None):
        super().__init__(name, dtype, k=int(k))


class MeanSquaredError(_BuiltinMean):
    """Mean of ``(y_true - y_pred) ** 2``."""
    fn, default_name = staticmethod(_losses.mean_squared_error), "mean_squared_error"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(_BuiltinMean):
    """Mean of ``|y_true - y_pred|``."""
    fn, default_name = staticmethod(_losses.mean_absolute_error), "mean_absolute_error"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class RootMeanSquaredError(MeanSquaredError):
    """``sqrt`` of the mean squared error (over everything seen, not a mean of roots)."""
    default_name = "root_mean_squared_error"

    def _result(self, state):
        return jnp.sqrt(super()._result(state))


# -- confusion counts at thresholds ---------------------------------------------------------

def _flat_weighted(name, y_true, y_pred, sample_weight, class_id=None):
    """``y_true != 0``, ``y_pred`` and the weights, flattened to one entry per prediction."""
    y_true, y_pred = aligned(name, y_true, y_pred)
    if sample_weight is None:
        w = jnp.ones(y_pred.shape, jnp.float32)
    else:
        w = broadcast_weights(name, sample_weight, y_pred.astype(jnp.float32))
    if class_id is not None:
        y_true, y_pred, w = y_true[..., class_id], y_pred[..., class_id], w[..., class_id]
    return (jnp.reshape(y_true, (-1,)) != 0, jnp.reshape(y_pred, (-1,)).astype(jnp.float32),
            jnp.reshape(w, (-1,)))


def _confusion_at(positive, scores, w, thresholds, dtype):
    """Weighted tp, fp, tn, fn per threshold: a prediction is positive when score > t."""
    above = scores[:, None] > thresholds[None, :]
    wp = jnp.where(positive, w, jnp.zeros_like(w))[:, None]
    wn = jnp.where(positive, jnp.zeros_like(w), w)[:, None]
    zero = jnp.zeros_like(wp)
    tp = jnp.sum(jnp.where(above, wp, zero), axis=0)
    fp = jnp.sum(jnp.where(above, wn, zero), axis=0)
    fn = jnp.sum(wp) - tp
    tn = jnp.sum(wn) - fp
    return tp.astype(dtype), fp.astype(dtype), tn.astype(dtype), fn.astype(dtype)


class _ThresholdMetric(Metric):
    """Precision and Recall: counts at each threshold of ``thresholds`` (default 0.5)."""

    def __init__(self, thresholds=None, class_id: int | None = None, name=None, dtype=None):
        super().__init__(name, dtype)
        self._scalar = thresholds is None or np.ndim(thresholds) == 0
        values = [0.5] if thresholds is None else np.atleast_1d(thresholds).tolist()
        if any(not 0.0 <= t <= 1.0 for t in values):
            raise ValueError(f"{type(self).__name__}: thresholds must lie in [0, 1], got "
                             f"{thresholds!r}{user_line()}")
        self.thresholds = [float(t) for t in values]
        self.class_id = None if class_id is None else int(class_id)

    def init(self, y_pred_shape=None):
        n = len(self.thresholds)
        return {"tp": self._zeros(n), "fp": self._zeros(n), "fn": self._zeros(n)}

    def update(self, state, y_true, y_pred, sample_weight=None):
        pos, scores, w = _flat_weighted(self.name, y_true, y_pred, sample_weight, self.class_id)
        tp, fp, _, fn = _confusion_at(pos, scores, w, jnp.array(self.thresholds, jnp.float32),
                                      self.dtype)
        return {"tp": state["tp"] + tp, "fp": state["fp"] + fp, "fn": state["fn"] + fn}

    def _finish(self, value):
        return value[0] if self._scalar else value

    def get_config(self) -> dict:
        thresholds = self.thresholds[0] if self._scalar else list(self.thresholds)
        return {**super().get_config(), "thresholds": thresholds, "class_id": self.class_id}


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)`` of predictions ``y_pred > threshold`` (0 when nothing is
    predicted positive). Every entry of ``y_pred`` is a prediction (multi-label works);
    ``class_id`` restricts to one column. A list of thresholds gives a vector."""

    def _result(self, state):
        return self._finish(divide_no_nan(state["tp"], state["tp"] + state["fp"]))


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)`` of predictions ``y_pred > threshold`` (0 without positives)."""

    def _result(self, state):
        return self._finish(divide_no_nan(state["tp"], state["tp"] + state["fn"]))


class AUC(Metric):
    """Area under the ROC or precision-recall curve from counts at fixed thresholds.

    Keras's thresholds: ``i / (num_thresholds - 1)`` for the inner ones, and ``-eps`` and
    ``1 + eps`` at the ends, so predictions are expected in [0, 1] (``from_logits=True``
    applies a sigmoid first). The state is tp/fp/tn/fn per threshold. The area is a sum
    over the threshold buckets: ``summation_method="interpolation"`` uses trapezoids for
    ROC and, for PR, integrates precision exactly under Davis & Goadrich's interpolation
    (true positives linear in predicted positives inside a bucket), as Keras does;
    ``"minoring"``/``"majoring"`` take the smaller/larger height of each bucket.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name=None, dtype=None,
                 from_logits: bool = False):
        super().__init__(name if name is not None else "auc", dtype)
        if int(num_thresholds) <= 1:
            raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}"
                             f"{user_line()}")
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}{user_line()}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}{user_line()}")
        self.num_thresholds = int(num_thresholds)
        self.curve, self.summation_method = curve, summation_method
        self.from_logits = bool(from_logits)
        inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]

    def init(self, y_pred_shape=None):
        n = self.num_thresholds
        return {"tp": self._zeros(n), "fp": self._zeros(n), "tn": self._zeros(n),
                "fn": self._zeros(n)}

    def update(self, state, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = nn.sigmoid(y_pred)
        pos, scores, w = _flat_weighted(self.name, y_true, y_pred, sample_weight)
        counts = _confusion_at(pos, scores, w, jnp.array(self.thresholds, jnp.float32),
                               self.dtype)
        return {k: state[k] + c for k, c in zip(("tp", "fp", "tn", "fn"), counts)}

    def _result(self, state):
        tp, fp, tn, fn = state["tp"], state["fp"], state["tn"], state["fn"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _interpolated_pr_auc(tp, fp, fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), divide_no_nan(tp, tp + fn)
        else:
            x, y = divide_no_nan(tp, tp + fn), divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return jnp.sum((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "from_logits": self.from_logits}


def _interpolated_pr_auc(tp, fp, fn):
    """PR area with true positives linear in the predicted positives ``p`` inside each
    bucket (Davis & Goadrich 2006): ``tp = slope * p + intercept``, so precision is
    ``slope + intercept / p`` and recall grows by ``slope dp / positives``; the integral
    over a bucket is ``slope * (dtp + intercept * log(p_lo_threshold / p_hi_threshold))``
    divided by the number of positives."""
    p = tp + fp
    dtp, dp = tp[:-1] - tp[1:], p[:-1] - p[1:]
    slope = divide_no_nan(dtp, jnp.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = jnp.where(both, divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)), jnp.ones_like(dp))
    area = slope * (dtp + intercept * jnp.log(ratio))
    return jnp.sum(divide_no_nan(area, jnp.maximum(tp[1:] + fn[1:], 0)))


# -- F-scores and the confusion matrix ----------------------------------------------------

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

"""Metrics from confusion counts at score thresholds: ``Precision``, ``Recall`` and ``AUC``
(ROC or PR, Riemann or interpolated)."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from .. import nn
from ..core.source_info import user_line
from ..losses import EPSILON, aligned, broadcast_weights, divide_no_nan
from .base import Metric


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

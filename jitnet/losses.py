"""Keras-style losses: per-sample loss functions and ``Loss`` objects that reduce them.

Every function here is pure jitnet code (``jitnet.numpy``/``jitnet.nn``), so a loss traces
into the one jitted training step; shapes are checked at trace time, before anything
compiles. The functions return one value per sample: they reduce the class/feature axis
only (rank-1 inputs are one value per sample). ``Loss`` objects add Keras's reductions and
sample weights, a host-side ``check_targets`` for the label array, and are hashable by
their configuration, so a jitted step can take them as static configuration.

From probabilities, cross-entropies clip to ``[EPSILON, 1 - EPSILON]`` like Keras; from
logits they use ``log_softmax`` / ``log_sigmoid``, which stay finite for huge logits.
"""
from __future__ import annotations

import numpy as np

from . import nn
from . import numpy as jnp
from .core.source_info import user_line

EPSILON = 1e-7  # Keras's backend.epsilon(): the clip for probabilities

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight")

__all__ = ["EPSILON", "Loss", "LossFunctionWrapper", "SparseCategoricalCrossentropy",
           "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
           "MeanAbsoluteError", "Huber", "sparse_categorical_crossentropy",
           "categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
           "mean_absolute_error", "huber", "mse", "mae", "get"]


# -- shapes ---------------------------------------------------------------------------------

def _shape_error(name: str, true_shape, pred_shape, expected: str) -> ValueError:
    return ValueError(f"{name}: y_true has shape {tuple(true_shape)} but y_pred has shape "
                      f"{tuple(pred_shape)}; {expected}{user_line()}")


def match_shapes(name: str, true_shape, pred_shape) -> str | None:
    """How ``y_true`` must be adjusted to ``y_pred``'s shape for an elementwise loss.

    Returns None (equal shapes), ``"squeeze_true"`` or ``"squeeze_pred"`` (the other one
    has an extra trailing axis of size 1, as Keras squeezes); anything else raises.
    """
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if true_shape == pred_shape:
        return None
    if true_shape[-1:] == (1,) and true_shape[:-1] == pred_shape:
        return "squeeze_true"
    if pred_shape[-1:] == (1,) and pred_shape[:-1] == true_shape:
        return "squeeze_pred"
    raise _shape_error(name, true_shape, pred_shape,
                       "they must be equal (or differ by a trailing axis of size 1)")


def aligned(name: str, y_true, y_pred):
    """``(y_true, y_pred)`` as arrays of one shape (see ``match_shapes``)."""
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    how = match_shapes(name, y_true.shape, y_pred.shape)
    if how == "squeeze_true":
        y_true = jnp.squeeze(y_true, -1)
    elif how == "squeeze_pred":
        y_pred = jnp.squeeze(y_pred, -1)
    return y_true, y_pred


def _elementwise_pair(name: str, y_true, y_pred):
    """``(y_true, y_pred)`` as float arrays of one shape (``y_pred``'s float dtype)."""
    y_true, y_pred = aligned(name, y_true, _float_pred(y_pred))
    if y_pred.ndim == 0:
        raise ValueError(f"{name}: y_pred must have a batch axis, got a scalar{user_line()}")
    return y_true.astype(y_pred.dtype), y_pred


def _mean_features(values, axis=-1):
    """Mean over the feature axis; rank-1 values are already one per sample."""
    return values if values.ndim <= 1 else jnp.mean(values, axis=axis)


def sparse_label_shape(name: str, true_shape, pred_shape, axis: int) -> bool:
    """Check sparse labels against ``y_pred``; True when they carry a trailing axis of 1."""
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if len(pred_shape) == 0:
        raise ValueError(f"{name}: y_pred must have a class axis, got a scalar{user_line()}")
    ax = axis % len(pred_shape)
    expected = pred_shape[:ax] + pred_shape[ax + 1:]
    if true_shape == expected:
        return False
    if true_shape == expected + (1,):
        return True
    raise _shape_error(name, true_shape, pred_shape,
                       f"integer labels must have shape {expected} (y_pred without its class "
                       f"axis {axis}) or {expected + (1,)}")


def sparse_labels(name: str, y_true, y_pred, axis: int = -1):
    """Integer labels (int32) of ``y_pred``'s shape without its class ``axis``."""
    y_true = jnp.asarray(y_true)
    if sparse_label_shape(name, y_true.shape, jnp.shape(y_pred), axis):
        y_true = jnp.squeeze(y_true, -1)
    return y_true.astype(jnp.int32)


def _float_pred(y_pred):
    """Predictions as a float of at least 32 bits: integer, float16 and bfloat16 outputs
    (mixed precision) are cast to float32, so losses compute in float32 (as Keras's)."""
    y_pred = jnp.asarray(y_pred)
    if jnp.issubdtype(y_pred.dtype, jnp.floating) and jnp.finfo(y_pred.dtype).bits >= 32:
        return y_pred
    return y_pred.astype(jnp.float32)


def _log_probs(y_pred, from_logits: bool, axis: int):
    """Log-probabilities over ``axis``: ``log_softmax`` of logits, or Keras's renormalized
    and clipped probabilities."""
    if from_logits:
        return nn.log_softmax(y_pred, axis=axis)
    probs = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(probs, EPSILON, 1.0 - EPSILON))


# -- per-sample loss functions -------------------------------------------------------------

def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False, axis: int = -1,
                                    ignore_class: int | None = None):
    """Cross-entropy of integer labels ``y_true`` against class scores ``y_pred``.

    ``y_true`` has ``y_pred``'s shape without ``axis`` (or with a trailing 1); float labels
    are truncated to integers as Keras does. Entries whose label is ``ignore_class`` give 0.
    A compiled step cannot raise on data, so a label outside ``[0, num_classes)`` gives
    nan (loud, where Keras's JAX backend silently gives 0); ``Loss.check_targets`` catches
    such labels on the host before compiling.
    """
    name = "sparse_categorical_crossentropy"
    y_pred = _float_pred(y_pred)
    labels = sparse_labels(name, y_true, y_pred, axis)
    ax = axis % y_pred.ndim
    in_range = (labels >= 0) & (labels < y_pred.shape[ax])
    log_prob = _log_probs(y_pred, from_logits, ax)
    index = jnp.expand_dims(jnp.where(in_range, labels, 0), ax)
    loss = -jnp.squeeze(jnp.take_along_axis(log_prob, index, axis=ax), ax)
    loss = jnp.where(in_range, loss, jnp.full_like(loss, jnp.nan))
    if ignore_class is not None:
        loss = jnp.where(labels != ignore_class, loss, jnp.zeros_like(loss))
    return loss


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """Cross-entropy of one-hot (or soft) targets; both arguments have the same shape.

    ``label_smoothing`` mixes the targets with the uniform distribution:
    ``y_true * (1 - s) + s / num_classes``.
    """
    name = "categorical_crossentropy"
    y_pred = _float_pred(y_pred)
    y_true = jnp.asarray(y_true)
    if y_true.shape != y_pred.shape:
        raise _shape_error(name, y_true.shape, y_pred.shape, "they must be equal (one-hot "
                           "targets; use sparse_categorical_crossentropy for integer labels)")
    if y_pred.ndim == 0:
        raise ValueError(f"{name}: y_pred must have a class axis, got a scalar{user_line()}")
    y_true = y_true.astype(y_pred.dtype)
    if label_smoothing:
        num_classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return -jnp.sum(y_true * _log_probs(y_pred, from_logits, axis), axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Mean over ``axis`` of the elementwise binary cross-entropy (targets in [0, 1]).

    ``label_smoothing`` moves targets towards 1/2: ``y_true * (1 - s) + s / 2``.
    """
    y_true, y_pred = _elementwise_pair("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = -(y_true * nn.log_sigmoid(y_pred) + (1.0 - y_true) * nn.log_sigmoid(-y_pred))
    else:
        p = jnp.clip(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))
    return _mean_features(values, axis)


def mean_squared_error(y_true, y_pred):
    """Mean over the last axis of ``(y_true - y_pred) ** 2``."""
    y_true, y_pred = _elementwise_pair("mean_squared_error", y_true, y_pred)
    return _mean_features(jnp.square(y_true - y_pred))


def mean_absolute_error(y_true, y_pred):
    """Mean over the last axis of ``|y_true - y_pred|``."""
    y_true, y_pred = _elementwise_pair("mean_absolute_error", y_true, y_pred)
    return _mean_features(jnp.abs(y_true - y_pred))


def huber(y_true, y_pred, delta: float = 1.0):
    """Mean over the last axis of ``e**2 / 2`` where ``|e| <= delta``, else
    ``delta * |e| - delta**2 / 2`` (``e = y_pred - y_true``)."""
    y_true, y_pred = _elementwise_pair("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    values = jnp.where(abs_error <= delta, 0.5 * jnp.square(error),
                       delta * abs_error - 0.5 * delta * delta)
    return _mean_features(values)


mse = mean_squared_error
mae = mean_absolute_error


# -- Loss objects ---------------------------------------------------------------------------

def _per_sample(values):
    """Reduce values of shape ``(batch, ...)`` to ``(batch,)`` by the mean of the rest."""
    return values if values.ndim <= 1 else jnp.mean(values, axis=tuple(range(1, values.ndim)))


def broadcast_weights(name: str, sample_weight, values):
    """``sample_weight`` broadcast to ``values`` (missing trailing axes are added)."""
    w = jnp.asarray(sample_weight).astype(values.dtype)
    wshape, vshape = tuple(w.shape), tuple(values.shape)
    if len(wshape) > len(vshape) and wshape[len(vshape):] == (1,) * (len(wshape) - len(vshape)):
        w = jnp.reshape(w, wshape[:len(vshape)])
        wshape = tuple(w.shape)
    if len(wshape) > len(vshape) or any(a not in (1, b) for a, b in zip(wshape, vshape)):
        raise ValueError(f"{name}: sample_weight of shape {wshape} does not broadcast to the "
                         f"values of shape {vshape}{user_line()}")
    w = jnp.reshape(w, wshape + (1,) * (len(vshape) - len(wshape)))
    return jnp.broadcast_to(w, vshape)


def divide_no_nan(a, b):
    """``a / b``, and 0 where ``b`` is 0 (Keras's ``divide_no_nan``)."""
    b = jnp.asarray(b)
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    quotient = a / safe
    return jnp.where(b == 0, jnp.zeros_like(quotient), quotient)


def weighted(values, weights):
    """``values * weights`` where the weight is nonzero, exactly 0 elsewhere (even when the
    value is inf or nan, as it may be on padded rows)."""
    return jnp.where(weights != 0, values * weights, jnp.zeros_like(values))


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred) -> (batch,)`` losses.

    ``loss(y_true, y_pred, sample_weight=None)`` reduces with ``reduction``:
    ``"sum_over_batch_size"`` (Keras's default: ``sum(l * w) / number of values``),
    ``"sum"``, ``"mean_with_sample_weight"`` (``sum(l * w) / sum(w)``) or ``"none"``
    (also spelled None). Two losses with the same class and configuration are equal and
    hash alike.
    """

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size"):
        reduction = "none" if reduction is None else reduction
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, "
                             f"got {reduction!r}{user_line()}")
        self.name = name if name is not None else snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def values(self, y_true, y_pred):
        """Unreduced losses (Keras's ``call``: every axis but the class axis) and the mask of
        entries that count (None when all do)."""
        return self.call(y_true, y_pred), None

    def __call__(self, y_true, y_pred, sample_weight=None):
        values, mask = self.values(y_true, y_pred)
        if sample_weight is not None:
            values = weighted(values, broadcast_weights(self.name, sample_weight, values))
        if mask is not None:
            values = jnp.where(mask, values, jnp.zeros_like(values))
        if self.reduction == "none":
            return values
        total = jnp.sum(values)
        if self.reduction == "sum":
            return total
        if self.reduction == "mean_with_sample_weight" and sample_weight is not None:
            w = broadcast_weights(self.name, sample_weight, values)
            if mask is not None:
                w = jnp.where(mask, w, jnp.zeros_like(w))
            return divide_no_nan(total, jnp.sum(w))
        count = values.size if mask is None else jnp.maximum(jnp.sum(mask), 1)
        return total / count

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _key(self):
        return (type(self),) + tuple(sorted(self.get_config().items()))

    def __eq__(self, other):
        return isinstance(other, Loss) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def check_targets(self, y_true, output_shape):
        """Check the whole label array on the host before compiling; None when fine.

        ``output_shape`` is the model's output shape for one batch, ``(batch, ...)``; its
        batch size is ignored. Raises ValueError naming the problem and the fix.
        """
        y_true = np.asarray(y_true)
        self._check_shape(y_true.shape, output_shape)
        if y_true.dtype.kind in "fc" and not np.all(np.isfinite(y_true)):
            raise ValueError(f"{self.name}: y_true holds {int(np.sum(~np.isfinite(y_true)))} "
                             f"non-finite values (nan or inf); clean the labels{user_line()}")
        if y_true.dtype.kind not in "biuf":
            raise ValueError(f"{self.name}: y_true must be numeric, got dtype {y_true.dtype}"
                             f"{user_line()}")

    def _check_shape(self, true_shape, output_shape):
        """Shape check with the batch axis of ``output_shape`` set to the labels' length."""
        if len(true_shape) == 0 or len(tuple(output_shape)) == 0:
            raise ValueError(f"{self.name}: y_true of shape {tuple(true_shape)} and outputs of "
                             f"shape {tuple(output_shape)} need a batch axis{user_line()}")
        match_shapes(self.name, true_shape, (true_shape[0],) + tuple(output_shape)[1:])


def snake_case(name: str) -> str:
    """``"MeanSquaredError"`` -> ``"mean_squared_error"`` (Keras's default names)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` of unreduced losses."""

    def __init__(self, fn, name: str | None = None, reduction: str = "sum_over_batch_size",
                 **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable, got {fn!r}")
        super().__init__(name if name is not None else getattr(fn, "__name__", "loss"),
                         reduction)
        self.fn = fn
        self.kwargs = kwargs

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs), None

    def call(self, y_true, y_pred):
        """Per-sample losses, shape ``(batch,)`` (further axes are averaged)."""
        values = jnp.asarray(self.fn(y_true, y_pred, **self.kwargs))
        if values.ndim == 0:
            raise ValueError(f"{self.name}: the loss function returned a scalar; it must "
                             f"return one loss per sample, reducing only the feature axis "
                             f"(e.g. jnp.mean(..., axis=-1)){user_line()}")
        return _per_sample(values)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.kwargs}

    def _key(self):
        return super()._key() + (self.fn,)


class _BuiltinLoss(LossFunctionWrapper):
    """A Keras loss class: its function is fixed, its config is its arguments."""

    fn = None  # set by each subclass
    default_name = None  # Keras's default name when it is not the function's

    def __init__(self, name=None, reduction="sum_over_batch_size", **kwargs):
        fn = type(self).fn
        super().__init__(fn, name if name is not None else self.default_name or fn.__name__,
                         reduction, **kwargs)

    def _key(self):
        return Loss._key(self)


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy of integer labels; see ``sparse_categorical_crossentropy``.

    With ``ignore_class``, ignored entries count neither in the sum nor in the divisor of
    ``"sum_over_batch_size"`` (as Keras masks them), and ``call`` averages each sample over
    its valid entries only.
    """

    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 axis: int = -1, reduction: str = "sum_over_batch_size",
                 name: str | None = None):
        super().__init__(name, reduction, from_logits=bool(from_logits), axis=int(axis),
                         ignore_class=None if ignore_class is None else int(ignore_class))

    def _valid(self, y_true, y_pred):
        ignore = self.kwargs["ignore_class"]
        if ignore is None:
            return None
        return sparse_labels(self.name, y_true, y_pred, self.kwargs["axis"]) != ignore

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs), self._valid(y_true, y_pred)

    def call(self, y_true, y_pred):
        values, valid = self.values(y_true, y_pred)
        if valid is None or values.ndim <= 1:
            return _per_sample(values)
        axes = tuple(range(1, values.ndim))
        return jnp.sum(values, axis=axes) / jnp.maximum(jnp.sum(valid, axis=axes), 1)

    def check_targets(self, y_true, output_shape):
        y_true = np.asarray(y_true)
        axis = self.kwargs["axis"]
        shape = tuple(output_shape)
        if len(y_true.shape) == 0:
            raise ValueError(f"{self.name}: y_true needs a batch axis, got a scalar{user_line()}")
        sparse_label_shape(self.name, y_true.shape, (y_true.shape[0],) + shape[1:], axis)
        if y_true.dtype.kind not in "biuf":
            raise ValueError(f"{self.name}: labels must be integers, got dtype {y_true.dtype}"
                             f"{user_line()}")
        integral = np.isfinite(y_true) & (y_true == np.round(y_true))
        if not np.all(integral):
            bad = y_true[~integral].flat[0].item()
            raise ValueError(f"{self.name}: labels must be integer class indices, found {bad!r}; "
                             f"for one-hot or soft targets use CategoricalCrossentropy"
                             f"{user_line()}")
        n = shape[axis]
        labels = y_true.astype(np.int64)
        ignore = self.kwargs["ignore_class"]
        bad = (labels < 0) | (labels >= n)
        if ignore is not None:
            bad &= labels != ignore
        if np.any(bad):
            value = int(labels[bad].flat[0])
            lo, hi = int(labels[bad].min()), int(labels[bad].max())
            raise ValueError(
                f"{self.name}: label value {value} is out of range for {n} classes (labels must "
                f"be in [0, {n}); {int(bad.sum())} labels in [{lo}, {hi}] are not). Give the "
                f"last layer {hi + 1 if hi >= n else n} units, or remap the labels to 0..{n - 1}"
                f"{user_line()}")


class _SmoothedCrossentropy(_BuiltinLoss):
    """The constructor the categorical and binary cross-entropies share."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str = "sum_over_batch_size",
                 name: str | None = None):
        super().__init__(name, reduction, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing), axis=int(axis))


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """Cross-entropy of one-hot (or soft) targets; see ``categorical_crossentropy``."""

    fn = staticmethod(categorical_crossentropy)

    def check_targets(self, y_true, output_shape):
        y_true = np.asarray(y_true)
        if len(y_true.shape) == 0 or y_true.shape[1:] != tuple(output_shape)[1:]:
            raise ValueError(f"{self.name}: y_true has shape {y_true.shape} but the model's "
                             f"outputs have shape {tuple(output_shape)} (batch axis aside); "
                             f"targets must be one-hot of the same shape. For integer labels "
                             f"use SparseCategoricalCrossentropy{user_line()}")
        _check_unit_interval(self.name, y_true)


class BinaryCrossentropy(_SmoothedCrossentropy):
    """Binary cross-entropy of targets in [0, 1]; see ``binary_crossentropy``."""

    fn = staticmethod(binary_crossentropy)

    def check_targets(self, y_true, output_shape):
        super().check_targets(y_true, output_shape)
        _check_unit_interval(self.name, np.asarray(y_true))


def _check_unit_interval(name: str, y_true):
    if y_true.dtype.kind not in "biuf":
        raise ValueError(f"{name}: y_true must be numeric, got dtype {y_true.dtype}{user_line()}")
    bad = ~((y_true >= 0) & (y_true <= 1))
    if np.any(bad):
        first = y_true[bad].flat[0].item()
        raise ValueError(f"{name}: targets must lie in [0, 1], found {first!r} "
                         f"({int(bad.sum())} values outside); rescale or binarize the labels"
                         f"{user_line()}")


class MeanSquaredError(_BuiltinLoss):
    """Mean squared error; see ``mean_squared_error``."""

    fn = staticmethod(mean_squared_error)

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None):
        super().__init__(name, reduction)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean absolute error; see ``mean_absolute_error``."""

    fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None):
        super().__init__(name, reduction)


class Huber(_BuiltinLoss):
    """Huber loss; see ``huber``."""

    fn = staticmethod(huber)
    default_name = "huber_loss"

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size",
                 name: str | None = None):
        super().__init__(name, reduction, delta=float(delta))


_BY_NAME = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber,
}


def get(identifier) -> Loss:
    """A ``Loss`` from a name (``"mse"``, ``"sparse_categorical_crossentropy"``, ...), a
    ``Loss`` (returned as is), a ``Loss`` class, or a function ``f(y_true, y_pred)`` of
    per-sample losses (wrapped in a ``LossFunctionWrapper``)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_NAME.get(snake_case(identifier))
        if cls is None:
            raise ValueError(f"losses.get: unknown loss {identifier!r}; known names are "
                             f"{sorted(_BY_NAME)}{user_line()}")
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"losses.get: expected a loss name, a Loss or a function "
                    f"f(y_true, y_pred), got {identifier!r}{user_line()}")

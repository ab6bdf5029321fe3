"""Accuracies: Keras's per-sample functions (``accuracy``, ``categorical_accuracy``, top-k,
...) and the mean metrics over them (``Accuracy``, ``SparseTopKCategoricalAccuracy``, ...)."""
from __future__ import annotations

from .. import numpy as jnp
from ..core.source_info import user_line
from ..losses import aligned, sparse_labels
from .base import BuiltinMean


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


class Accuracy(BuiltinMean):
    """How often ``y_pred`` equals ``y_true`` exactly."""
    fn, default_name = staticmethod(accuracy), "accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(BuiltinMean):
    """How often ``y_pred > threshold`` matches the binary ``y_true``."""
    fn, default_name = staticmethod(binary_accuracy), "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold: float = 0.5):
        super().__init__(name, dtype, threshold=float(threshold))


class CategoricalAccuracy(BuiltinMean):
    """How often the argmax of ``y_pred`` matches that of one-hot ``y_true``."""
    fn, default_name = staticmethod(categorical_accuracy), "categorical_accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(BuiltinMean):
    """How often the argmax of ``y_pred`` equals the integer label."""
    fn, default_name = staticmethod(sparse_categorical_accuracy), "sparse_categorical_accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class TopKCategoricalAccuracy(BuiltinMean):
    """How often the one-hot target is in the top ``k`` predictions (ties at the k-th
    score count as hits)."""
    fn, default_name = staticmethod(top_k_categorical_accuracy), "top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name=None, dtype=None):
        super().__init__(name, dtype, k=int(k))


class SparseTopKCategoricalAccuracy(BuiltinMean):
    """How often the integer label is in the top ``k`` predictions (ties at the k-th score
    count as hits)."""
    fn = staticmethod(sparse_top_k_categorical_accuracy)
    default_name = "sparse_top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name=None, dtype=None):
        super().__init__(name, dtype, k=int(k))

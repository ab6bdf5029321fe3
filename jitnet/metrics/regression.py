"""Regression metrics: the weighted means of Keras's ``MeanSquaredError``,
``MeanAbsoluteError`` and ``RootMeanSquaredError``."""
from __future__ import annotations

from .. import numpy as jnp
from .. import losses as _losses
from .base import BuiltinMean


class MeanSquaredError(BuiltinMean):
    """Mean of ``(y_true - y_pred) ** 2``."""
    fn, default_name = staticmethod(_losses.mean_squared_error), "mean_squared_error"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(BuiltinMean):
    """Mean of ``|y_true - y_pred|``."""
    fn, default_name = staticmethod(_losses.mean_absolute_error), "mean_absolute_error"

    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)


class RootMeanSquaredError(MeanSquaredError):
    """``sqrt`` of the mean squared error (over everything seen, not a mean of roots)."""
    default_name = "root_mean_squared_error"

    def _result(self, state):
        return jnp.sqrt(super()._result(state))

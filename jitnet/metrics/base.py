"""The ``Metric`` base class (functional ``init``/``update``/``result`` over a pytree state,
plus Keras's stateful interface; hashable by configuration) and the weighted means every
per-sample metric is: ``Mean``, ``MeanMetricWrapper``."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..losses import broadcast_weights, divide_no_nan, snake_case, weighted


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


class BuiltinMean(MeanMetricWrapper):
    """A Keras mean metric class: fixed function, config = its arguments."""

    fn = None
    default_name = None

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(type(self).fn, name if name is not None else self.default_name,
                         dtype, **kwargs)

    def _key(self):
        return Metric._key(self)

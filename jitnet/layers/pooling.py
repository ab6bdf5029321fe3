"""Pooling layers (channels last): max and average pooling over windows, and global pooling.

Average pooling with "same" padding divides each window by the number of real (unpadded)
elements in it, as Keras does; those counts depend only on shapes, so they are computed
once with NumPy and enter the program as a constant.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp
from .conv import normalize_padding, normalize_tuple
from .module import Layer, expect_rank


class _Pooling(Layer):
    rank = 0

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None, **kw):
        super().__init__(name=name, **kw)
        kind, n = type(self).__name__, self.rank
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{kind}: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        self.pool_size = normalize_tuple(pool_size, n, "pool_size", kind)
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, n, "strides", kind)
        self.padding = normalize_padding(padding, kind)

    def _window(self):
        return (1,) + self.pool_size + (1,), (1,) + self.strides + (1,)

    def _check_inputs(self, inputs):
        expect_rank(self, inputs[0], self.rank + 2)


class _MaxPooling(_Pooling):
    def call(self, x):
        window, strides = self._window()
        return lax.reduce_window(x, -jnp.inf, lax.max, window, strides, self.padding.upper())


class _AveragePooling(_Pooling):
    def call(self, x):
        window, strides = self._window()
        pad = self.padding.upper()
        sums = lax.reduce_window(x, 0.0, lax.add, window, strides, pad)
        if pad == "VALID":
            return sums / float(np.prod(self.pool_size))
        counts = _window_counts(tuple(x.shape[1:-1]), self.pool_size, self.strides)
        return sums / jnp.asarray(counts[None, ..., None], x.dtype)


def _window_counts(shape, pool, strides) -> np.ndarray:
    """How many real elements each "same"-padded window holds: a product over the axes."""
    out = np.ones((), np.float64)
    for n, k, s, (lo, _) in zip(shape, pool, strides, lax.padtype_to_pads(shape, pool, strides,
                                                                          "SAME")):
        starts = np.arange(-(-n // s)) * s - lo
        per_axis = np.minimum(starts + k, n) - np.maximum(starts, 0)
        out = np.multiply.outer(out, per_axis)
    return out


class MaxPooling1D(_MaxPooling):
    """Max over windows of ``pool_size`` steps of (batch, steps, channels)."""
    rank = 1


class MaxPooling2D(_MaxPooling):
    """Max over ``pool_size`` windows of (batch, height, width, channels); ``strides``
    defaults to ``pool_size``."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kw):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kw)


class AveragePooling1D(_AveragePooling):
    """Mean over windows of ``pool_size`` steps of (batch, steps, channels)."""
    rank = 1


class AveragePooling2D(_AveragePooling):
    """Mean over ``pool_size`` windows of (batch, height, width, channels); with "same"
    padding, windows at the border average their real elements only."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kw):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kw)


class _GlobalPooling(Layer):
    rank = 0

    def __init__(self, data_format=None, keepdims: bool = False, name=None, **kw):
        super().__init__(name=name, **kw)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is "
                             f"supported, got {data_format!r}")
        self.keepdims = bool(keepdims)

    def _check_inputs(self, inputs):
        expect_rank(self, inputs[0], self.rank + 2)

    def call(self, x):
        return self._reduce(x, axis=tuple(range(1, self.rank + 1)), keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """(batch, steps, channels) -> (batch, channels): the mean over steps."""
    rank = 1
    _reduce = staticmethod(jnp.mean)


class GlobalAveragePooling2D(_GlobalPooling):
    """(batch, height, width, channels) -> (batch, channels): the mean over positions."""
    rank = 2
    _reduce = staticmethod(jnp.mean)


class GlobalMaxPooling1D(_GlobalPooling):
    """(batch, steps, channels) -> (batch, channels): the max over steps."""
    rank = 1
    _reduce = staticmethod(jnp.max)


class GlobalMaxPooling2D(_GlobalPooling):
    """(batch, height, width, channels) -> (batch, channels): the max over positions."""
    rank = 2
    _reduce = staticmethod(jnp.max)


MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D

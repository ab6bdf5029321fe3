"""Spatial reshaping layers (channels last): UpSampling, ZeroPadding, Cropping in 1D/2D."""
from __future__ import annotations

from .. import numpy as jnp
from .conv import normalize_tuple
from .module import Layer, expect_rank


def _pairs(value, n: int, what: str, kind: str) -> tuple:
    """Keras's padding/cropping argument: an int (all sides), n ints (symmetric per axis) or
    n (before, after) pairs -> n pairs of non-negative ints."""
    if isinstance(value, int):
        value = (value,) * n
    value = tuple(value)
    if n == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        value = (value,)                                # 1D: (left, right)
    pairs = tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)
    if len(pairs) != n or any(len(p) != 2 or not all(isinstance(a, int) and a >= 0 for a in p)
                              for p in pairs):
        raise ValueError(f"{kind}: {what} must be an int, {n} ints or {n} (before, after) "
                         f"pairs of non-negative ints, got {value!r}")
    return pairs


class _Spatial(Layer):
    rank = 0

    def _check_inputs(self, inputs):
        expect_rank(self, inputs[0], self.rank + 2)


class _UpSampling(_Spatial):
    def __init__(self, size, interpolation: str = "nearest", name=None, **kw):
        super().__init__(name=name, **kw)
        kind = type(self).__name__
        self.size = normalize_tuple(size, self.rank, "size", kind)
        if interpolation != "nearest":
            raise ValueError(f"{kind}: only interpolation='nearest' is implemented, "
                             f"got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, x):
        for axis, s in enumerate(self.size, start=1):
            if s > 1:
                x = jnp.repeat(x, s, axis=axis)
        return x


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: (batch, steps, c) -> (batch, steps * size, c)."""
    rank = 1

    def __init__(self, size=2, name=None, **kw):
        super().__init__(size, name=name, **kw)


class UpSampling2D(_UpSampling):
    """Repeats rows and columns ``size`` times (nearest neighbour)."""
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None, **kw):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"UpSampling2D: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        super().__init__(size, interpolation, name=name, **kw)


class _ZeroPadding(_Spatial):
    def __init__(self, padding, name=None, **kw):
        super().__init__(name=name, **kw)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)

    def call(self, x):
        return jnp.pad(x, ((0, 0),) + self.padding + ((0, 0),))


class ZeroPadding1D(_ZeroPadding):
    """Zeros before/after the steps: ``padding`` an int or (left, right)."""
    rank = 1

    def __init__(self, padding=1, name=None, **kw):
        super().__init__(padding, name=name, **kw)


class ZeroPadding2D(_ZeroPadding):
    """Zero rows/columns around the image: ``padding`` an int, (rows, cols) or
    ((top, bottom), (left, right))."""
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, name=None, **kw):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"ZeroPadding2D: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        super().__init__(padding, name=name, **kw)


class _Cropping(_Spatial):
    def __init__(self, cropping, name=None, **kw):
        super().__init__(name=name, **kw)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)

    def _check_inputs(self, inputs):
        super()._check_inputs(inputs)
        x = inputs[0]
        for n, (a, b) in zip(x.shape[1:-1], self.cropping):
            if a + b >= n:
                raise ValueError(f"{self.label}: cropping {self.cropping} leaves nothing "
                                 f"of inputs of shape {tuple(x.shape)}")

    def call(self, x):
        index = tuple(slice(a, n - b) for n, (a, b) in zip(x.shape[1:-1], self.cropping))
        return x[(slice(None),) + index]


class Cropping1D(_Cropping):
    """Drops steps at the start/end: ``cropping`` an int or (start, end)."""
    rank = 1

    def __init__(self, cropping=(1, 1), name=None, **kw):
        super().__init__(cropping, name=name, **kw)


class Cropping2D(_Cropping):
    """Drops rows/columns at the borders: ``cropping`` an int, (rows, cols) or
    ((top, bottom), (left, right))."""
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, name=None, **kw):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Cropping2D: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        super().__init__(cropping, name=name, **kw)

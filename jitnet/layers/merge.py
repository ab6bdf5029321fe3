"""Layers that merge several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate."""
from __future__ import annotations

import functools

from .. import numpy as jnp
from .module import Layer


class _Merge(Layer):
    _op = None

    def __call__(self, *inputs, **kw):
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])          # Keras passes merge inputs as one list
        return super().__call__(*inputs, **kw)

    def _check_inputs(self, inputs):
        shapes = [tuple(x.shape) for x in inputs]
        if len(inputs) < 2:
            raise ValueError(f"{self.label} needs at least 2 inputs")
        if not self._compatible(shapes):
            raise ValueError(f"{self.label}: incompatible input "
                             f"shapes {shapes}")

    def _compatible(self, shapes):
        return all(s == shapes[0] for s in shapes)

    def call(self, *xs):
        return self._merge(xs)

    def _merge(self, xs):
        return functools.reduce(type(self)._op, xs)


class Add(_Merge):
    _op = staticmethod(lambda a, b: a + b)


class Subtract(_Merge):
    def _merge(self, xs):
        if len(xs) != 2:
            raise ValueError(f"{self.label} takes exactly 2 inputs, got {len(xs)}")
        return xs[0] - xs[1]


class Multiply(_Merge):
    _op = staticmethod(lambda a, b: a * b)


class Maximum(_Merge):
    _op = staticmethod(jnp.maximum)


class Minimum(_Merge):
    _op = staticmethod(jnp.minimum)


class Average(_Merge):
    def _merge(self, xs):
        return functools.reduce(lambda a, b: a + b, xs) / len(xs)


class Concatenate(_Merge):
    """Concatenates along ``axis`` (default the last); other dimensions must agree."""

    def __init__(self, axis: int = -1, name=None, **kw):
        super().__init__(name=name, **kw)
        self.axis = axis

    def _compatible(self, shapes):
        rank = len(shapes[0])
        ax = self.axis % rank
        return all(len(s) == rank and all(a == b for i, (a, b) in enumerate(zip(s, shapes[0]))
                                          if i != ax) for s in shapes)

    def _merge(self, xs):
        return jnp.concatenate(xs, axis=self.axis)

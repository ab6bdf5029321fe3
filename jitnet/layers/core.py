"""Core layers: Dense, Activation, Flatten, Reshape, Dropout, Lambda, Identity."""
from __future__ import annotations

import math

from .. import numpy as jnp
from .. import random
from .module import Layer, expect_rank
from .resolve import get_activation


class Dense(Layer):
    """``activation(x @ kernel + bias)`` over the last axis; kernel shape (in, units)."""

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None,
                 trainable: bool = True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activation
        get_activation(activation)               # fail now on an unknown name
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"{self.label} expects inputs of rank >= 2 (batch, ..., "
                             f"features), got shape {tuple(input_shape)}")
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)

    def _check_inputs(self, inputs):
        expect_rank(self, inputs[0], range(2, 9))
        if inputs[0].shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{self.label} was built for {self.kernel.shape[0]} input "
                             f"features, got shape {tuple(inputs[0].shape)}")

    def call(self, x):
        y = x @ self.kernel
        if self.use_bias:
            y = y + self.bias
        act = get_activation(self.activation)
        return y if act is None else act(y)


class Activation(Layer):
    """Applies an activation (a Keras name such as "relu", or a function)."""

    def __init__(self, activation, name=None, **kw):
        super().__init__(name=name, **kw)
        get_activation(activation)
        self.activation = activation

    def call(self, x):
        act = get_activation(self.activation)
        return x if act is None else act(x)


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def call(self, x):
        expect_rank(self, x, range(1, 9))
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, name=None, **kw):
        super().__init__(name=name, **kw)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, x):
        n = math.prod(x.shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if (-1 not in self.target_shape and known != n) or (known == 0 or n % known):
            raise ValueError(f"{self.label}: cannot reshape samples of shape "
                             f"{tuple(x.shape[1:])} to {self.target_shape}")
        return x.reshape((x.shape[0],) + self.target_shape)


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the inputs in training and scales the rest by
    1 / (1 - rate); the identity in inference. Keys come from the pass's ``Context``.

    ``rate`` may be set to a float32 scalar array after construction: it is then a pytree
    leaf, a traced value rather than configuration (``train.Population`` gives each member
    its own rate that way, in one compiled step)."""

    def __init__(self, rate: float, noise_shape=None, name=None, **kw):
        super().__init__(name=name, **kw)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, x, ctx):
        if not ctx.training or (isinstance(self.rate, float) and self.rate == 0.0):
            return x
        shape = x.shape if self.noise_shape is None else tuple(
            x.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        keep = random.bernoulli(ctx.next_key(self.label), 1.0 - self.rate, shape)
        return jnp.where(keep, x / (1.0 - self.rate), jnp.zeros_like(x))


class Lambda(Layer):
    """Wraps a function of the inputs (no weights)."""

    def __init__(self, function, name=None, **kw):
        super().__init__(name=name, **kw)
        self.function = function

    def call(self, *xs):
        return self.function(*xs)


class Identity(Layer):
    def call(self, x):
        return x

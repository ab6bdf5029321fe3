"""Normalization layers: BatchNormalization (with moving statistics as state) and
LayerNormalization."""
from __future__ import annotations

from .. import lax
from .. import numpy as jnp
from .module import Layer


def _axes(axis, rank: int, layer: Layer) -> tuple:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if not axes or any(not -rank <= a < rank for a in axes):
        raise ValueError(f"{layer.label}: axis {axis!r} is out of range for inputs of "
                         f"rank {rank}")
    return tuple(sorted(a % rank for a in axes))


def _param_shape(shape, axes) -> tuple:
    return tuple(int(shape[a]) for a in axes)


def _broadcastable(v, rank: int, axes):
    """``v`` of the normalized axes' shape, reshaped to broadcast against the input."""
    shape = [1] * rank
    for a, d in zip(axes, v.shape):
        shape[a] = d
    return v.reshape(tuple(shape))


class BatchNormalization(Layer):
    """Normalizes each feature (``axis``) over the batch (and any other axes).

    Training (``training=True`` and the layer trainable) uses the batch mean and biased
    variance and records ``moving = moving * momentum + batch * (1 - momentum)`` through
    ``ctx.set_state``; inference uses the moving statistics. ``gamma``/``beta`` are trainable,
    ``moving_mean``/``moving_variance`` are non-trainable state."""

    def __init__(self, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", name=None, trainable: bool = True,
                 dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.axis = axis if isinstance(axis, int) else tuple(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer

    def build(self, input_shape):
        shape = _param_shape(input_shape, _axes(self.axis, len(input_shape), self))
        if self.scale:
            self.add_weight("gamma", shape, self.gamma_initializer)
        if self.center:
            self.add_weight("beta", shape, self.beta_initializer)
        self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", shape, self.moving_variance_initializer,
                        trainable=False)

    def _check_inputs(self, inputs):
        x = inputs[0]
        axes = _axes(self.axis, x.ndim, self)
        if _param_shape(x.shape, axes) != tuple(self.moving_mean.shape):
            raise ValueError(f"{self.label} was built for features of shape "
                             f"{tuple(self.moving_mean.shape)} on axis {self.axis}, got inputs "
                             f"of shape {tuple(x.shape)}")

    def call(self, x, ctx):
        rank = x.ndim
        axes = _axes(self.axis, rank, self)
        reduce = tuple(a for a in range(rank) if a not in axes)
        if ctx.training and self.trainable:
            mean = jnp.mean(x, axis=reduce)
            var = jnp.mean(jnp.square(x - _broadcastable(mean, rank, axes)), axis=reduce)
            m = self.momentum
            ctx.set_state(self,
                          moving_mean=self.moving_mean * m + lax.stop_gradient(mean) * (1 - m),
                          moving_variance=self.moving_variance * m
                          + lax.stop_gradient(var) * (1 - m))
        else:
            mean, var = self.moving_mean, self.moving_variance
        inv = lax.rsqrt(var + self.epsilon)
        if self.scale:
            inv = inv * self.gamma
        y = (x - _broadcastable(mean, rank, axes)) * _broadcastable(inv, rank, axes)
        if self.center:
            y = y + _broadcastable(self.beta, rank, axes)
        return y


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (default the last): ``(x - mean) / sqrt(var +
    epsilon) * gamma + beta`` with the biased variance; gamma/beta have the shape of ``axis``."""

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", name=None,
                 trainable: bool = True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.axis = axis if isinstance(axis, int) else tuple(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer

    def build(self, input_shape):
        shape = _param_shape(input_shape, _axes(self.axis, len(input_shape), self))
        if self.scale:
            self.add_weight("gamma", shape, self.gamma_initializer)
        if self.center:
            self.add_weight("beta", shape, self.beta_initializer)

    def _check_inputs(self, inputs):
        x = inputs[0]
        want = getattr(self, "gamma", getattr(self, "beta", None))
        axes = _axes(self.axis, x.ndim, self)
        if want is not None and _param_shape(x.shape, axes) != tuple(want.shape):
            raise ValueError(f"{self.label} was built for features of shape "
                             f"{tuple(want.shape)} on axis {self.axis}, got inputs of shape "
                             f"{tuple(x.shape)}")

    def call(self, x):
        rank = x.ndim
        axes = _axes(self.axis, rank, self)
        mean = jnp.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        var = jnp.mean(jnp.square(centered), axis=axes, keepdims=True)
        y = centered * lax.rsqrt(var + self.epsilon)
        if self.scale:
            y = y * _broadcastable(self.gamma, rank, axes)
        if self.center:
            y = y + _broadcastable(self.beta, rank, axes)
        return y

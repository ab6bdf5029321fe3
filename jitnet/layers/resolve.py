"""Keras's string names for activations and initializers, resolved to jitnet functions."""
from __future__ import annotations

from typing import Callable

from .. import nn, random
from ..nn import initializers as inits

_ACTIVATIONS = {
    None: None, "linear": None, "relu": nn.relu, "relu6": nn.relu6, "sigmoid": nn.sigmoid,
    "tanh": nn.tanh, "softmax": nn.softmax, "log_softmax": nn.log_softmax, "elu": nn.elu,
    "selu": nn.selu, "gelu": nn.gelu, "silu": nn.silu, "swish": nn.silu, "softplus": nn.softplus,
    "softsign": nn.soft_sign, "leaky_relu": nn.leaky_relu, "mish": nn.mish,
    "hard_sigmoid": nn.hard_sigmoid, "hard_silu": nn.hard_silu, "exponential": None,
}


def _random_uniform(key, shape, dtype):
    """Keras's RandomUniform(): uniform in [-0.05, 0.05)."""
    return random.uniform(key, shape, dtype, minval=-0.05, maxval=0.05)


_INITIALIZERS = {
    "zeros": lambda: inits.zeros, "ones": lambda: inits.ones,
    "glorot_uniform": inits.glorot_uniform, "glorot_normal": inits.glorot_normal,
    "he_uniform": inits.he_uniform, "he_normal": inits.he_normal,
    "lecun_uniform": inits.lecun_uniform, "lecun_normal": inits.lecun_normal,
    "orthogonal": inits.orthogonal,
    "random_normal": lambda: inits.normal(0.05), "random_uniform": lambda: _random_uniform,
    "uniform": lambda: _random_uniform,
    "truncated_normal": lambda: inits.truncated_normal(0.05),
}


def get_activation(identifier) -> Callable | None:
    """``None``/"linear" -> None (identity); a Keras name -> the ``jitnet.nn`` function;
    a callable passes through."""
    if callable(identifier):
        return identifier
    if identifier == "exponential":
        from .. import numpy as jnp
        return jnp.exp
    try:
        return _ACTIVATIONS[identifier]
    except (KeyError, TypeError):
        names = ", ".join(sorted(k for k in _ACTIVATIONS if k))
        raise ValueError(f"unknown activation {identifier!r}; known: {names}") from None


def get_initializer(identifier) -> Callable:
    """A Keras initializer name or an ``init(key, shape, dtype)`` function."""
    if callable(identifier):
        return identifier
    try:
        return _INITIALIZERS[identifier]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown initializer {identifier!r}; known: "
                         f"{', '.join(sorted(_INITIALIZERS))}") from None

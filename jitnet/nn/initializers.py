"""``jitnet.nn.initializers``: JAX's parameter initializers, value for value.

Factories (``normal(stddev)``, ``variance_scaling(...)``, ...) return
``init(key, shape, dtype=None)``; ``zeros``/``ones`` are initializers themselves.
They draw from ``jitnet.random`` with the same calls JAX makes, so the same key
gives the same weights as ``jax.nn.initializers``. ``dtype=None`` means the
default float type (float64 under x64).
"""
from __future__ import annotations

import math

import numpy as np

from ..core.dtypes import kind_of
from .. import numpy as jnp
from .. import random
from ..core import dtypes
from ..numpy.util import to_dtype
from ..random.keys import canonicalize_shape

__all__ = ["zeros", "ones", "constant", "uniform", "normal", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform",
           "xavier_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal"]


def _dtype(dtype):
    return dtypes.default_float() if dtype is None else to_dtype(dtype)


def zeros(key, shape, dtype=None):
    """All zeros (the key is ignored)."""
    return jnp.zeros(canonicalize_shape(shape), _dtype(dtype))


def ones(key, shape, dtype=None):
    """All ones (the key is ignored)."""
    return jnp.ones(canonicalize_shape(shape), _dtype(dtype))


def constant(value, dtype=None):
    """Arrays filled with ``value``."""
    def init(key, shape, dtype=dtype):
        return jnp.full(canonicalize_shape(shape), value, dtype=_dtype(dtype))
    return init


def uniform(scale=1e-2, dtype=None):
    """Uniform values in ``[0, scale)``."""
    def init(key, shape, dtype=dtype):
        dt = _dtype(dtype)
        return random.uniform(key, shape, dt) * jnp.array(scale, dt)
    return init


def normal(stddev=1e-2, dtype=None):
    """Normal values with mean 0 and standard deviation ``stddev``."""
    def init(key, shape, dtype=dtype):
        dt = _dtype(dtype)
        return random.normal(key, shape, dt) * jnp.array(stddev, dt)
    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """A standard normal truncated to ``(lower, upper)``, then scaled by ``stddev`` (no
    variance correction: that is ``variance_scaling``'s job)."""
    def init(key, shape, dtype=dtype):
        dt = _dtype(dtype)
        return random.truncated_normal(key, lower, upper, shape, dt) * jnp.array(stddev, dt)
    return init


def _axes_size(shape, axes):
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """(fan_in, fan_out): the in/out sizes times the receptive field (all other axes but
    ``batch_axis``), as floats like JAX."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         f"weights tensor with default in_axis. Must be at least 2D or specify "
                         f"in_axis explicitly.")
    in_size = _axes_size(shape, in_axis)
    out_size = _axes_size(shape, out_axis)
    batch_size = _axes_size(shape, batch_axis)
    receptive_field = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field, out_size * receptive_field


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None):
    """Samples with variance ``scale / n``, ``n`` the fan chosen by ``mode``.

    ``distribution``: ``"truncated_normal"`` (truncated at +-2 and rescaled to the
    target standard deviation), ``"normal"`` or ``"uniform"``.
    """
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: "
                         f"{distribution}")

    def init(key, shape, dtype=dtype):
        shape = canonicalize_shape(shape)
        dt = _dtype(dtype)
        if kind_of(dt) != "f":
            raise NotImplementedError(f"variance_scaling: dtype {dt} is not supported "
                                      f"(jitnet supports real float dtypes here)")
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        variance = jnp.array(scale / denominator, dtype=dt)
        if distribution == "truncated_normal":
            # .8796... is the standard deviation of a standard normal truncated to (-2, 2)
            stddev = jnp.sqrt(variance) / jnp.array(.87962566103423978, dt)
            return random.truncated_normal(key, -2, 2, shape, dt) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dt) * jnp.sqrt(variance)
        return random.uniform(key, shape, dt, -1) * jnp.sqrt(3 * variance)
    return init


def _specialize(scale, mode, distribution, doc):
    def factory(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
        return variance_scaling(scale, mode, distribution, in_axis=in_axis,
                                out_axis=out_axis, batch_axis=batch_axis, dtype=dtype)
    factory.__doc__ = doc
    return factory


glorot_uniform = _specialize(1.0, "fan_avg", "uniform", "Glorot/Xavier uniform: "
                             "variance_scaling(1.0, 'fan_avg', 'uniform').")
glorot_uniform.__name__ = "glorot_uniform"
glorot_normal = _specialize(1.0, "fan_avg", "truncated_normal", "Glorot/Xavier normal: "
                            "variance_scaling(1.0, 'fan_avg', 'truncated_normal').")
glorot_normal.__name__ = "glorot_normal"
lecun_uniform = _specialize(1.0, "fan_in", "uniform", "LeCun uniform: "
                            "variance_scaling(1.0, 'fan_in', 'uniform').")
lecun_uniform.__name__ = "lecun_uniform"
lecun_normal = _specialize(1.0, "fan_in", "truncated_normal", "LeCun normal: "
                           "variance_scaling(1.0, 'fan_in', 'truncated_normal').")
lecun_normal.__name__ = "lecun_normal"
he_uniform = _specialize(2.0, "fan_in", "uniform", "He/Kaiming uniform: "
                         "variance_scaling(2.0, 'fan_in', 'uniform').")
he_uniform.__name__ = "he_uniform"
he_normal = _specialize(2.0, "fan_in", "truncated_normal", "He/Kaiming normal: "
                        "variance_scaling(2.0, 'fan_in', 'truncated_normal').")
he_normal.__name__ = "he_normal"
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """(Semi-)orthogonal matrices: the axis ``column_axis`` against all other axes
    flattened, scaled by ``scale``."""
    def init(key, shape, dtype=dtype):
        shape = canonicalize_shape(shape)
        dt = _dtype(dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if any(d == 0 for d in shape):
            return jnp.zeros(shape, dtype=dt)
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        q = random.orthogonal(key, n_rows, (), dt, n_cols)
        q = jnp.reshape(q, tuple(np.delete(shape, column_axis)) + (n_cols,))
        q = jnp.moveaxis(q, -1, column_axis)
        return jnp.array(scale, dt) * q
    return init

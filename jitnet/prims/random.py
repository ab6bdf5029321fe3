"""threefry2x32_iota: Threefry-2x32 random bits over counters, one primitive.

Traced as ``lax`` operations, the hash was ~100 elementwise equations per call (20 rounds
of add, rotate, xor), fused and compiled into every program that draws random numbers. As
one primitive it is one call of a kernel compiled once per machine (``kernels/random.py``;
a grid loop on CUDA); its impl, the kernel and the CUDA lowering run the same hash
(``core/threefry.py``).

``threefry2x32_iota(key, start, shape)``: ``key`` uint32 ``(*B, 2)`` (B: a batch of keys,
from vmap), ``start`` uint32 of shape ``B`` or 0-d (one for every key). Two uint32 outputs
of shape ``B + shape``: element n (row-major flat index) of key b's outputs is the hash
of the 64-bit counter ``start[b] + n`` split into its (hi, lo) words, JAX's partitionable
layout (``random/threefry.py``). Integer outputs: no derivative.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.adtypes import Zero
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive
from ..core.threefry import counters, threefry2x32_20
from ..trace.tracer import bind
from .util import (broadcast_batch, dtype_error, get_aval, shape_error, shape_str,
                   tangent_aval)

_U32 = np.dtype(np.uint32)
MAX_COUNTERS = 2 ** 32  # per key: far beyond what the runtime can hold (checked, not assumed)


def _shape_rule(key, start, *, shape):
    if key.dtype != _U32 or start.dtype != _U32:
        raise dtype_error(f"threefry2x32_iota: key and start must be uint32, got "
                          f"{key.dtype} and {start.dtype}")
    if key.shape[-1:] != (2,):
        raise shape_error(f"threefry2x32_iota: key must have shape (..., 2), got "
                          f"{shape_str(key.shape)}")
    batch = tuple(key.shape[:-1])
    if start.shape and tuple(start.shape) != batch:
        raise shape_error(f"threefry2x32_iota: start must be 0-d or have the key batch shape "
                          f"{shape_str(batch)}, got {shape_str(start.shape)}")
    if any(d < 0 for d in shape):
        raise shape_error(f"threefry2x32_iota: negative dimension in shape {shape_str(shape)}")
    if math.prod(shape) > MAX_COUNTERS:
        raise NotImplementedError(f"random values for {math.prod(shape)} elements (more than "
                                  f"2**32) are not supported")
    out = ShapedArray(batch + tuple(shape), _U32)
    return [out, out]


def _impl(key, start, *, shape):
    """The NumPy reference: the hash on uint64 arrays."""
    batch = key.shape[:-1]
    k = key.astype(np.uint64)[..., None, :]
    s = np.broadcast_to(start, batch).astype(np.uint64)[..., None]
    hi, lo = counters(s, np.arange(math.prod(shape), dtype=np.uint64))
    x0, x1 = threefry2x32_20(k[..., 0], k[..., 1], hi, lo)
    return [np.broadcast_to(x, batch + (math.prod(shape),)).astype(_U32).reshape(
        batch + tuple(shape)) for x in (x0, x1)]


def _jvp(primals, tangents, *, shape):
    outs = bind(threefry2x32_iota_p, *primals, shape=shape)
    return outs, [Zero(tangent_aval(get_aval(o))) for o in outs]


def _batch(args, dims, *, shape):
    key, start = args
    kd, sd = dims
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    key = broadcast_batch(key, kd, size)
    # a 0-d start serves every key as it is; one per key follows the keys' batch
    start = start if sd is None and not start.shape else broadcast_batch(start, sd, size)
    outs = bind(threefry2x32_iota_p, key, start, shape=shape)
    return outs, [0, 0]


threefry2x32_iota_p = Primitive("threefry2x32_iota", multiple_results=True, kind=OP)
threefry2x32_iota_p.impl = _impl
threefry2x32_iota_p.shape_rule = _shape_rule
threefry2x32_iota_p.jvp = _jvp
threefry2x32_iota_p.batch = _batch


def threefry2x32_iota(key, shape, start=np.uint32(0)):
    """The two Threefry words of counters ``start``, ``start + 1``, ... (row-major over
    ``shape``) under each key of ``key`` (uint32 ``(*B, 2)``)."""
    shape = tuple(int(d) for d in shape)
    return tuple(bind(threefry2x32_iota_p, key, start, shape=shape))

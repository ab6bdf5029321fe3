"""Array types: the abstract ``Array`` every jitnet value is, and ``ArrayImpl``, a concrete one.

``Array`` carries the NumPy-style methods and operators (installed by
``jitnet.numpy.array_methods``), so eager arrays and tracers behave the same.
``ArrayImpl`` wraps a read-only NumPy array: ``np.asarray`` returns it without a
copy, and it prints like JAX's arrays.
"""
from __future__ import annotations

import numpy as np

from ..core.aval import ShapedArray
from ..core.sharding import CpuDevice, SingleDeviceSharding


class Array:
    """Base class of jitnet arrays and tracers (``isinstance(x, jitnet.Array)``)."""

    __slots__ = ()
    __array_priority__ = 100  # NumPy operators defer to ours: np_array + jitnet_array -> jitnet

    # Hook for concrete arrays that live off the host (runtime/devices.py): a type setting it
    # runs eager primitives on its device (``_eager_bind(prim, args, params)``) instead of
    # NumPy, and traces capture its values as constants.
    _eager_bind = None

    ndim = property(lambda self: len(self.shape))

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __hash__(self):
        raise TypeError(f"unhashable type: '{type(self).__name__}' (jitnet arrays are mutable-"
                        "looking values; use a tuple or a Python scalar as a key)")


class ArrayImpl(Array):
    """A concrete array on the host: a read-only NumPy array plus JAX's weak-type flag."""

    __slots__ = ("_value", "weak_type", "_key")

    def __init__(self, value: np.ndarray, weak_type: bool = False, key=None):
        if value.flags.writeable:
            value.flags.writeable = False
        self._value = value
        self.weak_type = weak_type
        self._key = key  # jit's cache key for this value (shape, dtype, weak), set lazily

    @classmethod
    def borrow(cls, value: np.ndarray, weak_type: bool = False) -> "ArrayImpl":
        """Wrap a caller's NumPy array without taking its writability away: wrapping makes
        the value read-only, so a writable array is wrapped through a read-only view."""
        if value.flags.writeable:
            value = value.view()
        return cls(value, weak_type)

    shape = property(lambda self: self._value.shape)
    dtype = property(lambda self: self._value.dtype)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._value.size)

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self._value.shape, self._value.dtype, self.weak_type)

    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and np.dtype(dtype) != v.dtype:
            return v.astype(dtype)
        return v.copy() if copy else v

    def block_until_ready(self):
        return self

    def is_fully_replicated(self):
        return True

    @property
    def device(self):
        """The one CPU device a host array lives on (JAX's ``Array.device``)."""
        return CpuDevice(0)

    def devices(self) -> set:
        return {self.device}

    @property
    def sharding(self):
        """A ``SingleDeviceSharding`` on ``device``: jitnet arrays are never split."""
        return SingleDeviceSharding(self.device)

    def copy(self):
        return ArrayImpl(self._value.copy(), self.weak_type)

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return self._value.tolist()

    def tobytes(self, order="C"):
        return self._value.tobytes(order)

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if self._value.dtype.kind not in "iub":
            raise TypeError(f"only integer arrays can be used as an index, got {self.dtype}")
        return int(self._value)

    def __len__(self):
        if not self._value.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self._value.shape[0]

    def __iter__(self):
        if not self._value.shape:
            raise TypeError("iteration over a 0-d array")
        return (ArrayImpl(row, self.weak_type) for row in self._value)

    def __repr__(self):
        v = self._value
        body = np.array2string(v, separator=", ", prefix="Array(")
        dt = v.dtype.name
        extra = ", weak_type=True" if self.weak_type else ""
        if v.size == 0 and v.shape != (0,):
            return f"Array({body}, shape={v.shape}, dtype={dt}{extra})"
        return f"Array({body}, dtype={dt}{extra})"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        return format(self._value.item() if self._value.ndim == 0 else self._value, spec) \
            if spec else str(self)

    def __reduce__(self):
        return (_rebuild, (np.array(self._value), self.weak_type))

    def __dlpack__(self, *args, **kw):
        return self._value.__dlpack__(*args, **kw)

    def __dlpack_device__(self):
        return self._value.__dlpack_device__()


def _rebuild(value, weak_type):
    return ArrayImpl(value, weak_type)

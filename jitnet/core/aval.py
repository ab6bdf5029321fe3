"""Abstract values: what tracing knows about an array (shape, dtype, weak type)."""
from __future__ import annotations

import math
import os

import numpy as np

from . import dtypes


def _machine_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system: no limit
        return 1 << 62


# bytes of physical memory: no array may be larger (tests may lower it)
MEMORY_BYTES = _machine_memory()


def check_allocation(op: str, aval, where=lambda: "") -> None:
    """MemoryError for a result larger than the machine's memory, raised when the operation
    is applied or traced: NumPy would fail at some later allocation or, for a broadcast or
    a fused loop that never materializes it, compute over it for minutes. ``where()`` (the
    user's line) is only computed for the error: this runs for every eager operation."""
    nbytes = aval.size * aval.dtype.itemsize
    if nbytes > MEMORY_BYTES:
        raise MemoryError(f"{op}: a result of shape {tuple(aval.shape)} and dtype "
                          f"{aval.dtype.name} needs {nbytes / 2**30:.4g} GiB, more than this "
                          f"machine's memory ({MEMORY_BYTES / 2**30:.4g} GiB){where()}")


class ShapedArray:
    """Shape, dtype and weak-type flag of an array; immutable and hashable.

    Primitive shape rules receive objects with these three attributes (a
    ``ShapedArray``, a tracer or a concrete jitnet array), so eager execution
    need not build avals.
    """

    __slots__ = ("shape", "dtype", "weak_type", "_hash")

    def __init__(self, shape, dtype, weak_type: bool = False):
        if type(shape) is not tuple or not all(type(d) is int for d in shape):
            shape = tuple(int(d) for d in shape)
        self.shape = shape
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        self.weak_type = weak_type is True or bool(weak_type)
        self._hash = None

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def update(self, shape=None, dtype=None, weak_type=None) -> "ShapedArray":
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strip_weak_type(self) -> "ShapedArray":
        return self.update(weak_type=False) if self.weak_type else self

    def __eq__(self, other):
        return (isinstance(other, ShapedArray) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        h = self._hash
        if h is None:
            h = self._hash = hash((self.shape, self.dtype, self.weak_type))
        return h

    def str_short(self) -> str:
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short()}{weak})"


def aval_of(x) -> ShapedArray:
    """The abstract value of a jitnet array, tracer, NumPy value or Python scalar."""
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    dtype, weak = dtypes.dtype_and_weak(x)
    return ShapedArray(np.shape(x), dtype, weak)

"""``eval_shape``: the shapes and dtypes a function would return, without computing anything."""
from __future__ import annotations

from typing import Callable

from ..core.aval import ShapedArray
from ..core.pytree import tree_map
from ..trace.make_ir import make_ir


class ShapeDtypeStruct:
    """An abstract array (shape, dtype) that ``eval_shape`` and ``jit(...).lower`` accept."""

    __slots__ = ("shape", "dtype", "weak_type", "_sharding")

    def __init__(self, shape, dtype, *, sharding=None, weak_type: bool = False):
        import numpy as np
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self._sharding = sharding

    @property
    def sharding(self):
        """The layout given, else the whole array on the default device (jitnet's only one)."""
        if self._sharding is None:
            from ..core.sharding import SingleDeviceSharding
            from ..runtime.devices import devices
            return SingleDeviceSharding(devices()[0])
        return self._sharding

    ndim = property(lambda self: len(self.shape))

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


def _abstract(x):
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(x.shape, x.dtype)
    return x


def eval_shape(fun: Callable, *args, **kwargs):
    """Trace ``fun`` abstractly; returns a pytree of ``ShapeDtypeStruct`` like its output.

    Arguments may be arrays or ``ShapeDtypeStruct``s; no array is allocated or computed."""
    args, kwargs = tree_map(_abstract, (args, kwargs))
    ir, _, out_tree = make_ir(fun, *args, transform="eval_shape", **kwargs)
    outs = [ShapeDtypeStruct(a.shape, a.dtype) for a in ir.out_avals]
    return out_tree.unflatten(outs)

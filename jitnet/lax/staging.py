"""``lax`` names about values and traces rather than computation: ``stage`` (lift a value
into the active trace), ``dtype`` (the canonical dtype of a value or type),
``shape_as_value`` and ``dce_sink``."""
from __future__ import annotations

import numpy as np

from ..core import dtypes
from ..core.source_info import user_line
from ..core.pytree import tree_leaves
from ..prims import elementwise as ew
from ..prims.util import get_aval
from ..trace.array import ArrayImpl
from ..trace.tracer import bind
from .values import as_array


def stage(x, /):
    """The identity, recorded in the active trace (a tracer under ``jit``, a jitnet array
    outside any trace), so a Python scalar or NumPy array becomes a traced value."""
    x = as_array(x)
    a = get_aval(x)
    return bind(ew.convert_element_type_p, x, new_dtype=a.dtype, weak_type=a.weak_type)


def dtype(x):
    """The canonical dtype of a value (array, Python or NumPy scalar) or dtype-like:
    ``dtype(1.0)`` and, without x64, ``dtype(np.float64)`` are float32."""
    if isinstance(x, (list, tuple)):
        raise TypeError(f"lax.dtype: cannot determine the dtype of a {type(x).__name__} "
                        f"{x!r}; pass an array, scalar or dtype{user_line()}")
    return dtypes.dtype_and_weak(x)[0]


def shape_as_value(shape):
    """A shape as a 1-d integer array (int32 unless a dimension needs int64)."""
    shape = tuple(int(d) for d in shape)
    dt = dtypes.index_dtype(max(shape, default=0) + 1)
    return ArrayImpl(np.asarray(shape, dt).reshape(len(shape)))


def dce_sink(val, *, prevent_mlir_dce: bool = False):
    """JAX uses it to keep the computation of ``val`` from being removed as dead code.
    jitnet's programs have no side effects, so removing an unused value never changes a
    result: the call checks that ``val`` is a pytree of arrays and returns ``None``."""
    for leaf in tree_leaves(val):
        get_aval(leaf)
    return None

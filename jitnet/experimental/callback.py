"""``io_callback``, ``pure_callback``: call host Python from a computation. jitnet's compiled code cannot call
back into Python, so the callback runs when the values are concrete (eager code) and a
traced call raises an error saying so."""
from __future__ import annotations

from ..core.pytree import tree_leaves, tree_map
from ..core.source_info import user_line
from ..trace.tracer import Tracer, current_builder


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """``callback(*args, **kwargs)`` on concrete values, its results as jitnet arrays of
    ``result_shape_dtypes``' dtypes."""
    return _call_host(callback, result_shape_dtypes, args, kwargs, "io_callback")


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None,
                  **kwargs):
    """``jax.pure_callback``, on concrete values only (as ``io_callback``)."""
    return _call_host(callback, result_shape_dtypes, args, kwargs, "pure_callback")


def _call_host(callback, result_shape_dtypes, args, kwargs, what: str):
    # inside any trace (jit, grad, vmap, a cond's branches) the callback would run at trace
    # time, once, whatever the values: refuse
    if current_builder() is not None or any(isinstance(x, Tracer)
                                            for x in tree_leaves((args, kwargs))):
        raise NotImplementedError(
            f"{what}({getattr(callback, '__name__', callback)}): jitnet's compiled code "
            f"cannot call back into Python, so {what} only runs outside jit/grad/vmap "
            f"(on concrete values){user_line()}")
    from ..numpy import asarray
    out = callback(*args, **kwargs)
    return tree_map(lambda o, s: asarray(o, s.dtype), out, result_shape_dtypes)

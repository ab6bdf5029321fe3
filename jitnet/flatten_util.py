"""``jitnet.flatten_util.ravel_pytree``: a pytree of arrays as one flat vector and back."""
from __future__ import annotations

import numpy as np

from . import numpy as jnp
from .core.pytree import tree_flatten, tree_unflatten
from .core.source_info import user_line

__all__ = ["ravel_pytree"]


def ravel_pytree(pytree):
    """``(flat, unravel)``: the leaves raveled and concatenated into one 1-d array, and the
    function that maps such a vector back to a pytree of the original structure, shapes and
    dtypes.

    ``flat`` has the leaves' promoted dtype (float32 for an empty tree); ``unravel`` casts
    each piece back, so it is linear and differentiable, and ``grad`` of a function of the
    flat vector can be unraveled into a tree of gradients.
    """
    leaves, treedef = tree_flatten(pytree)
    leaves = [jnp.asarray(x) for x in leaves]
    shapes = [x.shape for x in leaves]
    dtypes = [x.dtype for x in leaves]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if leaves:
        dtype = jnp.result_type(*dtypes)
        flat = jnp.concatenate([jnp.ravel(x).astype(dtype) for x in leaves])
    else:
        dtype = jnp.zeros(()).dtype
        flat = jnp.zeros((0,), dtype)
    total = sum(sizes)
    splits = np.cumsum(sizes)[:-1].tolist()

    def unravel(vector):
        vector = jnp.asarray(vector)
        if vector.shape != (total,):
            raise ValueError(f"ravel_pytree's unravel: expected a vector of shape ({total},), "
                             f"got {vector.shape}{user_line()}")
        if vector.dtype != dtype:
            raise TypeError(f"ravel_pytree's unravel: expected a vector of dtype {dtype} (the "
                            f"raveled leaves' dtype), got {vector.dtype}{user_line()}")
        pieces = jnp.split(vector, splits) if leaves else []
        return tree_unflatten(treedef, [jnp.reshape(p, s).astype(d)
                                        for p, s, d in zip(pieces, shapes, dtypes)])

    return flat, unravel

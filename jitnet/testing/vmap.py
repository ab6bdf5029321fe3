"""``check_vmap``: ``vmap(f)`` against a Python loop over the mapped axis."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from ..core.pytree import tree_flatten, tree_map


def _slice(x, axis, i):
    return x if axis is None else np.take(np.asarray(x), i, axis=axis)


def check_vmap(f, batched_args, in_axes=0, out_axes=0, atol=1e-6, rtol=1e-6):
    """``vmap(f, in_axes, out_axes)(*batched_args)`` equals stacking ``f`` on each example."""
    from ..api import vmap
    axes = in_axes if isinstance(in_axes, (tuple, list)) else [in_axes] * len(batched_args)
    size = next(np.shape(a)[ax] for a, ax in zip(batched_args, axes) if ax is not None)
    out = vmap(f, in_axes=tuple(axes), out_axes=out_axes)(*batched_args)
    rows = [f(*[_slice(a, ax, i) for a, ax in zip(batched_args, axes)]) for i in range(size)]
    expected = tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs], axis=out_axes), *rows)
    for o, e in zip(tree_flatten(out)[0], tree_flatten(expected)[0]):
        o = np.asarray(o)
        assert o.shape == e.shape, f"vmap output shape {o.shape} != loop shape {e.shape}"
        assert o.dtype == e.dtype, f"vmap output dtype {o.dtype} != loop dtype {e.dtype}"
        if kind_of(o.dtype) in "fc":
            np.testing.assert_allclose(o, e, atol=atol, rtol=rtol)
        else:
            np.testing.assert_array_equal(o, e)
    return out

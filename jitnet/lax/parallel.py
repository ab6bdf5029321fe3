"""Collectives over a named ``vmap`` axis (``jax.lax``'s ``psum``, ``pmean``, ``pmax``,
``pmin``): ``vmap(f, axis_name="batch")`` lets ``f``, written for one example, reduce a value
over all examples of the batch (batch norm's statistics, say).

Each is the primitive ``parallel_reduce`` (``prims/parallel.py``, with its rules and the
vmap axis frames) applied to every leaf of a pytree, once per axis name. There is one
device, so ``pmap``'s axis works the same way.
"""
from __future__ import annotations

from ..core.pytree import tree_map
from ..core.source_info import user_line
from ..prims.parallel import axis_frames, parallel_reduce


def _collective(op: str):
    def apply(x, axis_name, *, axis_index_groups=None):
        if axis_index_groups is not None:
            raise NotImplementedError(f"p{op}: axis_index_groups is not supported")
        names = axis_name if isinstance(axis_name, tuple) else (axis_name,)
        bound = [n for n, _ in axis_frames()]
        for n in names:
            if n is None or n not in bound:
                raise NameError(f"p{op}: unbound axis name: {n!r}; a collective needs an "
                                f"enclosing vmap(..., axis_name={n!r}) (bound here: "
                                f"{[b for b in bound if b is not None]}){user_line()}")

        def one(v):
            for n in names:
                v = parallel_reduce(v, n, op)
            return v
        return tree_map(one, x)
    apply.__name__ = f"p{op}"
    apply.__doc__ = f"The {op} of ``x`` (a pytree) over the examples of the named vmap axis."
    return apply


psum, pmean, pmax, pmin = (_collective(op) for op in ("sum", "mean", "max", "min"))

__all__ = ["psum", "pmean", "pmax", "pmin"]

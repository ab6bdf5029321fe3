"""``jax.interpreters.batching``: the vmap rule table of primitives."""
from __future__ import annotations

from .rules import RuleTable

# batch(args, dims, **params) -> (out, out_dim); a dim is None when not mapped
primitive_batchers = RuleTable("batch", "batching.primitive_batchers")
not_mapped = None


def _with_axis(rule):
    """``rule(axis_size, axis_name, trace_type, args, dims, **params)`` as a vmap rule."""
    def batch(args, dims, **params):
        size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
        return rule(size, None, None, args, dims, **params)
    return batch


# the same rules, also told the mapped axis' size (and name, which jitnet's vmap ignores)
axis_primitive_batchers = RuleTable("batch", "batching.axis_primitive_batchers", _with_axis)

__all__ = ["primitive_batchers", "axis_primitive_batchers", "not_mapped"]

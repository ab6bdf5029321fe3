"""``jax.interpreters.batching``: the vmap rule table of primitives."""
from __future__ import annotations

from .rules import RuleTable

# batch(args, dims, **params) -> (out, out_dim); a dim is None when not mapped
primitive_batchers = RuleTable("batch", "batching.primitive_batchers")
not_mapped = None

__all__ = ["primitive_batchers", "not_mapped"]

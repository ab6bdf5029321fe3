"""Keras's mixed precision: a layer's dtype policy says in which dtype its weights live and
in which it computes.

    from jitnet.layers import mixed_precision
    mixed_precision.set_global_policy("mixed_bfloat16")   # layers made from now on
    model = models.Sequential([..., layers.Dense(10),
                               layers.Activation("softmax", dtype="float32")])

Under ``"mixed_bfloat16"`` / ``"mixed_float16"`` weights stay float32 (what the optimizer
updates) while each layer casts its floating inputs and weights to bfloat16 / float16 for
its ``call`` (Keras's autocast); losses compute in float32. ``model.compile`` wraps the
optimizer in ``optim.LossScaleOptimizer`` under ``"mixed_float16"``, whose small exponent
range would otherwise flush small gradients to zero. See docs/PRECISION.md.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp

__all__ = ["DTypePolicy", "Policy", "set_global_policy", "global_policy", "set_dtype_policy",
           "dtype_policy"]

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


class DTypePolicy:
    """``DTypePolicy(name)``: ``"float32"`` (or any float dtype name: weights and compute in
    it), ``"mixed_float16"`` or ``"mixed_bfloat16"`` (float32 weights, narrow compute).
    Compared and hashed by name, so it can sit in a layer's static configuration."""

    def __init__(self, name="float32"):
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            name = np.dtype(name).name
        if name in _MIXED:
            compute, variable = _MIXED[name], "float32"
        else:
            try:
                d = jnp.bfloat16.dtype if name == "bfloat16" else np.dtype(name)
            except TypeError:
                d = None
            if d is None or not jnp.issubdtype(d, jnp.floating):
                raise ValueError(f"DTypePolicy: unknown policy {name!r}; use 'float32', "
                                 f"'mixed_bfloat16', 'mixed_float16' or a float dtype name")
            compute = variable = d.name
        self.name = name
        self.compute_dtype = compute
        self.variable_dtype = variable

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(("DTypePolicy", self.name))

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy  # the Keras 2 name

_GLOBAL = [DTypePolicy("float32")]


def set_global_policy(policy) -> None:
    """The policy of every layer created from now on without an explicit ``dtype``."""
    _GLOBAL[0] = DTypePolicy("float32" if policy is None else policy)


def global_policy() -> DTypePolicy:
    return _GLOBAL[0]


set_dtype_policy, dtype_policy = set_global_policy, global_policy  # Keras 3's names


def resolve(dtype) -> DTypePolicy:
    """A layer's ``dtype`` argument as a policy: ``None`` means the global policy."""
    return global_policy() if dtype is None else DTypePolicy(dtype)

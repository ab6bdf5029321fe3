"""``TimeDistributed``: apply one layer (one set of weights) to every time step."""
from __future__ import annotations

from ..tree_util import tree_map
from .module import Layer, expect_rank


class TimeDistributed(Layer):
    """(batch, time, ...) -> (batch, time, ...): ``layer`` applied to each step's slice,
    computed as one call on (batch * time, ...) so the steps share the weights."""

    def __init__(self, layer, name=None, trainable: bool = True):
        super().__init__(name=name, trainable=trainable, dtype=getattr(layer, "dtype_policy", None))
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps a Layer, got {type(layer).__name__}")
        self.layer = layer

    def _check_inputs(self, inputs):
        expect_rank(self, inputs[0], range(3, 9), "input (batch, time, ...)")

    def call(self, x):
        b, t = x.shape[0], x.shape[1]
        y = self.layer(x.reshape((b * t,) + tuple(x.shape[2:])))

        def unfold(a):
            if a.shape[0] != b * t:
                raise ValueError(f"{self.label}: the wrapped layer changed the batch "
                                 f"size ({b * t} -> {a.shape[0]})")
            return a.reshape((b, t) + tuple(a.shape[1:]))
        return tree_map(unfold, y)

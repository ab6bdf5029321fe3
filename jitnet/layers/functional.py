"""Keras's functional API: ``Input`` gives symbolic tensors, calling layers on them records a
graph, and ``Model(inputs, outputs)`` turns the graph into a layer.

The graph is static configuration (tuples of ints); each layer object appears once in
``model.layers`` however often it is called, so shared layers share weights under ``grad``.
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import ShapeDtypeStruct
from .module import Layer, discover_shapes

_ids = itertools.count()


class KerasTensor:
    """A symbolic tensor: shape (``None`` for the batch), dtype and the call that made it."""

    def __init__(self, shape, dtype, layer=None, inputs=(), index=0, name=None, n_outputs=1):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.layer, self.inputs, self.index = layer, tuple(inputs), index
        self.n_outputs = n_outputs          # how many outputs the call that made it has
        self.name = name
        self.id = next(_ids)

    ndim = property(lambda self: len(self.shape))

    def spec(self, batch: int = 1) -> ShapeDtypeStruct:
        return ShapeDtypeStruct(tuple(batch if d is None else d for d in self.shape), self.dtype)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}>"


def Input(shape, dtype="float32", name=None, batch_size=None) -> KerasTensor:
    """A model input of per-sample ``shape`` (the batch dimension is added, as ``None``)."""
    return KerasTensor((batch_size,) + tuple(shape), dtype, name=name)


def call_symbolic(layer: Layer, inputs) -> KerasTensor | tuple:
    """Record ``layer(*inputs)`` in the graph; output shapes come from an abstract trace."""
    from ..tree_util import tree_flatten
    for x in inputs:
        if not isinstance(x, KerasTensor):
            raise TypeError(f"{layer.name or type(layer).__name__}: mixing symbolic "
                            f"(Input-derived) and concrete inputs: got {type(x).__name__}")
    specs = [x.spec() for x in inputs]
    out_specs: list = []
    discover_shapes(_Probe(layer, out_specs), specs, rebuild_all=False)
    leaves, tree = tree_flatten(out_specs[0])
    outs = [KerasTensor((None,) + s.shape[1:], s.dtype, layer, inputs, i,
                        n_outputs=len(leaves)) for i, s in enumerate(leaves)]
    return outs[0] if len(outs) == 1 else tuple(outs)


class _Probe(Layer):
    """Runs one layer inside a shape-discovery pass and keeps its output specs."""

    def __init__(self, layer, sink):
        super().__init__()
        self.inner, self.sink = layer, sink

    def call(self, *xs):
        out = self.inner(*xs)
        from ..tree_util import tree_map
        self.sink.append(tree_map(lambda a: ShapeDtypeStruct(a.shape, a.dtype), out))
        return out


def _topological(outputs: list[KerasTensor]) -> list[KerasTensor]:
    order, seen = [], set()

    def visit(t):
        if t.id in seen:
            return
        seen.add(t.id)
        for i in t.inputs:
            visit(i)
        order.append(t)
    for t in outputs:
        visit(t)
    return order


def build_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]):
    """(layers, nodes, output slots): ``nodes`` are ``(layer index, input slots, n_out)``
    with slots numbering the inputs first, then each node's outputs in order."""
    order = _topological(outputs)
    slot = {t.id: i for i, t in enumerate(inputs)}
    for t in order:
        if t.layer is None and t.id not in slot:
            raise ValueError(f"Model: the outputs depend on an Input ({t.shape}) that is not "
                             "among the model's inputs")
    layers: list[Layer] = []
    nodes = []
    done: dict[tuple, list] = {}
    n_values = len(inputs)
    for t in order:
        if t.layer is None:
            continue
        call_key = (id(t.layer), tuple(i.id for i in t.inputs))
        if call_key not in done:
            if not any(l is t.layer for l in layers):
                layers.append(t.layer)
            li = next(i for i, l in enumerate(layers) if l is t.layer)
            n_out = t.n_outputs
            nodes.append((li, tuple(slot[i.id] for i in t.inputs), n_out))
            done[call_key] = list(range(n_values, n_values + n_out))
            n_values += n_out
        slot[t.id] = done[call_key][t.index]
    return layers, tuple(nodes), tuple(slot[t.id] for t in outputs)


def run_graph(layers, nodes, out_slots, inputs):
    """Evaluate the recorded graph on concrete (or traced) inputs."""
    values = list(inputs)
    for li, in_slots, n_out in nodes:
        out = layers[li](*[values[s] for s in in_slots])
        values.extend([out] if n_out == 1 else list(out))
    return [values[s] for s in out_slots]

"""Which weights of a model compression touches, and along which axis its channels lie.

Quantization and pruning both walk a model's layers and pick weights by layer type and
weight name. By default they take the kernels of ``Dense`` and the convolutions (TF-MOT
and Keras 3 do the same): biases and normalisation weights are tiny and sensitive, so they
stay float32. The channel axis is the output axis of the Keras layout: the last one, except
for transposed convolutions, whose kernels are (k..., filters, in).
"""
from __future__ import annotations

from typing import Callable, Iterable

from .. import layers as _layers

DEFAULT_LAYERS = (_layers.Dense, _layers.Conv1D, _layers.Conv2D, _layers.Conv1DTranspose,
                  _layers.Conv2DTranspose)


def all_layers(model) -> list:
    """``model`` and every layer below it, breadth first, each once (shared layers too)."""
    out, seen, i = [model], {id(model)}, 0
    while i < len(out):
        for sub in out[i].sublayers():
            if id(sub) not in seen:
                seen.add(id(sub))
                out.append(sub)
        i += 1
    return out


def weight_names(layer) -> list[str]:
    """The names of ``layer``'s own weights (not its sublayers'), in creation order."""
    ids = {id(w) for w in layer.weights}
    return [k for k, v in vars(layer).items() if id(v) in ids]


def channel_axis(layer, name: str) -> int:
    """The output-channel axis (non-negative) of weight ``name`` of ``layer``."""
    ndim = len(getattr(layer, name).shape)
    if isinstance(layer, (_layers.Conv1DTranspose, _layers.Conv2DTranspose)) and \
            name == "kernel":
        return ndim - 2
    if isinstance(layer, _layers.Embedding):
        return 0                         # one scale per token row, as Keras 3 does
    return ndim - 1


def selector(select, op: str) -> Callable:
    """``select`` as a predicate ``(layer, weight_name) -> bool``.

    ``None``: kernels of Dense and convolution layers; a sequence of layer names: the
    kernels of those layers (``ValueError`` for a name the model lacks is raised by
    ``selected``); a callable: used as is."""
    if select is None:
        return lambda layer, name: isinstance(layer, DEFAULT_LAYERS) and name == "kernel"
    if callable(select):
        return select
    if isinstance(select, str) or not isinstance(select, Iterable):
        raise TypeError(f"{op}: select must be None, a list of layer names or a function "
                        f"(layer, weight_name) -> bool, got {select!r}")
    names = set(select)
    return lambda layer, name: layer.name in names and name == "kernel"


def selected(model, select, op: str) -> list[tuple[int, object, str]]:
    """``[(layer_index, layer, weight_name)]`` chosen by ``select`` (see ``selector``)."""
    if not isinstance(model, _layers.Layer):
        raise TypeError(f"{op}: expects a jitnet.layers model or layer, got "
                        f"{type(model).__name__}")
    if not model.built:
        raise ValueError(f"{op}: the model is not built; build it with "
                         "model.init(key, sample_input) or fit first")
    pick = selector(select, op)
    out = []
    for i, layer in enumerate(all_layers(model)):
        for name in weight_names(layer):
            if pick(layer, name):
                out.append((i, layer, name))
    if select is not None and not callable(select):
        missing = set(select) - {l.name for l in all_layers(model)}
        if missing:
            raise ValueError(f"{op}: the model has no layer named {sorted(missing)}")
    return out

"""Post-training int8 weight quantization, per output channel and symmetric.

``quantize(model)`` returns the model's pytree with each chosen weight replaced by a
``QuantizedArray``: int8 values ``q`` and one float32 ``scale`` per output channel,
``scale = max|w| / 127`` over the channel, ``q = round(w / scale)`` (half to even), so
``|w - q * scale| <= scale / 2`` and no value is clipped. ``dequantize`` maps every
``QuantizedArray`` back to float32; it is a pytree map, so inside ``jit`` the weights stay
int8 in memory and are expanded in the compiled program:

    qmodel = compress.quantize(model)               # kernels of Dense/Conv by default
    compress.save_quantized(qmodel, "model-int8")   # int8 stored natively in safetensors
    qmodel = compress.load_quantized("model-int8")
    logits = jax.jit(lambda q, x: compress.dequantize(q)(x))(qmodel, x)
"""
from __future__ import annotations

import os

import numpy as np

from .. import checkpoint
from .. import numpy as jnp
from ..layers.serialization import model_metadata
from ..models.saving import rebuild_model
from ..tree_util import register_pytree_node_class, tree_leaves, tree_map
from .select import all_layers, channel_axis, selected

__all__ = ["QuantizedArray", "quantize", "dequantize", "quantize_array", "save_quantized",
           "load_quantized", "size_bytes", "directory_bytes", "SCHEME"]

SCHEME = "int8 symmetric per-channel"


@register_pytree_node_class
class QuantizedArray:
    """An int8 array and its per-channel float32 scales: ``value ~ values * scale`` with
    ``scale`` broadcast along ``axis``. A pytree node (children ``values``, ``scale``)."""

    def __init__(self, values, scale, axis: int):
        self.values, self.scale, self.axis = values, scale, int(axis)

    def tree_flatten(self):
        return (self.values, self.scale), self.axis

    @classmethod
    def tree_unflatten(cls, axis, children):
        return cls(*children, axis)

    @property
    def shape(self) -> tuple:
        return tuple(self.values.shape)

    def dequantize(self, dtype=jnp.float32):
        """``values * scale`` as ``dtype`` (jitnet operations: traceable)."""
        shape = [1] * len(self.values.shape)
        shape[self.axis] = -1
        return self.values.astype(dtype) * jnp.reshape(self.scale, shape).astype(dtype)

    def __repr__(self):
        return f"QuantizedArray(int8{list(self.shape)}, axis={self.axis})"


def quantize_array(w, axis: int = -1) -> QuantizedArray:
    """Quantize one float array per channel along ``axis`` (host-side, NumPy).

    A channel of zeros gets scale 1 (its values are 0 anyway)."""
    w = np.asarray(w)
    if w.dtype.kind != "f":
        raise TypeError(f"quantize_array: expects a float array, got {w.dtype}{list(w.shape)}")
    if w.ndim == 0:
        raise ValueError("quantize_array: expects an array with a channel axis, got a scalar")
    axis = axis % w.ndim if -w.ndim <= axis < w.ndim else None
    if axis is None:
        raise ValueError(f"quantize_array: axis out of range for shape {w.shape}")
    w = w.astype(np.float32)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"quantize_array: the array of shape {w.shape} holds NaN or inf")
    others = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=others) if w.size else np.zeros(w.shape[axis], np.float32)
    scale = np.where(amax > 0, amax / np.float32(127.0), np.float32(1.0)).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return QuantizedArray(q, scale, axis)


def _is_q(x) -> bool:
    return isinstance(x, QuantizedArray)


def _quantize_chosen(model, chosen) -> object:
    """``model`` with the weights ``[(layer, name, axis)]`` replaced by ``QuantizedArray``s."""
    axes = {id(getattr(layer, name)): axis for layer, name, axis in chosen}
    done: dict[int, QuantizedArray] = {}

    def leaf(x):
        if id(x) not in axes:
            return x
        if id(x) not in done:                 # a weight shared by layers is quantized once
            done[id(x)] = quantize_array(x, axes[id(x)])
        return done[id(x)]
    return tree_map(leaf, model)


def quantize(model, select=None):
    """``model`` with its chosen weights as int8 ``QuantizedArray``s (per output channel).

    ``select``: ``None`` (kernels of Dense, Conv1D/2D and their transposes; biases and
    normalisation weights stay float32), a list of layer names (their kernels), or a
    function ``(layer, weight_name) -> bool``. The result is a pytree of the model's
    structure: pass it to ``dequantize`` (eagerly or inside ``jit``) to run it, to
    ``save_quantized`` to store it, to ``size_bytes`` to measure it."""
    from .pruning import PruneLowMagnitude
    chosen = [(layer, name, channel_axis(layer, name))
              for _, layer, name in selected(model, select, "quantize")]
    if any(isinstance(l, PruneLowMagnitude) for l in all_layers(model)):
        raise ValueError("quantize: the model has PruneLowMagnitude wrappers; quantize "
                         "compress.strip_pruning(model) (the masked weights)")
    if not chosen:
        raise ValueError("quantize: select chose no weight of the model")
    return _quantize_chosen(model, chosen)


def dequantize(tree, dtype=jnp.float32):
    """``tree`` with every ``QuantizedArray`` replaced by its float values: a quantized
    model becomes a regular model (traceable: use it inside ``jit`` to keep int8 storage)."""
    return tree_map(lambda x: x.dequantize(dtype) if _is_q(x) else x, tree, is_leaf=_is_q)


def size_bytes(tree) -> int:
    """Bytes of all array leaves of ``tree`` (a quantized model counts int8 values + scales)."""
    return int(sum(np.asarray(x).nbytes for x in tree_leaves(tree)))


def _quantized_weights(qmodel) -> list:
    """``[[layer_index, weight_name, axis]]`` of the ``QuantizedArray``s in ``qmodel``."""
    return [[i, name, getattr(layer, name).axis]
            for i, layer in enumerate(all_layers(qmodel))
            for name, v in vars(layer).items() if _is_q(v)]


def save_quantized(qmodel, path, metadata=None) -> str:
    """Write a quantized model (configuration + int8 values and float32 scales) to the
    checkpoint directory ``path``; ``load_quantized`` reads it back. Returns the path."""
    entries = _quantized_weights(qmodel)
    if not entries:
        raise ValueError("save_quantized: the model holds no QuantizedArray (use "
                         "quantize(model) first, or model.save for a float model)")
    meta = dict(metadata or {})
    meta.update(model_metadata(qmodel))
    meta["quantization"] = {"scheme": SCHEME, "weights": entries}
    return checkpoint.save(path, {"model": qmodel}, meta)


def load_quantized(path, custom_objects=None):
    """The quantized model saved by ``save_quantized`` (still quantized: ``dequantize`` it
    to run it). The structure, dtypes and shapes are checked against the configuration."""
    reader = checkpoint.CheckpointReader(checkpoint.resolve(path))
    meta = reader.metadata
    q = meta.get("quantization") if isinstance(meta, dict) else None
    if not isinstance(q, dict) or q.get("scheme") != SCHEME:
        raise ValueError(f"load_quantized: {path} holds no {SCHEME} quantized model "
                         "(written by save_quantized?)")
    model = rebuild_model(meta, custom_objects)
    layers = all_layers(model)
    try:
        chosen = [(layers[i], name, int(axis)) for i, name, axis in q["weights"]]
        for layer, name, _ in chosen:
            getattr(layer, name)
    except (ValueError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"load_quantized: {path}: the quantized weights listed do not "
                         f"match the model's configuration ({e})") from None
    return reader.restore(like=_quantize_chosen(model, chosen), item="model")


def directory_bytes(path) -> int:
    """Bytes of the files of a checkpoint directory (what a model costs on disk)."""
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))

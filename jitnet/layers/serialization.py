"""A layer's configuration as JSON, and the registry of user classes that files name.

``layer_config`` records each layer's class (its registered name, or the public jitnet
module that exports it), its ``get_config()`` values (tuples, nested layers and functions
by name are tagged) and a functional model's graph. ``model.save`` stores it beside the
weights and ``ModelCheckpoint`` in its checkpoints; ``jitnet.models.load_model`` reads it
back. Keras's ``register_keras_serializable`` names a user class in the files it is saved to.
"""
from __future__ import annotations

import sys

import numpy as np

from .module import Layer

# 1: classes by bare name (jitnet.layers, Model/Sequential, two zoo classes, custom_objects=);
# 2: each class also records its module or registered name (read: jitnet.models.saving)
CONFIG_VERSION = 2

_REGISTERED: dict[str, type] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Keras's class decorator: files name the class ``"package>name"`` (``name``: the
    class's name by default) and ``load_model`` finds it without ``custom_objects=``, once
    the module defining it is imported."""
    if not isinstance(package, str) or ">" in package or \
            name is not None and (not isinstance(name, str) or ">" in name):
        raise ValueError(f"register_keras_serializable: package and name must be strings "
                         f"without '>', got {package!r}, {name!r}")

    def register(cls):
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"register_keras_serializable: registers Layer subclasses, got "
                            f"{cls!r}")
        key = f"{package}>{name or cls.__name__}"
        if _REGISTERED.get(key, cls) is not cls:
            raise ValueError(f"register_keras_serializable: {key!r} is already registered "
                             f"for {_REGISTERED[key]!r}")
        _REGISTERED[key] = cls
        cls._registered_name = key
        return cls
    return register


def get_registered_object(name: str):
    """The class registered under ``"package>name"`` (or None)."""
    return _REGISTERED.get(name)


def _public_module(cls) -> str:
    """The shortest module of jitnet that exports ``cls`` under its name (``jitnet.layers``
    for ``Dense``), so that files survive moves between files; else its own module."""
    parts = cls.__module__.split(".")
    for n in range(1, len(parts) + 1):
        mod = sys.modules.get(".".join(parts[:n]))
        if mod is not None and getattr(mod, cls.__name__, None) is cls:
            return ".".join(parts[:n])
    return cls.__module__


def class_record(cls) -> dict:
    """How a file names ``cls``: ``class_name`` and, for a registered class,
    ``registered_name``; otherwise its ``module`` (only jitnet's are imported on load)."""
    registered = vars(cls).get("_registered_name")
    if registered and _REGISTERED.get(registered) is cls:
        return {"class_name": cls.__name__, "registered_name": registered}
    return {"class_name": cls.__name__, "module": _public_module(cls)}


def _encode(value, where: str):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not np.isfinite(value):
            raise ValueError(f"model.save: {where} is {value}, not storable in JSON")
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), where)
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, Layer):
        return {"__layer__": layer_config(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v, f"{where}.{k}") for k, v in value.items()}}
    if callable(value) and getattr(value, "__name__", "<lambda>") != "<lambda>":
        return {"__callable__": value.__name__}
    raise TypeError(f"model.save: {where} is a {type(value).__name__} ({value!r}), which a "
                    "JSON configuration cannot hold (use names, or a named function passed "
                    "back through custom_objects= on load)")


def layer_config(layer: Layer) -> dict:
    """``class_record``'s keys, ``"config"`` and, for a functional model, ``"graph"``."""
    who = layer.name or type(layer).__name__
    config = {k: _encode(v, f"{who}.{k}") for k, v in layer.get_config().items()}
    out = {**class_record(type(layer)), "config": config}
    d = vars(layer)
    if "_nodes" in d:            # a functional Model: the layers and the call graph
        out["graph"] = {
            "layers": [layer_config(l) for l in layer.layers],
            "nodes": [[li, list(ins), n] for li, ins, n in layer._nodes],
            "outputs": list(layer._out_slots),
            "single_output": bool(layer._single_output),
            "input_specs": [[list(shape), dtype] for shape, dtype in layer._input_specs],
        }
        config.pop("inputs", None)
        config.pop("outputs", None)
    return out


def model_metadata(model: Layer) -> dict:
    """What ``load_model`` needs besides the weights: configuration and input specs."""
    specs = vars(model).get("_input_specs")
    if not model.built or specs is None:
        raise ValueError(f"{model.label}.save: the model is not built; build it with "
                         "model.init(key, sample_input) or fit first")
    specs = [[list(shape), dtype] for shape, dtype in specs]
    return {"model_config": {"version": CONFIG_VERSION, "layer": layer_config(model),
                             "input_specs": specs}}

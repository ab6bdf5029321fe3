"""``save_model`` / ``load_model``: a model's configuration (JSON, ``jitnet.layers.
serialization``) plus its weights, in a ``jitnet.checkpoint`` directory.

Loading finds each class as Keras does, without importing every package that might define
one: ``custom_objects=`` first, then the classes registered with
``register_keras_serializable``, then the jitnet module the file records (imported by name,
so a file naming ``jitnet.applications`` loads the zoo's classes in a fresh process). Only
modules of jitnet are ever imported, and functions resolve only from ``custom_objects`` or
``jitnet.nn``: nothing a file names outside jitnet is imported or executed.
"""
from __future__ import annotations

import importlib
import re

import numpy as np

from .. import checkpoint, nn, random
from .. import ShapeDtypeStruct
from ..layers.functional import Input, run_graph
from ..layers.module import Layer
from ..layers.serialization import CONFIG_VERSION, get_registered_object, model_metadata

_MODULE = re.compile(r"jitnet(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# files of version 1 named classes alone: these were the ones outside jitnet.layers
_V1_MODULES = {"Model": "jitnet.models", "Sequential": "jitnet.models",
               "VAE": "jitnet.applications", "AddPositionEmbedding": "jitnet.applications"}
_CLASS_KEYS = {"class_name", "module", "registered_name"}


def _layer_class(cfg: dict, custom: dict, version: int) -> type:
    name = cfg["class_name"]
    registered = cfg.get("registered_name")
    for key in (registered, name):
        if key in custom:
            return custom[key]
    if registered is not None:
        cls = get_registered_object(registered)
        if cls is None:
            raise ValueError(f"load_model: layer class {registered!r} is not registered; "
                             "import the module that defines it (with "
                             "@register_keras_serializable) or pass it in "
                             f"custom_objects={{{name!r}: {name}}}")
        return cls
    module = cfg.get("module") if version > 1 else _V1_MODULES.get(name, "jitnet.layers")
    if not isinstance(module, str) or not _MODULE.match(module):
        raise ValueError(f"load_model: unknown layer class {name!r} from module {module!r}, "
                         "which is not part of jitnet (loading imports only jitnet's own "
                         f"modules); pass it in custom_objects={{{name!r}: {name}}} or "
                         "register it with jitnet.models.register_keras_serializable")
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise ValueError(f"load_model: layer class {name!r} is recorded from module "
                         f"{module!r}, which this jitnet does not have ({e})") from None
    cls = getattr(mod, name, None) if _NAME.match(name) else None
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"load_model: unknown layer class {name!r} in {module}; pass it in "
                         f"custom_objects={{{name!r}: {name}}}")
    return cls


def _decode(value, custom: dict, version: int, where: str):
    if isinstance(value, list):
        return [_decode(v, custom, version, where) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError(f"load_model: unexpected object {value!r} in {where}")
    (tag, inner), = value.items()
    if tag == "__tuple__":
        return tuple(_decode(v, custom, version, where) for v in inner)
    if tag == "__dict__":
        return {k: _decode(v, custom, version, where) for k, v in inner.items()}
    if tag == "__layer__":
        return from_config(inner, custom, version)
    if tag == "__callable__":
        fn = custom.get(inner)
        if fn is None and not inner.startswith("_"):
            fn = getattr(nn, inner, None)
        if not callable(fn):
            raise ValueError(f"load_model: {where} names the function {inner!r}, which is "
                             "neither in jitnet.nn nor in custom_objects=")
        return fn
    raise ValueError(f"load_model: unknown tag {tag!r} in {where}")


def from_config(cfg: dict, custom_objects=None, version: int = CONFIG_VERSION) -> Layer:
    """Construct a layer (unbuilt) from ``layer_config``'s output."""
    if not isinstance(cfg, dict) or not {"class_name", "config"} <= set(cfg) or \
            set(cfg) - _CLASS_KEYS - {"config", "graph"} or \
            not all(isinstance(cfg.get(k, ""), str) for k in _CLASS_KEYS):
        raise ValueError(f"load_model: malformed layer configuration {cfg!r}")
    custom = dict(custom_objects or {})
    cls = _layer_class(cfg, custom, version)
    name = cfg["class_name"]
    kwargs = {k: _decode(v, custom, version, f"{name}.{k}") for k, v in cfg["config"].items()}
    graph = cfg.get("graph")
    if graph is None:
        return cls(**kwargs)
    layers = [from_config(c, custom, version) for c in graph["layers"]]
    inputs = [Input(tuple(shape[1:]), dtype, batch_size=shape[0])
              for shape, dtype in graph["input_specs"]]
    nodes = tuple((li, tuple(ins), n) for li, ins, n in graph["nodes"])
    outs = run_graph(layers, nodes, tuple(graph["outputs"]), inputs)
    return cls(inputs, outs[0] if graph["single_output"] else outs, **kwargs)


def save_model(model: Layer, path, metadata=None) -> str:
    """Write ``model``'s configuration and weights to the checkpoint directory ``path``."""
    meta = dict(metadata or {})
    meta.update(model_metadata(model))
    return checkpoint.save(path, {"model": model}, meta)


def rebuild_model(meta: dict, custom_objects=None) -> Layer:
    """A built (freshly initialised) model from ``model_metadata``'s output."""
    mc = meta.get("model_config") if isinstance(meta, dict) else None
    if not isinstance(mc, dict) or set(mc) != {"version", "layer", "input_specs"}:
        raise ValueError("load_model: the checkpoint has no valid model configuration (saved "
                         "with checkpoint.save or ModelCheckpoint(save_weights_only=True)?)")
    if mc["version"] not in (1, CONFIG_VERSION):
        raise ValueError(f"load_model: model configuration version {mc['version']!r}; this "
                         f"jitnet reads 1 to {CONFIG_VERSION}")
    model = from_config(mc["layer"], custom_objects, mc["version"])
    specs = [ShapeDtypeStruct(tuple(1 if d is None else d for d in shape), np.dtype(dtype))
             for shape, dtype in mc["input_specs"]]
    return model.init(random.PRNGKey(0), *specs)


def load_model(path, custom_objects=None) -> Layer:
    """The model saved by ``model.save(path)`` or a ``ModelCheckpoint``, built, with its
    weights. ``path`` may also be a ``CheckpointManager`` directory (its latest)."""
    reader = checkpoint.CheckpointReader(checkpoint.resolve(path))
    model = rebuild_model(reader.metadata, custom_objects)
    return reader.restore(like=model, item="model")

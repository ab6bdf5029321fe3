"""``model.save(path)`` / ``load_model(path)``: the model's configuration as JSON plus its
weights, in a ``jitnet.checkpoint`` directory.

The configuration names layer classes and their ``get_config()`` values (tuples, nested
layers and functions by name are tagged), and a functional model's graph. Loading
constructs only classes of ``jitnet.layers`` or those passed in ``custom_objects``, and
resolves functions only from ``custom_objects`` or ``jitnet.nn``: nothing named in a file
is imported or executed.
"""
from __future__ import annotations

import numpy as np

from .. import checkpoint, random
from .. import ShapeDtypeStruct
from .module import Layer

CONFIG_VERSION = 1


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
    """``{"class_name", "config"}`` (and ``"graph"`` for a functional model)."""
    name = type(layer).__name__
    who = layer.name or name
    config = {k: _encode(v, f"{who}.{k}") for k, v in layer.get_config().items()}
    out = {"class_name": name, "config": config}
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


def _registry(custom_objects) -> dict:
    from .. import applications, layers
    known = {n: c for n, c in vars(layers).items() if isinstance(c, type) and issubclass(c, Layer)}
    known.update(applications.custom_objects())
    for n, c in (custom_objects or {}).items():
        known[n] = c
    return known


def _decode(value, known: dict, custom: dict, where: str):
    if isinstance(value, list):
        return [_decode(v, known, custom, where) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError(f"load_model: unexpected object {value!r} in {where}")
    (tag, inner), = value.items()
    if tag == "__tuple__":
        return tuple(_decode(v, known, custom, where) for v in inner)
    if tag == "__dict__":
        return {k: _decode(v, known, custom, where) for k, v in inner.items()}
    if tag == "__layer__":
        return from_config(inner, known, custom)
    if tag == "__callable__":
        from .. import nn
        fn = custom.get(inner)
        if fn is None and not inner.startswith("_"):
            fn = getattr(nn, inner, None)
        if not callable(fn):
            raise ValueError(f"load_model: {where} names the function {inner!r}, which is "
                             "neither in jitnet.nn nor in custom_objects=")
        return fn
    raise ValueError(f"load_model: unknown tag {tag!r} in {where}")


def from_config(cfg: dict, known: dict, custom: dict) -> Layer:
    """Construct a layer (unbuilt) from ``layer_config``'s output."""
    if not isinstance(cfg, dict) or not {"class_name", "config"} <= set(cfg) or \
            set(cfg) - {"class_name", "config", "graph"}:
        raise ValueError(f"load_model: malformed layer configuration {cfg!r}")
    name = cfg["class_name"]
    cls = known.get(name)
    if cls is None:
        raise ValueError(f"load_model: unknown layer class {name!r}; pass it in "
                         f"custom_objects={{{name!r}: {name}}}")
    kwargs = {k: _decode(v, known, custom, f"{name}.{k}") for k, v in cfg["config"].items()}
    graph = cfg.get("graph")
    if graph is None:
        return cls(**kwargs)
    return _functional(cls, kwargs, graph, known, custom)


def _functional(cls, kwargs, graph, known, custom):
    from .functional import Input, run_graph
    layers = [from_config(c, known, custom) for c in graph["layers"]]
    inputs = [Input(tuple(shape[1:]), dtype, batch_size=shape[0])
              for shape, dtype in graph["input_specs"]]
    nodes = tuple((li, tuple(ins), n) for li, ins, n in graph["nodes"])
    outs = run_graph(layers, nodes, tuple(graph["outputs"]), inputs)
    return cls(inputs, outs[0] if graph["single_output"] else outs, **kwargs)


def model_metadata(model: Layer) -> dict:
    """What ``load_model`` needs besides the weights: configuration and input specs."""
    specs = vars(model).get("_input_specs")
    if not model.built or specs is None:
        raise ValueError(f"{model.label}.save: the model is not built; build it with "
                         "model.init(key, sample_input) or fit first")
    specs = [[list(shape), dtype] for shape, dtype in specs]
    return {"model_config": {"version": CONFIG_VERSION, "layer": layer_config(model),
                             "input_specs": specs}}


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
    if mc["version"] != CONFIG_VERSION:
        raise ValueError(f"load_model: model configuration version {mc['version']!r}; this "
                         f"jitnet reads {CONFIG_VERSION}")
    custom = dict(custom_objects or {})
    model = from_config(mc["layer"], _registry(custom), custom)
    specs = [ShapeDtypeStruct(tuple(1 if d is None else d for d in shape), np.dtype(dtype))
             for shape, dtype in mc["input_specs"]]
    return model.init(random.PRNGKey(0), *specs)


def load_model(path, custom_objects=None) -> Layer:
    """The model saved by ``model.save(path)`` or a ``ModelCheckpoint``, built, with its
    weights. ``path`` may also be a ``CheckpointManager`` directory (its latest)."""
    reader = checkpoint.CheckpointReader(checkpoint.resolve(path))
    model = rebuild_model(reader.metadata, custom_objects)
    return reader.restore(like=model, item="model")

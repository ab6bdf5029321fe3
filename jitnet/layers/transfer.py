"""Transfer learning on layer trees: layers by name path, freezing by groups, labels for
per-layer optimizers, and restoring weights by layer name (Keras's
``load_weights(..., skip_mismatch=True)``) into a model with a new head.

A layer's *path* is the chain of layer names from the model down to it
(``"block1/conv"``); a sublayer without a name is named by its attribute (and list index).
"""
from __future__ import annotations

import fnmatch
import warnings
from typing import Callable, NamedTuple

import numpy as np

from .module import Layer, _is_layer_tree, _map_layers


def _children(layer: Layer):
    """``(segment, sublayer)`` for the direct sublayers of ``layer``, in attribute order."""
    for attr, v in vars(layer).items():
        if isinstance(v, Layer):
            yield v.name or attr, v
        elif _is_layer_tree(v):
            items = v.items() if isinstance(v, dict) else enumerate(v)
            for i, sub in items:
                if isinstance(sub, Layer):
                    yield sub.name or f"{attr}[{i}]", sub


def named_layers(model: Layer) -> dict:
    """``{path: layer}`` for every layer below ``model`` (the model itself is ``""``)."""
    out = {"": model}

    def walk(layer, prefix):
        for seg, sub in _children(layer):
            path = f"{prefix}/{seg}" if prefix else seg
            if path in out:
                raise ValueError(f"{model.label}: two layers have the path {path!r}; give "
                                 "them distinct names")
            out[path] = sub
            walk(sub, path)
    walk(model, "")
    return out


def _weight_names(layer: Layer) -> list:
    return [k for k, kind in layer._weight_kinds.items() if kind != "const"]


def _has_weights(layer: Layer) -> bool:
    return any(_weight_names(l) for l in named_layers(layer).values())


# -- groups and freezing (FastAI's freeze / freeze_to / unfreeze) ------------------------
def layer_groups(model: Layer, groups=None) -> list:
    """The parameter groups of ``model`` as lists of layers, first (body) to last (head).

    By default each top-level layer holding weights is a group; ``groups`` may list groups
    explicitly as lists of layer paths (or layers)."""
    paths = named_layers(model)
    if groups is None:
        top = model.layers if isinstance(getattr(model, "layers", None), list) \
            else [l for _, l in _children(model)]
        return [[l] for l in top if _has_weights(l)]
    out = []
    for g in groups:
        members = []
        for item in (g if isinstance(g, (list, tuple)) else [g]):
            if isinstance(item, Layer):
                members.append(item)
            elif item in paths and item:
                members.append(paths[item])
            else:
                raise ValueError(f"{model.label}: no layer at path {item!r}; paths: "
                                 f"{sorted(p for p in paths if p)[:20]}")
        out.append(members)
    return out


def freeze_to(model: Layer, n: int, groups=None) -> None:
    """Freeze the groups before ``n`` (``n`` may be negative) and unfreeze the rest."""
    gs = layer_groups(model, groups)
    if not gs:
        raise ValueError(f"{model.label}: no layer with weights to freeze")
    cut = n if n >= 0 else len(gs) + n
    model.trainable = True
    for i, g in enumerate(gs):
        for layer in g:
            layer.trainable = i >= cut


# -- labels for per-layer optimizers -------------------------------------------------------
def param_labels(rules) -> Callable:
    """A ``param_labels`` function for ``optim.multi_transform`` naming each weight's group.

    ``rules`` is a dict ``{pattern: label}`` matched (``fnmatch``, first match wins) against
    ``"<layer path>/<weight name>"`` -- e.g. ``{"dense_1/*": "head", "*": "body"}`` -- or a
    function ``(layer_path, weight_name) -> label``. The function returned maps a params
    tree (a model with ``None`` where weights are frozen) to the same tree of labels."""
    if isinstance(rules, dict):
        items = list(rules.items())

        def label_of(path, weight):
            full = f"{path}/{weight}" if path else weight
            for pattern, label in items:
                if fnmatch.fnmatchcase(full, pattern):
                    return label
            raise ValueError(f"param_labels: no pattern matches weight {full!r}; patterns "
                             f"{[p for p, _ in items]} (add '*' last for the rest)")
    elif callable(rules):
        label_of = rules
    else:
        raise TypeError(f"param_labels: rules must be a dict {{pattern: label}} or a function "
                        f"(layer_path, weight_name) -> label, got {type(rules).__name__}")

    def labels(tree):
        if not isinstance(tree, Layer):
            raise TypeError(f"param_labels: expected a model's params (a Layer), got "
                            f"{type(tree).__name__}")
        path_of = {id(l): p for p, l in named_layers(tree).items()}

        def fn(old, new):
            for k in _weight_names(old):
                if getattr(old, k, None) is not None:
                    new.__dict__[k] = label_of(path_of[id(old)], k)
        return _map_layers(fn, tree)
    return labels


# -- restoring by name ---------------------------------------------------------------------
class LoadReport(NamedTuple):
    """What ``load_weights`` did, by ``"<layer path>/<weight>"``."""
    loaded: list          # weights copied from the source
    skipped: list         # (weight, reason): shape or dtype mismatch (skip_mismatch=True)
    missing: list         # weights of the model with no counterpart in the source (kept)
    unused: list          # weights of the source with no counterpart in the model


def _weights_by_path(model: Layer) -> dict:
    out = {}
    for path, layer in named_layers(model).items():
        for k in _weight_names(layer):
            out[f"{path}/{k}" if path else k] = (layer, k)
    return out


def load_weights(model: Layer, source, *, skip_mismatch: bool = False,
                 by_name: bool = True) -> LoadReport:
    """Copy weights from the model ``source`` into ``model``, in place, matching layers by
    path (``Model.load_weights`` reads ``source`` from a checkpoint first).

    ``by_name=True`` (the default) matches weights by layer path and weight name: layers
    only one side has are reported (``missing``, ``unused``) and left alone -- a new head
    keeps its fresh initialisation. Weights whose shapes differ raise a ``ValueError``
    listing them all, unless ``skip_mismatch=True`` (then they are skipped, reported and
    warned about, as Keras does). ``by_name=False`` requires the same layer paths."""
    if not model.built:
        specs = vars(model).get("_input_specs")
        if specs is None:
            raise ValueError(f"{model.label}.load_weights: the model is not built and has no "
                             "Input; build it with model.init(key, sample_input) first")
        from .. import ShapeDtypeStruct, random
        model.init(random.PRNGKey(0), *[ShapeDtypeStruct(
            tuple(1 if d is None else d for d in shape), np.dtype(dt)) for shape, dt in specs])
    if not isinstance(source, Layer):
        raise TypeError(f"{model.label}.load_weights: the source must be a model, got "
                        f"{type(source).__name__} (Model.load_weights reads a checkpoint "
                        "path)")
    dst_w, src_w = _weights_by_path(model), _weights_by_path(source)
    missing = [p for p in dst_w if p not in src_w]
    unused = [p for p in src_w if p not in dst_w]
    if not by_name and (missing or unused):
        raise ValueError(f"{model.label}.load_weights: the source's layers differ (missing "
                         f"{missing[:10]}, unexpected {unused[:10]}); pass by_name=True to "
                         "load the weights whose paths match")
    loaded, skipped, copies = [], [], []
    for p, (layer, k) in dst_w.items():
        if p not in src_w:
            continue
        new = src_w[p][0].__dict__[k]
        old = layer.__dict__[k]
        if tuple(new.shape) != tuple(old.shape):
            skipped.append((p, f"shape {tuple(new.shape)} in the source, "
                               f"{tuple(old.shape)} in the model"))
            continue
        copies.append((layer, k, new.astype(old.dtype)))
        loaded.append(p)
    if skipped and not skip_mismatch:
        lines = "\n  ".join(f"{p}: {why}" for p, why in skipped)
        raise ValueError(f"{model.label}.load_weights: {len(skipped)} weight(s) do not "
                         f"match (pass skip_mismatch=True to skip them):\n  {lines}")
    for layer, k, v in copies:
        layer.__dict__[k] = v
    if skipped:
        warnings.warn(f"{model.label}.load_weights skipped {len(skipped)} weight(s) of "
                      f"mismatched shape: " + "; ".join(f"{p} ({why})" for p, why in skipped),
                      stacklevel=2)
    return LoadReport(loaded, skipped, missing, unused)

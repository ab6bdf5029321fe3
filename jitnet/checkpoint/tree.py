"""A pytree's structure described as plain data (JSON) and rebuilt from it, never pickled.

``describe(tree)`` walks the tree one level at a time with ``jitnet.tree_util`` and returns
``(node, arrays)``: ``node`` is nested dicts naming each container's kind, keys or field
names, and each leaf's dtype and shape (array) or value (Python scalar); ``arrays`` maps
storage keys (the leaves' paths) to NumPy arrays. ``build(node, arrays, like)`` inverts it:
with ``like`` the result has exactly ``like``'s structure (containers, namedtuple and layer
types) after ``mismatches`` found none; without it only built-in containers are rebuilt.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import tree_util

# the keys each node kind carries in the manifest (anything else is rejected on load)
NODE_FIELDS = {
    "array": {"kind", "key", "dtype", "shape"},
    "scalar": {"kind", "type", "value"},
    "none": {"kind"},
    "tuple": {"kind", "children"},
    "list": {"kind", "children"},
    "dict": {"kind", "keys", "children"},
    "namedtuple": {"kind", "type", "fields", "children"},
    "node": {"kind", "type", "fields", "children"},
}
_SCALARS = {"bool": bool, "int": int, "float": float, "str": str}


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def _children(x):
    """``(children, treedef)`` of one level of ``x`` (a leaf has ``treedef.node_type None``)."""
    return tree_util.tree_flatten(x, is_leaf=lambda y: y is not x)


def _field_names(x, treedef, n: int) -> list[str]:
    from ..layers.module import Layer
    if isinstance(x, Layer):
        return list(treedef.aux[0])          # the layer's attribute names
    return [str(i) for i in range(n)]


def _scalar(x, path: str) -> dict:
    if isinstance(x, (bool, np.bool_)):
        return {"kind": "scalar", "type": "bool", "value": bool(x)}
    if isinstance(x, int):
        return {"kind": "scalar", "type": "int", "value": int(x)}
    if isinstance(x, float):
        return {"kind": "scalar", "type": "float", "value": float(x).hex()}   # exact, NaN too
    if isinstance(x, str):
        return {"kind": "scalar", "type": "str", "value": x}
    raise TypeError(f"checkpoint.save: the leaf at {path or '<root>'} is a "
                    f"{type(x).__name__}; leaves must be arrays, Python scalars (bool, int, "
                    "float, str) or None")


def describe(tree, path: str = "", arrays: dict | None = None):
    """``(node, arrays)`` for ``tree``; ``arrays`` values are host NumPy arrays."""
    arrays = {} if arrays is None else arrays
    if tree is None:
        return {"kind": "none"}, arrays
    kids, td = _children(tree)
    if td.node_type is None:
        if not _is_array(tree):
            return _scalar(tree, path), arrays
        key = path or "<root>"
        while key in arrays:                 # paths are unique unless keys contain "/"
            key += "'"
        arrays[key] = tree
        return {"kind": "array", "key": key, "dtype": np.dtype(tree.dtype).name,
                "shape": [int(d) for d in tree.shape]}, arrays
    t = td.node_type
    if t is tuple or t is list:
        names = [str(i) for i in range(len(kids))]
        node = {"kind": t.__name__}
    elif t is dict:
        for k in td.aux:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"checkpoint.save: dict keys must be str or int, got "
                                f"{k!r} at {path or '<root>'}")
        names = [str(k) for k in td.aux]
        node = {"kind": "dict", "keys": list(td.aux)}
    elif issubclass(t, tuple) and hasattr(t, "_fields"):
        names = list(t._fields)
        node = {"kind": "namedtuple", "type": t.__name__, "fields": names}
    else:
        names = _field_names(tree, td, len(kids))
        # the class name only: a class defined in a script (__main__) matches its import
        node = {"kind": "node", "type": t.__qualname__, "fields": names}
    node["children"] = [describe(c, f"{path}/{n}" if path else n, arrays)[0]
                        for c, n in zip(kids, names)]
    return node, arrays


def _names(node) -> list[str]:
    if node["kind"] == "dict":
        return [str(k) for k in node["keys"]]
    if node["kind"] in ("namedtuple", "node"):
        return list(node["fields"])
    return [str(i) for i in range(len(node.get("children", ())))]


def summary(node) -> str:
    """A short description of a node for messages: ``float32[3, 4]``, ``dict``, ``int``."""
    kind = node["kind"]
    if kind == "array":
        return f"{node['dtype']}{node['shape']}"
    if kind == "scalar":
        return f"Python {node['type']}"
    if kind in ("namedtuple", "node"):
        return node["type"]
    return kind


def mismatches(saved, expected, path: str = "",
               labels: tuple = ("checkpoint", "expected")) -> list[str]:
    """Every difference between two described trees, as ``path: checkpoint has X, expected
    Y``; ``labels`` name the two sides for other comparisons (``("rank 1", "rank 0 has")``)."""
    where = path or "<root>"
    who, want = labels
    if saved["kind"] != expected["kind"] or (
            saved["kind"] in ("namedtuple", "node") and saved["type"] != expected["type"]):
        return [f"{where}: {who} has {summary(saved)}, {want} {summary(expected)}"]
    kind = saved["kind"]
    if kind == "array":
        if saved["dtype"] != expected["dtype"] or saved["shape"] != expected["shape"]:
            return [f"{where}: {who} has {summary(saved)}, {want} {summary(expected)}"]
        return []
    if kind == "scalar":
        if saved["type"] != expected["type"]:
            return [f"{where}: {who} has {summary(saved)}, {want} {summary(expected)}"]
        return []
    if kind == "none":
        return []
    a, b = _names(saved), _names(expected)
    out = []
    if a != b:
        missing = [n for n in b if n not in a]
        extra = [n for n in a if n not in b]
        if missing or extra:
            out.append(f"{where}: {who} lacks {missing} and has unexpected {extra}"
                       if missing and extra else
                       f"{where}: {who} lacks {missing}" if missing else
                       f"{where}: {who} has unexpected {extra}")
        else:
            out.append(f"{where}: {who} has entries in order {a}, {want} {b}")
    by_name = dict(zip(a, saved["children"]))
    for n, child in zip(b, expected["children"]):
        if n in by_name:
            out += mismatches(by_name[n], child, f"{path}/{n}" if path else n, labels)
    return out


def leaf_values(node, arrays: dict, out: list) -> list:
    """The leaves of a described tree in flatten order (arrays looked up, scalars decoded)."""
    kind = node["kind"]
    if kind == "array":
        out.append(arrays[node["key"]])
    elif kind == "scalar":
        out.append(decode_scalar(node))
    elif kind != "none":
        for c in node["children"]:
            leaf_values(c, arrays, out)
    return out


def decode_scalar(node):
    t = node["type"]
    v = node["value"]
    if t == "float":
        return float.fromhex(v)
    return _SCALARS[t](v)


def build(node, arrays: dict, path: str = ""):
    """Rebuild a tree of built-in containers (namedtuples as new namedtuple classes)."""
    kind = node["kind"]
    if kind == "array":
        return arrays[node["key"]]
    if kind == "scalar":
        return decode_scalar(node)
    if kind == "none":
        return None
    names = _names(node)
    kids = [build(c, arrays, f"{path}/{n}" if path else n)
            for c, n in zip(node["children"], names)]
    if kind == "tuple":
        return tuple(kids)
    if kind == "list":
        return kids
    if kind == "dict":
        return dict(zip(node["keys"], kids))
    if kind == "namedtuple":
        return collections.namedtuple(node["type"], node["fields"])(*kids)
    raise ValueError(f"checkpoint.restore: {path or '<root>'} holds a {node['type']}, which "
                     "is rebuilt only from a template: pass like=<a tree of that structure>")


def build_like(node, arrays: dict, like):
    """``like``'s structure with the checkpoint's leaves (after ``mismatches`` found none)."""
    _, treedef = tree_util.tree_flatten(like)
    return tree_util.tree_unflatten(treedef, leaf_values(node, arrays, []))


def validate(node, path: str = "") -> None:
    """Reject a manifest tree with unknown kinds or fields, or malformed values."""
    where = path or "<root>"
    if not isinstance(node, dict) or node.get("kind") not in NODE_FIELDS:
        kind = node.get("kind") if isinstance(node, dict) else type(node).__name__
        raise ValueError(f"unknown tree node kind {kind!r} at {where}")
    extra = set(node) - NODE_FIELDS[node["kind"]]
    missing = NODE_FIELDS[node["kind"]] - set(node)
    if extra or missing:
        raise ValueError(f"tree node {node['kind']!r} at {where}: unknown fields "
                         f"{sorted(extra)}, missing fields {sorted(missing)}")
    kind = node["kind"]
    if kind == "array":
        if not isinstance(node["key"], str) or not isinstance(node["dtype"], str) or \
                not isinstance(node["shape"], list) or \
                not all(isinstance(d, int) and d >= 0 for d in node["shape"]):
            raise ValueError(f"malformed array node at {where}: {node}")
    elif kind == "scalar":
        want = {"bool": bool, "int": int, "float": str, "str": str}.get(node["type"])
        v = node["value"]
        if want is None or not isinstance(v, want) or (want is int and isinstance(v, bool)):
            raise ValueError(f"malformed scalar node at {where}: {node}")
        if node["type"] == "float":
            try:
                float.fromhex(v)
            except ValueError:
                raise ValueError(f"malformed float {v!r} at {where}") from None
    elif kind != "none":
        kids = node["children"]
        names = node.get("keys", node.get("fields"))
        allowed = (str, int) if kind == "dict" else (str,)
        ok = isinstance(kids, list) and (names is None or (
            isinstance(names, list) and len(names) == len(kids) and
            all(isinstance(n, allowed) and not isinstance(n, bool) for n in names)))
        if ok and kind in ("namedtuple", "node"):
            ok = isinstance(node["type"], str) and (kind == "node" or (
                node["type"].isidentifier() and all(n.isidentifier() for n in names)))
        if not ok:
            raise ValueError(f"malformed {kind} node at {where}")
        for c, n in zip(kids, _names(node)):
            validate(c, f"{path}/{n}" if path else n)

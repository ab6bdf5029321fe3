"""Key paths: where each leaf of a pytree sits, as ``jax.tree_util``'s ``*_with_path``
functions report it.

A path is a tuple of keys, one per level: ``SequenceKey(i)`` in tuples and lists,
``DictKey(k)`` in dicts, ``GetAttrKey(name)`` in namedtuples and registered dataclasses,
``FlattenedIndexKey(i)`` in other registered nodes (unless registered with
``register_pytree_with_keys``). Leaves come in ``tree_flatten``'s order, since the
children here are the same as there.
"""
from __future__ import annotations

import collections
import dataclasses
from typing import Any, Callable

from .pytree import (_data_fields, _is_namedtuple, _node_handlers, register_pytree_node,
                     tree_flatten)


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    key: Any

    def __str__(self):
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    name: str

    def __str__(self):
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"


# node type -> keys(x): one key per child, in flatten's order
_key_fns: dict[type, Callable] = {}


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable,
                              unflatten_func: Callable, flatten_func: Callable | None = None):
    """Register a node whose ``flatten_with_keys(x)`` returns ``([(key, child), ...], aux)``."""
    def flatten(x):
        pairs, aux = flatten_with_keys(x)
        return [c for _, c in pairs], aux

    register_pytree_node(nodetype, flatten_func or flatten, unflatten_func)
    _key_fns[nodetype] = lambda x: [k for k, _ in flatten_with_keys(x)[0]]


def register_keys(nodetype: type, keys: Callable) -> None:
    """Name the children of an already registered node type (``keys(x) -> [key, ...]``)."""
    _key_fns[nodetype] = keys


register_keys(tuple, lambda t: [SequenceKey(i) for i in range(len(t))])
register_keys(list, lambda t: [SequenceKey(i) for i in range(len(t))])
register_keys(dict, lambda d: [DictKey(k) for k in sorted(d)])
register_keys(collections.OrderedDict, lambda d: [DictKey(k) for k in d])
register_keys(collections.defaultdict, lambda d: [DictKey(k) for k in sorted(d)])
register_keys(type(None), lambda _: [])


def _child_keys(x, children) -> list:
    t = type(x)
    fn = _key_fns.get(t)
    if fn is not None:
        return fn(x)
    if _is_namedtuple(t):
        return [GetAttrKey(f) for f in t._fields]
    if t in _data_fields:  # register_dataclass
        return [GetAttrKey(n) for n in _data_fields[t]]
    return [FlattenedIndexKey(i) for i in range(len(children))]


def _flatten_with_path(x, path: tuple, out: list, is_leaf) -> None:
    if is_leaf is not None and is_leaf(x):
        out.append((path, x))
        return
    h = _node_handlers(type(x))
    if h is None:
        out.append((path, x))
        return
    children = list(h[0](x)[0])
    for k, c in zip(_child_keys(x, children), children):
        _flatten_with_path(c, path + (k,), out, is_leaf)


def tree_flatten_with_path(tree, is_leaf=None):
    """``([(path, leaf), ...], treedef)``, the leaves in ``tree_flatten``'s order."""
    out: list = []
    _flatten_with_path(tree, (), out, is_leaf)
    return out, tree_flatten(tree, is_leaf)[1]


def tree_leaves_with_path(tree, is_leaf=None) -> list:
    out: list = []
    _flatten_with_path(tree, (), out, is_leaf)
    return out


def tree_map_with_path(f: Callable, tree, *rest, is_leaf=None):
    """``f(path, leaf, *others)`` leafwise; ``rest`` trees share ``tree``'s structure."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(p, x, *xs) for (p, x), *xs in zip(pairs, *others))


KeyPath = tuple  # a key path is a tuple of keys


def flatten_one_level_with_keys(tree):
    """``([(key, child), ...], aux)`` of a node's own children; ``ValueError`` for a leaf."""
    h = _node_handlers(type(tree))
    if h is None:
        raise ValueError(f"can't flatten one level of a leaf of type {type(tree).__name__}")
    children, aux = h[0](tree)
    children = list(children)
    return list(zip(_child_keys(tree, children), children)), aux


def keystr(path, *, simple: bool = False, separator: str = "") -> str:
    """``"['a'][0].b"``; ``simple=True`` gives the bare keys joined by ``separator``."""
    if not simple:
        return "".join(str(k) for k in path)
    parts = []
    for k in path:
        v = getattr(k, "idx", getattr(k, "key", getattr(k, "name", k)))
        parts.append(str(v))
    return separator.join(parts)


__all__ = ["KeyPath", "flatten_one_level_with_keys", "SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey", "keystr",
           "register_pytree_with_keys", "tree_flatten_with_path", "tree_leaves_with_path",
           "tree_map_with_path"]

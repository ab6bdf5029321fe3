"""Pytrees: nested containers (tuple, list, dict, namedtuple, None, registered types).

``tree_flatten`` returns the leaves and a hashable ``PyTreeDef`` that
``tree_unflatten`` inverts; transforms flatten their arguments so they only
ever see flat lists of arrays. Semantics follow ``jax.tree_util``: ``None`` is
an empty node, dict keys are sorted, namedtuples keep their type.
"""
from __future__ import annotations

import collections
import functools
import weakref
from typing import Any, Callable, Hashable, Iterable

# node type -> (flatten(x) -> (children, aux_data), unflatten(aux_data, children) -> x)
_registry: dict[type, tuple[Callable, Callable]] = {}
# registered dataclass -> its data fields (the children's names, for key paths)
_data_fields: dict[type, list] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable) -> None:
    """Register a container type: ``flatten(x) -> (children, aux)``, ``unflatten(aux, children)``."""
    if nodetype in _registry:
        raise ValueError(f"{nodetype.__name__} is already registered as a pytree node")
    _registry[nodetype] = (flatten_func, unflatten_func)


def register_pytree_node_class(cls):
    """Class decorator: ``cls.tree_flatten()`` and ``cls.tree_unflatten(aux, children)``."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_dataclass(cls, data_fields=None, meta_fields=None):
    """Register a dataclass whose ``data_fields`` are children and ``meta_fields`` static."""
    import dataclasses
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: give both data_fields and meta_fields, or neither "
                        "(then fields marked metadata={'static': True} are meta fields)")
    fields = [f.name for f in dataclasses.fields(cls)]
    if data_fields is None:
        meta_fields = list(meta_fields or [f.name for f in dataclasses.fields(cls)
                                           if f.metadata.get("static", False)])
        data_fields = [f for f in fields if f not in meta_fields]
    meta_fields = list(meta_fields or [])

    def flatten(x):
        return [getattr(x, f) for f in data_fields], tuple(getattr(x, f) for f in meta_fields)

    def unflatten(aux, children):
        return cls(**dict(zip(data_fields, children)), **dict(zip(meta_fields, aux)))

    register_pytree_node(cls, flatten, unflatten)
    _data_fields[cls] = list(data_fields)
    return cls


def _dict_flatten(d):
    try:
        keys = sorted(d)
    except TypeError:
        raise ValueError(f"pytree dict keys must be sortable (comparable with each other), got "
                         f"{list(d)}") from None
    return [d[k] for k in keys], tuple(keys)


register_pytree_node(tuple, lambda t: (list(t), None), lambda _, c: tuple(c))
register_pytree_node(list, lambda l: (l, None), lambda _, c: list(c))
register_pytree_node(dict, _dict_flatten, lambda keys, c: dict(zip(keys, c)))
register_pytree_node(type(None), lambda _: ((), None), lambda _, c: None)
register_pytree_node(collections.OrderedDict, lambda d: (list(d.values()), tuple(d)),
                     lambda keys, c: collections.OrderedDict(zip(keys, c)))
register_pytree_node(collections.defaultdict,
                     lambda d: ([d[k] for k in sorted(d)], (d.default_factory, tuple(sorted(d)))),
                     lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)))


def _is_namedtuple(t: type) -> bool:
    return issubclass(t, tuple) and hasattr(t, "_fields")


class PyTreeDef:
    """The structure of a pytree: node type, static aux data and child structures."""

    __slots__ = ("node_type", "aux", "children", "_num_leaves", "_hash", "__weakref__")

    def __init__(self, node_type, aux: Hashable, children: tuple):
        self.node_type = node_type  # None marks a leaf
        self.aux = aux
        self.children = children
        self._num_leaves = None
        self._hash = None

    @property
    def num_leaves(self) -> int:
        n = self._num_leaves
        if n is None:
            n = self._num_leaves = (1 if self.node_type is None
                                    else sum(c.num_leaves for c in self.children))
        return n

    @property
    def num_nodes(self) -> int:
        return 1 + sum(c.num_nodes for c in self.children)

    def unflatten(self, leaves: Iterable) -> Any:
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree) -> list:
        """The subtrees of ``tree`` at this structure's leaves."""
        out: list = []
        _flatten_up_to(self, tree, out)
        return out

    def __eq__(self, other):
        return self is other or (isinstance(other, PyTreeDef) and self.node_type is other.node_type
                                 and self.aux == other.aux and self.children == other.children)

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((self.node_type, _hashable(self.aux), self.children))
        return self._hash

    def __repr__(self):
        return f"PyTreeDef({_repr(self)})"


def _hashable(aux):
    try:
        hash(aux)
        return aux
    except TypeError:
        return repr(aux)


def _repr(t: PyTreeDef) -> str:
    if t.node_type is None:
        return "*"
    kids = ", ".join(_repr(c) for c in t.children)
    if t.node_type is tuple:
        return f"({kids}{',' if len(t.children) == 1 else ''})"
    if t.node_type is list:
        return f"[{kids}]"
    if t.node_type is dict:
        return "{" + ", ".join(f"{k!r}: {_repr(c)}" for k, c in zip(t.aux, t.children)) + "}"
    if t.node_type is type(None):
        return "None"
    return f"{t.node_type.__name__}({kids})"


_LEAF = PyTreeDef(None, None, ())


def _node_handlers(t: type):
    h = _registry.get(t)
    if h is None and _is_namedtuple(t):
        return (lambda x: (list(x), None)), (lambda _, c, t=t: t(*c))
    return h


# Structures are hash-consed: equal structures are the same object, so comparing and
# hashing the structure of a call's arguments (jit's cache key) is an identity check.
_interned: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()


def _node(t, aux, children: tuple) -> PyTreeDef:
    try:
        key = (t, aux, children)
        node = _interned.get(key)
    except TypeError:  # unhashable aux data: a plain node
        return PyTreeDef(t, aux, children)
    if node is None:
        node = PyTreeDef(t, aux, children)
        _interned[key] = node
    return node


def _flatten(x, leaves: list, is_leaf) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t = type(x)
    if t is tuple or t is list:  # the common containers, without a registry lookup
        return _node(t, None, tuple([_flatten(c, leaves, is_leaf) for c in x]))
    h = _node_handlers(t)
    if h is None:
        leaves.append(x)
        return _LEAF
    children, aux = h[0](x)
    return _node(type(x), aux, tuple([_flatten(c, leaves, is_leaf) for c in children]))


def tree_flatten(tree, is_leaf: Callable | None = None) -> tuple[list, PyTreeDef]:
    leaves: list = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    it = iter(leaves)
    out = _unflatten(treedef, it)
    if next(it, _sentinel) is not _sentinel:
        raise ValueError(f"too many leaves for tree structure {treedef}")
    return out


_sentinel = object()


def _unflatten(t: PyTreeDef, it):
    if t.node_type is None:
        x = next(it, _sentinel)
        if x is _sentinel:
            raise ValueError("too few leaves for tree structure")
        return x
    h = _node_handlers(t.node_type)
    return h[1](t.aux, [_unflatten(c, it) for c in t.children])


def _flatten_up_to(t: PyTreeDef, tree, out: list) -> None:
    if t.node_type is None:
        out.append(tree)
        return
    if type(tree) is not t.node_type:
        raise ValueError(f"expected a {t.node_type.__name__} matching structure {t}, "
                         f"got {type(tree).__name__}")
    children, aux = _node_handlers(t.node_type)[0](tree)
    if len(children) != len(t.children) or aux != t.aux:
        raise ValueError(f"tree structure mismatch: expected {t}, got {tree_structure(tree)}")
    for c, ct in zip(children, t.children):
        _flatten_up_to(ct, c, out)


def tree_leaves(tree, is_leaf=None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable, tree, *rest, is_leaf=None):
    """Apply ``f`` leafwise; ``rest`` trees must have ``tree``'s structure (or extend it)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others))


def tree_reduce(f: Callable, tree, initializer=_sentinel, is_leaf=None):
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _sentinel:
        return functools.reduce(f, leaves)
    return functools.reduce(f, leaves, initializer)


def tree_all(tree) -> bool:
    return all(tree_leaves(tree))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef, pytree):
    """Turn a tree of trees (outer of inner) into a tree of trees (inner of outer)."""
    flat = outer_treedef.flatten_up_to(pytree)
    inner = [inner_treedef.flatten_up_to(x) for x in flat]
    cols = [outer_treedef.unflatten(col) for col in zip(*inner)] if inner else []
    return inner_treedef.unflatten(cols)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    return treedef.node_type is None


def all_leaves(iterable) -> bool:
    return all(treedef_is_leaf(tree_structure(x)) for x in iterable)


class Partial(functools.partial):
    """A ``functools.partial`` that is a pytree: its bound arguments are leaves."""


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, c: Partial(func, *c[0], **c[1]),
)


def is_tree_node(x) -> bool:
    """True for containers (registered nodes, namedtuples, None), False for leaves."""
    return _node_handlers(type(x)) is not None


def flatten_one_level(tree):
    """``(children, aux)`` of a node's own children; ``ValueError`` for a leaf."""
    h = _node_handlers(type(tree))
    if h is None:
        raise ValueError(f"can't flatten one level of a leaf of type {type(tree).__name__}")
    children, aux = h[0](tree)
    return list(children), aux


def treedef_children(treedef: PyTreeDef) -> list:
    return list(treedef.children)


def treedef_tuple(treedefs) -> PyTreeDef:
    """The structure of a tuple whose elements have the structures ``treedefs``."""
    return _node(tuple, None, tuple(treedefs))


def register_static(cls):
    """Register ``cls`` as a node with no children: its instances are static data."""
    register_pytree_node(cls, lambda x: ((), x), lambda x, _: x)
    return cls


def tree_broadcast(prefix_tree, full_tree, is_leaf=None):
    """``prefix_tree`` with each leaf repeated over the matching subtree of ``full_tree``."""
    prefix_leaves, prefix_def = tree_flatten(prefix_tree, is_leaf)
    subtrees = prefix_def.flatten_up_to(full_tree)
    return prefix_def.unflatten(tree_map(lambda _, v=v: v, sub)
                                for v, sub in zip(prefix_leaves, subtrees))


def tree_reduce_associative(f: Callable, tree, *, identity=_sentinel, is_leaf=None):
    """``tree_reduce`` for an associative ``f`` (reduced pairwise, as a balanced tree)."""
    leaves = tree_leaves(tree, is_leaf)
    if not leaves:
        if identity is _sentinel:
            raise TypeError("tree_reduce_associative: empty tree and no identity")
        return identity
    while len(leaves) > 1:
        pairs = [f(leaves[i], leaves[i + 1]) for i in range(0, len(leaves) - 1, 2)]
        leaves = pairs + ([leaves[-1]] if len(leaves) % 2 else [])
    return leaves[0]

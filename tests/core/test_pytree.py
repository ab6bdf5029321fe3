"""Pytrees (jitnet.tree_util) against jax.tree_util's documented semantics."""
import collections
import dataclasses
import functools
import operator

import numpy as np
import pytest

import jitnet
from jitnet import tree_util as tu

Point = collections.namedtuple("Point", ["x", "y"])


def roundtrip(tree, **kw):
    leaves, treedef = tu.tree_flatten(tree, **kw)
    return leaves, treedef, tu.tree_unflatten(treedef, leaves)


# -- flatten / unflatten ----------------------------------------------------------------

@pytest.mark.parametrize("tree, leaves", [
    ((1, 2, 3), [1, 2, 3]),
    ([1, [2, 3]], [1, 2, 3]),
    ({"b": 1, "a": 2, "c": 3}, [2, 1, 3]),  # dict leaves in sorted-key order
    (Point(1, (2, 3)), [1, 2, 3]),
    (None, []),
    ((None, [None]), []),
    (collections.OrderedDict([("b", 1), ("a", 2)]), [1, 2]),  # insertion order kept
    ({"x": [1, (2, {"y": 3})], "w": Point(4, None)}, [4, 1, 2, 3]),
    ((), []),
    ([], []),
    ({}, []),
    (5, [5]),
    ("leaf", ["leaf"]),
])
def test_flatten_roundtrip(tree, leaves):
    got, treedef, back = roundtrip(tree)
    assert got == leaves
    assert back == tree and type(back) is type(tree)
    assert treedef.num_leaves == len(leaves)
    assert tu.tree_leaves(tree) == leaves
    assert tu.tree_structure(tree) == treedef


def test_unflatten_rebuilds_containers_with_new_leaves():
    tree = {"b": [1, 2], "a": Point(3, (4,))}
    _, treedef = tu.tree_flatten(tree)
    out = tu.tree_unflatten(treedef, ["A", "B", "C", "D"])
    assert out == {"a": Point("A", ("B",)), "b": ["C", "D"]}
    assert type(out["a"]) is Point
    assert list(out) == ["a", "b"]  # rebuilt dicts have sorted keys, as in JAX
    assert treedef.unflatten(range(4)) == {"a": Point(0, (1,)), "b": [2, 3]}


def test_arrays_are_leaves():
    x = jitnet.numpy.ones(3)
    a = np.zeros(2)
    leaves = tu.tree_leaves({"x": x, "a": [a]})
    assert leaves[0] is a and leaves[1] is x


def test_ordered_and_default_dicts():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef, back = roundtrip(od)
    assert list(back.items()) == [("b", 1), ("a", 2)] and type(back) is collections.OrderedDict
    assert treedef != tu.tree_structure(collections.OrderedDict([("a", 1), ("b", 2)]))
    assert treedef != tu.tree_structure({"b": 1, "a": 2})
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, _, back = roundtrip(dd)
    assert leaves == [2, 1]
    assert type(back) is collections.defaultdict and back.default_factory is list
    assert back == dd


def test_none_is_an_empty_node():
    treedef = tu.tree_structure(None)
    assert treedef.num_leaves == 0 and treedef.num_nodes == 1
    assert not tu.treedef_is_leaf(treedef)
    assert tu.tree_map(lambda x: x + 1, [None, 1]) == [None, 2]
    assert tu.tree_leaves([1, None, (None, 2)]) == [1, 2]


def test_num_nodes_and_leaf_predicates():
    treedef = tu.tree_structure((1, {"a": [2, 3]}))
    assert treedef.num_leaves == 3 and treedef.num_nodes == 6
    assert tu.treedef_is_leaf(tu.tree_structure(1))
    assert not tu.treedef_is_leaf(treedef)
    assert tu.all_leaves([1, "a", np.zeros(2)])
    assert not tu.all_leaves([1, (2,)])


def test_unflatten_wrong_leaf_count():
    treedef = tu.tree_structure((1, 2))
    with pytest.raises(ValueError):
        tu.tree_unflatten(treedef, [1])
    with pytest.raises(ValueError):
        tu.tree_unflatten(treedef, [1, 2, 3])


# -- structures: equality and hashing ------------------------------------------------------

def test_structure_equality_and_hash():
    s = tu.tree_structure
    assert s([1, (2,)]) == s(["a", ("b",)])
    assert hash(s([1, (2,)])) == hash(s(["a", ("b",)]))
    assert s({"a": 1, "b": 2}) == s({"b": 0, "a": 0})
    assert len({s((1, 2)), s(("x", "y")), s([1, 2])}) == 2
    assert s([1, 2]) != s((1, 2))
    assert s((1, 2)) != s((1, 2, 3))
    assert s({"a": 1}) != s({"b": 1})
    assert s(Point(1, 2)) != s((1, 2))
    assert s([1, None]) != s([1, 2])
    assert s((1, [2])) != s((1, (2,)))
    assert s(1) == s("leaf") and s(1) != s(None)
    assert s((1, 2)) != (1, 2)


def test_structure_repr_matches_jax_for_builtin_containers():
    assert repr(tu.tree_structure({"a": (1, [2]), "b": None})) == \
        "PyTreeDef({'a': (*, [*]), 'b': None})"
    assert repr(tu.tree_structure((1,))) == "PyTreeDef((*,))"
    assert repr(tu.tree_structure(None)) == "PyTreeDef(None)"
    assert repr(tu.tree_structure(3)) == "PyTreeDef(*)"


# -- tree_map, tree_reduce, tree_all, tree_transpose --------------------------------------------

def test_tree_map_several_trees():
    a = {"x": (1, 2), "y": [3]}
    b = {"x": (10, 20), "y": [30]}
    c = {"x": (100, 200), "y": [300]}
    assert tu.tree_map(lambda p, q, r: p + q + r, a, b, c) == {"x": (111, 222), "y": [333]}
    assert jitnet.tree_map(operator.mul, a, b) == {"x": (10, 40), "y": [90]}


def test_tree_map_other_trees_may_extend_the_first():
    """Leaves of the first tree may correspond to whole subtrees of the others."""
    out = tu.tree_map(lambda x, y: (x, y), (1, 2), ([1, 2], {"a": 3}))
    assert out == ((1, [1, 2]), (2, {"a": 3}))
    assert tu.tree_map(lambda x, y: (x, y), (1, 2), (1, None)) == ((1, 1), (2, None))


@pytest.mark.parametrize("other", [
    (1, 2, 3),        # different length
    [1, 2],           # different container type
    {"a": 1, "b": 2},
])
def test_tree_map_structure_mismatch(other):
    with pytest.raises(ValueError):
        tu.tree_map(lambda x, y: x, (1, 2), other)


def test_tree_map_dict_key_mismatch():
    with pytest.raises(ValueError):
        tu.tree_map(lambda x, y: x, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError):  # None in the first tree is a node: it needs a None
        tu.tree_map(lambda x, y: x, (1, None), (1, 2))


def test_tree_map_is_leaf():
    tree = [(1, 2), [3, (4, 5)]]
    out = tu.tree_map(lambda t: sum(t) if isinstance(t, tuple) else t * 10, tree,
                      is_leaf=lambda x: isinstance(x, tuple))
    assert out == [3, [30, 9]]
    leaves, treedef = tu.tree_flatten(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3, (4, 5)]
    assert treedef.num_leaves == 3
    assert tu.tree_leaves([1, None], is_leaf=lambda x: x is None) == [1, None]


def test_tree_reduce_and_all():
    assert tu.tree_reduce(operator.add, [1, (2, 3), {"a": 4}]) == 10
    assert tu.tree_reduce(operator.add, [], 5) == 5
    assert tu.tree_reduce(lambda acc, x: acc + [x], ("a", ["b"]), []) == ["a", "b"]
    with pytest.raises(TypeError):
        tu.tree_reduce(operator.add, [])
    assert tu.tree_all([True, (True, 1)])
    assert not tu.tree_all([True, (0,)])
    assert tu.tree_all([])


def test_tree_transpose():
    outer = tu.tree_structure([0, 0])
    inner = tu.tree_structure((0, 0))
    assert tu.tree_transpose(outer, inner, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    inner_d = tu.tree_structure({"a": 0, "b": 0})
    assert tu.tree_transpose(outer, inner_d, [{"a": 1, "b": 2}, {"a": 3, "b": 4}]) == \
        {"a": [1, 3], "b": [2, 4]}


# -- flatten_up_to ------------------------------------------------------------------------------

def test_flatten_up_to():
    treedef = tu.tree_structure({"a": 1, "b": (2, 3)})
    assert treedef.flatten_up_to({"a": [7, 8], "b": (9, {"z": 1})}) == [[7, 8], 9, {"z": 1}]


@pytest.mark.parametrize("tree", [
    (1,),                   # arity
    [1, 2],                 # type
    {"a": 1, "b": 2},       # type
    Point(1, 2),            # namedtuple is not a tuple
])
def test_flatten_up_to_errors(tree):
    with pytest.raises(ValueError):
        tu.tree_structure((1, 2)).flatten_up_to(tree)


def test_flatten_up_to_dict_and_none_errors():
    with pytest.raises(ValueError):
        tu.tree_structure({"a": 1, "b": 2}).flatten_up_to({"a": 1, "c": 2})
    with pytest.raises(ValueError):
        tu.tree_structure([None]).flatten_up_to([3])
    assert tu.tree_structure([None, 1]).flatten_up_to([None, (2, 3)]) == [(2, 3)]


# -- registration ---------------------------------------------------------------------------

class Box:
    """A registered container whose aux data (``label``) is static."""

    def __init__(self, label, items):
        self.label, self.items = label, items

    def __eq__(self, other):
        return type(other) is Box and (self.label, self.items) == (other.label, other.items)


tu.register_pytree_node(Box, lambda b: (b.items, b.label),
                        lambda label, items: Box(label, list(items)))


def test_register_pytree_node():
    tree = Box("lbl", [1, (2, 3)])
    leaves, treedef, back = roundtrip(tree)
    assert leaves == [1, 2, 3]
    assert back == tree
    assert tu.tree_map(lambda x: x * 2, tree) == Box("lbl", [2, (4, 6)])
    assert treedef == tu.tree_structure(Box("lbl", [0, (0, 0)]))
    assert treedef != tu.tree_structure(Box("other", [0, (0, 0)]))  # aux is part of it
    assert hash(treedef) == hash(tu.tree_structure(Box("lbl", ["a", ("b", "c")])))
    with pytest.raises(ValueError):
        tu.tree_structure(Box("lbl", [0, 0])).flatten_up_to(Box("other", [0, 0]))


def test_register_twice_raises():
    with pytest.raises(ValueError):
        tu.register_pytree_node(Box, lambda b: ((), None), lambda a, c: Box(None, []))
    with pytest.raises(ValueError):
        tu.register_pytree_node(tuple, lambda t: (t, None), lambda a, c: tuple(c))


@tu.register_pytree_node_class
class Pair:
    def __init__(self, a, b, scale=1):
        self.a, self.b, self.scale = a, b, scale

    def tree_flatten(self):
        return (self.a, self.b), self.scale

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, scale=aux)


def test_register_pytree_node_class():
    leaves, treedef, back = roundtrip(Pair(1, [2, 3], scale=7))
    assert leaves == [1, 2, 3]
    assert type(back) is Pair and (back.a, back.b, back.scale) == (1, [2, 3], 7)
    doubled = tu.tree_map(lambda x: 2 * x, Pair(1, 2, scale=3))
    assert (doubled.a, doubled.b, doubled.scale) == (2, 4, 3)
    assert treedef != tu.tree_structure(Pair(1, [2, 3], scale=8))


@dataclasses.dataclass
class Params:
    w: object
    b: object
    name: str = dataclasses.field(default="layer", metadata=dict(static=True))


tu.register_dataclass(Params)


@dataclasses.dataclass
class Explicit:
    x: object
    tag: str


tu.register_dataclass(Explicit, data_fields=["x"], meta_fields=["tag"])


def test_register_dataclass():
    p = Params(1, (2, 3), name="dense")
    leaves, treedef, back = roundtrip(p)
    assert leaves == [1, 2, 3] and back == p
    assert treedef == tu.tree_structure(Params(0, (0, 0), name="dense"))
    assert treedef != tu.tree_structure(Params(0, (0, 0), name="conv"))
    assert tu.tree_map(lambda v: v + 1, p) == Params(2, (3, 4), name="dense")
    e = Explicit([1, 2], "t")
    assert tu.tree_leaves(e) == [1, 2]
    assert tu.tree_unflatten(tu.tree_structure(e), [5, 6]) == Explicit([5, 6], "t")
    assert tu.tree_structure(e) != tu.tree_structure(Explicit([1, 2], "u"))


def test_namedtuple_keeps_type_and_fields():
    leaves, treedef, back = roundtrip(Point(1, Point(2, 3)))
    assert leaves == [1, 2, 3] and back == Point(1, Point(2, 3))
    assert type(back.y) is Point
    Other = collections.namedtuple("Other", ["x", "y"])
    assert treedef != tu.tree_structure(Other(1, Other(2, 3)))


def test_partial_is_a_pytree():
    p = tu.Partial(lambda a, b, c=0: a + b + c, 1, c=10)
    leaves, treedef = tu.tree_flatten(p)
    assert sorted(leaves) == [1, 10]
    q = tu.tree_map(lambda x: x * 2, p)
    assert isinstance(q, tu.Partial) and q(5) == 2 + 5 + 20
    assert isinstance(p, functools.partial)

"""The JAX names real programs use (issue 18, item 3): ``jax.tree``, key paths,
``test_util.check_grads``, ``ad_checkpoint``, ``typeof``, ``Array.devices``, ``jit(f).trace``."""
import collections
import dataclasses

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import tree_util as tu

Point = collections.namedtuple("Point", ["x", "y"])


def test_jax_tree_short_names():
    t = {"b": [1, 2], "a": (3, None)}
    assert jax.tree.leaves(t) == [3, 1, 2]
    assert jax.tree.map(lambda v: v * 10, t) == {"b": [10, 20], "a": (30, None)}
    leaves, td = jax.tree.flatten(t)
    assert jax.tree.unflatten(td, leaves) == t
    assert jax.tree.structure(t) == td
    assert jax.tree.reduce(lambda a, b: a + b, t) == 6
    assert jax.tree.all({"a": True, "b": [1, 2]}) and not jax.tree.all([1, 0])
    outer, inner = jax.tree.structure([0, 0]), jax.tree.structure((0, 0, 0))
    assert jax.tree.transpose(outer, inner, [(1, 2, 3), (4, 5, 6)]) == ([1, 4], [2, 5], [3, 6])


def test_key_paths_name_every_container():
    t = {"w": [np.zeros(1), Point(1, 2)], "b": collections.OrderedDict(z=3, a=4)}
    pairs = jax.tree.leaves_with_path(t)
    got = [(tu.keystr(p), v if not isinstance(v, np.ndarray) else "arr") for p, v in pairs]
    assert got == [("['b']['z']", 3), ("['b']['a']", 4), ("['w'][0]", "arr"),
                   ("['w'][1].x", 1), ("['w'][1].y", 2)]
    path = pairs[3][0]
    assert path == (tu.DictKey("w"), tu.SequenceKey(1), tu.GetAttrKey("x"))
    assert tu.keystr(path, simple=True, separator="/") == "w/1/x"
    # same order as tree_flatten, and flatten_with_path's treedef is tree_flatten's
    flat, td = tu.tree_flatten_with_path(t)
    assert all(a is b for (_, a), b in zip(flat, jax.tree.leaves(t)))
    assert len(flat) == 5 and td == jax.tree.structure(t)


def test_map_with_path():
    t = {"a": 1, "b": [2, 3]}
    out = jax.tree.map_with_path(lambda p, v, w: f"{tu.keystr(p)}={v + w}", t, t)
    assert out == {"a": "['a']=2", "b": ["['b'][0]=4", "['b'][1]=6"]}


def test_key_paths_of_registered_nodes():
    @dataclasses.dataclass
    class Params:
        w: int
        name: str

    tu.register_dataclass(Params, data_fields=["w"], meta_fields=["name"])
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Params(5, "n"))] == [".w"]

    class Box:
        def __init__(self, a, b):
            self.a, self.b = a, b

    tu.register_pytree_node(Box, lambda x: ((x.a, x.b), None), lambda _, c: Box(*c))
    paths = [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Box(1, 2))]
    assert paths == ["[<flat index 0>]", "[<flat index 1>]"]

    class Named:
        def __init__(self, a):
            self.a = a

    tu.register_pytree_with_keys(Named, lambda x: (((tu.GetAttrKey("a"), x.a),), None),
                                 lambda _, c: Named(*c))
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Named(7))] == [".a"]
    assert jax.tree.map(lambda v: v + 1, Named(7)).a == 8


def test_check_grads_from_test_util():
    jax.test_util.check_grads(lambda x: jnp.sin(x) * x, (np.array([0.3, 1.2]),), order=2,
                              rtol=1e-3, atol=1e-3)
    with pytest.raises(AssertionError):
        # a wrong rule must fail
        @jax.custom_jvp
        def f(x):
            return jnp.sin(x)
        f.defjvps(lambda t, out, x: t * 2.0)
        jax.test_util.check_grads(f, (np.array([0.3]),), order=1, rtol=1e-3, atol=1e-3)


@pytest.mark.slow
def test_ad_checkpoint_policies_keep_values():
    from jitnet.ad_checkpoint import checkpoint, checkpoint_name, checkpoint_policies as cp

    def f(w, x):
        h = checkpoint_name(jnp.tanh(x @ w), "h")
        return jnp.sum(jnp.sin(h) ** 2)

    w, x = np.random.RandomState(0).standard_normal((2, 3, 3)).astype(np.float32)
    ref = np.asarray(jax.grad(f)(w, x))
    for policy in (None, cp.nothing_saveable, cp.everything_saveable, cp.dots_saveable,
                   cp.save_only_these_names("h"), cp.dots_with_no_batch_dims_saveable):
        g = jax.jit(jax.grad(checkpoint(f, policy=policy)))(w, x)
        np.testing.assert_allclose(np.asarray(g), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="policy"):
        checkpoint(f, policy="dots")


def test_typeof_devices_sharding():
    x = jnp.ones((2, 3))
    t = jax.typeof(x)
    assert t.shape == (2, 3) and t.dtype == np.float32
    assert x.devices() == {jax.devices()[0]} and x.device == jax.devices()[0]
    assert x.sharding.device_set == {x.device} and x.sharding.is_fully_replicated()
    assert jax.typeof(1.0).weak_type


def test_jit_trace_lower_compile():
    def f(x, y):
        return {"s": jnp.sum(x * y)}

    x = np.arange(3.0, dtype=np.float32)
    traced = jax.jit(f).trace(x, x)
    assert "mul" in str(traced.jaxpr)
    assert traced.out_info["s"].shape == () and traced.out_info["s"].dtype == np.float32
    lowered = traced.lower()
    assert "mul" in lowered.as_text()
    assert lowered.compile() is not None


def test_tree_util_one_level_and_broadcast():
    t = {"a": [1, 2], "b": 3}
    assert tu.is_tree_node(t) and not tu.is_tree_node(3)
    assert tu.flatten_one_level(t) == ([[1, 2], 3], ("a", "b"))
    pairs, _ = tu.flatten_one_level_with_keys(Point(1, [2]))
    assert pairs == [(tu.GetAttrKey("x"), 1), (tu.GetAttrKey("y"), [2])]
    with pytest.raises(ValueError, match="leaf"):
        tu.flatten_one_level(3)
    td = jax.tree.structure(t)
    assert tu.treedef_children(td)[0] == jax.tree.structure([0, 0])
    assert tu.treedef_tuple([td, td]) == jax.tree.structure((t, t))
    assert jax.tree.broadcast({"a": 0, "b": 1}, t) == {"a": [0, 0], "b": 1}
    assert jax.tree.reduce_associative(lambda x, y: x + y, [1, 2, 3, 4, 5]) == 15
    assert jax.tree.reduce_associative(lambda x, y: x + y, [], identity=0) == 0

    class Config:
        pass

    jax.tree.static(Config)
    c = Config()
    assert jax.tree.leaves({"c": c, "x": 1}) == [1]
    assert jax.tree.map(lambda v: v + 1, {"c": c, "x": 1})["c"] is c

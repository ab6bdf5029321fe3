"""jitnet.tree (jax.tree's short names) and jitnet.flatten_util.ravel_pytree."""
import collections

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import tree
from jitnet.flatten_util import ravel_pytree


def test_tree_names():
    t = {"a": [1, 2], "b": (3, None)}
    assert tree.leaves(t) == [1, 2, 3]
    assert tree.map(lambda x, y: x * y, t, {"a": [2, 2], "b": (2, None)}) == {
        "a": [2, 4], "b": (6, None)}
    leaves, treedef = tree.flatten(t)
    assert treedef == tree.structure(t)
    assert tree.unflatten(treedef, [4, 5, 6]) == {"a": [4, 5], "b": (6, None)}
    assert tree.reduce(lambda a, b: a + b, t) == 6
    assert tree.all([True, (1, 2)]) and not tree.all([True, 0])
    assert tree.transpose(tree.structure([0, 0]), tree.structure((0, 0)),
                          [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert tree.map(lambda x: x, [1, [2]], is_leaf=lambda x: isinstance(x, list)) == [1, [2]]


Point = collections.namedtuple("Point", "x y")


def test_ravel_pytree_round_trip():
    t = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": Point(np.float32(7.0),
                                                                       np.ones(2, np.float32))}
    flat, unravel = ravel_pytree(t)
    # leaves in tree_flatten order (dict keys sorted), each raveled in C order
    np.testing.assert_array_equal(np.asarray(flat), [7.0, 1, 1, 0, 1, 2, 3, 4, 5])
    back = unravel(flat * 2)
    assert isinstance(back["b"], Point)
    np.testing.assert_array_equal(np.asarray(back["w"]), t["w"] * 2)
    assert back["b"].x.shape == ()


def test_ravel_pytree_dtypes_and_errors():
    flat, unravel = ravel_pytree([np.ones(2, np.float32), np.arange(3, dtype=np.int32)])
    assert flat.dtype == np.float32
    back = unravel(flat)
    assert back[1].dtype == np.int32
    with pytest.raises(ValueError, match="unravel.*shape \\(5,\\)"):
        unravel(jnp.zeros(4))
    with pytest.raises(TypeError, match="unravel.*dtype float32"):
        unravel(np.zeros(5, np.int32))
    empty, unravel_empty = ravel_pytree({})
    assert empty.shape == (0,) and unravel_empty(empty) == {}


def test_ravel_pytree_grad():
    params = {"w": np.array([[1.0, 2.0]], np.float32), "b": np.array([0.5], np.float32)}
    flat, unravel = ravel_pytree(params)

    def loss(p):
        return jnp.sum(p["w"] ** 2) + 3 * jnp.sum(p["b"])

    g = jitnet.grad(lambda v: loss(unravel(v)))(flat)  # flat order: b, then w
    np.testing.assert_allclose(np.asarray(g), [3.0, 2.0, 4.0])
    g_tree = unravel(g)
    np.testing.assert_allclose(np.asarray(g_tree["w"]), [[2.0, 4.0]])
    out = jitnet.jit(lambda v: loss(unravel(v)))(flat)
    np.testing.assert_allclose(float(out), 1 + 4 + 1.5)

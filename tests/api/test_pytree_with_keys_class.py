"""``tree_util.register_pytree_with_keys_class``: key paths from the class's own
``tree_flatten_with_keys``, and pytrees that transformations see through."""
import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import tree_util as tu


@tu.register_pytree_with_keys_class
class Pair:
    def __init__(self, w, b, name):
        self.w, self.b, self.name = w, b, name

    def tree_flatten_with_keys(self):
        return [(tu.GetAttrKey("w"), self.w), (tu.GetAttrKey("b"), self.b)], self.name

    @classmethod
    def tree_unflatten(cls, name, children):
        return cls(*children, name)


@tu.register_pytree_with_keys_class
class Counted:
    """Has a plain tree_flatten too: flattening uses it, key paths the keyed one."""
    flattens = 0

    def __init__(self, v):
        self.v = v

    def tree_flatten(self):
        Counted.flattens += 1
        return [self.v], None

    def tree_flatten_with_keys(self):
        return [(tu.DictKey("v"), self.v)], None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_key_paths_and_round_trip():
    p = Pair(np.ones(2), 3.0, "layer")
    paths = [tu.keystr(k) for k, _ in tu.tree_leaves_with_path({"p": p})]
    assert paths == ["['p'].w", "['p'].b"]
    leaves, td = tu.tree_flatten(p)
    back = tu.tree_unflatten(td, [x * 2 for x in leaves])
    assert back.name == "layer" and back.b == 6.0 and np.array_equal(back.w, [2, 2])


def test_plain_flatten_is_preferred_when_defined():
    before = Counted.flattens
    assert tu.tree_leaves(Counted(5)) == [5] and Counted.flattens == before + 1
    assert [tu.keystr(k) for k, _ in tu.tree_flatten_with_path(Counted(5))[0]] == ["['v']"]


def test_grad_through_a_registered_class():
    p = Pair(np.array([1.0, 2.0]), np.float32(0.5), "n")
    g = jax.grad(lambda p: jnp.sum(p.w ** 2) + p.b ** 3)(p)
    assert isinstance(g, Pair) and g.name == "n"
    np.testing.assert_allclose(np.asarray(g.w), [2.0, 4.0])
    np.testing.assert_allclose(float(g.b), 0.75)

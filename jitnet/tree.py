"""``jitnet.tree``: the short pytree names of ``jax.tree`` (``jax.tree.map``, ...), the
same functions as ``tree_util``'s ``tree_*``."""
from .core.keypath import (tree_flatten_with_path as flatten_with_path,  # noqa: F401
                           tree_leaves_with_path as leaves_with_path,
                           tree_map_with_path as map_with_path)
from .core.pytree import (register_static as static,  # noqa: F401
                          tree_broadcast as broadcast,
                          tree_reduce_associative as reduce_associative,
                          tree_all, tree_flatten as flatten,
                          tree_leaves as leaves, tree_map as map, tree_reduce as reduce,
                          tree_structure as structure, tree_transpose as transpose,
                          tree_unflatten as unflatten)


def all(tree, *, is_leaf=None) -> bool:  # noqa: A001  (jax.tree.all)
    """True if every leaf is truthy."""
    return tree_all(leaves(tree, is_leaf=is_leaf))


__all__ = ["all", "broadcast", "flatten", "reduce_associative", "static", "flatten_with_path", "leaves", "leaves_with_path", "map",
           "map_with_path", "reduce", "structure", "transpose", "unflatten"]

"""``jitnet.tree_util``: pytree utilities with ``jax.tree_util``'s names."""
from .core.keypath import (DictKey, FlattenedIndexKey, GetAttrKey, KeyPath,  # noqa: F401
                           SequenceKey, flatten_one_level_with_keys, keystr,
                           register_pytree_with_keys, tree_flatten_with_path,
                           tree_leaves_with_path, tree_map_with_path)
from .core.pytree import (Partial, PyTreeDef, all_leaves, flatten_one_level,  # noqa: F401
                          is_tree_node, register_dataclass, register_pytree_node,
                          register_pytree_node_class, register_static, tree_all,
                          tree_broadcast, tree_flatten, tree_leaves, tree_map, tree_reduce,
                          tree_reduce_associative, tree_structure, tree_transpose,
                          tree_unflatten, treedef_children, treedef_is_leaf, treedef_tuple)


def register_pytree_with_keys_class(cls):
    """Class decorator, the keyed form of ``register_pytree_node_class``: the class defines
    ``tree_flatten_with_keys(self) -> ([(key, child), ...], aux)`` and the classmethod
    ``tree_unflatten(aux, children)``; a ``tree_flatten`` method, if it has one, flattens
    without building the keys."""
    flatten = (lambda x: x.tree_flatten()) if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten,
                              flatten)
    return cls

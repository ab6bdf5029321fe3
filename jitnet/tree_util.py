"""``jitnet.tree_util``: pytree utilities with ``jax.tree_util``'s names."""
from .core.keypath import (DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey,  # noqa: F401
                           keystr, register_pytree_with_keys, tree_flatten_with_path,
                           tree_leaves_with_path, tree_map_with_path)
from .core.pytree import (Partial, PyTreeDef, all_leaves, register_dataclass,  # noqa: F401
                          register_pytree_node, register_pytree_node_class, tree_all,
                          tree_flatten, tree_leaves, tree_map, tree_reduce, tree_structure,
                          tree_transpose, tree_unflatten, treedef_is_leaf)

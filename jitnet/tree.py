"""``jitnet.tree``: ``jax.tree``'s short names for the pytree utilities of ``jitnet.tree_util``
(``jax.tree.map`` is ``jax.tree_util.tree_map``, and so on)."""
from .core.pytree import tree_all as all  # noqa: F401
from .core.pytree import tree_flatten as flatten  # noqa: F401
from .core.pytree import tree_leaves as leaves  # noqa: F401
from .core.pytree import tree_map as map  # noqa: F401
from .core.pytree import tree_reduce as reduce  # noqa: F401
from .core.pytree import tree_structure as structure  # noqa: F401
from .core.pytree import tree_transpose as transpose  # noqa: F401
from .core.pytree import tree_unflatten as unflatten  # noqa: F401

__all__ = ["all", "flatten", "leaves", "map", "reduce", "structure", "transpose", "unflatten"]

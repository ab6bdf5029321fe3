"""``jax.stages``: the objects of ``jit``'s stages, ``jit(f).trace(*args)`` (``Traced``) and
``.lower()`` (``Lowered``; its ``.compile()`` is the ``Compiled`` executable)."""
from .api.jit import Lowered, TracedStage as Traced  # noqa: F401
from .api.jit import Jitted as Wrapped  # noqa: F401
from .runtime.numba_backend import NumbaExecutable as Compiled  # noqa: F401

__all__ = ["Traced", "Lowered", "Compiled", "Wrapped"]

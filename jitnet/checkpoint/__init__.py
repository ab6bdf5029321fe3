"""``jitnet.checkpoint``: pytrees saved as safetensors arrays plus a JSON manifest.

    ckpt.save("run/step_100", {"params": params, "opt": opt_state}, metadata={"epoch": 3})
    state = ckpt.restore("run/step_100", like={"params": params, "opt": opt_state})

No pickle: the structure is described as data (container kinds, keys, field names, dtypes,
shapes), arrays live in a safetensors file checked by sha256, and writes are atomic.
``restore(..., like=)`` returns ``like``'s structure and lists every mismatched name and
shape. ``CheckpointManager`` numbers checkpoints by step and keeps the last K / the best.
See docs/CHECKPOINT.md.
"""
from .files import CheckpointError, CheckpointReader, restore, save  # noqa: F401
from .manager import CheckpointManager, point_latest, resolve  # noqa: F401

import sys as _sys
import types as _types

from ..hop import checkpoint as _remat


class _CallableModule(_types.ModuleType):
    """``jitnet.checkpoint`` is also JAX's ``jax.checkpoint`` (rematerialisation), whose
    name this module takes over: calling the module calls ``jitnet.remat``."""

    def __call__(self, *args, **kwargs):
        return _remat(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule

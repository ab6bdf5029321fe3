"""``jitnet.ad_checkpoint``: ``jax.ad_checkpoint``'s names (``checkpoint``, ``remat``,
``checkpoint_name``, ``checkpoint_policies``). Every policy but ``everything_saveable``
recomputes the whole checkpointed function (see ``jitnet.checkpoint``)."""
import types

from .hop.remat import (checkpoint, checkpoint_dots, checkpoint_name,  # noqa: F401
                        dots_saveable, dots_with_no_batch_dims_saveable, everything_saveable,
                        nothing_saveable, remat, save_anything_except_these_names,
                        save_only_these_names)

checkpoint_policies = types.SimpleNamespace(
    everything_saveable=everything_saveable, nothing_saveable=nothing_saveable,
    dots_saveable=dots_saveable, checkpoint_dots=checkpoint_dots,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    save_only_these_names=save_only_these_names,
    save_anything_except_these_names=save_anything_except_these_names)

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "remat"]

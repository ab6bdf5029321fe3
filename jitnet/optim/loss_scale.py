"""Keras's ``LossScaleOptimizer``: dynamic loss scaling for float16 training.

float16's smallest normal is 6e-5: many gradients of a float16 forward pass would
underflow to zero. The loss is multiplied by a large scale before differentiation (the
gradients of ``loss * scale`` are the gradients times ``scale``, well inside float16's
range) and the gradients are divided by it before the update. The scale adapts: a step
whose gradients hold an inf or NaN is skipped and halves the scale; after
``dynamic_growth_steps`` finite steps in a row the scale doubles.

    opt = optim.LossScaleOptimizer(optim.adam(1e-3))
    state = opt.init(params)
    grads = grad(lambda p: loss(p) * optim.loss_scale(state))(params)
    updates, state = opt.update(grads, state, params)

``build_train_step`` (so ``fit`` and the ``Trainer``) scales the loss itself when the
optimizer state holds a loss scale, and ``model.compile`` wraps the optimizer under the
``"mixed_float16"`` policy. It must be the outermost transformation (clipping inside it
sees the unscaled gradients).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jitnet.numpy as jnp
from jitnet.tree_util import tree_map

from .base import GradientTransformation, all_finite, tree_where, zero_count


class LossScaleState(NamedTuple):
    scale: Any          # float32 scalar: the current loss scale
    good_steps: Any     # int32: finite steps since the scale last changed
    inner_state: Any


class LossScaleTransformation(GradientTransformation):
    """A ``GradientTransformation`` made by ``LossScaleOptimizer`` (so wrapping is idempotent)."""


def LossScaleOptimizer(inner_optimizer: GradientTransformation, initial_scale: float = 2.0 ** 15,
                       dynamic_growth_steps: int = 2000) -> GradientTransformation:
    """``inner_optimizer`` applied to gradients of a scaled loss (Keras's names and defaults).

    ``update`` takes the gradients of ``loss * scale``, divides them by ``scale`` and applies
    ``inner_optimizer`` if they are all finite; otherwise the update is zero, the inner state
    is kept and the scale halves. Every ``dynamic_growth_steps`` finite steps it doubles."""
    if isinstance(inner_optimizer, LossScaleTransformation):
        raise ValueError("LossScaleOptimizer: the optimizer already scales the loss")
    if float(initial_scale) <= 0 or int(dynamic_growth_steps) < 1:
        raise ValueError(f"LossScaleOptimizer: initial_scale must be > 0 and "
                         f"dynamic_growth_steps >= 1, got {initial_scale} and "
                         f"{dynamic_growth_steps}")

    def init(params):
        return LossScaleState(jnp.asarray(initial_scale, jnp.float32), zero_count(),
                              inner_optimizer.init(params))

    def update(grads, state, params=None):
        inv = 1.0 / state.scale
        grads = tree_map(lambda g: (g * inv.astype(g.dtype)), grads)
        finite = all_finite(grads)
        updates, inner_state = inner_optimizer.update(grads, state.inner_state, params)
        updates = tree_where(finite, updates, tree_map(jnp.zeros_like, updates))
        inner_state = tree_where(finite, inner_state, state.inner_state)
        good = jnp.where(finite, state.good_steps + 1, 0).astype(jnp.int32)
        grow = good >= dynamic_growth_steps
        scale = jnp.where(finite, jnp.where(grow, state.scale * 2.0, state.scale),
                          state.scale * 0.5)
        good = jnp.where(grow, 0, good).astype(jnp.int32)
        return updates, LossScaleState(scale.astype(jnp.float32), good, inner_state)

    return LossScaleTransformation(init, update)


def loss_scale(opt_state):
    """The current loss scale in an optimizer state (the first ``LossScaleState`` found), or
    ``None`` when the optimizer does not scale the loss."""
    if isinstance(opt_state, LossScaleState):
        return opt_state.scale
    if isinstance(opt_state, (tuple, list)):
        for s in opt_state:
            found = loss_scale(s)
            if found is not None:
                return found
    if isinstance(opt_state, dict):
        for s in opt_state.values():
            found = loss_scale(s)
            if found is not None:
                return found
    return None


__all__ = ["LossScaleOptimizer", "LossScaleState", "loss_scale"]

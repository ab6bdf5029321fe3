"""Optimizers as ``(init, update)`` pairs of pure functions over pytrees, like Optax.

``state = opt.init(params)``; ``updates, state = opt.update(grads, state, params)``;
``params = apply_updates(params, updates)``.
"""
from .optimizers import (GradientTransformation, adam, apply_updates, chain,  # noqa: F401
                         clip_by_global_norm, scale, sgd)

"""SGD (with momentum / Nesterov), Adam, gradient clipping, composed with ``chain``."""
from __future__ import annotations

from typing import Callable, NamedTuple

from .. import numpy as jnp
from ..core.pytree import tree_leaves, tree_map


class GradientTransformation(NamedTuple):
    init: Callable
    update: Callable


def apply_updates(params, updates):
    return tree_map(lambda p, u: p + u.astype(p.dtype), params, updates)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        new_state = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def scale(step_size: float) -> GradientTransformation:
    return GradientTransformation(lambda p: (),
                                  lambda u, s, p=None: (tree_map(lambda g: g * step_size, u), s))


def _trace(decay: float, nesterov: bool) -> GradientTransformation:
    def init(params):
        return tree_map(jnp.zeros_like, params)

    def update(updates, state, params=None):
        new = tree_map(lambda g, m: g + decay * m, updates, state)
        out = tree_map(lambda g, m: g + decay * m, updates, new) if nesterov else new
        return out, new

    return GradientTransformation(init, update)


def sgd(learning_rate: float, momentum: float | None = None,
        nesterov: bool = False) -> GradientTransformation:
    parts = [] if not momentum else [_trace(momentum, nesterov)]
    return chain(*parts, scale(-learning_rate))


class AdamState(NamedTuple):
    count: object
    mu: object
    nu: object


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> GradientTransformation:
    def init(params):
        z = tree_map(jnp.zeros_like, params)
        return AdamState(jnp.zeros((), jnp.int32), z, tree_map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        count = state.count + 1
        mu = tree_map(lambda g, m: b1 * m + (1 - b1) * g, updates, state.mu)
        nu = tree_map(lambda g, v: b2 * v + (1 - b2) * g * g, updates, state.nu)
        c1 = 1 - b1 ** count.astype(jnp.float32)
        c2 = 1 - b2 ** count.astype(jnp.float32)
        out = tree_map(lambda m, v: (m / c1) / (jnp.sqrt(v / c2) + eps), mu, nu)
        return out, AdamState(count, mu, nu)

    return GradientTransformation(init, update)


def adam(learning_rate: float, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> GradientTransformation:
    return chain(scale_by_adam(b1, b2, eps), scale(-learning_rate))


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    def update(updates, state, params=None):
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in tree_leaves(updates)))
        factor = jnp.minimum(1.0, max_norm / (norm + 1e-12))
        return tree_map(lambda g: g * factor, updates), state

    return GradientTransformation(lambda p: (), update)

"""Clipping and sanitising updates: elementwise, per leaf (block RMS), by the global norm of
the whole pytree, and replacing NaNs."""
from __future__ import annotations

from typing import Any, NamedTuple

import jitnet.numpy as jnp
from jitnet.tree_util import tree_leaves, tree_map

from .base import EmptyState, GradientTransformation

ClipState = EmptyState
ClipByGlobalNormState = EmptyState


class ZeroNansState(NamedTuple):
    found_nan: Any         # per leaf: whether the last updates had a NaN


def global_norm(updates) -> Any:
    """The L2 norm of all leaves of a pytree taken together."""
    return jnp.sqrt(sum(jnp.sum(jnp.real(x * jnp.conj(x))) for x in tree_leaves(updates)))


def clip(max_delta) -> GradientTransformation:
    """Clips every update element to ``[-max_delta, max_delta]``."""
    def update(updates, state, params=None):
        return tree_map(lambda g: jnp.clip(g, -max_delta, max_delta), updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


def block_rms(x):
    """The root mean square of one leaf."""
    return jnp.sqrt(jnp.mean(x * x))


def clip_by_block_rms(threshold) -> GradientTransformation:
    """Rescales each leaf whose root mean square exceeds ``threshold`` down to it."""
    def update(updates, state, params=None):
        return tree_map(lambda g: g / jnp.maximum(1.0, block_rms(g) / threshold), updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


def clip_by_global_norm(max_norm) -> GradientTransformation:
    """Rescales the updates so their global norm is at most ``max_norm`` (Pascanu et al.)."""
    def update(updates, state, params=None):
        norm = global_norm(updates)
        small = norm < max_norm
        return tree_map(lambda g: jnp.where(small, g, (g / norm.astype(g.dtype)) * max_norm),
                        updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


def zero_nans() -> GradientTransformation:
    """Replaces NaN updates by zeros, recording per leaf whether any were found."""
    def init(params):
        return ZeroNansState(tree_map(lambda p: jnp.asarray(False), params))

    def update(updates, state, params=None):
        found = tree_map(lambda g: jnp.any(jnp.isnan(g)), updates)
        return tree_map(lambda g: jnp.where(jnp.isnan(g), jnp.zeros_like(g), g), updates), \
            ZeroNansState(found)
    return GradientTransformation(init, update)

"""Adafactor's second-moment estimate: per-row and per-column statistics of ``g^2`` instead of
a full accumulator, so a (rows, cols) matrix keeps rows + cols numbers (Shazeer & Stern, 2018).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import jitnet.numpy as jnp
from jitnet.tree_util import tree_leaves, tree_structure, tree_unflatten

from .base import (GradientTransformation, check_same_tree, require_params, safe_increment,
                   zero_count)


class FactoredState(NamedTuple):
    count: Any
    v_row: Any   # factored leaves: the mean of g^2 over the largest axis; else a (1,) stand-in
    v_col: Any   # factored leaves: the mean of g^2 over the second largest axis
    v: Any       # unfactored leaves: the full average of g^2


def _factored_dims(shape, factored: bool, min_dim_size_to_factor: int):
    """The (second largest, largest) axes to factor over, or None to keep a full accumulator."""
    if not factored or len(shape) < 2:
        return None
    order = np.argsort(shape)
    if shape[order[-2]] < min_dim_size_to_factor:
        return None
    return int(order[-2]), int(order[-1])


def _decay_rate_pow(step, exponent=0.8):
    """Adafactor's increasing decay ``1 - (t + 1) ** -exponent``."""
    return 1.0 - (jnp.asarray(step).astype(jnp.float32) + 1.0) ** (-exponent)


def scale_by_factored_rms(factored: bool = True, decay_rate=0.8, step_offset=0,
                          min_dim_size_to_factor: int = 128, epsilon=1e-30,
                          decay_rate_fn=_decay_rate_pow) -> GradientTransformation:
    """Divides by the root of a factored moving average of ``g^2 + epsilon``.

    Leaves with two axes of at least ``min_dim_size_to_factor`` keep row and column averages
    and estimate the full matrix as ``outer(row, col) / mean(row)``; other leaves keep a full
    average, as RMSProp does.
    """
    def dims(p):
        return _factored_dims(jnp.shape(p), factored, min_dim_size_to_factor)

    def init(params):
        placeholder = lambda p: jnp.zeros((1,), p.dtype)  # noqa: E731
        rows, cols, full = [], [], []
        for p in tree_leaves(params):
            d = dims(p)
            rows.append(jnp.zeros_like(jnp.sum(p, axis=d[1])) if d else placeholder(p))
            cols.append(jnp.zeros_like(jnp.sum(p, axis=d[0])) if d else placeholder(p))
            full.append(placeholder(p) if d else jnp.zeros_like(p))
        tree = tree_structure(params)
        return FactoredState(zero_count(), tree_unflatten(tree, rows), tree_unflatten(tree, cols),
                             tree_unflatten(tree, full))

    def update(updates, state, params=None):
        require_params("scale_by_factored_rms", params)
        check_same_tree("scale_by_factored_rms", params, updates, "params", "updates")
        decay = decay_rate_fn(state.count - step_offset, decay_rate)
        out, rows, cols, full = [], [], [], []
        for g, row, col, v in zip(tree_leaves(updates), tree_leaves(state.v_row),
                                  tree_leaves(state.v_col), tree_leaves(state.v)):
            g2 = g * g + epsilon
            d = dims(g)
            if d is None:
                v = (decay * v + (1 - decay) * g2).astype(g.dtype)
                out.append(g * v ** -0.5)
            else:
                second, largest = d
                row = (decay * row + (1 - decay) * jnp.mean(g2, axis=largest)).astype(g.dtype)
                col = (decay * col + (1 - decay) * jnp.mean(g2, axis=second)).astype(g.dtype)
                row_axis = second - 1 if second > largest else second   # in row's axes
                row_factor = (row / jnp.mean(row, axis=row_axis, keepdims=True)) ** -0.5
                out.append(g * jnp.expand_dims(row_factor, largest)
                           * jnp.expand_dims(col ** -0.5, second))
            rows.append(row)
            cols.append(col)
            full.append(v)
        tree = tree_structure(updates)
        return tree_unflatten(tree, out), FactoredState(
            safe_increment(state.count), tree_unflatten(tree, rows), tree_unflatten(tree, cols),
            tree_unflatten(tree, full))
    return GradientTransformation(init, update)

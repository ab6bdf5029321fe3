"""The Optax core: ``GradientTransformation``, ``chain``, ``apply_updates`` and shared helpers.

An optimizer is a pair of pure functions over pytrees, ``state = init(params)`` and
``updates, state = update(grads, state, params=None)``; states are NamedTuples of arrays so
``jit``, ``tree_util`` and checkpointing see them as ordinary pytrees.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Union

import jitnet.numpy as jnp
from jitnet.core.source_info import user_line
from jitnet.tree_util import tree_leaves, tree_map, tree_structure

Params = Any
Updates = Any
OptState = Any
Schedule = Callable[[Any], Any]
ScalarOrSchedule = Union[float, Any, Schedule]


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(updates, state, params=None) -> (updates, state)``."""
    init: Callable
    update: Callable


class EmptyState(NamedTuple):
    """The state of a stateless transformation (a pytree without leaves)."""


def check_same_tree(op: str, expected, got, expected_name: str, got_name: str) -> None:
    """Raise a ValueError naming ``op`` when two pytrees differ in structure or leaf shapes.

    Runs in Python before anything is traced further, so a user sees which optimizer and which
    arguments disagree instead of a broadcasting error deep inside the update.
    """
    s_exp, s_got = tree_structure(expected), tree_structure(got)
    if s_exp != s_got:
        raise ValueError(f"{op}: {got_name} and {expected_name} have different tree structures: "
                         f"{s_got} vs {s_exp}{user_line()}")
    for a, b in zip(tree_leaves(expected), tree_leaves(got)):
        if jnp.shape(a) != jnp.shape(b):
            raise ValueError(f"{op}: {got_name} leaf of shape {jnp.shape(b)} does not match the "
                             f"{expected_name} leaf of shape {jnp.shape(a)}{user_line()}")


def require_params(op: str, params) -> None:
    """Transformations that read the parameters (weight decay, trust ratios) need them passed."""
    if params is None:
        raise ValueError(f"{op} needs the parameters: call update(grads, state, params)"
                         f"{user_line()}")


def safe_increment(count):
    """``count + 1`` that saturates at the int32 maximum instead of wrapping around."""
    top = jnp.iinfo(jnp.int32).max
    return jnp.where(count < top, count + 1, top).astype(jnp.int32)


def zero_count():
    return jnp.zeros((), jnp.int32)


def all_finite(tree):
    """A bool scalar: whether every element of every leaf of ``tree`` is finite."""
    finite = jnp.asarray(True)
    for leaf in tree_leaves(tree):
        finite = jnp.logical_and(finite, jnp.all(jnp.isfinite(leaf)))
    return finite


def tree_where(pred, on_true, on_false):
    """Leafwise ``jnp.where(pred, a, b)`` for a scalar ``pred``: how a wrapper chooses between
    two results under ``jit`` without Python branching on a traced value."""
    return tree_map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def apply_updates(params: Params, updates: Updates) -> Params:
    """``params + updates`` leaf by leaf, keeping each parameter's dtype."""
    check_same_tree("apply_updates", params, updates, "params", "updates")
    return tree_map(lambda p, u: (p + u).astype(jnp.asarray(p).dtype), params, updates)


def identity() -> GradientTransformation:
    """Leaves the updates unchanged."""
    return GradientTransformation(lambda params: EmptyState(),
                                  lambda updates, state, params=None: (updates, state))


def set_to_zero() -> GradientTransformation:
    """Replaces every update by zeros (freezes the parameters it is applied to)."""
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda updates, state, params=None: (tree_map(jnp.zeros_like, updates), state))


def stateless(f: Callable) -> GradientTransformation:
    """A transformation from ``f(updates, params) -> updates`` with an empty state."""
    def update(updates, state, params=None):
        return f(updates, params), state
    return GradientTransformation(lambda params: EmptyState(), update)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Applies ``transforms`` in order; the state is the tuple of their states."""
    for i, t in enumerate(transforms):
        if not isinstance(t, GradientTransformation):
            raise TypeError(f"chain: argument {i} is a {type(t).__name__}, not a "
                            f"GradientTransformation{user_line()}")

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            raise ValueError(f"chain: expected the state of {len(transforms)} transformations "
                             f"(as returned by init), got {type(state).__name__}{user_line()}")
        new_state = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)

"""``jax.example_libraries.optimizers``: optimizers as ``(init_fun, update_fun, get_params)``.

    opt_init, opt_update, get_params = optimizers.adam(1e-3)
    opt_state = opt_init(params)
    opt_state = opt_update(step, grads, opt_state)   # jittable; step is the iteration count
    params = get_params(opt_state)

Each optimizer is written for one array (``init(x)``, ``update(i, g, state)``, ``get(state)``)
and the ``optimizer`` decorator lifts it to pytrees of parameters. ``OptimizerState`` is a
pytree, so it passes through ``jit``. Step sizes are numbers or schedules ``i -> step``.
"""
from __future__ import annotations

import functools
from collections import namedtuple
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import numpy as jnp
from ..tree_util import (register_pytree_node, tree_flatten, tree_leaves, tree_map,
                         tree_unflatten)

__all__ = ["JoinPoint", "Optimizer", "OptimizerState", "adagrad", "adam", "adamax",
           "clip_grads", "constant", "exponential_decay", "inverse_time_decay", "l2_norm",
           "make_schedule", "momentum", "nesterov", "optimizer", "pack_optimizer_state",
           "piecewise_constant", "polynomial_decay", "rmsprop", "rmsprop_momentum", "sgd", "sm3",
           "unpack_optimizer_state"]


class OptimizerState(NamedTuple):
    """The state of every parameter (``packed_state``: one tuple of arrays per leaf), the
    parameters' tree structure, and the structure of each leaf's state."""
    packed_state: Any
    tree_def: Any
    subtree_defs: Any


register_pytree_node(OptimizerState,
                     lambda s: ((s.packed_state,), (s.tree_def, s.subtree_defs)),
                     lambda aux, children: OptimizerState(children[0], *aux))

Optimizer = namedtuple("Optimizer", ["init_fn", "update_fn", "params_fn"])
Schedule = Callable[[int], float]


def optimizer(opt_maker):
    """Decorator: ``opt_maker(*args)`` returns per-array ``(init, update, get_params)``; the
    decorated maker returns the same triple for pytrees of arrays."""
    @functools.wraps(opt_maker)
    def tree_opt_maker(*args, **kwargs):
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree):
            x0_flat, tree = tree_flatten(x0_tree)
            states = [tree_flatten(init(x0)) for x0 in x0_flat]
            packed = [leaves for leaves, _ in states]
            return OptimizerState(packed, tree, [d for _, d in states])

        @functools.wraps(update)
        def tree_update(i, grad_tree, opt_state):
            packed, tree, subtrees = opt_state
            grads, grad_tree_def = tree_flatten(grad_tree)
            if grad_tree_def != tree:
                raise TypeError(f"optimizer update: the gradient tree {grad_tree_def} does not "
                                f"match the parameter tree {tree}")
            states = [tree_unflatten(d, s) for d, s in zip(subtrees, packed)]
            new = [update(i, g, s) for g, s in zip(grads, states)]
            flat = [tree_flatten(s) for s in new]
            return OptimizerState([leaves for leaves, _ in flat], tree, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state):
            packed, tree, subtrees = opt_state
            states = [tree_unflatten(d, s) for d, s in zip(subtrees, packed)]
            return tree_unflatten(tree, [get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)
    return tree_opt_maker


# -- schedules ------------------------------------------------------------------------------

def constant(step_size) -> Schedule:
    return lambda i: step_size


def exponential_decay(step_size, decay_steps, decay_rate) -> Schedule:
    """``step_size * decay_rate ** (i / decay_steps)``."""
    return lambda i: step_size * decay_rate ** (i / decay_steps)


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase=False) -> Schedule:
    """``step_size / (1 + decay_rate * i / decay_steps)`` (``floor``ed ratio if staircase)."""
    if staircase:
        return lambda i: step_size / (1 + decay_rate * jnp.floor(i / decay_steps))
    return lambda i: step_size / (1 + decay_rate * i / decay_steps)


def polynomial_decay(step_size, decay_steps, final_step_size, power=1.0) -> Schedule:
    """From ``step_size`` to ``final_step_size`` along ``(1 - i / decay_steps) ** power``,
    constant after ``decay_steps``."""
    def schedule(i):
        frac = 1 - jnp.minimum(i, decay_steps) / decay_steps
        return frac ** power * (step_size - final_step_size) + final_step_size
    return schedule


def piecewise_constant(boundaries, values) -> Schedule:
    """``values[k]`` for ``boundaries[k-1] < i <= boundaries[k]`` (one more value than
    boundaries)."""
    boundaries, values = jnp.array(boundaries), jnp.array(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("piecewise_constant: boundaries and values must be sequences")
    if values.shape[0] != boundaries.shape[0] + 1:
        raise ValueError(f"piecewise_constant: values must have one more entry than "
                         f"boundaries, got {values.shape[0]} and {boundaries.shape[0]}")
    return lambda i: values[jnp.sum(i > boundaries)]


def make_schedule(scalar_or_schedule) -> Schedule:
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if np.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(f"step size must be a scalar or a schedule (a function of the step), got "
                    f"{type(scalar_or_schedule)}")


# -- optimizers -----------------------------------------------------------------------------

def _first(state):
    return state[0]


@optimizer
def sgd(step_size):
    """``x <- x - step_size(i) * g``."""
    step_size = make_schedule(step_size)

    def update(i, g, x):
        return x - step_size(i) * g
    return (lambda x0: x0), update, (lambda x: x)


@optimizer
def momentum(step_size, mass):
    """Heavy ball: ``v <- mass * v + g``, ``x <- x - step_size(i) * v``."""
    step_size = make_schedule(step_size)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity
    return (lambda x0: (x0, jnp.zeros_like(x0))), update, _first


@optimizer
def nesterov(step_size, mass):
    """Nesterov momentum: ``v <- mass * v + g``, ``x <- x - step_size(i) * (mass * v + g)``."""
    step_size = make_schedule(step_size)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity
    return (lambda x0: (x0, jnp.zeros_like(x0))), update, _first


@optimizer
def adagrad(step_size, momentum=0.9):
    """Adagrad with momentum on the scaled gradient ``g / sqrt(sum g^2)`` (0 where the sum
    is 0)."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, g_sq, m = state
        g_sq = g_sq + jnp.square(g)
        safe = jnp.where(g_sq > 0, g_sq, jnp.ones_like(g_sq))
        scaled = jnp.where(g_sq > 0, g / jnp.sqrt(safe), jnp.zeros_like(g))
        m = (1 - momentum) * scaled + momentum * m
        return x - step_size(i) * m, g_sq, m
    return init, update, _first


@optimizer
def rmsprop(step_size, gamma=0.9, eps=1e-8):
    """``a <- gamma * a + (1 - gamma) * g^2``, ``x <- x - step_size(i) * g / sqrt(a + eps)``."""
    step_size = make_schedule(step_size)

    def update(i, g, state):
        x, avg_sq = state
        avg_sq = avg_sq * gamma + jnp.square(g) * (1 - gamma)
        return x - step_size(i) * g / jnp.sqrt(avg_sq + eps), avg_sq
    return (lambda x0: (x0, jnp.zeros_like(x0))), update, _first


@optimizer
def rmsprop_momentum(step_size, gamma=0.9, eps=1e-8, momentum=0.9):
    """RMSProp whose scaled steps accumulate in a momentum buffer that is subtracted."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq, mom = state
        avg_sq = avg_sq * gamma + jnp.square(g) * (1 - gamma)
        mom = momentum * mom + step_size(i) * g / jnp.sqrt(avg_sq + eps)
        return x - mom, avg_sq, mom
    return init, update, _first


@optimizer
def adam(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma & Ba): bias-corrected moments, ``eps`` added to ``sqrt(v_hat)``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * jnp.square(g) + b2 * v
        m_hat = m / (1 - jnp.asarray(b1, m.dtype) ** (i + 1))
        v_hat = v / (1 - jnp.asarray(b2, m.dtype) ** (i + 1))
        return x - step_size(i) * m_hat / (jnp.sqrt(v_hat) + eps), m, v
    return init, update, _first


@optimizer
def adamax(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """AdaMax: Adam with the infinity norm, ``u <- max(b2 * u, |g|)``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = jnp.maximum(b2 * u, jnp.abs(g))
        rate = step_size(i) / (1 - jnp.asarray(b1, m.dtype) ** (i + 1))
        return x - rate * m / (u + eps), m, u
    return init, update, _first


@optimizer
def sm3(step_size, momentum=0.9):
    """SM3 (Anil et al., 2019): the second-moment accumulator of an n-d parameter is kept as
    one vector per axis; each entry's accumulator is the minimum over its axes' vectors, so
    memory is the sum of the dimensions instead of their product."""
    step_size = make_schedule(step_size)

    def init(x0):
        x1 = jnp.atleast_1d(x0)
        return x0, jnp.zeros_like(x1), [jnp.zeros(d, x1.dtype) for d in x1.shape]

    def update(i, g, state):
        x, m, vs = state
        g = jnp.atleast_1d(g)
        nd = g.ndim
        per_axis = [jnp.reshape(v, tuple(-1 if k == a else 1 for k in range(nd)))
                    for a, v in enumerate(vs)]
        accum = functools.reduce(jnp.minimum, per_axis) + jnp.square(g)
        safe = jnp.where(accum > 0, accum, jnp.ones_like(accum))
        scaled = jnp.where(accum > 0, g / jnp.sqrt(safe), jnp.zeros_like(g))
        m = (1 - momentum) * scaled + momentum * m
        x = x - jnp.reshape(step_size(i) * m, jnp.shape(x))
        vs = [jnp.max(accum, axis=tuple(k for k in range(nd) if k != a)) for a in range(nd)]
        return x, m, vs
    return init, update, _first


# -- utilities ------------------------------------------------------------------------------

def l2_norm(tree):
    """The Euclidean norm of all the leaves together."""
    leaves = tree_leaves(tree)
    return jnp.sqrt(sum(jnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree, max_norm):
    """Scale the gradients down so that their joint ``l2_norm`` is at most ``max_norm``."""
    norm = l2_norm(grad_tree)
    return tree_map(lambda g: jnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a parameter's state subtree hangs in ``unpack_optimizer_state``'s output,
    so that ``pack_optimizer_state`` does not look inside it."""

    def __init__(self, subtree):
        self.subtree = subtree

    def __iter__(self):
        yield self.subtree


def unpack_optimizer_state(opt_state):
    """The state as a pytree of the parameters' structure whose leaves are ``JoinPoint``s of
    each parameter's state (e.g. to save it with the parameters)."""
    packed, tree, subtrees = opt_state
    states = [JoinPoint(tree_unflatten(d, s)) for d, s in zip(subtrees, packed)]
    return tree_unflatten(tree, states)


def pack_optimizer_state(marked_pytree):
    """Inverse of ``unpack_optimizer_state``."""
    joins, tree = tree_flatten(marked_pytree, is_leaf=lambda x: isinstance(x, JoinPoint))
    if not all(isinstance(j, JoinPoint) for j in joins):
        raise TypeError("pack_optimizer_state: every leaf must be a JoinPoint (as made by "
                        "unpack_optimizer_state)")
    flat = [tree_flatten(j.subtree) for j in joins]
    return OptimizerState([leaves for leaves, _ in flat], tree, [d for _, d in flat])

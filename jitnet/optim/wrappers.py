"""Transformations that wrap other transformations: ``masked`` and ``multi_transform`` (per
parameter group), ``MultiSteps`` (gradient accumulation), ``apply_if_finite`` (skip steps with
inf/nan) and ``inject_hyperparams`` (hyperparameters kept in the state as arrays)."""
from __future__ import annotations

import inspect
from typing import Any, Callable, NamedTuple

import numpy as np

import jitnet.numpy as jnp
from jitnet.core.source_info import user_line
from jitnet.tree_util import Partial, is_tree_node, tree_leaves, tree_map

from .base import (GradientTransformation, all_finite, check_same_tree, safe_increment, tree_where,
                   zero_count)


def _is_function(x) -> bool:
    """A mask or label function, not a pytree that happens to be callable (a model)."""
    return callable(x) and (not is_tree_node(x) or isinstance(x, Partial))


# ---- masked ---------------------------------------------------------------------------------

class MaskedState(NamedTuple):
    inner_state: Any


class MaskedNode(NamedTuple):
    """Stands for a leaf the mask excludes: an empty pytree, so the inner transformation
    neither sees nor keeps state for it."""


def _mask_tree(mask, tree):
    """Keeps the subtrees of ``tree`` whose ``mask`` entry is True, MaskedNode elsewhere."""
    def pick(m, sub):
        if not isinstance(m, (bool, np.bool_)):
            raise TypeError(f"masked: mask entries must be Python bools, got {m!r}{user_line()}")
        return sub if m else MaskedNode()
    try:
        return tree_map(pick, mask, tree)
    except ValueError as e:
        raise ValueError(f"masked: the mask does not match the structure of the params/updates: "
                         f"{e}{user_line()}") from None


def masked(inner: GradientTransformation, mask) -> GradientTransformation:
    """Applies ``inner`` only to the leaves where ``mask`` is True; others pass through.

    ``mask`` is a pytree of bools with the params' structure (or a prefix of it), or a function
    from the params (in ``init``) / updates (in ``update``) to such a pytree.
    """
    def mask_for(tree):
        return mask(tree) if _is_function(mask) else mask

    def init(params):
        return MaskedState(inner.init(_mask_tree(mask_for(params), params)))

    def update(updates, state, params=None):
        m = mask_for(updates)
        masked_params = None if params is None else _mask_tree(m, params)
        new, inner_state = inner.update(_mask_tree(m, updates), state.inner_state, masked_params)
        merged = tree_map(lambda keep, n, old: n if keep else old, m, new, updates)
        return merged, MaskedState(inner_state)
    return GradientTransformation(init, update)


class MultiTransformState(NamedTuple):
    inner_states: Any     # dict label -> MaskedState of that label's transformation


def multi_transform(transforms: dict, param_labels) -> GradientTransformation:
    """A different transformation per group of parameters.

    ``param_labels`` is a pytree like the params (or a function of the params returning one)
    whose leaves are keys of ``transforms``; each transformation sees only its own leaves.
    """
    def labels_for(tree):
        labels = param_labels(tree) if _is_function(param_labels) else param_labels
        missing = set(tree_leaves(labels)) - set(transforms)
        if missing:
            raise ValueError(f"multi_transform: labels {sorted(map(str, missing))} have no "
                             f"transformation; transforms has {sorted(map(str, transforms))}"
                             f"{user_line()}")
        return labels

    def group(label, labels):
        return masked(transforms[label], tree_map(lambda x: x == label, labels))

    def init(params):
        labels = labels_for(params)
        return MultiTransformState({k: group(k, labels).init(params) for k in transforms})

    def update(updates, state, params=None):
        labels = labels_for(updates)
        new_states = {}
        for k in transforms:
            updates, new_states[k] = group(k, labels).update(updates, state.inner_states[k],
                                                             params)
        return updates, MultiTransformState(new_states)
    return GradientTransformation(init, update)


# ---- MultiSteps -----------------------------------------------------------------------------

class MultiStepsState(NamedTuple):
    mini_step: Any        # gradients accumulated since the last real update
    gradient_step: Any    # real updates made so far
    inner_opt_state: Any
    acc_grads: Any        # running mean (or sum) of the accumulated gradients


class MultiSteps:
    """Gradient accumulation: ``every_k_schedule`` calls make one update of ``opt``.

    The first k-1 calls return zero updates and only accumulate; the k-th applies ``opt`` to the
    mean of the k gradients (their sum with ``use_grad_mean=False``). ``every_k_schedule`` is an
    int or a function of the number of real updates made so far. Works under ``jit``: the choice
    between accumulating and updating is a ``jnp.where``, not Python control flow.
    """

    def __init__(self, opt: GradientTransformation, every_k_schedule, use_grad_mean: bool = True):
        if not isinstance(opt, GradientTransformation):
            raise TypeError(f"MultiSteps: opt must be a GradientTransformation, got "
                            f"{type(opt).__name__}{user_line()}")
        if not callable(every_k_schedule):
            if not isinstance(every_k_schedule, (int, np.integer)) or every_k_schedule < 1:
                raise ValueError(f"MultiSteps: every_k_schedule must be a positive int or a "
                                 f"schedule, got {every_k_schedule!r}{user_line()}")
        self._opt = opt
        self._every_k = (every_k_schedule if callable(every_k_schedule)
                         else (lambda step, k=int(every_k_schedule): k))
        self._use_grad_mean = use_grad_mean

    @property
    def inner_opt(self) -> GradientTransformation:
        return self._opt

    def init(self, params) -> MultiStepsState:
        return MultiStepsState(zero_count(), zero_count(), self._opt.init(params),
                               tree_map(jnp.zeros_like, params))

    def update(self, updates, state: MultiStepsState, params=None):
        check_same_tree("MultiSteps", state.acc_grads, updates, "accumulated gradients",
                        "updates")
        n = state.mini_step
        if self._use_grad_mean:
            acc = tree_map(lambda g, a: a + (g - a) / (n + 1).astype(a.dtype), updates,
                           state.acc_grads)
        else:
            acc = tree_map(lambda g, a: a + g, updates, state.acc_grads)
        final = state.mini_step >= jnp.asarray(self._every_k(state.gradient_step)) - 1
        inner_updates, inner_state = self._opt.update(acc, state.inner_opt_state, params)
        new_state = MultiStepsState(
            mini_step=jnp.where(final, 0, safe_increment(state.mini_step)).astype(jnp.int32),
            gradient_step=jnp.where(final, safe_increment(state.gradient_step),
                                    state.gradient_step).astype(jnp.int32),
            inner_opt_state=tree_where(final, inner_state, state.inner_opt_state),
            acc_grads=tree_where(final, tree_map(jnp.zeros_like, acc), acc))
        return tree_where(final, inner_updates, tree_map(jnp.zeros_like, inner_updates)), new_state

    def has_updated(self, state: MultiStepsState):
        """True right after a call that applied a real update."""
        return jnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

    def gradient_transformation(self) -> GradientTransformation:
        return GradientTransformation(self.init, self.update)


# ---- apply_if_finite ------------------------------------------------------------------------

class ApplyIfFiniteState(NamedTuple):
    notfinite_count: Any   # consecutive steps rejected so far
    last_finite: Any       # whether the last updates were all finite
    total_notfinite: Any   # steps rejected in total
    inner_state: Any


def apply_if_finite(inner: GradientTransformation,
                    max_consecutive_errors: int) -> GradientTransformation:
    """Applies ``inner`` only when every update is finite; otherwise returns zero updates and
    keeps ``inner``'s state, unless more than ``max_consecutive_errors`` steps in a row were
    rejected (then the update goes through, so a diverged run shows instead of stalling)."""
    def init(params):
        return ApplyIfFiniteState(zero_count(), jnp.asarray(True), zero_count(),
                                  inner.init(params))

    def update(updates, state, params=None):
        finite = all_finite(updates)
        notfinite = jnp.where(finite, 0, safe_increment(state.notfinite_count)).astype(jnp.int32)
        apply = jnp.logical_or(finite, notfinite > max_consecutive_errors)
        new_updates, inner_state = inner.update(updates, state.inner_state, params)
        total = jnp.where(finite, state.total_notfinite,
                          safe_increment(state.total_notfinite)).astype(jnp.int32)
        return (tree_where(apply, new_updates, tree_map(jnp.zeros_like, new_updates)),
                ApplyIfFiniteState(notfinite, finite, total,
                                   tree_where(apply, inner_state, state.inner_state)))
    return GradientTransformation(init, update)


# ---- inject_hyperparams ---------------------------------------------------------------------

class InjectHyperparamsState(NamedTuple):
    count: Any
    hyperparams: Any      # dict name -> scalar array, read and set from outside ``jit``
    inner_state: Any


# arguments that look callable but are not schedules
_NEVER_INJECTED = frozenset({"mask", "weight_decay_mask"})


def _is_dtype(value) -> bool:
    """``jnp.float32``, ``np.float32``, ``np.dtype(...)``: callable or array-like, but static."""
    return (isinstance(value, (type, np.dtype))
            or (hasattr(value, "dtype") and not hasattr(value, "shape")))


def _as_hyperparam(value, dtype):
    value = jnp.asarray(value)
    if dtype is not None and jnp.issubdtype(value.dtype, jnp.floating):
        value = value.astype(dtype)
    return value


def inject_hyperparams(inner_factory: Callable, static_args=(),
                       hyperparam_dtype=None) -> Callable:
    """Wraps an optimizer factory so its numeric hyperparameters live in the state.

    ``inject_hyperparams(adam)(learning_rate=1e-3)`` behaves like ``adam(1e-3)``, but the
    state's ``hyperparams['learning_rate']`` is an array the jitted step receives as an input:
    changing it (``set_hyperparam``) changes the next update without retracing. Hyperparameters
    given as schedules are evaluated from the state's count at each update. Bools, None, masks
    and the names in ``static_args`` stay Python values.
    """
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)
    name = getattr(inner_factory, "__name__", "optimizer")

    def wrapped(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"inject_hyperparams({name}): {e}{user_line()}") from None
        bound.apply_defaults()
        scheduled, numeric, other = {}, {}, {}
        for key, value in bound.arguments.items():
            if (key in static or key in _NEVER_INJECTED or isinstance(value, (bool, np.bool_))
                    or _is_dtype(value)):
                other[key] = value
            elif callable(value):
                scheduled[key] = value
            elif isinstance(value, (int, float, np.number, np.ndarray)) or hasattr(value, "dtype"):
                numeric[key] = value
            else:
                other[key] = value

        def dtype_of(tree):
            if hyperparam_dtype is not None:
                return hyperparam_dtype
            leaves = tree_leaves(tree)
            return getattr(leaves[0], "dtype", None) if leaves else None

        def current(count, dtype, values):
            hp = {k: _as_hyperparam(v, dtype) for k, v in values.items()}
            hp.update({k: _as_hyperparam(f(count), dtype) for k, f in scheduled.items()})
            return hp

        def init(params):
            count = zero_count()
            hp = current(count, dtype_of(params), numeric)
            return InjectHyperparamsState(count, hp, inner_factory(**other, **hp).init(params))

        def update(updates, state, params=None):
            if not isinstance(state, InjectHyperparamsState):
                raise TypeError(f"inject_hyperparams({name}): expected an "
                                f"InjectHyperparamsState, got {type(state).__name__}"
                                f"{user_line()}")
            hp = current(state.count, dtype_of(updates), state.hyperparams)
            updates, inner_state = inner_factory(**other, **hp).update(
                updates, state.inner_state, params)
            return updates, InjectHyperparamsState(safe_increment(state.count), hp, inner_state)

        return GradientTransformation(init, update)

    wrapped.__name__ = name
    wrapped.__doc__ = inner_factory.__doc__
    return wrapped


def _injected_states(state):
    """Every InjectHyperparamsState inside a (chained, masked, accumulated...) state."""
    if isinstance(state, InjectHyperparamsState):
        yield state
        yield from _injected_states(state.inner_state)
    elif isinstance(state, (tuple, list)):
        for s in state:
            yield from _injected_states(s)
    elif isinstance(state, dict):
        for s in state.values():
            yield from _injected_states(s)


def _no_hyperparam(state, name: str) -> KeyError:
    names = sorted({k for s in _injected_states(state) for k in s.hyperparams})
    where = (f"its hyperparameters are {names}" if names else
             "it holds no inject_hyperparams state (build the optimizer with "
             "inject_hyperparams(...) or optim.get(...))")
    return KeyError(f"optimizer state has no hyperparameter {name!r}: {where}{user_line()}")


def get_hyperparam(state, name: str):
    """The value of hyperparameter ``name`` in the first ``inject_hyperparams`` state found."""
    for s in _injected_states(state):
        if name in s.hyperparams:
            return s.hyperparams[name]
    raise _no_hyperparam(state, name)


def set_hyperparam(state, name: str, value):
    """A copy of ``state`` with hyperparameter ``name`` set to ``value`` wherever it occurs.

    The value is stored with the old array's dtype and shape, so a jitted step taking the new
    state reuses its compiled code. A hyperparameter given as a schedule is recomputed from the
    count at the next update, overriding the value set here.
    """
    found = False

    def rebuild(s):
        nonlocal found
        if isinstance(s, InjectHyperparamsState):
            hp = s.hyperparams
            if name in hp:
                found = True
                old = hp[name]
                new = jnp.asarray(value, dtype=old.dtype)
                if new.shape != old.shape:
                    raise ValueError(f"set_hyperparam: {name!r} has shape {old.shape}, got a "
                                     f"value of shape {new.shape}{user_line()}")
                hp = {**hp, name: new}
            return s._replace(hyperparams=hp, inner_state=rebuild(s.inner_state))
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*(rebuild(x) for x in s))
        if isinstance(s, (tuple, list)):
            return type(s)(rebuild(x) for x in s)
        if isinstance(s, dict):
            return {k: rebuild(x) for k, x in s.items()}
        return s

    new_state = rebuild(state)
    if not found:
        raise _no_hyperparam(state, name)
    return new_state

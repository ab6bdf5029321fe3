"""Gradient transformations: the building blocks the optimizers in ``aliases`` chain together.

Each function returns a ``GradientTransformation``; each stateful one has a NamedTuple state
with Optax's name and fields. Hyperparameters may be Python numbers or scalar arrays (traced
values under ``inject_hyperparams``), so nothing here branches on their values.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

import jitnet.numpy as jnp
from jitnet import lax
from jitnet.core.source_info import user_line
from jitnet.tree_util import tree_map

from .base import (EmptyState, GradientTransformation, ScalarOrSchedule, check_same_tree,
                   require_params, safe_increment, zero_count)
from .clipping import block_rms
from .wrappers import masked

ScaleState = EmptyState
AddDecayedWeightsState = EmptyState
ScaleByTrustRatioState = EmptyState


class ScaleByScheduleState(NamedTuple):
    count: Any


class WeightDecayScheduleState(NamedTuple):
    count: Any


class TraceState(NamedTuple):
    trace: Any


class EmaState(NamedTuple):
    count: Any
    ema: Any


class ScaleByAdamState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


class ScaleByAmsgradState(NamedTuple):
    count: Any
    mu: Any
    nu: Any
    nu_max: Any


class ScaleByBeliefState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


class ScaleByAdaDeltaState(NamedTuple):
    e_g: Any
    e_x: Any


class ScaleByNovogradState(NamedTuple):
    count: Any
    mu: Any
    nu: Any      # one scalar per leaf: the moving average of the leaf's squared norm


class ScaleByRmsState(NamedTuple):
    nu: Any


class ScaleByRStdDevState(NamedTuple):
    mu: Any
    nu: Any


class ScaleByRssState(NamedTuple):
    sum_of_squares: Any


class ScaleByLionState(NamedTuple):
    count: Any
    mu: Any


# ---- helpers over pytrees -------------------------------------------------------------------

def _zeros(params, dtype=None):
    return tree_map(lambda p: jnp.zeros_like(p, dtype=dtype), params)


def _cast(tree, dtype):
    return tree if dtype is None else tree_map(lambda t: t.astype(dtype), tree)


def _moment(updates, moments, decay, order: int):
    """Exponential moving average of ``g ** order``: ``(1 - decay) g^order + decay m``."""
    return tree_map(lambda g, m: (1 - decay) * (g ** order) + decay * m, updates, moments)


def _bias_correction(moments, decay, count):
    """Divides a moving average started at zero by ``1 - decay ** count`` (Adam's debiasing)."""
    correction = 1 - decay ** count
    return tree_map(lambda m: m / jnp.asarray(correction).astype(m.dtype), moments)


# ---- scaling --------------------------------------------------------------------------------

def scale(step_size) -> GradientTransformation:
    """Multiplies the updates by a fixed ``step_size``."""
    def update(updates, state, params=None):
        return tree_map(lambda g: g * jnp.asarray(step_size).astype(g.dtype), updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


def scale_by_schedule(step_size_fn: Callable) -> GradientTransformation:
    """Multiplies the updates by ``step_size_fn(count)``, counting from 0 at the first update."""
    def init(params):
        return ScaleByScheduleState(zero_count())

    def update(updates, state, params=None):
        step = jnp.asarray(step_size_fn(state.count))
        return (tree_map(lambda g: g * step.astype(g.dtype), updates),
                ScaleByScheduleState(safe_increment(state.count)))
    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule, *,
                           flip_sign: bool = True) -> GradientTransformation:
    """Scales by ``-learning_rate`` (a number or a schedule of the step count)."""
    sign = -1 if flip_sign else 1
    if not (callable(learning_rate) or isinstance(learning_rate, (int, float, np.number))
            or hasattr(learning_rate, "dtype")):
        raise TypeError(f"learning_rate must be a number, a scalar array or a schedule "
                        f"(a function of the step count), got {learning_rate!r}{user_line()}")
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


# ---- momentum -------------------------------------------------------------------------------

def trace(decay, nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    """Momentum: ``t = g + decay * t``; the update is ``t`` (or ``g + decay * t``, Nesterov)."""
    def init(params):
        return TraceState(_zeros(params, accumulator_dtype))

    def update(updates, state, params=None):
        check_same_tree("trace", state.trace, updates, "momentum state", "updates")
        step = lambda g, t: g + decay * t  # noqa: E731
        new_trace = tree_map(step, updates, state.trace)
        out = tree_map(step, updates, new_trace) if nesterov else new_trace
        return out, TraceState(_cast(new_trace, accumulator_dtype))
    return GradientTransformation(init, update)


def ema(decay, debias: bool = True, accumulator_dtype=None) -> GradientTransformation:
    """Replaces the updates by their exponential moving average (debiased by default)."""
    def init(params):
        return EmaState(zero_count(), _zeros(params, accumulator_dtype))

    def update(updates, state, params=None):
        check_same_tree("ema", state.ema, updates, "ema state", "updates")
        new_ema = _moment(updates, state.ema, decay, 1)
        count = safe_increment(state.count)
        out = _bias_correction(new_ema, decay, count) if debias else new_ema
        return out, EmaState(count, _cast(new_ema, accumulator_dtype))
    return GradientTransformation(init, update)


# ---- adaptive scalings ----------------------------------------------------------------------

def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *,
                  nesterov: bool = False) -> GradientTransformation:
    """Adam's ``m_hat / (sqrt(v_hat + eps_root) + eps)`` (Kingma & Ba); NAdam with ``nesterov``."""
    def init(params):
        return ScaleByAdamState(zero_count(), _zeros(params, mu_dtype), _zeros(params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_adam", state.nu, updates, "optimizer state", "updates")
        mu = _moment(updates, state.mu, b1, 1)
        nu = _moment(updates, state.nu, b2, 2)
        count = safe_increment(state.count)
        if nesterov:
            mu_hat = tree_map(lambda m, g: b1 * m + (1 - b1) * g,
                              _bias_correction(mu, b1, safe_increment(count)),
                              _bias_correction(updates, b1, count))
        else:
            mu_hat = _bias_correction(mu, b1, count)
        nu_hat = _bias_correction(nu, b2, count)
        out = tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        return out, ScaleByAdamState(count, _cast(mu, mu_dtype), nu)
    return GradientTransformation(init, update)


def scale_by_amsgrad(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
                     mu_dtype=None) -> GradientTransformation:
    """AMSGrad: Adam with the running maximum of the debiased second moment."""
    def init(params):
        return ScaleByAmsgradState(zero_count(), _zeros(params, mu_dtype), _zeros(params),
                                   _zeros(params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_amsgrad", state.nu, updates, "optimizer state", "updates")
        mu = _moment(updates, state.mu, b1, 1)
        nu = _moment(updates, state.nu, b2, 2)
        count = safe_increment(state.count)
        mu_hat = _bias_correction(mu, b1, count)
        nu_max = tree_map(jnp.maximum, state.nu_max, _bias_correction(nu, b2, count))
        out = tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_max)
        return out, ScaleByAmsgradState(count, _cast(mu, mu_dtype), nu, nu_max)
    return GradientTransformation(init, update)


def scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8) -> GradientTransformation:
    """AdaMax: Adam with the infinity norm, ``v = max(b2 v, |g| + eps)``."""
    def init(params):
        return ScaleByAdamState(zero_count(), _zeros(params), _zeros(params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_adamax", state.nu, updates, "optimizer state", "updates")
        mu = _moment(updates, state.mu, b1, 1)
        nu = tree_map(lambda g, v: jnp.maximum(b2 * v, jnp.abs(g) + eps), updates, state.nu)
        count = safe_increment(state.count)
        out = tree_map(lambda m, v: m / v, _bias_correction(mu, b1, count), nu)
        return out, ScaleByAdamState(count, mu, nu)
    return GradientTransformation(init, update)


def scale_by_belief(b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16) -> GradientTransformation:
    """AdaBelief: the second moment tracks ``(g - m)^2``, the surprise of each gradient."""
    def init(params):
        return ScaleByBeliefState(zero_count(), _zeros(params), _zeros(params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_belief", state.nu, updates, "optimizer state", "updates")
        mu = _moment(updates, state.mu, b1, 1)
        surprise = tree_map(lambda g, m: g - m, updates, mu)
        nu = tree_map(lambda v: v + eps_root, _moment(surprise, state.nu, b2, 2))
        count = safe_increment(state.count)
        out = tree_map(lambda m, v: m / (jnp.sqrt(v) + eps),
                       _bias_correction(mu, b1, count), _bias_correction(nu, b2, count))
        return out, ScaleByBeliefState(count, mu, nu)
    return GradientTransformation(init, update)


def scale_by_yogi(b1=0.9, b2=0.999, eps=1e-3, eps_root=0.0,
                  initial_accumulator_value=1e-6) -> GradientTransformation:
    """Yogi (Zaheer et al., 2018): the second moment moves additively, by ``(1 - b2) g^2``,
    towards ``g^2`` instead of exponentially."""
    def init(params):
        full = tree_map(lambda p: jnp.full_like(p, initial_accumulator_value), params)
        return ScaleByAdamState(zero_count(), full, full)

    def update(updates, state, params=None):
        check_same_tree("scale_by_yogi", state.nu, updates, "optimizer state", "updates")
        mu = _moment(updates, state.mu, b1, 1)
        nu = tree_map(lambda g, v: v - (1 - b2) * jnp.sign(v - g * g) * g * g, updates, state.nu)
        count = safe_increment(state.count)
        out = tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps),
                       _bias_correction(mu, b1, count), _bias_correction(nu, b2, count))
        return out, ScaleByAdamState(count, mu, nu)
    return GradientTransformation(init, update)


def scale_by_radam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0, *,
                   nesterov: bool = False) -> GradientTransformation:
    """Rectified Adam (Liu et al., 2020): plain momentum while the variance estimate is
    unreliable (its length ``rho_t`` below ``threshold``), then Adam with a rectification."""
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    adam = scale_by_adam(b1, b2, eps, eps_root, nesterov=nesterov)

    def update(updates, state, params=None):
        check_same_tree("scale_by_radam", state.nu, updates, "optimizer state", "updates")
        adam_out, new_state = adam.update(updates, state)
        count = new_state.count
        b2t = b2 ** count
        rho = rho_inf - 2 * count * b2t / (1 - b2t)
        rect = jnp.sqrt(jnp.maximum((rho - 4.0) * (rho - 2.0) * rho_inf
                                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho), 0.0))
        if nesterov:
            mu_hat = tree_map(lambda m, g: b1 * m + (1 - b1) * g,
                              _bias_correction(new_state.mu, b1, safe_increment(count)),
                              _bias_correction(updates, b1, count))
        else:
            mu_hat = _bias_correction(new_state.mu, b1, count)
        out = tree_map(lambda a, m: jnp.where(rho >= threshold, rect.astype(a.dtype) * a, m),
                       adam_out, mu_hat)
        return out, new_state
    return GradientTransformation(adam.init, update)


def scale_by_adadelta(rho=0.9, eps=1e-6) -> GradientTransformation:
    """Adadelta (Zeiler, 2012): the step is ``g * RMS(past steps) / RMS(gradients)``."""
    def init(params):
        return ScaleByAdaDeltaState(_zeros(params), _zeros(params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_adadelta", state.e_g, updates, "optimizer state", "updates")
        e_g = _moment(updates, state.e_g, rho, 2)
        out = tree_map(lambda g, eg, ex: jnp.sqrt(ex + eps) / jnp.sqrt(eg + eps) * g,
                       updates, e_g, state.e_x)
        return out, ScaleByAdaDeltaState(e_g, _moment(out, state.e_x, rho, 2))
    return GradientTransformation(init, update)


def scale_by_novograd(b1=0.9, b2=0.25, eps=1e-8, eps_root=0.0, weight_decay=0.0,
                      mu_dtype=None) -> GradientTransformation:
    """NovoGrad (Ginsburg et al., 2019): Adam-like, but the second moment is one number per
    leaf (its squared norm), and weight decay joins the normalised gradient before momentum."""
    def init(params):
        return ScaleByNovogradState(zero_count(), _zeros(params, mu_dtype),
                                    tree_map(lambda p: jnp.zeros((), p.dtype), params))

    def update(updates, state, params=None):
        require_params("scale_by_novograd", params)
        check_same_tree("scale_by_novograd", params, updates, "params", "updates")
        first = state.count == 0   # both averages start from the first step's values
        sq_norms = tree_map(lambda g: jnp.sum(g * g), updates)
        nu = tree_map(lambda n, v: jnp.where(first, n, (1 - b2) * n + b2 * v), sq_norms, state.nu)
        step = tree_map(lambda g, p, v: g / (jnp.sqrt(v + eps_root) + eps) + weight_decay * p,
                        updates, params, nu)
        mu = tree_map(lambda s, m: jnp.where(first, s, b1 * m + s), step, state.mu)
        mu = _cast(mu, mu_dtype)
        return mu, ScaleByNovogradState(safe_increment(state.count), mu, nu)
    return GradientTransformation(init, update)


def _scale_by_root(g, v, eps, eps_in_sqrt: bool):
    return g * lax.rsqrt(v + eps) if eps_in_sqrt else g / (jnp.sqrt(v) + eps)


def scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0,
                 eps_in_sqrt: bool = True) -> GradientTransformation:
    """RMSProp's scaling by the root of a moving average of ``g^2`` (Hinton's lecture 6e)."""
    def init(params):
        return ScaleByRmsState(tree_map(lambda p: jnp.full_like(p, initial_scale), params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_rms", state.nu, updates, "optimizer state", "updates")
        nu = _moment(updates, state.nu, decay, 2)
        out = tree_map(lambda g, v: _scale_by_root(g, v, eps, eps_in_sqrt), updates, nu)
        return out, ScaleByRmsState(nu)
    return GradientTransformation(init, update)


def scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0.0,
                    eps_in_sqrt: bool = True) -> GradientTransformation:
    """Centered RMSProp: scales by the root of the moving variance ``E[g^2] - E[g]^2``."""
    def init(params):
        return ScaleByRStdDevState(_zeros(params),
                                   tree_map(lambda p: jnp.full_like(p, initial_scale), params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_stddev", state.nu, updates, "optimizer state", "updates")
        mu = _moment(updates, state.mu, decay, 1)
        nu = _moment(updates, state.nu, decay, 2)
        out = tree_map(lambda g, m, v: _scale_by_root(g, v - m * m, eps, eps_in_sqrt),
                       updates, mu, nu)
        return out, ScaleByRStdDevState(mu, nu)
    return GradientTransformation(init, update)


def scale_by_rss(initial_accumulator_value=0.1, eps=1e-7) -> GradientTransformation:
    """Adagrad: scales by the root of the sum of all squared gradients so far."""
    def init(params):
        return ScaleByRssState(tree_map(lambda p: jnp.full_like(p, initial_accumulator_value),
                                        params))

    def update(updates, state, params=None):
        check_same_tree("scale_by_rss", state.sum_of_squares, updates, "optimizer state",
                        "updates")
        total = tree_map(lambda g, s: g * g + s, updates, state.sum_of_squares)
        out = tree_map(lambda g, s: jnp.where(s > 0, lax.rsqrt(s + eps), 0.0) * g, updates, total)
        return out, ScaleByRssState(total)
    return GradientTransformation(init, update)


def scale_by_lion(b1=0.9, b2=0.99, mu_dtype=None) -> GradientTransformation:
    """Lion (Chen et al. 2023): the sign of an interpolation of the momentum and the gradient."""
    def init(params):
        return ScaleByLionState(zero_count(), _zeros(params, mu_dtype))

    def update(updates, state, params=None):
        check_same_tree("scale_by_lion", state.mu, updates, "optimizer state", "updates")
        out = tree_map(lambda g, m: jnp.sign((1 - b1) * g + b1 * m), updates, state.mu)
        mu = _cast(_moment(updates, state.mu, b2, 1), mu_dtype)
        return out, ScaleByLionState(safe_increment(state.count), mu)
    return GradientTransformation(init, update)


def scale_by_sign() -> GradientTransformation:
    """Replaces each update by its sign."""
    def update(updates, state, params=None):
        return tree_map(jnp.sign, updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


def scale_by_trust_ratio(min_norm=0.0, trust_coefficient=1.0,
                         eps=0.0) -> GradientTransformation:
    """LARS/LAMB: rescales each leaf's update to ``trust_coefficient * |param| / |update|``."""
    def scale_leaf(u, p):
        p_norm = jnp.maximum(jnp.sqrt(jnp.sum(p * p)), min_norm)
        u_norm = jnp.maximum(jnp.sqrt(jnp.sum(u * u)), min_norm)
        ratio = trust_coefficient * p_norm / (u_norm + eps)
        ratio = jnp.where(jnp.logical_or(p_norm == 0, u_norm == 0), 1.0, ratio)
        return u * ratio.astype(u.dtype)

    def update(updates, state, params=None):
        require_params("scale_by_trust_ratio", params)
        check_same_tree("scale_by_trust_ratio", params, updates, "params", "updates")
        return tree_map(scale_leaf, updates, params), state
    return GradientTransformation(lambda params: EmptyState(), update)


# ---- weight decay and per-parameter scales ---------------------------------------------------

def add_decayed_weights(weight_decay: ScalarOrSchedule = 0.0,
                        mask=None) -> GradientTransformation:
    """Adds ``weight_decay * params`` (decoupled weight decay, as in AdamW).

    ``weight_decay`` may be a schedule of the step count (the state then counts steps).

    ``mask`` (a pytree of bools like the params, or a function ``params -> pytree``) limits the
    decay to the leaves marked True, e.g. ``lambda p: tree_map(lambda x: x.ndim > 1, p)`` to
    leave biases undecayed.
    """
    scheduled = callable(weight_decay)

    def init(params):
        return WeightDecayScheduleState(zero_count()) if scheduled else EmptyState()

    def update(updates, state, params=None):
        require_params("add_decayed_weights", params)
        check_same_tree("add_decayed_weights", params, updates, "params", "updates")
        if scheduled:
            decay = jnp.asarray(weight_decay(state.count))
            state = WeightDecayScheduleState(safe_increment(state.count))
        else:
            decay = weight_decay
        return tree_map(lambda g, p: g + decay * p, updates, params), state

    inner = GradientTransformation(init, update)
    return inner if mask is None else masked(inner, mask)


def scale_by_param_block_rms(min_scale=1e-3) -> GradientTransformation:
    """Multiplies each leaf's update by its parameter's root mean square (at least
    ``min_scale``): Adafactor's relative step size."""
    def update(updates, state, params=None):
        require_params("scale_by_param_block_rms", params)
        check_same_tree("scale_by_param_block_rms", params, updates, "params", "updates")
        return tree_map(lambda g, p: g * jnp.maximum(block_rms(p), min_scale).astype(g.dtype),
                        updates, params), state
    return GradientTransformation(lambda params: EmptyState(), update)

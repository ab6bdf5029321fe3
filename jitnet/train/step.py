"""Pure training and evaluation steps: one function of (state, batch) each, jitted once.

Every level of the framework -- ``model.fit``, ``Trainer.fit`` and a user's own loop --
runs the same kind of step: forward, backward, optimizer update and metric accumulation
in one compiled call. What differs is only ``compute``, the model-specific part:

    compute(params, model_state, batch, mask, key, training)
        -> (loss, new_model_state, (y_true, y_pred) or None, extra_logs)

``mask`` (float32, one per row) marks real rows of a padded batch; losses and metrics
weight by it, so a padded final batch gives exactly the unpadded result and never
changes the compiled program's shapes.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

from .. import numpy as jnp
from .. import optim, random
from .. import jit, value_and_grad
from ..metrics import Mean


class TrainState(NamedTuple):
    """Everything that determines the future of a run; a pytree of arrays."""
    step: Any            # int32 scalar: optimizer steps taken
    params: Any          # trainable weights
    model_state: Any     # non-trainable weights (BatchNorm statistics...), may be None
    opt_state: Any
    metric_states: Any   # tuple: (loss mean, extra-log means..., metric states...)
    key: Any             # base PRNG key; step keys are fold_in(key, step)


def weighted_mean(per_sample, weights, count=None):
    """``sum(l * weights) / sum(count)`` over the batch (Keras's "sum over batch size", with
    only real rows counted; ``count`` defaults to ``weights``); 0 for an all-padding batch."""
    per_sample = per_sample.reshape(per_sample.shape[0], -1).mean(axis=1)
    n = jnp.sum(weights if count is None else count)
    terms = jnp.where(weights != 0, per_sample * weights, 0.0)   # a NaN in a padding row stays out
    return jnp.sum(terms) / jnp.maximum(n, 1.0)


class StepLogic:
    """The trackers of one kind of step: running loss, extra logs, user metrics."""

    def __init__(self, metrics: Sequence, extra_log_names: Sequence[str] = (),
                 output_shape=None):
        self.metrics = list(metrics)
        self.output_shape = output_shape      # some metrics size their state by it (F1Score)
        self.extra = list(extra_log_names)
        self.trackers = [Mean(name="loss")] + [Mean(name=n) for n in self.extra]

    @property
    def names(self) -> list:
        """Log names in Keras's order: loss, extra logs, metrics."""
        return [t.name for t in self.trackers] + [m.name for m in self.metrics]

    def init(self):
        return (tuple(t.init() for t in self.trackers),
                tuple(m.init(self.output_shape) for m in self.metrics))

    def update(self, states, loss, extra: dict, pair, mask):
        t_states, m_states = states
        n = jnp.sum(mask)
        values = [loss] + [extra[k] for k in self.extra]
        t_states = tuple(t.update(s, v, sample_weight=n) for t, s, v in
                         zip(self.trackers, t_states, values))
        if pair is not None and self.metrics:
            y_true, y_pred = pair
            m_states = tuple(m.update(s, y_true, y_pred, sample_weight=mask)
                             for m, s in zip(self.metrics, m_states))
        return t_states, m_states

    def results(self, states) -> dict:
        t_states, m_states = states
        out = {t.name: t.result(s) for t, s in zip(self.trackers, t_states)}
        for m, s in zip(self.metrics, m_states):
            out[m.name] = m.result(s)
        return out


def step_key(state: TrainState):
    """The PRNG key of the step ``state`` is about to take (dropout and other randomness)."""
    return random.fold_in(state.key, state.step)


def loss_and_grads(compute: Callable, state: TrainState, batch, mask, key):
    """``(loss, grads, model_state, (y_true, y_pred), extra_logs)`` of ``compute`` on a batch.
    Under a ``LossScaleOptimizer`` (float16 training) the loss is scaled before it is
    differentiated; the optimizer unscales the gradients (and skips non-finite steps)."""
    scale = optim.loss_scale(state.opt_state)

    def objective(params):
        loss, model_state, pair, extra = compute(params, state.model_state, batch, mask,
                                                 key, True)
        scaled = loss if scale is None else loss * scale.astype(loss.dtype)
        return scaled, (loss, model_state, pair, extra)
    (_, (loss, model_state, pair, extra)), grads = value_and_grad(objective, has_aux=True)(
        state.params)
    return loss, grads, model_state, pair, extra


def apply_gradients(optimizer, state: TrainState, grads, model_state,
                    metric_states) -> TrainState:
    """The state after one optimizer step with ``grads``."""
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optim.apply_updates(state.params, updates)
    return TrainState(state.step + 1, params, model_state, opt_state, metric_states, state.key)


def build_train_step(compute: Callable, optimizer, logic: StepLogic) -> Callable:
    """``step(state, batch, mask) -> (state, logs)``, jitted; ``logs`` are running results."""
    def step(state: TrainState, batch, mask):
        loss, grads, model_state, pair, extra = loss_and_grads(compute, state, batch, mask,
                                                               step_key(state))
        metric_states = logic.update(state.metric_states, loss, extra, pair, mask)
        new = apply_gradients(optimizer, state, grads, model_state, metric_states)
        return new, logic.results(metric_states)
    return jit(step)


def build_eval_step(compute: Callable, logic: StepLogic) -> Callable:
    """``step(params, model_state, metric_states, batch, mask) -> (metric_states, logs)``."""
    def step(params, model_state, metric_states, batch, mask):
        loss, _, pair, extra = compute(params, model_state, batch, mask, None, False)
        metric_states = logic.update(metric_states, loss, extra, pair, mask)
        return metric_states, logic.results(metric_states)
    return jit(step)

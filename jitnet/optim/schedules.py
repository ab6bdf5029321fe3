"""Learning-rate schedules: functions from the step count to a value, with Optax's names.

Every schedule is written with ``jnp`` operations only (no Python branching on the count), so
it can be evaluated on a traced int32 count inside ``jit`` as well as on a Python int.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

import jitnet.numpy as jnp
from jitnet.core.source_info import user_line

from .base import Schedule


def _positive_int(op: str, name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive integer, got {value!r}{user_line()}")


def _nonnegative_begin(op: str, transition_begin) -> None:
    if transition_begin < 0:
        raise ValueError(f"{op}: transition_begin must be >= 0, got {transition_begin!r}"
                         f"{user_line()}")


def _scales(op: str, boundaries_and_scales):
    """Sorted ``(boundaries, scales)`` of a ``{step: scale}`` dict; scales must be >= 0."""
    if not boundaries_and_scales:
        return (), ()
    items = sorted(boundaries_and_scales.items())
    for step, s in items:
        if s < 0:
            raise ValueError(f"{op}: scales must be non-negative, got {s!r} at step {step}"
                             f"{user_line()}")
    return tuple(int(b) for b, _ in items), tuple(float(s) for _, s in items)


def constant_schedule(value) -> Schedule:
    """The same value at every step."""
    return lambda count: value


def polynomial_schedule(init_value, end_value, power, transition_steps,
                        transition_begin: int = 0) -> Schedule:
    """``init_value`` for ``transition_begin`` steps, then a polynomial ramp of degree
    ``power`` to ``end_value`` over ``transition_steps`` steps, then ``end_value``."""
    _nonnegative_begin("polynomial_schedule", transition_begin)
    if transition_steps <= 0:  # Optax: no transition at all (e.g. warmup_steps=0)
        return constant_schedule(init_value)

    def schedule(count):
        steps = jnp.clip(jnp.asarray(count) - transition_begin, 0, transition_steps)
        frac = 1 - steps / transition_steps
        return (init_value - end_value) * frac ** power + end_value
    return schedule


def linear_schedule(init_value, end_value, transition_steps,
                    transition_begin: int = 0) -> Schedule:
    """A linear ramp from ``init_value`` to ``end_value`` over ``transition_steps`` steps."""
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def exponential_decay(init_value, transition_steps, decay_rate, transition_begin: int = 0,
                      staircase: bool = False, end_value=None) -> Schedule:
    """``init_value * decay_rate ** ((count - transition_begin) / transition_steps)``.

    ``staircase`` floors the exponent (decay in jumps every ``transition_steps``); ``end_value``
    bounds the value (a floor when decaying, a ceiling when ``decay_rate > 1``).
    """
    _nonnegative_begin("exponential_decay", transition_begin)
    if transition_steps <= 0 or decay_rate == 0:
        return constant_schedule(init_value)

    def schedule(count):
        steps = jnp.asarray(count) - transition_begin
        p = steps / transition_steps
        if staircase:
            p = jnp.floor(p)
        value = jnp.where(steps <= 0, init_value, init_value * jnp.power(decay_rate, p))
        if end_value is not None:
            value = (jnp.maximum if decay_rate < 1 else jnp.minimum)(value, end_value)
        return value
    return schedule


def cosine_decay_schedule(init_value, decay_steps: int, alpha=0.0, exponent=1.0) -> Schedule:
    """Half a cosine from ``init_value`` down to ``alpha * init_value`` over ``decay_steps``
    (Loshchilov & Hutter's SGDR without restarts), constant afterwards."""
    _positive_int("cosine_decay_schedule", "decay_steps", decay_steps)

    def schedule(count):
        steps = jnp.minimum(jnp.asarray(count), decay_steps)
        cosine = 0.5 * (1 + jnp.cos(jnp.pi * steps / decay_steps))
        return init_value * ((1 - alpha) * cosine ** exponent + alpha)
    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """``schedules[i]`` from ``boundaries[i-1]`` on, each restarted at count 0 there."""
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(f"join_schedules: need one more schedule than boundaries, got "
                         f"{len(schedules)} schedules and {len(boundaries)} boundaries"
                         f"{user_line()}")

    def schedule(count):
        count = jnp.asarray(count)
        value = jnp.asarray(schedules[0](count))
        for boundary, s in zip(boundaries, schedules[1:]):
            value = jnp.where(count < boundary, value, s(count - boundary))
        return value
    return schedule


def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps: int, decay_steps: int,
                                 end_value=0.0, exponent=1.0) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value`` over ``warmup_steps``, then cosine
    decay to ``end_value`` at ``decay_steps`` (counted from step 0, warmup included)."""
    if decay_steps <= warmup_steps:
        raise ValueError(f"warmup_cosine_decay_schedule: decay_steps ({decay_steps}) must "
                         f"exceed warmup_steps ({warmup_steps}){user_line()}")
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    return join_schedules([linear_schedule(init_value, peak_value, warmup_steps),
                           cosine_decay_schedule(peak_value, decay_steps - warmup_steps,
                                                 alpha, exponent)], [warmup_steps])


def sgdr_schedule(cosine_kwargs) -> Schedule:
    """Warm restarts (Loshchilov & Hutter's SGDR): one ``warmup_cosine_decay_schedule`` per dict
    of its arguments, each starting when the previous one's ``decay_steps`` are over."""
    schedules, boundaries, step = [], [], 0
    for kwargs in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    return join_schedules(schedules, boundaries[:-1])


def warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps: int,
                                      transition_steps, decay_rate, transition_begin: int = 0,
                                      staircase: bool = False, end_value=None) -> Schedule:
    """Linear warmup to ``peak_value``, then ``exponential_decay`` from there."""
    return join_schedules([linear_schedule(init_value, peak_value, warmup_steps),
                           exponential_decay(peak_value, transition_steps, decay_rate,
                                             transition_begin, staircase, end_value)],
                          [warmup_steps])


def piecewise_constant_schedule(init_value, boundaries_and_scales=None) -> Schedule:
    """``init_value`` multiplied by ``scale`` from each ``{step: scale}`` boundary on."""
    boundaries, scales = _scales("piecewise_constant_schedule", boundaries_and_scales)

    def schedule(count):
        count = jnp.asarray(count)
        value = jnp.asarray(init_value)
        for boundary, s in zip(boundaries, scales):
            value = jnp.where(count < boundary, value, value * s)
        return value
    return schedule


_INTERPOLATE = {
    "linear": lambda start, end, pct: start + pct * (end - start),
    "cosine": lambda start, end, pct: end + (start - end) / 2 * (jnp.cos(jnp.pi * pct) + 1),
}


def piecewise_interpolate_schedule(interpolate_type: str, init_value,
                                   boundaries_and_scales=None) -> Schedule:
    """Like ``piecewise_constant_schedule`` but moving to each new value by linear or cosine
    interpolation over the interval before its boundary."""
    if interpolate_type not in _INTERPOLATE:
        raise ValueError(f"piecewise_interpolate_schedule: interpolate_type must be 'linear' "
                         f"or 'cosine', got {interpolate_type!r}{user_line()}")
    interpolate: Callable = _INTERPOLATE[interpolate_type]
    boundaries, scales = _scales("piecewise_interpolate_schedule", boundaries_and_scales)
    bounds = (0,) + boundaries
    values = np.cumprod((float(init_value),) + scales)

    def schedule(count):
        count = jnp.asarray(count)
        value = jnp.asarray(values[-1])
        for i in reversed(range(len(boundaries))):
            lo, hi = bounds[i], bounds[i + 1]
            pct = (count - lo) / max(hi - lo, 1)
            value = jnp.where(count < hi, interpolate(values[i], values[i + 1], pct), value)
        return value
    return schedule


def cosine_onecycle_schedule(transition_steps: int, peak_value, pct_start=0.3,
                             div_factor=25.0, final_div_factor=1e4) -> Schedule:
    """Smith's one-cycle policy: cosine from ``peak_value / div_factor`` up to ``peak_value``
    over ``pct_start`` of the steps, then down to ``peak_value / (div_factor *
    final_div_factor)`` at ``transition_steps``."""
    _positive_int("cosine_onecycle_schedule", "transition_steps", transition_steps)
    return piecewise_interpolate_schedule(
        "cosine", peak_value / div_factor,
        {int(pct_start * transition_steps): div_factor,
         int(transition_steps): 1.0 / (div_factor * final_div_factor)})


def linear_onecycle_schedule(transition_steps: int, peak_value, pct_start=0.3, pct_final=0.85,
                             div_factor=25.0, final_div_factor=1e4) -> Schedule:
    """One-cycle with linear pieces: up to ``peak_value`` by ``pct_start``, back down to the
    initial value by ``pct_final``, then to ``initial / final_div_factor``."""
    _positive_int("linear_onecycle_schedule", "transition_steps", transition_steps)
    return piecewise_interpolate_schedule(
        "linear", peak_value / div_factor,
        {int(pct_start * transition_steps): div_factor,
         int(pct_final * transition_steps): 1.0 / div_factor,
         int(transition_steps): 1.0 / final_div_factor})


# the short names the Keras-style API uses
constant = constant_schedule
linear = linear_schedule
polynomial = polynomial_schedule
cosine_decay = cosine_decay_schedule
warmup_cosine_decay = warmup_cosine_decay_schedule
warmup_exponential_decay = warmup_exponential_decay_schedule
piecewise_constant = piecewise_constant_schedule
one_cycle = cosine_onecycle_schedule

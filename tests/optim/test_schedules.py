"""Schedules against their closed forms at chosen steps, on Python ints and on a traced int32
count inside ``jit`` (boundaries, before/after warmup, staircase)."""
import math

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import optim

HALF_COS = lambda start, end: end + (start - end) / 2  # noqa: E731  cosine interpolation at 50%

CASES = [
    ("constant", optim.constant_schedule(0.3), {0: 0.3, 7: 0.3, 1000: 0.3}),
    ("linear_begin", optim.linear_schedule(1.0, 0.0, 10, transition_begin=5),
     {0: 1.0, 5: 1.0, 10: 0.5, 15: 0.0, 30: 0.0}),
    ("polynomial", optim.polynomial_schedule(1.0, 0.1, 2, 10), {0: 1.0, 5: 0.9 * 0.25 + 0.1,
                                                               10: 0.1, 11: 0.1}),
    ("no_transition", optim.linear_schedule(0.7, 0.0, 0), {0: 0.7, 5: 0.7}),
    ("exponential", optim.exponential_decay(1.0, 10, 0.5),
     {0: 1.0, 5: 0.5 ** 0.5, 10: 0.5, 20: 0.25}),
    ("exponential_staircase", optim.exponential_decay(1.0, 10, 0.5, staircase=True),
     {0: 1.0, 5: 1.0, 9: 1.0, 10: 0.5, 19: 0.5, 20: 0.25}),
    ("exponential_begin", optim.exponential_decay(1.0, 10, 0.5, transition_begin=4),
     {0: 1.0, 3: 1.0, 4: 1.0, 14: 0.5}),
    ("exponential_floor", optim.exponential_decay(1.0, 10, 0.5, end_value=0.3),
     {10: 0.5, 20: 0.3, 50: 0.3}),
    ("exponential_ceiling", optim.exponential_decay(1.0, 10, 2.0, end_value=3.0),
     {10: 2.0, 20: 3.0}),
    ("cosine", optim.cosine_decay_schedule(2.0, 10, alpha=0.1),
     {0: 2.0, 5: 2.0 * (0.9 * 0.5 + 0.1), 10: 0.2, 15: 0.2}),
    ("cosine_exponent", optim.cosine_decay_schedule(2.0, 10, alpha=0.1, exponent=2.0),
     {5: 2.0 * (0.9 * 0.25 + 0.1), 10: 0.2}),
    ("warmup_cosine", optim.warmup_cosine_decay_schedule(0.0, 1.0, 4, 14, end_value=0.1),
     {0: 0.0, 2: 0.5, 3: 0.75, 4: 1.0, 9: 0.9 * 0.5 + 0.1, 14: 0.1, 20: 0.1}),
    ("warmup_exponential", optim.warmup_exponential_decay_schedule(0.0, 1.0, 5, 10, 0.5),
     {0: 0.0, 1: 0.2, 5: 1.0, 15: 0.5}),
    ("piecewise_constant", optim.piecewise_constant_schedule(1.0, {3: 0.5, 6: 0.1}),
     {0: 1.0, 2: 1.0, 3: 0.5, 5: 0.5, 6: 0.05, 100: 0.05}),
    ("join", optim.join_schedules([optim.constant_schedule(1.0),
                                   optim.linear_schedule(2.0, 0.0, 4)], [3]),
     {0: 1.0, 2: 1.0, 3: 2.0, 5: 1.0, 9: 0.0}),
    ("cosine_onecycle", optim.cosine_onecycle_schedule(100, 1.0),
     {0: 0.04, 15: HALF_COS(0.04, 1.0), 30: 1.0, 65: HALF_COS(1.0, 4e-6), 100: 4e-6,
      150: 4e-6}),
    ("linear_onecycle", optim.linear_onecycle_schedule(100, 1.0),
     {0: 0.04, 15: 0.52, 30: 1.0, 50: 1.0 + 20 / 55 * (0.04 - 1.0), 85: 0.04, 100: 4e-6}),
    ("sgdr", optim.sgdr_schedule([dict(init_value=0.0, peak_value=1.0, warmup_steps=2,
                                       decay_steps=6),
                                  dict(init_value=0.5, peak_value=0.5, warmup_steps=0,
                                       decay_steps=4, end_value=0.1)]),
     {0: 0.0, 1: 0.5, 2: 1.0, 4: 0.5, 5: 0.5 * (1 + math.cos(math.pi * 3 / 4)), 6: 0.5,
      8: 0.3, 10: 0.1, 12: 0.1}),
    ("interpolate_linear", optim.piecewise_interpolate_schedule("linear", 2.0, {4: 0.5}),
     {0: 2.0, 2: 1.5, 4: 1.0, 9: 1.0}),
]


def _check(name, got, want, count):
    assert math.isclose(float(got), want, rel_tol=2e-6, abs_tol=1e-7), (name, count, got, want)


@pytest.mark.parametrize("name,schedule,expected", CASES, ids=[c[0] for c in CASES])
def test_closed_form_python_counts(name, schedule, expected):
    for count, want in expected.items():
        _check(name, schedule(count), want, count)


def test_closed_forms_traced_int32_count():
    """All schedules in one jitted function: the count is a traced int32 scalar."""
    evaluate = jitnet.jit(lambda c: [jnp.asarray(s(c), jnp.float32) for _, s, _ in CASES])
    counts = sorted({c for _, _, expected in CASES for c in expected})
    for count in counts:
        values = evaluate(jnp.asarray(count, jnp.int32))
        for (name, _, expected), got in zip(CASES, values):
            if count in expected:
                _check(name, got, expected[count], count)


def test_short_names_are_aliases():
    assert optim.constant is optim.constant_schedule
    assert optim.cosine_decay is optim.cosine_decay_schedule
    assert optim.warmup_cosine_decay is optim.warmup_cosine_decay_schedule
    assert optim.one_cycle is optim.cosine_onecycle_schedule
    assert optim.piecewise_constant is optim.piecewise_constant_schedule
    assert optim.exponential_decay(1.0, 2, 0.5)(4) == pytest.approx(0.25)


def test_schedule_as_learning_rate_of_every_alias():
    sched = optim.linear_schedule(1.0, 0.0, 4)
    for make in (optim.sgd, optim.adam, optim.adamw, optim.rmsprop, optim.adagrad, optim.lamb,
                 optim.lion):
        opt = make(sched)
        p = {"x": jnp.asarray([1.0, -1.0])}
        s = opt.init(p)
        ones = {"x": jnp.asarray([1.0, 1.0])}
        u0, s = opt.update(ones, s, p)
        for _ in range(4):
            u, s = opt.update(ones, s, p)
        assert np.all(np.asarray(u0["x"]) != 0)
        np.testing.assert_allclose(u["x"], [0.0, 0.0], atol=1e-7, err_msg=make.__name__)


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="cosine_decay_schedule: decay_steps"):
        optim.cosine_decay_schedule(1.0, 0)
    with pytest.raises(ValueError, match="piecewise_constant_schedule: scales must be non-neg"):
        optim.piecewise_constant_schedule(1.0, {3: -0.5})
    with pytest.raises(ValueError, match="exponential_decay: transition_begin"):
        optim.exponential_decay(1.0, 10, 0.5, transition_begin=-1)
    with pytest.raises(ValueError, match="join_schedules"):
        optim.join_schedules([optim.constant(1.0)], [3])
    with pytest.raises(ValueError, match="warmup_cosine_decay_schedule"):
        optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10)
    with pytest.raises(ValueError, match="interpolate_type"):
        optim.piecewise_interpolate_schedule("cubic", 1.0)

"""``Trainer(population=...)``: N members of a pure-loss-function model in one vmapped step,
each with its own learning-rate schedule, equal N separate ``Trainer`` runs."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import optim, train

# member 0: exponential decay, member 1: linear warm-up (one evaluation per step, in the step)
SCHEDULES = [optim.exponential_decay(0.1, 5, 0.5), optim.linear_schedule(0.01, 0.2, 8)]
B1 = [0.9, 0.5]


def _np_schedule(i, step):
    """The schedules' closed forms (Optax's definitions), in float64."""
    if i == 0:
        return 0.1 * 0.5 ** (step / 5)
    return 0.01 + (0.2 - 0.01) * min(step, 8) / 8


def _init(seed):
    rs = np.random.RandomState(seed)
    return {"w": (0.1 * rs.randn(4, 3)).astype(np.float32), "b": np.zeros(3, np.float32)}


def _loss(params, batch, mask):
    x, y = batch
    logits = jnp.tanh(x @ params["w"] + params["b"])
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1)[:, 0]
    return jnp.sum(nll * mask) / jnp.sum(mask)


def test_population_of_2_with_schedules_equals_2_separate_runs(blobs, interpreter):
    x, y = blobs
    stacked = {k: np.stack([_init(0)[k], _init(1)[k]]) for k in ("w", "b")}
    t = train.Trainer(max_epochs=2, optimizer=optim.adam, batch_size=64, verbose=0,
                      population={"learning_rate": SCHEDULES, "b1": B1})
    p = t.fit(_loss, stacked, (x, y))
    assert p["w"].shape == (2, 4, 3)
    steps = 2 * 5                                   # 300 rows in padded batches of 64
    # the learning rate held is each member's schedule at the last step taken
    np.testing.assert_allclose(optim.get_hyperparam(t.state.opt_state, "learning_rate"),
                               [_np_schedule(i, steps - 1) for i in range(2)], rtol=1e-5)
    for i in range(2):  # the references on the interpreter (the population is compiled)
        ti = train.Trainer(max_epochs=2, batch_size=64, verbose=0,
                           optimizer=optim.inject_hyperparams(optim.adam)(
                               learning_rate=SCHEDULES[i], b1=B1[i]))
        with interpreter():
            pi = ti.fit(_loss, _init(i), (x, y))
        for k in ("w", "b"):
            np.testing.assert_allclose(np.asarray(p[k])[i], pi[k], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(t.history.history["loss"])[:, i],
                                   ti.history.history["loss"], rtol=1e-5)
    assert not np.allclose(np.asarray(p["w"])[0] - _init(0)["w"],
                           np.asarray(p["w"])[1] - _init(1)["w"])


def test_trainer_population_bad_input(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match="stacked, every leaf with a leading axis of 2"):
        train.Trainer(population=2, verbose=0).fit(_loss, _init(0), (x, y))
    with pytest.raises(ValueError, match="one list of values per member"):
        train.Trainer(population={"learning_rate": [0.1, 0.2], "b1": [0.9]}, verbose=0).fit(
            _loss, {k: np.stack([v, v]) for k, v in _init(0).items()}, (x, y))
    with pytest.raises(ValueError, match="'dropout' is a Population"):
        train.Trainer(population={"dropout": [0.1, 0.2]}, verbose=0).fit(
            _loss, {k: np.stack([v, v]) for k, v in _init(0).items()}, (x, y))
    with pytest.raises(ValueError, match="neither 'dropout' nor optimizer arguments"):
        train.Trainer(population={"momentum": [0.1, 0.2]}, optimizer="adam", verbose=0).fit(
            _loss, {k: np.stack([v, v]) for k, v in _init(0).items()}, (x, y))
    with pytest.raises(ValueError, match="cannot be combined"):
        train.Trainer(population=2, strategy="mpi")


def test_population_schedules_cannot_be_set():
    from jitnet import layers, models
    model = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    pop = train.Population(model, {"learning_rate": SCHEDULES})
    np.testing.assert_allclose(pop.hparams["learning_rate"], [0.1, 0.01], rtol=1e-6)
    with pytest.raises(ValueError, match="cannot be scheduled"):
        train.Population(model, {"dropout": SCHEDULES})

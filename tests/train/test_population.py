"""Populations: N members in one vmapped step equal N separate ``fit`` runs; members stop,
freeze, are copied and re-parameterised without recompiling.

Every population here has the same architecture, optimizer, metrics, batch size and size,
so all tests share one compiled program. The separate runs it is checked against run on
the reference interpreter: they are references, and their step (AdamW) is compiled nowhere
else."""
import numpy as np
import pytest

import jitnet as jax
from jitnet import data, layers, losses, models, optim, train

HP = {"learning_rate": [0.05, 0.01, 0.02, 0.03], "weight_decay": [0.0, 0.1, 0.01, 0.05],
      "dropout": [0.1, 0.3, 0.0, 0.2]}
SEEDS = [3, 4, 5, 6]
LOSS = losses.SparseCategoricalCrossentropy(from_logits=True)


def _model(rate=0.5):
    return models.Sequential([layers.Input((4,)), layers.Dense(8, activation="tanh"),
                              layers.Dropout(rate), layers.Dense(3)])


def _population(hp=HP, seeds=SEEDS):
    pop = train.Population(_model(), hp, seeds=seeds)
    pop.compile(optimizer="adamw", loss=LOSS, metrics=["accuracy"])
    return pop


def _loader(x, y):
    return data.DataLoader((x, y), batch_size=50, shuffle=True, seed=7, pad_remainder=True,
                           prefetch=0)


def _weights(model):
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(model)]


def test_population_of_4_equals_4_separate_runs(blobs, np_mlp_loss, interpreter):
    x, y = blobs
    xt, yt, xv, yv = x[:250], y[:250], x[250:], y[250:]
    pop = _population()
    hs = pop.fit(_loader(xt, yt), epochs=2, validation_data=(xv, yv), batch_size=50)
    assert pop.engine.train_step.trace_count() == 1
    for i in range(4):
        m = _model(HP["dropout"][i])
        m.compile(optimizer=optim.inject_hyperparams(optim.adamw)(
            learning_rate=HP["learning_rate"][i], weight_decay=HP["weight_decay"][i]),
            loss=LOSS, metrics=["accuracy"], seed=SEEDS[i])
        with interpreter():
            h = m.fit(_loader(xt, yt), epochs=2, validation_data=(xv, yv), batch_size=50,
                      verbose=0)
        assert hs[i].epoch == h.epoch == [0, 1]
        for k in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(hs[i].history[k], h.history[k], rtol=2e-6, atol=1e-7)
        member = pop.member(i)
        for a, b in zip(_weights(member), _weights(m)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert member.layers[1].rate == HP["dropout"][i]
        np.testing.assert_allclose(hs[i].history["val_loss"][-1], np_mlp_loss(member, xv, yv),
                                   rtol=1e-4)
    # the members differ: their losses are not all equal
    assert len({round(h.history["loss"][-1], 4) for h in hs}) == 4
    # evaluate gives every member's values; best() is the argmin of independent losses
    ev = pop.evaluate(xv, yv, batch_size=50)
    ref = [np_mlp_loss(pop.member(i), xv, yv) for i in range(4)]
    np.testing.assert_allclose(ev["loss"], ref, rtol=1e-4)
    best = pop.best("val_loss")
    assert np_mlp_loss(best, xv, yv) == pytest.approx(min(ref), rel=1e-6)
    assert pop.best_index("val_accuracy") in np.flatnonzero(
        np.array([h.history["val_accuracy"][-1] for h in hs]) ==
        max(h.history["val_accuracy"][-1] for h in hs))
    np.testing.assert_allclose(best.evaluate(xv, yv, batch_size=50)[0], min(ref), rtol=1e-4)


class _Snapshots(train.Callback):
    """Host copies of every member's weights at each epoch end."""

    def on_train_begin(self, logs=None):
        self.params = []

    def on_epoch_end(self, epoch, logs=None):
        self.params.append([np.asarray(a).copy() for a in
                            jax.tree_util.tree_leaves(self.trainer.state.params)])


def test_early_stopped_members_freeze_and_others_go_on(blobs, np_mlp_loss):
    x, y = blobs
    xt, yt, xv, yv = x[:250], y[:250], x[250:], y[250:]
    # member 1's learning rate is too small to improve val_loss by min_delta: it stops after
    # epoch 1 (patience 1); the others improve by more than 0.01 every epoch
    hp = {**HP, "learning_rate": [0.05, 1e-6, 0.05, 0.03]}
    pop = _population(hp)
    stop, snaps = train.PopulationEarlyStopping(min_delta=0.01, patience=1), _Snapshots()
    hs = pop.fit(_loader(xt, yt), epochs=4, validation_data=(xv, yv), batch_size=50,
                 callbacks=[stop, snaps])
    assert list(stop.stopped_epoch) == [-1, 1, -1, -1]
    assert list(pop.active) == [True, False, True, True]
    assert hs[1].epoch == [0, 1] and all(hs[i].epoch == [0, 1, 2, 3] for i in (0, 2, 3))
    for a0, a1, a3 in zip(*(snaps.params[e] for e in (0, 1, 3))):
        assert not np.array_equal(a0[1], a1[1])          # member 1 trained until it stopped
        np.testing.assert_array_equal(a1[1], a3[1])      # then froze, bit for bit
        assert not np.array_equal(a1[0], a3[0])          # while member 0 went on
    assert pop.engine.train_step.trace_count() == 1      # stopping recompiled nothing
    # restore_best_weights: member 1 stops after epoch 1 with the weights of epoch 0, and
    # best() judges it by epoch 0's value, which its weights give (checked in NumPy)
    pop2 = _population(hp)
    stop2 = train.PopulationEarlyStopping(min_delta=0.01, patience=1, restore_best_weights=True)
    hs2 = pop2.fit(_loader(xt, yt), epochs=4, validation_data=(xv, yv), batch_size=50,
                   callbacks=[stop2, snaps])
    assert list(stop2.stopped_epoch) == [-1, 1, -1, -1]
    for a0, a3 in zip(snaps.params[0], snaps.params[3]):
        np.testing.assert_array_equal(a0[1], a3[1])
    np.testing.assert_allclose(np_mlp_loss(pop2.member(1), xv, yv), hs2[1].history["val_loss"][0],
                               rtol=1e-4)
    assert list(pop2.engine.weights_epoch) == [3, 0, 3, 3]
    pop2.histories[1].history["val_loss"][0] = -1.0      # now member 1's held value is best
    assert pop2.best_index() == 1
    with pytest.raises(KeyError, match="'val_auc' is not in"):
        pop.best("val_auc")


def test_set_hparams_and_copy_member_reuse_the_step(blobs):
    x, y = blobs
    pop = _population()
    pop.fit(_loader(x, y), epochs=1, batch_size=50)
    pop.copy_member(0, [1, 2])                           # PBT's exploit
    w = [_weights(pop.member(i)) for i in range(4)]
    for a, b, c in zip(w[0], w[1], w[2]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    hp = pop.hparams
    np.testing.assert_array_equal(hp["learning_rate"], np.float32([0.05, 0.05, 0.05, 0.03]))
    np.testing.assert_array_equal(hp["dropout"], np.float32([0.1, 0.1, 0.1, 0.2]))
    # explore: a learning rate of 0 (AdamW's decay is scaled by it too) leaves every weight
    # as it is; the other member keeps training
    pop.set_hparams(learning_rate=[0.0, 0.0, 0.0, 0.03], dropout=0.25)
    np.testing.assert_array_equal(pop.hparams["dropout"], np.full(4, 0.25, np.float32))
    pop.fit(_loader(x, y), epochs=1, batch_size=50)
    after = [_weights(pop.member(i)) for i in range(4)]
    for i in range(3):
        for a, b in zip(w[i], after[i]):
            np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(w[3], after[3]))
    assert pop.member(3).layers[1].rate == 0.25
    pop.engine.learning_rate = 0.5                       # what LR callbacks set: all members
    np.testing.assert_array_equal(pop.engine.learning_rate, np.full(4, 0.5, np.float32))
    assert pop.engine.train_step.trace_count() == 1


def test_population_bad_input():
    with pytest.raises(ValueError, match="disagree on the number of members"):
        train.Population(_model(), {"learning_rate": [0.1, 0.2]}, seeds=[0, 1, 2])
    with pytest.raises(ValueError, match="give n, seeds"):
        train.Population(_model(), {"learning_rate": 0.1})
    with pytest.raises(ValueError, match=r"dropout rates must be in \[0, 1\)"):
        train.Population(_model(), {"dropout": [0.1, 1.0]})
    pop = train.Population(_model(), {"momentum": [0.1, 0.2]})
    with pytest.raises(ValueError, match="'momentum'.*optimizer's arguments are"):
        pop.compile(optimizer="adam", loss=LOSS)
    with pytest.raises(ValueError, match="unknown optimizer"):
        pop.compile(optimizer="adamm", loss=LOSS)
    with pytest.raises(RuntimeError, match="compile"):
        train.Population(_model(), n=2).fit(np.zeros((4, 4), np.float32), np.zeros(4, np.int32))
    nodrop = train.Population(models.Sequential([layers.Input((4,)), layers.Dense(3)]),
                              {"dropout": [0.1, 0.2]})
    nodrop.compile(loss=LOSS)
    with pytest.raises(ValueError, match="has no Dropout layer"):
        nodrop.fit(np.zeros((4, 4), np.float32), np.zeros(4, np.int32))
    with pytest.raises(RuntimeError, match="fit the population first"):
        nodrop.set_hparams(dropout=0.2)

"""Exact resume: a run stopped at a checkpoint and continued by a new model object ends
bit-identical to the uninterrupted run (weights, optimizer state, metric history), with
Dropout and shuffling on so keys and data order matter."""
import os

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import checkpoint as ckpt
from jitnet import layers as L, models
from jitnet import losses, optim, train, tree_util

RS = np.random.RandomState(0)
Y = RS.randint(0, 3, 44).astype(np.int32)              # 44 rows, batch 10: 5 batches, last padded
X = (2.0 * np.eye(4, dtype=np.float32)[Y] + 0.7 * RS.randn(44, 4)).astype(np.float32)
VAL = (X[:16], Y[:16])


def make(seed=3):
    """tests/train/test_fit.py's Dropout model, loss and optimizer: the same compiled steps
    (a batch size other than the layer widths keeps the sizes generic), so the suite
    compiles them once."""
    m = models.Sequential([L.Input((4,)), L.Dense(8, activation="tanh"), L.Dropout(0.5), L.Dense(3)])
    m.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"], seed=seed)
    return m


def fit(model, epochs, **kw):
    return model.fit(X, Y, epochs=epochs, batch_size=10, validation_data=VAL, verbose=0, **kw)


def leaves(tree):
    return [np.asarray(v) for v in tree_util.tree_leaves(tree)]


def assert_bit_identical(a, b):
    la, lb = leaves(a), leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        assert u.dtype == v.dtype and u.shape == v.shape and u.tobytes() == v.tobytes()


@pytest.fixture(scope="module")
def straight():
    """The uninterrupted 4-epoch run: (model, final TrainState, history)."""
    m = make()
    h = fit(m, 4)
    return m, m._training["engine"].state, h.history


def state_of(model):
    return model._training["engine"].state


@pytest.mark.slow
def test_resume_after_epoch_checkpoint_is_bit_identical(tmp_path, straight):
    model, state, history = straight
    first = make()
    fit(first, 2, callbacks=[train.ModelCheckpoint(str(tmp_path / "e{epoch}"))])
    assert sorted(os.listdir(tmp_path)) == ["e1", "e2", "latest"]
    resumed = make()                       # a new model object, freshly initialised weights
    h = fit(resumed, 4, resume=tmp_path / "e2")
    assert h.epoch == [0, 1, 2, 3] and h.history == history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert_bit_identical(resumed, model)
    assert_bit_identical(state_of(resumed).opt_state, state.opt_state)
    assert_bit_identical(state_of(resumed), state)          # step, metric states, key too
    assert int(state_of(resumed).step) == 20
    assert resumed._training["engine"].train_step.trace_count() == 1   # no recompile
    # the keys matter: another seed's dropout gives other weights from the same start
    other = make()
    fit(other, 2)
    other._training["engine"].state = other._training["engine"].state._replace(
        key=jax.random.PRNGKey(99))
    fit(other, 4, initial_epoch=2)
    assert not np.array_equal(leaves(other)[0], leaves(model)[0])


@pytest.mark.parametrize("save_freq", [5, 7], ids=["after-last-batch", "mid-epoch"])
def test_resume_from_step_checkpoint_is_bit_identical(tmp_path, straight, save_freq):
    model, state, history = straight
    first = make()
    fit(first, 2, callbacks=[train.ModelCheckpoint(str(tmp_path / "s{step}"),
                                                   save_freq=save_freq)])
    # 5 batches per epoch: step 5 ends epoch 0 before its validation, step 7 is inside epoch 1
    position = {5: (0, 5), 7: (1, 2)}[save_freq]
    loop = ckpt.CheckpointReader(tmp_path / f"s{save_freq}").metadata["loop"]
    assert (loop["epoch"], loop["batch"], loop["step"]) == (*position, save_freq)
    resumed = make()
    h = fit(resumed, 4, resume=tmp_path / f"s{save_freq}")
    assert h.history == history
    assert_bit_identical(state_of(resumed), state)
    assert_bit_identical(resumed, model)


def test_resume_into_a_different_model_lists_the_mismatches(tmp_path):
    fit(make(), 1, callbacks=[train.ModelCheckpoint(str(tmp_path / "c"))])
    wide = models.Sequential([L.Input((4,)), L.Dense(6, activation="relu"), L.Dropout(0.5),
                              L.Dense(3)])
    wide.compile(optimizer="adam", loss="sparse_categorical_crossentropy", seed=3)
    with pytest.raises(ValueError, match=r"(?s)layers/0/kernel: checkpoint has float32\[4, 8\], "
                       r"expected float32\[4, 6\].*layers/2/kernel"):
        fit(wide, 2, resume=tmp_path / "c")


def test_checkpoints_load_as_models_and_weights_only_do_not_resume(tmp_path):
    m = make()
    fit(m, 1, callbacks=[train.ModelCheckpoint(str(tmp_path / "full")),
                         train.ModelCheckpoint(str(tmp_path / "w"), save_weights_only=True)])
    for name in ("full", "w"):
        back = models.load_model(tmp_path / name)
        assert_bit_identical(back, m)
        np.testing.assert_array_equal(back(X), m(X))
    with pytest.raises(ValueError, match="is not a training checkpoint"):
        fit(make(), 2, resume=tmp_path / "w")


def test_save_best_only_and_max_to_keep(tmp_path, straight):
    _, _, history = straight
    cb = train.ModelCheckpoint(str(tmp_path / "e{epoch}-{val_loss:.5f}"), monitor="val_loss",
                               save_best_only=True, max_to_keep=2, verbose=0)
    fit(make(), 4, callbacks=[cb])
    best, improved = None, []
    for epoch, v in enumerate(history["val_loss"]):
        if best is None or v < best:
            best = v
            improved.append(f"e{epoch + 1}-{v:.5f}")
    assert sorted(os.listdir(tmp_path)) == sorted(improved[-2:] + ["latest"])
    assert (tmp_path / "latest").read_text() == improved[-1]
    assert cb.best == min(history["val_loss"])


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or an int >= 1"):
        train.ModelCheckpoint(str(tmp_path / "c"), save_freq="batch")
    with pytest.raises(ValueError, match="max_to_keep must be None or an int >= 1"):
        train.ModelCheckpoint(str(tmp_path / "c"), max_to_keep=0)
    with pytest.raises(KeyError, match="names 'f1'.*not logged"):
        fit(make(), 1, callbacks=[train.ModelCheckpoint(str(tmp_path / "{f1}"))])


# -- Trainer ------------------------------------------------------------------------------
def init_params():
    rs = np.random.RandomState(1)
    return {"w": jnp.asarray(0.3 * rs.randn(4, 3).astype(np.float32)),
            "b": jnp.zeros(3, jnp.float32)}


def noisy_loss(params, batch, key, mask):
    """Cross-entropy with dropout on the inputs, so the step keys matter."""
    x, y = batch
    keep = jax.random.bernoulli(key, 0.7, x.shape)
    logits = jnp.where(keep, x / 0.7, 0.0) @ params["w"] + params["b"]
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1)[:, 0]
    return jnp.sum(nll * mask) / jnp.sum(mask)


def trainer(epochs, callbacks=()):
    return train.Trainer(max_epochs=epochs, optimizer=optim.adam(0.05), batch_size=8,
                         verbose=0, seed=5, callbacks=callbacks)


def test_trainer_resume_mid_epoch_is_bit_identical(tmp_path, interpreter):
    """On the interpreter (bit-identical to itself like compiled code): what is checked is
    the loop's state; the Trainer's compiled steps are tests/train/test_trainer.py's."""
    with interpreter():
        t_all = trainer(3)
        t_all.fit(noisy_loss, init_params(), (X, Y), val_data=VAL)
        t_first = trainer(2, [train.ModelCheckpoint(str(tmp_path / "s{step}"), save_freq=9)])
        t_first.fit(noisy_loss, init_params(), (X, Y), val_data=VAL)
        t_rest = trainer(3)
        t_rest.fit(noisy_loss, {"w": jnp.zeros((4, 3)), "b": jnp.ones(3)}, (X, Y),
                   val_data=VAL, ckpt_path=tmp_path / "s9")
    assert t_rest.history.history == t_all.history.history
    assert t_rest.history.epoch == [0, 1, 2]
    assert_bit_identical(t_rest.state, t_all.state)


RESUME_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import test_resume as t
m = t.make()
h = t.fit(m, 4, resume={ckpt!r})
m.save({out!r}, metadata={{"history": h.history}})
"""


def test_resume_in_a_new_process(tmp_path, straight):
    """The checkpoint alone carries the run: a new interpreter continues it bit-identically."""
    import subprocess
    import sys
    model, _, history = straight
    fit(make(), 2, callbacks=[train.ModelCheckpoint(str(tmp_path / "e{epoch}"))])
    # the directory's latest pointer names the newest checkpoint of the killed run
    assert (tmp_path / "latest").read_text() == "e2"
    script = RESUME_SCRIPT.format(tests=os.path.dirname(__file__), ckpt=str(tmp_path),
                                  out=str(tmp_path / "final"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=600)
    assert_bit_identical(models.load_model(tmp_path / "final"), model)
    saved = ckpt.CheckpointReader(tmp_path / "final").metadata["history"]
    assert saved == history

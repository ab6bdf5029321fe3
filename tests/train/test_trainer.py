"""Lightning-style Trainer over a plain pytree of parameters and a pure loss function."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import optim, train


def init(seed=0):
    rs = np.random.RandomState(seed)
    return {"w": jnp.asarray(0.1 * rs.randn(4, 3).astype(np.float32)),
            "b": jnp.zeros(3, jnp.float32)}


def loss_fn(params, batch, mask):
    x, y = batch
    logits = x @ params["w"] + params["b"]
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1)[:, 0]
    n = jnp.sum(mask)
    acc = jnp.sum((jnp.argmax(logits, 1) == y) * mask) / n
    return jnp.sum(nll * mask) / n, {"acc": acc}


# the optimizer of the tests of the loop's semantics (seeding, fast_dev_run, overfit_batches,
# val_check_interval): test_trainer_fits_and_validates' (its compiled train and eval steps
# are reused: each other optimizer is a compile of seconds); the rules are tests/optim's
ADAM = optim.adam(0.05)


def np_loss(params, x, y):
    logits = x.astype(np.float64) @ np.asarray(params["w"], np.float64) + np.asarray(params["b"])
    m = logits.max(1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


@pytest.mark.slow
def test_trainer_fits_and_validates(blobs):
    x, y = blobs
    t = train.Trainer(max_epochs=5, optimizer=ADAM, batch_size=64, verbose=0)
    p = t.fit(loss_fn, init(), (x, y), val_data=(x, y))
    h = t.history.history
    assert set(h) == {"loss", "acc", "val_loss", "val_acc"}
    assert np_loss(p, x, y) < 0.3
    # the validation loss is the exact mean over all 300 rows despite the padded last batch
    np.testing.assert_allclose(h["val_loss"][-1], np_loss(p, x, y), rtol=1e-4)
    assert t.engine.train_step.trace_count() == 1


@pytest.mark.slow
def test_seed_makes_runs_identical(blobs):
    x, y = blobs
    runs = [train.Trainer(max_epochs=2, optimizer=ADAM, batch_size=64, verbose=0,
                          seed=3).fit(loss_fn, init(), (x, y)) for _ in range(2)]
    for a, b in zip(jax.tree_util.tree_leaves(runs[0]), jax.tree_util.tree_leaves(runs[1])):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_fast_dev_run_and_overfit_batches(blobs):
    x, y = blobs
    t = train.Trainer(max_epochs=5, optimizer=ADAM, batch_size=64, fast_dev_run=True)
    t.fit(loss_fn, init(), (x, y), val_data=(x, y))
    assert int(t.state.step) == 1 and t.history.epoch == [0]
    t = train.Trainer(max_epochs=3, optimizer=ADAM, batch_size=64, verbose=0,
                      overfit_batches=2)
    t.fit(loss_fn, init(), (x, y))
    assert int(t.state.step) == 6 and "val_loss" in t.history.history


def test_val_check_interval(blobs):
    x, y = blobs
    seen = []
    cb = train.LambdaCallback(on_test_end=lambda logs: seen.append(logs["loss"]))
    t = train.Trainer(max_epochs=1, optimizer=ADAM, batch_size=64, verbose=0,
                      val_check_interval=0.5, callbacks=[cb])
    t.fit(loss_fn, init(), (x[:256], y[:256]), val_data=(x[:64], y[:64]))
    assert len(seen) == 2          # after batch 2 of 4, and at the epoch's end


@pytest.mark.slow
def test_clipping_and_accumulation_equal_hand_written_updates(blobs):
    x, y = blobs
    xb, yb = x[:64], y[:64]
    ones = np.ones(64, np.float32)
    p0 = init()
    g = jax.grad(lambda p: loss_fn(p, (xb, yb), ones)[0])(p0)
    norm = np.sqrt(sum(float(jnp.sum(v * v)) for v in jax.tree_util.tree_leaves(g)))
    clip = 0.01
    assert norm > clip
    t = train.Trainer(max_epochs=1, optimizer=optim.sgd(1.0), batch_size=64, verbose=0,
                      gradient_clip_val=clip, overfit_batches=1)
    p1 = t.fit(loss_fn, p0, (xb, yb))
    for k in p0:
        np.testing.assert_allclose(p1[k], np.asarray(p0[k]) - np.asarray(g[k]) * clip / norm,
                                   atol=1e-6)
    # two accumulated batches of 32 = one step on their mean gradient
    t = train.Trainer(max_epochs=1, optimizer=optim.sgd(1.0), batch_size=32, verbose=0,
                      accumulate_grad_batches=2, overfit_batches=2)
    p2 = t.fit(loss_fn, p0, (xb, yb))
    for k in p0:
        np.testing.assert_allclose(p2[k], np.asarray(p0[k]) - np.asarray(g[k]), atol=1e-5)

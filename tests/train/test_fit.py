"""Keras-level training: compile/fit/evaluate/predict on tiny problems.

Programs are shared between tests (same model structure and batch size) to keep the number
of compilations small."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import layers, losses, models, train


def make_model(dropout=0.0):
    ls = [layers.Input((4,)), layers.Dense(8, activation="tanh")]
    if dropout:
        ls.append(layers.Dropout(dropout))
    return models.Sequential(ls + [layers.Dense(3)])


def compiled(lr=0.05, seed=0, dropout=0.0, metrics=("accuracy",)):
    m = make_model(dropout)
    m.compile(optimizer=jax.optim.get("adam", learning_rate=lr),
              loss=losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=list(metrics), seed=seed)
    return m


def np_loss(model, x, y):
    logits = np.asarray(model.predict(x, batch_size=50), np.float64)
    logp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    return -logp[np.arange(len(y)), y].mean(), (logits.argmax(1) == y).mean()


@pytest.mark.slow
def test_fit_reaches_low_loss_and_history(blobs):
    x, y = blobs
    m = compiled()
    h = m.fit(x, y, epochs=8, batch_size=50, verbose=0)
    assert h.epoch == list(range(8))
    assert len(h.history["loss"]) == 8
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    # fit wrote the weights back: an independent NumPy evaluation agrees with evaluate()
    ref_loss, ref_acc = np_loss(m, x, y)
    ev = m.evaluate(x, y, batch_size=50, return_dict=True, verbose=0)
    assert abs(ev["loss"] - ref_loss) < 1e-4
    assert abs(ev["accuracy"] - ref_acc) < 1e-6
    assert ref_acc > 0.9
    assert list(ev) == ["loss", "accuracy"]                 # Keras's order
    loss_v, acc_v = m.evaluate(x, y, batch_size=50)
    assert (loss_v, acc_v) == (ev["loss"], ev["accuracy"])
    assert list(h.history) == ["loss", "accuracy"]
    eng = m._training["engine"]
    assert eng.train_step.trace_count() == 1        # one program for every batch
    m.fit(x, y, epochs=1, batch_size=50, verbose=0)  # continuing does not recompile
    assert eng.train_step.trace_count() == 1


def test_padded_last_batch_no_recompile_and_exact(blobs):
    x, y = blobs
    m = compiled()
    m.fit(x[:280], y[:280], epochs=1, batch_size=50, verbose=0, shuffle=False)  # 30-row tail
    assert m._training["engine"].train_step.trace_count() == 1
    # evaluation with a padded tail equals the NumPy mean over the real rows only
    ref_loss, ref_acc = np_loss(m, x[:130], y[:130])
    ev = m.evaluate(x[:130], y[:130], batch_size=50, return_dict=True)
    assert abs(ev["loss"] - ref_loss) < 1e-4 and abs(ev["accuracy"] - ref_acc) < 1e-6


@pytest.mark.slow
def test_one_step_equals_hand_written_step(blobs):
    """fit's compiled step = loss, grad and optimizer update written out by hand (the step of
    test_fit_reaches_low_loss_and_history, its metric included: the rate is an argument of the
    program, so no compile of its own)."""
    x, y = blobs
    m = compiled(lr=0.1)
    m.init(jax.random.PRNGKey(3), x[:1])
    before = [np.asarray(w) for w in m.get_weights()]
    m.fit(x[:50], y[:50], epochs=1, batch_size=50, shuffle=False, verbose=0)
    k1, b1, k2, b2 = before

    def loss(ws):
        h = jnp.tanh(x[:50] @ ws[0] + ws[1])
        logits = h @ ws[2] + ws[3]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:50, None], 1))
    g = jax.grad(loss)([k1, b1, k2, b2])
    # Adam's first step moves each weight by lr * sign(g) (to within eps)
    for w0, gi, w1 in zip(before, g, m.get_weights()):
        gi = np.asarray(gi)
        expect = w0 - 0.1 * gi / (np.abs(gi) + 1e-8)
        np.testing.assert_allclose(w1, expect, atol=1e-5)


@pytest.mark.slow
def test_dropout_training_vs_inference_and_determinism(blobs):
    x, y = blobs
    m1, m2 = compiled(dropout=0.5, seed=1), compiled(dropout=0.5, seed=1)
    m1.fit(x, y, epochs=1, batch_size=50, verbose=0)
    m2.fit(x, y, epochs=1, batch_size=50, verbose=0)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)          # same seed: same run, bit for bit
    out1, _ = m1.apply(x[:10], training=True, key=jax.random.PRNGKey(0))
    out2, _ = m1.apply(x[:10], training=True, key=jax.random.PRNGKey(1))
    assert not np.allclose(out1, out2)               # dropout active in training
    np.testing.assert_array_equal(m1(x[:10]), m1(x[:10]))   # inference deterministic


def test_validation_split_and_data(blobs):
    x, y = blobs
    m = compiled()
    h = m.fit(x, y, epochs=2, batch_size=50, validation_split=0.2, verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(h.history)
    h2 = compiled().fit(x[:240], y[:240], epochs=2, batch_size=50,
                        validation_data=(x[240:], y[240:]), verbose=0)
    np.testing.assert_allclose(h.history["val_loss"], h2.history["val_loss"], rtol=1e-5)


def test_learning_rate_callback_changes_rate_without_recompile(blobs):
    x, y = blobs
    m = compiled()
    seen = []
    cbs = [train.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)),
           train.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs["learning_rate"]))]
    m.fit(x, y, epochs=3, batch_size=50, verbose=0, callbacks=cbs)
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    assert m._training["engine"].train_step.trace_count() == 1


def test_callback_order(blobs):
    x, y = blobs
    events = []

    class Rec(train.Callback):
        def on_train_begin(self, logs=None): events.append("train_begin")
        def on_epoch_begin(self, epoch, logs=None): events.append(f"epoch_begin{epoch}")
        def on_train_batch_begin(self, b, logs=None): events.append(f"b{b}")
        def on_train_batch_end(self, b, logs=None): events.append(f"e{b}")
        def on_test_begin(self, logs=None): events.append("test_begin")
        def on_test_end(self, logs=None): events.append("test_end")
        def on_epoch_end(self, epoch, logs=None): events.append(f"epoch_end{epoch}")
        def on_train_end(self, logs=None): events.append("train_end")
    compiled().fit(x[:100], y[:100], epochs=2, batch_size=50, verbose=0, callbacks=[Rec()],
                   validation_data=(x[:50], y[:50]))
    one = ["b0", "e0", "b1", "e1", "test_begin", "test_end"]
    assert events == (["train_begin", "epoch_begin0"] + one + ["epoch_end0", "epoch_begin1"]
                      + one + ["epoch_end1", "train_end"])


def test_early_stopping_restores_best(blobs):
    x, y = blobs
    m = compiled(lr=0.05)
    vals = iter([1.0, 0.5, 0.7, 0.8, 0.9, 0.95])
    states = []

    class FakeVal(train.Callback):      # runs before EarlyStopping: sets the monitored value
        def on_epoch_end(self, epoch, logs=None):
            logs["val_metric"] = next(vals)
            states.append(self.trainer.state.params)
    es = train.EarlyStopping(monitor="val_metric", patience=2, restore_best_weights=True)
    h = m.fit(x, y, epochs=6, batch_size=50, verbose=0, callbacks=[FakeVal(), es])
    assert h.epoch == [0, 1, 2, 3]             # best at epoch 1, patience 2 -> stop after 3
    best = jax.tree_util.tree_leaves(states[1])
    for a, b in zip(m.get_weights(), best):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_terminate_on_nan_and_csv_logger(blobs, tmp_path):
    x, y = blobs
    m = compiled()
    xb = x.copy()
    xb[50:100] = np.nan
    h = m.fit(xb, y, epochs=3, batch_size=50, shuffle=False, verbose=0,
              callbacks=[train.TerminateOnNaN(),
                         train.CSVLogger(tmp_path / "log.csv")])
    assert len(h.epoch) == 1 and np.isnan(h.history["loss"][0])
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0].split(",")[0] == "epoch" and len(lines) == 2


def test_reduce_lr_on_plateau(blobs):
    x, y = blobs
    m = compiled(lr=0.05)
    vals = iter([1.0, 1.0, 1.0, 1.0, 1.0])
    lrs = []

    class Val(train.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = next(vals)
    cb = train.ReduceLROnPlateau(factor=0.5, patience=2)
    rec = train.LambdaCallback(on_epoch_end=lambda e, logs: lrs.append(logs["learning_rate"]))
    m.fit(x, y, epochs=5, batch_size=50, verbose=0, callbacks=[Val(), cb, rec])
    # value never improves after epoch 0: reduced at the end of epochs 2 and 4
    np.testing.assert_allclose(lrs, [0.05, 0.05, 0.05, 0.025, 0.025], rtol=1e-6)
    np.testing.assert_allclose(m._training["engine"].learning_rate, 0.0125, rtol=1e-6)


def test_lr_find_and_one_cycle(blobs):
    x, y = blobs
    m = compiled()
    m.init(jax.random.PRNGKey(0), x[:1])
    w0 = m.get_weights()
    res = m.lr_find(x, y, batch_size=50, start_lr=1e-4, end_lr=10.0, num_it=30)
    assert 1e-4 <= res.suggestion <= 10.0 and len(res.lrs) == len(res.losses) <= 30
    assert np.all(np.diff(res.lrs) > 0)
    for a, b in zip(w0, m.get_weights()):
        np.testing.assert_array_equal(a, b)          # weights untouched
    cb = train.OneCycle(0.1)
    cb.params = {"epochs": 1, "steps": 100}
    cb.on_train_begin()
    lrs = [cb.lr_at(i) for i in range(100)]
    assert abs(lrs[0] - 0.1 / 25) < 1e-12 and abs(max(lrs) - 0.1) < 1e-12
    assert int(np.argmax(lrs)) == 25 and lrs[-1] < 1e-4
    h = m.fit_one_cycle(x, y, epochs=2, max_lr=0.05, batch_size=50, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_errors_before_compiling(blobs):
    x, y = blobs
    m = make_model()
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(x, y)
    m = compiled()
    with pytest.raises(ValueError, match="samples"):
        m.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError, match=r"label|class"):
        m.fit(x, np.full_like(y, 7), verbose=0)
    bad = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    bad.init(jax.random.PRNGKey(0), x[:1])
    with pytest.raises(ValueError, match=r"sequential \(Sequential\).*\(10, 5\)"):
        bad(np.zeros((10, 5), np.float32))
    dense = layers.Dense(3).init(jax.random.PRNGKey(0), x[:1])
    with pytest.raises(ValueError, match=r"Dense.*4 input features.*\(10, 5\)"):
        dense(np.zeros((10, 5), np.float32))


def test_progress_output_one_line_per_epoch_when_not_a_tty(blobs, capsys):
    x, y = blobs
    compiled().fit(x, y, epochs=2, batch_size=50, verbose=1)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].startswith("Epoch 1/2") and "loss:" in out[0]
    compiled().fit(x, y, epochs=1, batch_size=50, verbose=0)
    assert capsys.readouterr().out == ""



def test_one_compiled_call_per_batch(blobs, monkeypatch):
    """A fit epoch dispatches exactly one jitted call per batch."""
    from jitnet.api.jit import Jitted
    x, y = blobs
    m = compiled()
    m.fit(x, y, epochs=1, batch_size=50, verbose=0)           # build and compile first
    calls = []
    orig_call = Jitted.__call__

    def counting_call(self, *a, **k):
        calls.append(1)
        return orig_call(self, *a, **k)
    monkeypatch.setattr(Jitted, "__call__", counting_call)
    m.fit(x, y, epochs=2, batch_size=50, verbose=0)
    assert len(calls) == 2 * 6


def test_progress_bar_on_a_terminal(blobs):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True
    x, y = blobs
    out = Tty()
    m = compiled()
    m.fit(x, y, epochs=1, batch_size=50, verbose=0,
          callbacks=[train.ProgbarLogger(verbose=1, stream=out, refresh_s=0.0)])
    text = out.getvalue()
    assert "Epoch 1/1" in text and "6/6" in text and "loss:" in text and "accuracy:" in text


def test_fit_on_a_dataloader_with_augmentation(blobs):
    from jitnet.data import DataLoader
    x, y = blobs
    seen = []

    def noise(batch, rng):
        xb, yb = batch
        seen.append(1)
        return xb + rng.normal(0, 0.01, xb.shape).astype(np.float32), yb
    loader = DataLoader((x, y), 50, seed=0, transform=noise)
    h = compiled().fit(loader, epochs=2, verbose=0)
    assert len(seen) == 12 and h.history["loss"][-1] < h.history["loss"][0]

"""Loggers and the TensorBoard callback: event files are read back with TensorBoard's own
reader; expected values come from NumPy recomputations or from what the test configured."""
import csv
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import layers, losses, models, optim, train
from jitnet.train.loggers import (CSVLogger, Logger, LoggerCallback, TensorBoard,
                                  TensorBoardLogger, image_grid, misclassified, named_arrays)


def read_events(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                     "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalar_values(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def np_val_loss(params, x, y):
    """Mean softmax cross-entropy of a linear model, in float64."""
    logits = x.astype(np.float64) @ np.asarray(params["w"], np.float64) + np.asarray(params["b"])
    m = logits.max(1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def loss_fn(params, batch, mask):
    x, y = batch
    logits = x @ params["w"] + params["b"]
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1)[:, 0]
    return jnp.sum(nll * mask) / jnp.sum(mask)


def init():
    rs = np.random.RandomState(0)
    return {"w": jnp.asarray(0.1 * rs.randn(4, 3).astype(np.float32)),
            "b": jnp.zeros(3, jnp.float32)}


def test_trainer_logger_writes_tensorboard_and_csv(blobs, tmp_path, interpreter):
    """What the loggers write; the Trainer's compiled steps are tests/train/test_trainer.py's."""
    x, y = blobs
    tb, cs = TensorBoardLogger(tmp_path, name="run"), CSVLogger(tmp_path, name="run")
    assert tb.log_dir.endswith(os.path.join("run", "version_0"))
    assert cs.log_dir.endswith(os.path.join("run", "version_1"))   # the next free version
    t = train.Trainer(max_epochs=3, optimizer=optim.get("adam", learning_rate=0.05),
                      batch_size=64, verbose=0, logger=[tb, cs],
                      callbacks=[TensorBoard(tmp_path / "tb", histogram_freq=2)])
    with interpreter():
        p = t.fit(loss_fn, init(), (x, y), val_data=(x, y))
    hist = read_events(tmp_path / "tb" / "train")      # weights named by the pytree's keys
    assert sorted(hist.Tags()["histograms"]) == ["b", "w"]
    for k in ("b", "w"):
        hs = hist.Histograms(k)
        assert [h.step for h in hs] == [0, 2]
        np.testing.assert_allclose(hs[-1].histogram_value.sum,
                                   np.asarray(p[k], np.float64).sum(), rtol=1e-5, atol=1e-6)
    steps_per_epoch = 5   # 300 rows in batches of 64, the last one padded
    acc = read_events(tb.log_dir)
    assert {"loss", "val_loss", "learning_rate", "epoch"} <= set(acc.Tags()["scalars"])
    val = scalar_values(acc, "val_loss")
    assert [s for s, _ in val] == [steps_per_epoch * (e + 1) for e in range(3)]
    np.testing.assert_allclose(val[-1][1], np_val_loss(p, x, y), rtol=1e-4)
    np.testing.assert_allclose([v for _, v in scalar_values(acc, "learning_rate")], 0.05,
                               rtol=1e-6)
    hp = acc.Tensors("hparams/text_summary")
    assert b"max_epochs" in hp[0].tensor_proto.string_val[0]
    with open(os.path.join(cs.log_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [5, 10, 15]
    assert [int(float(r["epoch"])) for r in rows] == [0, 1, 2]
    np.testing.assert_allclose(float(rows[-1]["val_loss"]), np_val_loss(p, x, y), rtol=1e-4)
    assert os.path.exists(os.path.join(cs.log_dir, "hparams.json"))


def test_csv_logger_grows_columns(tmp_path):
    lg = CSVLogger(tmp_path, version="v")
    lg.log_metrics({"loss": 1.5}, step=1)
    lg.log_metrics({"loss": np.float32(1.25), "val_loss": 2.0}, step=2)
    lg.finalize()
    with open(os.path.join(tmp_path, "jitnet_logs", "v", "metrics.csv")) as f:
        rows = list(csv.reader(f))
    assert rows == [["step", "loss", "val_loss"], ["1", "1.5", ""], ["2", "1.25", "2.0"]]


def test_bad_logger_arguments(tmp_path):
    with pytest.raises(TypeError, match="logger"):
        LoggerCallback(object())
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq="batch")
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(tmp_path, histogram_freq=-1)
    with pytest.raises(ValueError, match="name"):
        CSVLogger(tmp_path, name="")
    with pytest.raises(NotImplementedError):
        Logger(tmp_path).log_metrics({}, 0)


def test_tensorboard_callback_keras_fit(blobs, tmp_path):
    x, y = blobs
    model = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(3)])
    model.compile(optimizer=jax.optim.get("adam", learning_rate=0.05),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], seed=0)
    cb = TensorBoard(tmp_path, histogram_freq=1, update_freq=2)
    h = model.fit(x, y, epochs=2, batch_size=50, verbose=0, validation_data=(x, y),
                  callbacks=[cb])
    tr, va = read_events(tmp_path / "train"), read_events(tmp_path / "validation")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= \
        set(tr.Tags()["scalars"])
    assert set(va.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    # validation accuracy recomputed with NumPy from the final weights
    logits = np.asarray(model.predict(x), np.float64)
    np.testing.assert_allclose(scalar_values(va, "epoch_accuracy")[-1][1],
                               (logits.argmax(1) == y).mean(), rtol=1e-6)
    assert [s for s, _ in scalar_values(tr, "batch_loss")] == [2, 4, 6, 8, 10, 12]
    np.testing.assert_allclose([v for _, v in scalar_values(tr, "epoch_learning_rate")], 0.05,
                               rtol=1e-6)
    # the last histogram of each weight describes the final weights
    weights = dict(named_arrays(model))
    hist_tags = tr.Tags()["histograms"]
    assert len(hist_tags) == 4 and set(hist_tags) <= set(weights)
    for tag in hist_tags:
        last = tr.Histograms(tag)[-1]
        w = weights[tag].astype(np.float64)
        assert last.step == 1 and last.histogram_value.num == w.size
        np.testing.assert_allclose(last.histogram_value.sum, w.sum(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose([last.histogram_value.min, last.histogram_value.max],
                                   [w.min(), w.max()], rtol=1e-6)
    text = tr.Tensors("model_summary/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "Total params: 67" in text   # 4*8+8 + 8*3+3
    assert h.history["loss"][-1] == pytest.approx(scalar_values(tr, "epoch_loss")[-1][1],
                                                  rel=1e-6)


def test_image_helpers_and_logger_image(tmp_path):
    imgs = np.arange(5 * 3 * 2, dtype=np.float32).reshape(5, 3, 2)
    g = image_grid(imgs, ncols=3, pad=1)
    assert g.shape == (2 * 4 + 1, 3 * 3 + 1, 1)
    # each tile is min-max scaled; padding and empty cells are white
    ref = (imgs[4] - imgs[4].min()) / (imgs[4].max() - imgs[4].min())
    np.testing.assert_allclose(g[5:8, 4:6, 0], ref)
    assert (g[:, 0] == 1).all() and (g[5:8, 7:9] == 1).all()
    with pytest.raises(ValueError, match="image_grid"):
        image_grid(np.zeros((2, 3)))
    x = np.arange(4)[:, None, None] * np.ones((4, 2, 2))
    logits = np.eye(3)[[0, 2, 2, 1]]
    xi, yt, yp = misclassified(x, np.array([0, 1, 2, 0]), logits)
    assert list(yt) == [1, 0] and list(yp) == [2, 1] and (xi[:, 0, 0] == [1, 3]).all()
    lg = TensorBoardLogger(tmp_path)
    lg.log_image("grid", g, step=3)
    lg.log_histogram("h", [1.0, 2.0, 4.0], step=3)
    lg.finalize()
    acc = read_events(lg.log_dir)
    im = acc.Images("grid")[0]
    assert im.step == 3 and (im.height, im.width) == g.shape[:2]
    hv = acc.Histograms("h")[0].histogram_value
    assert (hv.num, hv.sum, hv.min, hv.max) == (3, 7.0, 1.0, 4.0)


def test_tensorboard_misclassified_images(blobs, tmp_path, interpreter):
    """What TensorBoard writes; fit's compiled steps are tests/train/test_fit.py's."""
    x, y = blobs
    imgs = x.reshape(-1, 2, 2)
    model = models.Sequential([layers.Input((2, 2)), layers.Flatten(), layers.Dense(3)])
    model.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  seed=0)
    with interpreter():
        model.fit(imgs, y, epochs=1, batch_size=100, verbose=0,
                  callbacks=[TensorBoard(tmp_path, image_data=(imgs, y), max_images=4,
                                         histogram_freq=1, grad_data=(imgs[:50], y[:50]))])
        logits = np.asarray(model.predict(imgs), np.float64)
    wrong = int((logits.argmax(1) != y).sum())
    assert wrong >= 4      # one epoch of plain SGD leaves mistakes to show
    acc = read_events(tmp_path / "train")
    im = acc.Images("misclassified")[0]
    # a 2 x 2 grid of 2 x 2 tiles with 1-pixel padding
    assert im.step == 0 and (im.height, im.width) == (7, 7)
    # gradients of the mean cross-entropy on the first 50 samples, in NumPy
    z = logits[:50]
    sm = np.exp(z - z.max(1, keepdims=True))
    sm /= sm.sum(1, keepdims=True)
    d = (sm - np.eye(3)[y[:50]]) / 50
    ref = {"kernel": x[:50].astype(np.float64).T @ d, "bias": d.sum(0)}
    tags = [t for t in acc.Tags()["histograms"] if t.startswith("grad/")]
    assert len(tags) == 2
    for tag in tags:
        h = acc.Histograms(tag)[0].histogram_value
        g = ref[tag.rsplit("/", 1)[1]]
        assert h.num == g.size
        np.testing.assert_allclose([h.sum, h.min, h.max], [g.sum(), g.min(), g.max()],
                                   rtol=1e-4, atol=1e-6)

"""Training plots: PNG files exist, have the requested pixel size and are not blank;
plotted data are checked against what the test passed in."""
import numpy as np
import pytest
from matplotlib import image as mpimg

from jitnet import viz
from jitnet.train import History, LRFinderResult


def read_png(path):
    img = mpimg.imread(str(path))
    assert img.ndim == 3 and img[..., :3].std() > 0.01, "blank image"
    return img


def make_history():
    h = History()
    h.on_train_begin()
    for e, (l, a) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        h.on_epoch_end(e, {"loss": l, "accuracy": a, "val_loss": l + 0.1,
                           "val_accuracy": a - 0.1, "learning_rate": 0.01})
    return h


def test_history_plot_png(tmp_path):
    h = make_history()
    fig = h.plot(tmp_path / "curves.png", figsize=(8, 3), dpi=50)
    assert read_png(tmp_path / "curves.png").shape[:2] == (150, 400)
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_title() == "loss" and ax_acc.get_title() == "accuracy"
    (train, val) = ax_loss.lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(val.get_ydata(), [1.1, 0.7, 0.5])
    with pytest.raises(ValueError, match="plot_history"):
        History().plot()
    with pytest.raises(ValueError, match="top5"):
        h.plot(metrics=["top5"])


def test_lr_find_plot_marks_suggestion(tmp_path):
    lrs = list(np.logspace(-5, 0, 20))
    losses = list(2.0 - np.tanh(np.linspace(-3, 3, 20)))
    res = LRFinderResult(lrs[7], lrs, losses)
    fig = viz.plot_lr_find(res, tmp_path / "lr.png", figsize=(4, 3), dpi=40)
    assert read_png(tmp_path / "lr.png").shape[:2] == (120, 160)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    marker = ax.lines[1]
    assert marker.get_xdata()[0] == lrs[7]
    np.testing.assert_allclose(marker.get_ydata()[0], losses[7])
    with pytest.raises(ValueError, match="plot_lr_find"):
        viz.plot_lr_find(LRFinderResult(1.0, [], []))


def test_confusion_matrix_against_loops(tmp_path):
    rs = np.random.RandomState(0)
    t = rs.randint(0, 4, 200)
    scores = rs.randn(200, 4)
    p = scores.argmax(1)
    ref = np.zeros((4, 4), int)
    for a, b in zip(t, p):
        ref[a, b] += 1
    np.testing.assert_array_equal(viz.confusion_matrix(t, scores), ref)
    fig = viz.plot_confusion_matrix(t, p, tmp_path / "cm.png", class_names=list("abcd"),
                                    normalize=True, figsize=(5, 5), dpi=40)
    assert read_png(tmp_path / "cm.png").shape[:2] == (200, 200)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(),
                               ref / ref.sum(1, keepdims=True))
    with pytest.raises(ValueError, match="y_true"):
        viz.confusion_matrix(np.array([0.5, 1.0]), p[:2])
    with pytest.raises(ValueError, match="samples"):
        viz.confusion_matrix(t, p[:10])


def test_predictions_grid(tmp_path):
    imgs = np.random.RandomState(1).rand(6, 8, 8, 1)
    t, p = np.array([0, 1, 2, 0, 1, 2]), np.array([0, 1, 1, 0, 2, 2])
    fig = viz.plot_predictions(imgs, t, p, tmp_path / "pred.png", class_names=["x", "y", "z"],
                               ncols=3, figsize=(3, 2), dpi=60)
    assert read_png(tmp_path / "pred.png").shape[:2] == (120, 180)
    titles = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes]
    assert titles[2] == ("y (z)", "red") and titles[0] == ("x (x)", "black")
    with pytest.raises(ValueError, match="plot_predictions"):
        viz.plot_predictions(imgs[:, 0, 0, 0], t, p)


def test_save_training_plots(tmp_path):
    paths = viz.save_training_plots(tmp_path / "out", make_history(), [0, 1, 1], [0, 1, 0])
    assert [p.rsplit("/", 1)[1] for p in paths] == ["curves.png", "confusion_matrix.png"]
    for p in paths:
        read_png(p)

"""Fine-tuning: freezing (Keras's ``trainable``), per-group learning rates, partial restore
by layer name, FastAI's ``fine_tune``. References are NumPy gradients written here."""
import warnings

import numpy as np
import pytest

import jitnet as jax
from jitnet import layers, losses, models, optim, train
from jitnet.layers import partition
from jitnet.tree_util import tree_leaves


def body_head(head_units=3, bn=False, extra=False, seed=0):
    ls = [layers.Input((4,)), layers.Dense(8, activation="tanh", name="body")]
    if bn:
        ls.append(layers.BatchNormalization(name="bn"))
    if extra:
        ls.append(layers.Dense(8, name="extra"))
    m = models.Sequential(ls + [layers.Dense(head_units, name="head")])
    return m.init(jax.random.PRNGKey(seed), np.zeros((1, 4), np.float32))


def weights(model):
    return {p: {k: np.array(getattr(l, k)) for k, kind in l._weight_kinds.items()
                if kind != "const"} for p, l in layers.named_layers(model).items()}


def compile_(m, opt):
    m.compile(optimizer=opt, loss=losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def test_trainable_propagates_and_frozen_weights_stay(blobs):
    x, y = blobs
    m = body_head(bn=True)
    m.layers[0].trainable = False
    m.layers[1].trainable = False
    before = weights(m)
    compile_(m, optim.get("adam", learning_rate=0.05))
    m.fit(x, y, epochs=2, batch_size=50, verbose=0)
    after = weights(m)
    for name in ("body", "bn"):        # kernel, bias, gamma, beta and the moving statistics
        for k in before[name]:
            np.testing.assert_array_equal(after[name][k], before[name][k], err_msg=f"{name}/{k}")
    assert not np.allclose(after["head"]["kernel"], before["head"]["kernel"])
    # the optimizer holds state (Adam's two moments) for the head's weights only
    state = m._training["engine"].state.opt_state
    moments = sorted(a.shape for a in tree_leaves(state) if np.ndim(a) > 0)
    assert moments == sorted([(8, 3), (8, 3), (3,), (3,)])
    # a frozen BatchNormalization normalizes with its moving statistics, even in training
    xb = x[:10]
    train_out = m.apply(xb, training=True, key=jax.random.PRNGKey(0))[0]
    np.testing.assert_allclose(np.asarray(train_out), np.asarray(m(xb)), rtol=1e-6)
    # Keras: a container's flag reaches all its layers; changing it needs a new compile()
    m.trainable = False
    assert not any(l.trainable for l in m.layers)
    with pytest.raises(ValueError, match="compile"):
        m.fit(x, y, epochs=1, batch_size=50, verbose=0)
    m.trainable = True
    assert all(l.trainable for l in m.layers)


def _np_grads(x, y, w):
    """Gradients of the mean cross-entropy of Dense(tanh) -> Dense, in float64."""
    h = np.tanh(x @ w["body"]["kernel"] + w["body"]["bias"])
    z = h @ w["head"]["kernel"] + w["head"]["bias"]
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz = (p - np.eye(z.shape[1])[y]) / len(y)
    dh = dz @ w["head"]["kernel"].T * (1 - h ** 2)
    return {"head": {"kernel": h.T @ dz, "bias": dz.sum(0)},
            "body": {"kernel": x.T @ dh, "bias": dh.sum(0)}}


def test_discriminative_rates_match_a_manual_sgd_step(blobs, interpreter):
    """The rule, on the interpreter: frozen and trained weights in one compiled step are
    test_trainable_propagates_and_frozen_weights_stay's."""
    x, y = blobs
    x, y = x[:40].astype(np.float64), y[:40]
    m = body_head()
    w0 = {k: {n: v.astype(np.float64) for n, v in d.items()} for k, d in weights(m).items()}
    opt = optim.chain(optim.get("sgd", learning_rate=0.5),
                      train.discriminative(m, [0.05, 0.5]))
    compile_(m, opt)
    with interpreter():
        m.fit(x.astype(np.float32), y, epochs=1, batch_size=40, shuffle=False, verbose=0)
    g = _np_grads(x, y, w0)
    w1 = weights(m)
    for name, lr in (("body", 0.05), ("head", 0.5)):
        for k in ("kernel", "bias"):
            np.testing.assert_allclose(w1[name][k], w0[name][k] - lr * g[name][k],
                                       rtol=1e-4, atol=1e-6, err_msg=f"{name}/{k}")


def test_param_labels_by_pattern():
    m = body_head(extra=True)
    params = partition(m)[0]
    labels = layers.param_labels({"head/*": "head", "*/bias": "bias", "*": "body"})(params)
    got = {p: {k: getattr(l, k) for k in ("kernel", "bias")}
           for p, l in layers.named_layers(labels).items() if p}
    assert got == {"body": {"kernel": "body", "bias": "bias"},
                   "extra": {"kernel": "body", "bias": "bias"},
                   "head": {"kernel": "head", "bias": "head"}}
    with pytest.raises(ValueError, match="no pattern matches weight 'body/kernel'"):
        layers.param_labels({"head/*": "head"})(params)
    # per-layer optimizers through multi_transform: a zero rate leaves the body alone
    opt = optim.multi_transform({"head": optim.sgd(0.1), "body": optim.sgd(0.0),
                                 "bias": optim.sgd(0.0)},
                                layers.param_labels({"head/*": "head", "*/bias": "bias",
                                                     "*": "body"}))
    grads = jax.tree_util.tree_map(lambda a: a * 0 + 1, params)
    upd, _ = opt.update(grads, opt.init(params), params)
    np.testing.assert_array_equal(np.asarray(upd.layers[0].kernel), 0)
    np.testing.assert_allclose(np.asarray(upd.layers[2].kernel), -0.1)


def test_partial_restore_by_name_into_a_new_head(tmp_path):
    src = body_head(head_units=3, seed=1)
    src.save(str(tmp_path / "src"))
    dst = body_head(head_units=5, extra=True, seed=2)
    fresh = weights(dst)
    with pytest.raises(ValueError, match=r"head/kernel: shape \(8, 3\) in the source"):
        dst.load_weights(str(tmp_path / "src"))
    np.testing.assert_array_equal(weights(dst)["body"]["kernel"], fresh["body"]["kernel"])
    with pytest.raises(ValueError, match="by_name=True"):
        dst.load_weights(str(tmp_path / "src"), by_name=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = dst.load_weights(str(tmp_path / "src"), skip_mismatch=True)
    assert any("skipped 2 weight(s)" in str(w.message) for w in caught)
    assert report.loaded == ["body/kernel", "body/bias"]
    assert [p for p, _ in report.skipped] == ["head/kernel", "head/bias"]
    assert report.missing == ["extra/kernel", "extra/bias"] and report.unused == []
    w, ws = weights(dst), weights(src)
    np.testing.assert_array_equal(w["body"]["kernel"], ws["body"]["kernel"])
    for name in ("head", "extra"):
        np.testing.assert_array_equal(w[name]["kernel"], fresh[name]["kernel"])


def test_fine_tune_trains_the_head_first_then_everything(blobs, interpreter):
    """The schedule of fine_tune, on the interpreter (see test_discriminative_rates_...)."""
    x, y = blobs
    m = compile_(body_head(), optim.get("adam", learning_rate=1e-3))
    w0 = weights(m)
    with interpreter():
        h = m.fine_tune(x, y, epochs=0, freeze_epochs=1, base_lr=0.05, batch_size=50)
    w1 = weights(m)
    np.testing.assert_array_equal(w1["body"]["kernel"], w0["body"]["kernel"])
    assert not np.allclose(w1["head"]["kernel"], w0["head"]["kernel"])
    assert h.epoch == [0]
    with interpreter():
        h = m.fine_tune(x, y, epochs=2, freeze_epochs=1, base_lr=0.05, batch_size=50)
    assert h.epoch == [0, 1, 2] and len(h.history["loss"]) == 3
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert not np.allclose(weights(m)["body"]["kernel"], w1["body"]["kernel"])
    assert train.even_mults(1e-4, 1e-2, 3) == pytest.approx([1e-4, 1e-3, 1e-2])

"""jitnet.losses against NumPy float64 references written here, closed-form gradients and
finite differences."""
import json

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import losses
from jitnet.testing import check_grads

EPS = 1e-7


# -- NumPy float64 references -------------------------------------------------------------

def np_log_softmax(x):
    x = np.asarray(x, np.float64)
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def np_log_probs(pred, from_logits):
    if from_logits:
        return np_log_softmax(pred)
    p = np.asarray(pred, np.float64)
    p = p / p.sum(-1, keepdims=True)
    return np.log(np.clip(p, EPS, 1 - EPS))


def np_sparse_ce(labels, pred, from_logits=False):
    logp = np_log_probs(pred, from_logits)
    return -np.take_along_axis(logp, np.asarray(labels)[..., None], -1)[..., 0]


def np_cce(target, pred, from_logits=False, label_smoothing=0.0):
    t = np.asarray(target, np.float64)
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    return -(t * np_log_probs(pred, from_logits)).sum(-1)


def np_bce(target, pred, from_logits=False, label_smoothing=0.0):
    t = np.asarray(target, np.float64)
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    x = np.asarray(pred, np.float64)
    if from_logits:  # log(1 + exp(x)) - t x, written without overflow
        values = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    else:
        p = np.clip(x, EPS, 1 - EPS)
        values = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return values.mean(-1) if values.ndim > 1 else values


def np_huber(t, p, delta=1.0):
    e = np.asarray(p, np.float64) - np.asarray(t, np.float64)
    values = np.where(np.abs(e) <= delta, 0.5 * e * e, delta * np.abs(e) - 0.5 * delta ** 2)
    return values.mean(-1) if values.ndim > 1 else values


def close(actual, expected, rtol=2e-6, atol=2e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol, atol=atol)


def probabilities(rng, shape):
    p = rng.uniform(0.05, 1.0, shape)
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


# -- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy(rng, from_logits):
    pred = (rng.standard_normal((5, 4)) * 3).astype(np.float32) if from_logits \
        else probabilities(rng, (5, 4))
    labels = rng.randint(0, 4, 5)
    out = losses.sparse_categorical_crossentropy(labels, pred, from_logits=from_logits)
    assert out.shape == (5,) and out.dtype == np.float32
    close(out, np_sparse_ce(labels, pred, from_logits))
    # a trailing axis of 1 on the labels and float labels are accepted (Keras casts)
    close(losses.sparse_categorical_crossentropy(labels[:, None].astype(np.float32), pred,
                                                 from_logits=from_logits),
          np_sparse_ce(labels, pred, from_logits))


def test_sparse_crossentropy_out_of_range_labels_are_nan():
    pred = np.array([[0.2, 0.3, 0.5]] * 4, np.float32)
    labels = np.array([0, 3, -1, 2])
    for from_logits in (False, True):
        out = np.asarray(losses.sparse_categorical_crossentropy(labels, pred, from_logits))
        assert np.isnan(out[1]) and np.isnan(out[2])
        close(out[[0, 3]], np_sparse_ce(labels[[0, 3]], pred[[0, 3]], from_logits))
    # an ignored class may lie outside the range (a padding label)
    out = losses.sparse_categorical_crossentropy(labels, pred, ignore_class=-1)
    assert np.isnan(np.asarray(out)[1]) and np.asarray(out)[2] == 0.0


def test_sparse_crossentropy_other_axis_and_sequences(rng):
    logits = rng.standard_normal((2, 4, 3)).astype(np.float32)   # classes on axis 1
    labels = rng.randint(0, 4, (2, 3))
    out = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=1)
    close(out, np_sparse_ce(labels, np.moveaxis(logits, 1, -1), True))
    # Loss.call averages the positions of a sequence into one value per sample
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    seq = np.moveaxis(logits, 1, -1)
    close(loss.call(labels, seq), np_sparse_ce(labels, seq, True).mean(1))
    close(loss(labels, seq), np_sparse_ce(labels, seq, True).mean())


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_categorical_crossentropy(rng, from_logits, label_smoothing):
    pred = (rng.standard_normal((5, 4)) * 3).astype(np.float32) if from_logits \
        else probabilities(rng, (5, 4))
    target = np.eye(4, dtype=np.float32)[rng.randint(0, 4, 5)]
    out = losses.categorical_crossentropy(target, pred, from_logits, label_smoothing)
    close(out, np_cce(target, pred, from_logits, label_smoothing))
    loss = losses.CategoricalCrossentropy(from_logits=from_logits,
                                          label_smoothing=label_smoothing)
    close(loss(target, pred), np_cce(target, pred, from_logits, label_smoothing).mean())


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_binary_crossentropy(rng, from_logits, label_smoothing):
    pred = (rng.standard_normal((5, 3)) * 3).astype(np.float32) if from_logits \
        else rng.uniform(0.01, 0.99, (5, 3)).astype(np.float32)
    target = rng.randint(0, 2, (5, 3)).astype(np.float32)
    out = losses.binary_crossentropy(target, pred, from_logits, label_smoothing)
    assert out.shape == (5,)
    close(out, np_bce(target, pred, from_logits, label_smoothing))
    # one output unit: (batch, 1) predictions with (batch,) targets give one loss per sample
    out1 = losses.binary_crossentropy(target[:, 0], pred[:, :1], from_logits, label_smoothing)
    assert out1.shape == (5,)
    close(out1, np_bce(target[:, 0], pred[:, 0], from_logits, label_smoothing))


def test_probabilities_at_zero_and_one_are_clipped():
    pred = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    labels = np.array([0, 0])
    # a certain right answer costs -log(1 - eps); a certain wrong one -log(eps)
    close(losses.sparse_categorical_crossentropy(labels, pred),
          [-np.log(1 - EPS), -np.log(EPS)], rtol=1e-5)
    close(losses.categorical_crossentropy(np.eye(3)[labels], pred),
          [-np.log(1 - EPS), -np.log(EPS)], rtol=1e-5)
    close(losses.binary_crossentropy(np.array([1.0, 1.0]), np.array([1.0, 0.0])),
          np_bce([1.0, 1.0], [1.0, 0.0]), rtol=1e-5)
    assert np.all(np.isfinite(losses.binary_crossentropy(np.array([0.0, 1.0]),
                                                         np.array([1.0, 0.0]))))


def test_huge_logits_stay_finite():
    logits = np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 100.0]], np.float32)
    labels = np.array([1, 0])
    out = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    close(out, np_sparse_ce(labels, logits, True), rtol=1e-6)
    assert np.asarray(out)[0] == pytest.approx(200.0)
    close(losses.categorical_crossentropy(np.eye(3)[labels], logits, True),
          np_sparse_ce(labels, logits, True), rtol=1e-6)
    x = np.array([100.0, -100.0, 100.0, -100.0], np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    out = losses.binary_crossentropy(t, x, from_logits=True)
    close(out, np_bce(t, x, True), rtol=1e-6)
    assert np.asarray(out)[0] == pytest.approx(100.0)


def test_regression_losses(rng):
    t = rng.standard_normal((4, 3)).astype(np.float32)
    p = rng.standard_normal((4, 3)).astype(np.float32)
    close(losses.mean_squared_error(t, p), ((t.astype(np.float64) - p) ** 2).mean(1))
    close(losses.mse(t, p), ((t.astype(np.float64) - p) ** 2).mean(1))
    close(losses.mean_absolute_error(t, p), np.abs(t.astype(np.float64) - p).mean(1))
    assert losses.mae is losses.mean_absolute_error
    for delta in (0.5, 1.0, 2.0):
        close(losses.huber(t, p, delta), np_huber(t, p, delta))
    # (batch,) targets with (batch, 1) predictions: one value per sample
    close(losses.mse(t[:, 0], p[:, :1]), (t[:, 0].astype(np.float64) - p[:, 0]) ** 2)


def test_huber_at_delta():
    delta = 0.5
    t = np.zeros((1, 4), np.float64)
    p = np.array([[delta, -delta, 2 * delta, 0.25]])
    # at |e| = delta both branches give delta**2 / 2 = 0.125; |e| = 1 is linear:
    # delta * 1 - delta**2 / 2 = 0.375; |e| = 0.25 is quadratic: 0.03125
    close(losses.huber(t, p, delta), [(0.125 + 0.125 + 0.375 + 0.03125) / 4])
    # the slope is continuous there: d/dp = e inside, delta * sign(e) outside
    g = jitnet.grad(lambda q: jnp.sum(losses.huber(t, q, delta)))(p.astype(np.float32))
    close(g, np.array([[delta, -delta, delta, 0.25]]) / 4)


# -- gradients ------------------------------------------------------------------------------

def test_crossentropy_gradients_closed_form(rng):
    logits = np.array([[100.0, -100.0, 0.0], [0.3, -1.2, 2.0], [-100.0, 100.0, 100.0]],
                      np.float32)
    labels = np.array([1, 2, 0])
    onehot = np.eye(3)[labels]
    softmax = np.exp(np_log_softmax(logits))
    g = jitnet.grad(lambda x: jnp.sum(losses.sparse_categorical_crossentropy(
        labels, x, from_logits=True)))(logits)
    close(g, softmax - onehot, atol=1e-6)
    g = jitnet.grad(lambda x: jnp.sum(losses.categorical_crossentropy(
        onehot, x, from_logits=True)))(logits)
    close(g, softmax - onehot, atol=1e-6)
    x = np.array([[100.0, -100.0], [0.5, -2.0]], np.float32)
    t = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    g = jitnet.grad(lambda z: jnp.sum(losses.binary_crossentropy(t, z, from_logits=True)))(x)
    close(g, (1 / (1 + np.exp(-x.astype(np.float64))) - t) / 2, atol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
def test_crossentropy_check_grads(x64, rng, from_logits):
    pred = rng.standard_normal((3, 4)) if from_logits else rng.uniform(0.1, 1.0, (3, 4))
    labels = rng.randint(0, 4, 3)
    onehot = np.eye(4)[labels]
    check_grads(lambda p: losses.sparse_categorical_crossentropy(labels, p, from_logits),
                (pred,), order=2)
    check_grads(lambda p: losses.categorical_crossentropy(onehot, p, from_logits, 0.1),
                (pred,), order=2)
    bpred = rng.standard_normal((3, 2)) if from_logits else rng.uniform(0.1, 0.9, (3, 2))
    target = rng.uniform(0, 1, (3, 2))
    check_grads(lambda p, t: losses.binary_crossentropy(t, p, from_logits, 0.1),
                (bpred, target), order=2)


def test_regression_check_grads(x64, rng):
    t = rng.standard_normal((3, 2))
    p = t + rng.choice([-1, 1], (3, 2)) * rng.uniform(0.2, 2.0, (3, 2))  # away from kinks
    check_grads(lambda t, p: losses.mean_squared_error(t, p), (t, p), order=2)
    check_grads(lambda t, p: losses.mean_absolute_error(t, p), (t, p), order=2)
    for delta in (0.1, 0.75, 5.0):
        far = np.abs(np.abs(p - t) - delta) > 0.05
        assert far.all()
        check_grads(lambda t, p: losses.huber(t, p, delta), (t, p), order=2)


# -- Loss objects ---------------------------------------------------------------------------

def test_reductions_and_sample_weights(rng):
    logits = rng.standard_normal((4, 3)).astype(np.float32)
    labels = rng.randint(0, 3, 4)
    w = np.array([1.0, 0.5, 0.0, 2.0], np.float32)
    ref = np_sparse_ce(labels, logits, True)
    make = lambda r: losses.SparseCategoricalCrossentropy(from_logits=True, reduction=r)
    close(make("sum_over_batch_size")(labels, logits), ref.mean())
    close(make("sum_over_batch_size")(labels, logits, w), (ref * w).sum() / 4)
    close(make("sum")(labels, logits, w), (ref * w).sum())
    close(make("mean_with_sample_weight")(labels, logits, w), (ref * w).sum() / w.sum())
    assert float(make("mean_with_sample_weight")(labels, logits, 0 * w)) == 0.0
    close(make("none")(labels, logits, w), ref * w)
    close(make(None)(labels, logits, w), ref * w)
    close(make("none").call(labels, logits), ref)
    # a (batch, 1) weight column is accepted too
    close(make("sum")(labels, logits, w[:, None]), (ref * w).sum())
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="mean_of_everything")
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        make("sum")(labels, logits, w[:3])


def test_zero_weights_exclude_rows_exactly(rng):
    t = rng.standard_normal((3, 2)).astype(np.float32)
    p = rng.standard_normal((3, 2)).astype(np.float32)
    padded_t = np.concatenate([t, np.zeros((2, 2), np.float32)])
    padded_p = np.concatenate([p, np.full((2, 2), np.nan, np.float32)])
    w = np.array([1, 1, 1, 0, 0], np.float32)
    loss = losses.MeanSquaredError(reduction="sum")
    assert float(loss(padded_t, padded_p, w)) == float(loss(t, p))


def test_ignore_class(rng):
    logits = rng.standard_normal((2, 3, 4)).astype(np.float32)
    labels = np.array([[0, -1, 3], [-1, -1, 2]])
    valid = labels != -1
    ref = np.where(valid, np_sparse_ce(np.where(valid, labels, 0), logits, True), 0.0)
    close(losses.sparse_categorical_crossentropy(labels, logits, True, ignore_class=-1), ref)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    # ignored entries count neither in the sum nor in the divisor (Keras masks them)
    close(loss(labels, logits), ref.sum() / valid.sum())
    w = np.array([2.0, 0.5], np.float32)
    close(loss(labels, logits, w), (ref * w[:, None]).sum() / valid.sum())
    close(loss.call(labels, logits), ref.sum(1) / valid.sum(1))
    # ignored positions get no gradient: softmax - onehot on the valid ones, 0 elsewhere
    g = jitnet.grad(lambda x: loss(labels, x))(logits)
    onehot = np.eye(4)[np.where(valid, labels, 0)]
    expected = (np.exp(np_log_softmax(logits)) - onehot) * valid[..., None] / valid.sum()
    close(g, expected, atol=1e-6)


@pytest.mark.slow
def test_eager_and_jit_agree(rng):
    logits = (rng.standard_normal((4, 3)) * 4).astype(np.float32)
    labels = rng.randint(0, 3, 4)
    w = np.array([1.0, 0.0, 2.0, 1.0], np.float32)
    t = rng.standard_normal((4, 3)).astype(np.float32)
    objs = [losses.SparseCategoricalCrossentropy(from_logits=True),
            losses.CategoricalCrossentropy(label_smoothing=0.1),
            losses.BinaryCrossentropy(from_logits=True), losses.MeanSquaredError(),
            losses.MeanAbsoluteError(), losses.Huber(delta=0.5)]
    args = [labels, np.eye(3, dtype=np.float32)[labels], (t > 0).astype(np.float32), t, t, t]
    preds = [logits, np.exp(np_log_softmax(logits)).astype(np.float32), logits,
             logits, logits, logits]

    def all_losses(args, preds, w):
        return [(o(a, p, w), o.call(a, p)) for o, a, p in zip(objs, args, preds)]

    eager = all_losses(args, preds, w)
    jitted = jitnet.jit(all_losses)(args, preds, w)
    refs = [np_sparse_ce(labels, logits, True), np_cce(args[1], preds[1], False, 0.1),
            np_bce(args[2], logits, True), ((t - logits.astype(np.float64)) ** 2).mean(1),
            np.abs(t - logits.astype(np.float64)).mean(1), np_huber(t, logits, 0.5)]
    for (e_tot, e_per), (j_tot, j_per), ref in zip(eager, jitted, refs):
        close(e_per, ref, rtol=1e-5)
        close(e_tot, (ref * w).sum() / 4, rtol=1e-5)
        close(j_per, np.asarray(e_per), rtol=1e-6, atol=1e-6)
        close(j_tot, np.asarray(e_tot), rtol=1e-6, atol=1e-6)


def test_config_hash_and_get():
    a = losses.SparseCategoricalCrossentropy(from_logits=True)
    b = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert a == b and hash(a) == hash(b)
    assert a != losses.SparseCategoricalCrossentropy()
    assert a != losses.CategoricalCrossentropy(from_logits=True)
    config = a.get_config()
    assert json.loads(json.dumps(config)) == config
    assert config == {"name": "sparse_categorical_crossentropy", "from_logits": True,
                      "axis": -1, "ignore_class": None, "reduction": "sum_over_batch_size"}
    assert losses.SparseCategoricalCrossentropy.from_config(config) == a
    assert losses.Huber(delta=2.0).get_config() == {"name": "huber_loss", "delta": 2.0,
                                                    "reduction": "sum_over_batch_size"}
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber.from_config(losses.Huber(delta=2.0).get_config()) == losses.Huber(2.0)
    expected = {"sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
                "categorical_crossentropy": losses.CategoricalCrossentropy,
                "binary_crossentropy": losses.BinaryCrossentropy,
                "mse": losses.MeanSquaredError, "mean_squared_error": losses.MeanSquaredError,
                "mae": losses.MeanAbsoluteError, "mean_absolute_error": losses.MeanAbsoluteError,
                "huber": losses.Huber}
    for name, cls in expected.items():
        assert type(losses.get(name)) is cls
    for cls in set(expected.values()):
        assert type(losses.get(cls.__name__)) is cls
    assert losses.get(a) is a
    with pytest.raises(ValueError, match="unknown loss 'cross_entropy'"):
        losses.get("cross_entropy")
    with pytest.raises(TypeError, match="losses.get"):
        losses.get(3)


@pytest.mark.slow
def test_losses_are_static_configuration_of_jit(rng):
    """Equal configurations share one trace; a different one traces again."""
    step = jitnet.jit(lambda loss, t, p: loss(t, p), static_argnums=0)
    t = rng.uniform(0, 1, (3, 2)).astype(np.float32)
    p = rng.uniform(0, 1, (3, 2)).astype(np.float32)
    a = step(losses.BinaryCrossentropy(label_smoothing=0.1), t, p)
    b = step(losses.BinaryCrossentropy(label_smoothing=0.1), t, p)
    assert step.trace_count() == 1 and float(a) == float(b)
    c = step(losses.BinaryCrossentropy(), t, p)
    assert step.trace_count() == 2
    close(c, np_bce(t, p).mean(), rtol=1e-5)


def test_plain_function_is_wrapped(rng):
    def cubic(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred) ** 3, axis=-1)

    loss = losses.get(cubic)
    assert isinstance(loss, losses.Loss) and loss.name == "cubic"
    assert loss == losses.get(cubic) and hash(loss) == hash(losses.get(cubic))
    t = rng.standard_normal((3, 2)).astype(np.float32)
    p = rng.standard_normal((3, 2)).astype(np.float32)
    ref = (np.abs(t - p.astype(np.float64)) ** 3).mean(1)
    close(loss.call(t, p), ref, rtol=1e-5)
    close(loss(t, p, np.array([1.0, 0.0, 1.0])), (ref[0] + ref[2]) / 3, rtol=1e-5)
    scalar = losses.get(lambda y_true, y_pred: jnp.mean((y_true - y_pred) ** 2))
    with pytest.raises(ValueError, match="returned a scalar; it must return one loss per "
                                         "sample"):
        scalar.call(t, p)


# -- errors ---------------------------------------------------------------------------------

def test_shape_errors_name_loss_shapes_and_line():
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true has shape \(4,\) but "
                                         r"y_pred has shape \(4, 2\).*test_losses.py"):
        losses.mean_squared_error(np.zeros(4), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: y_true has shape "
                                         r"\(4, 3\) but y_pred has shape \(4, 3\).*\(4,\)"):
        losses.sparse_categorical_crossentropy(np.zeros((4, 3), np.int32), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*\(4,\).*\(4, 3\)"):
        losses.CategoricalCrossentropy()(np.zeros(4), np.ones((4, 3)))
    # the same errors at trace time, before anything compiles
    loss = losses.BinaryCrossentropy()
    with pytest.raises(ValueError, match=r"binary_crossentropy: .*\(4, 2\).*\(4, 3\)"):
        jitnet.jit(loss)(np.zeros((4, 2)), np.ones((4, 3)))


def test_check_targets():
    sparse = losses.SparseCategoricalCrossentropy()
    assert sparse.check_targets(np.array([0, 1, 2, 1]), (32, 3)) is None
    assert sparse.check_targets(np.array([[0], [2]]), (32, 3)) is None
    with pytest.raises(ValueError, match=r"label value 10 is out of range for 10 classes.*"
                                         r"\[0, 10\).*11 units"):
        sparse.check_targets(np.array([0, 10, 3]), (8, 10))
    with pytest.raises(ValueError, match="label value -1 is out of range"):
        sparse.check_targets(np.array([0, -1, 3]), (8, 10))
    assert losses.SparseCategoricalCrossentropy(ignore_class=-1).check_targets(
        np.array([0, -1, 3]), (8, 10)) is None
    with pytest.raises(ValueError, match="integer class indices, found 0.5"):
        sparse.check_targets(np.array([0.5, 1.0]), (8, 3))
    with pytest.raises(ValueError, match=r"y_true has shape \(5, 3\)"):
        sparse.check_targets(np.zeros((5, 3), np.int32), (8, 3))
    binary = losses.BinaryCrossentropy()
    assert binary.check_targets(np.array([0.0, 1.0, 0.3]), (8, 1)) is None
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\], found 2"):
        binary.check_targets(np.array([0, 1, 2]), (8, 1))
    cce = losses.CategoricalCrossentropy()
    assert cce.check_targets(np.eye(3)[[0, 2]], (4, 3)) is None
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy"):
        cce.check_targets(np.array([0, 2]), (4, 3))
    mse = losses.MeanSquaredError()
    assert mse.check_targets(np.zeros(6), (2, 1)) is None
    with pytest.raises(ValueError, match="non-finite"):
        mse.check_targets(np.array([0.0, np.nan]), (2, 1))
    with pytest.raises(ValueError, match=r"y_true has shape \(6, 2\) but y_pred has shape "
                                         r"\(6, 3\)"):
        mse.check_targets(np.zeros((6, 2)), (2, 3))

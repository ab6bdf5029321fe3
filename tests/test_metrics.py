"""jitnet.metrics against NumPy computations and hand-computed values written here.

Each group of metrics is updated batch by batch under one ``jit`` (the last batch padded
with nan predictions of weight 0, as the training loop pads) and must equal one NumPy
computation on the concatenated, unpadded data.
"""
import json

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import losses, metrics

EPS = 1e-7


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol, atol=atol)


def batches(arrays, sizes, pad_to):
    """Split ``arrays`` into batches of ``sizes``; the last one is padded to ``pad_to`` rows
    (nan for floats, 0 for integers) with weight 0, the others get weight 1."""
    out, start = [], 0
    for i, n in enumerate(sizes):
        chunk = [a[start:start + n] for a in arrays]
        w = np.ones(n, np.float32)
        if i == len(sizes) - 1 and pad_to > n:
            extra = pad_to - n
            chunk = [np.concatenate([c, np.full((extra,) + c.shape[1:],
                                                np.nan if c.dtype.kind == "f" else 0, c.dtype)])
                     for c in chunk]
            w = np.concatenate([w, np.zeros(extra, np.float32)])
        out.append((chunk, w))
        start += n
    return out


def run_jitted(metric_list, arrays, sizes=(4, 4, 2), pad_to=4):
    """Results of ``metric_list`` after jitted updates over the padded batches."""
    def step(states, y_true, y_pred, w):
        return [m.update(s, y_true, y_pred, w) for m, s in zip(metric_list, states)]

    step = jitnet.jit(step)
    shape = (pad_to,) + arrays[1].shape[1:]
    states = [m.init(shape) for m in metric_list]
    for (y_true, y_pred), w in batches(arrays, sizes, pad_to):
        states = step(states, y_true, y_pred, w)
    return [np.asarray(m.result(s)) for m, s in zip(metric_list, states)]


# -- NumPy references ---------------------------------------------------------------------

def np_in_top_k(labels, scores, k):
    target = np.take_along_axis(scores, labels[:, None], -1)
    return ((scores > target).sum(-1) < k).astype(np.float64)


def np_counts(positive, scores, thresholds):
    tp = np.array([np.sum(positive & (scores > t)) for t in thresholds], np.float64)
    fp = np.array([np.sum(~positive & (scores > t)) for t in thresholds], np.float64)
    return tp, fp, positive.sum() - tp, (~positive).sum() - fp


def np_auc_thresholds(n):
    return np.concatenate([[-EPS], np.arange(1, n - 1) / (n - 1), [1 + EPS]]).astype(np.float32)


def np_auc(positive, scores, n, curve="ROC", method="interpolation"):
    tp, fp, fn, tn = np_counts(positive, scores, np_auc_thresholds(n))
    ratio = lambda a, b: np.where(b > 0, a / np.maximum(b, 1e-300), 0.0)
    if curve == "ROC":
        x, y = ratio(fp, fp + tn), ratio(tp, tp + fn)
    else:
        x, y = ratio(tp, tp + fn), ratio(tp, tp + fp)
    area = 0.0
    for i in range(n - 1):
        h = {"interpolation": (y[i] + y[i + 1]) / 2, "minoring": min(y[i], y[i + 1]),
             "majoring": max(y[i], y[i + 1])}[method]
        area += (x[i] - x[i + 1]) * h
    return area


def np_pr_auc_interpolated(positive, scores, n, samples=4001):
    """PR area by numerical integration of the interpolated curve: inside each bucket the
    true positives grow linearly with the predicted positives P; precision tp(P) / P is
    integrated over recall tp(P) / positives with fine trapezoids."""
    tp, fp, fn, _ = np_counts(positive, scores, np_auc_thresholds(n))
    p, npos = tp + fp, positive.sum()
    area = 0.0
    for i in range(n - 1):
        if p[i] == p[i + 1]:
            continue
        grid = np.linspace(p[i + 1], p[i], samples)
        tps = tp[i + 1] + (tp[i] - tp[i + 1]) * (grid - p[i + 1]) / (p[i] - p[i + 1])
        if p[i + 1] == 0:   # the line goes through the origin: precision is its slope
            precision = np.full(samples, (tp[i] - tp[i + 1]) / (p[i] - p[i + 1]))
        else:
            precision = tps / grid
        recall = tps / npos
        area += np.sum((recall[1:] - recall[:-1]) * (precision[1:] + precision[:-1]) / 2)
    return area


def np_fbeta(true, pred01, beta, average):
    axis = None if average == "micro" else 0
    tp = (pred01 * true).sum(axis)
    fp = (pred01 * (1 - true)).sum(axis)
    fn = ((1 - pred01) * true).sum(axis)
    p, r = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    f = (1 + beta ** 2) * p * r / (beta ** 2 * p + r + EPS)
    if average == "weighted":
        support = true.sum(0)
        return (f * support / (support.sum() + EPS)).sum()
    return f.mean() if average == "macro" else f


# -- accumulated under jit, padded, against NumPy ------------------------------------------

@pytest.mark.slow
def test_sparse_class_metrics(rng):
    scores = rng.standard_normal((10, 5)).astype(np.float32)
    scores[3, [1, 4]] = scores[3].max() + 1.0         # a tie for first place
    labels = rng.randint(0, 5, 10)
    labels[3] = 4
    top = scores.argmax(-1)
    ms = [metrics.SparseCategoricalAccuracy(), metrics.SparseTopKCategoricalAccuracy(k=2),
          metrics.SparseTopKCategoricalAccuracy(k=1), metrics.ConfusionMatrix(5),
          metrics.get("accuracy", loss="sparse_categorical_crossentropy")]
    acc, top2, top1, cm, acc2 = run_jitted(ms, (labels, scores))
    close(acc, np.mean(top == labels))
    close(acc2, np.mean(top == labels))
    close(top2, np_in_top_k(labels, scores, 2).mean())
    close(top1, np_in_top_k(labels, scores, 1).mean())
    expected = np.zeros((5, 5))
    for t, p in zip(labels, top):
        expected[t, p] += 1
    np.testing.assert_array_equal(cm, expected)


@pytest.mark.slow
def test_one_hot_metrics(rng):
    scores = rng.uniform(0, 1, (10, 4)).astype(np.float32)
    labels = rng.randint(0, 4, 10)
    onehot = np.eye(4, dtype=np.float32)[labels]
    ms = [metrics.CategoricalAccuracy(), metrics.TopKCategoricalAccuracy(k=3),
          metrics.F1Score(), metrics.F1Score(average="macro", threshold=0.5),
          metrics.F1Score(average="micro", threshold=0.3),
          metrics.FBetaScore(average="weighted", beta=2.0, threshold=0.5),
          metrics.ConfusionMatrix(4)]
    cat, top3, f1, f1_macro, f1_micro, f2_weighted, cm = run_jitted(ms, (onehot, scores))
    close(cat, np.mean(scores.argmax(-1) == labels))
    close(top3, np_in_top_k(labels, scores, 3).mean())
    argmax01 = (scores >= scores.max(-1, keepdims=True)).astype(np.float64)
    close(f1, np_fbeta(onehot, argmax01, 1.0, None))
    close(f1_macro, np_fbeta(onehot, (scores > 0.5) * 1.0, 1.0, "macro"))
    close(f1_micro, np_fbeta(onehot, (scores > 0.3) * 1.0, 1.0, "micro"))
    close(f2_weighted, np_fbeta(onehot, (scores > 0.5) * 1.0, 2.0, "weighted"))
    expected = np.zeros((4, 4))
    np.add.at(expected, (labels, scores.argmax(-1)), 1)
    np.testing.assert_array_equal(cm, expected)


@pytest.mark.slow
def test_binary_metrics(rng):
    scores = rng.uniform(0, 1, (10, 2)).astype(np.float32)
    target = rng.randint(0, 2, (10, 2)).astype(np.float32)
    pos = target != 0
    ms = [metrics.BinaryAccuracy(), metrics.BinaryAccuracy(threshold=0.7),
          metrics.Precision(), metrics.Recall(), metrics.Precision(thresholds=[0.2, 0.6]),
          metrics.Recall(thresholds=[0.2, 0.6], class_id=1),
          metrics.AUC(num_thresholds=11), metrics.AUC(num_thresholds=7, curve="PR"),
          metrics.AUC(num_thresholds=7, curve="PR", summation_method="interpolation"),
          metrics.AUC(num_thresholds=9, summation_method="minoring"),
          metrics.AUC(num_thresholds=9, curve="PR", summation_method="majoring"),
          metrics.get("accuracy", loss=losses.BinaryCrossentropy())]
    out = run_jitted(ms, (target, scores))
    close(out[0], np.mean((scores > 0.5) == pos))
    close(out[1], np.mean((scores > 0.7) == pos))
    close(out[2], np.sum(pos & (scores > 0.5)) / np.sum(scores > 0.5))
    close(out[3], np.sum(pos & (scores > 0.5)) / np.sum(pos))
    close(out[4], [np.sum(pos & (scores > t)) / np.sum(scores > t) for t in (0.2, 0.6)])
    p1, s1 = pos[:, 1], scores[:, 1]
    close(out[5], [np.sum(p1 & (s1 > t)) / np.sum(p1) for t in (0.2, 0.6)])
    close(out[6], np_auc(pos.ravel(), scores.ravel(), 11))
    close(out[7], np_pr_auc_interpolated(pos.ravel(), scores.ravel(), 7))
    np.testing.assert_array_equal(out[8], out[7])
    close(out[9], np_auc(pos.ravel(), scores.ravel(), 9, "ROC", "minoring"))
    close(out[10], np_auc(pos.ravel(), scores.ravel(), 9, "PR", "majoring"))
    close(out[11], out[0])
    # the interpolated PR area lies between the minoring and majoring sums
    lo = np_auc(pos.ravel(), scores.ravel(), 7, "PR", "minoring")
    hi = np_auc(pos.ravel(), scores.ravel(), 7, "PR", "majoring")
    assert lo <= out[7] <= hi
    assert out[4].shape == (2,) and out[2].shape == ()


@pytest.mark.slow
def test_regression_metrics(rng):
    t = rng.standard_normal((10, 3)).astype(np.float32)
    p = rng.standard_normal((10, 3)).astype(np.float32)
    e = t.astype(np.float64) - p
    ms = [metrics.MeanSquaredError(), metrics.MeanAbsoluteError(),
          metrics.RootMeanSquaredError(), metrics.get("mse"), metrics.get("rmse"),
          metrics.get("accuracy")]
    mse, mae, rmse, mse2, rmse2, acc = run_jitted(ms, (t, p))
    close(mse, np.mean(e ** 2))
    close(mae, np.mean(np.abs(e)))
    close(rmse, np.sqrt(np.mean(e ** 2)))
    close(mse2, mse)
    close(rmse2, rmse)
    close(acc, 0.0)


def test_mean_with_weights_and_running_loss(rng):
    values = rng.standard_normal(7).astype(np.float32)
    w = rng.uniform(0, 2, 7).astype(np.float32)
    mean = metrics.Mean(name="loss")
    state = mean.init()
    update = jitnet.jit(mean.update)
    for chunk in (slice(0, 3), slice(3, 7)):
        state = update(state, values[chunk], w[chunk])
    close(mean.result(state), np.sum(values * w.astype(np.float64)) / np.sum(w))
    # scalars count once; per-element values of shape (batch, n) are averaged per sample
    mean.update_state(2.0)
    mean.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), np.array([1.0, 0.0]))
    close(mean.result(), (2.0 + 2.0) / 2)
    mean.reset_state()
    close(mean.result(), 0.0)


# -- masking --------------------------------------------------------------------------------

def test_zero_weights_exclude_rows_exactly(rng):
    """A padded batch (garbage rows of weight 0) gives exactly the unpadded state."""
    scores = rng.uniform(0, 1, (3, 4)).astype(np.float32)
    labels = rng.randint(0, 4, 3)
    bad = np.array([[np.nan, np.inf, -np.inf, 0.3]] * 2, np.float32)
    padded_scores = np.concatenate([scores, bad])
    padded_labels = np.concatenate([labels, [7, -3]])     # out of range: must not matter
    w = np.array([1, 1, 1, 0, 0], np.float32)
    onehot = np.eye(4, dtype=np.float32)[labels]
    padded_onehot = np.concatenate([onehot, np.full((2, 4), np.nan, np.float32)])
    cases = [(metrics.SparseCategoricalAccuracy(), labels, padded_labels),
             (metrics.SparseTopKCategoricalAccuracy(k=2), labels, padded_labels),
             (metrics.ConfusionMatrix(4), labels, padded_labels),
             (metrics.CategoricalAccuracy(), onehot, padded_onehot),
             (metrics.F1Score(average="macro"), onehot, padded_onehot),
             (metrics.Precision(), onehot, padded_onehot),
             (metrics.AUC(num_thresholds=5), onehot, padded_onehot),
             (metrics.MeanSquaredError(), onehot, padded_onehot)]
    for metric, y, padded_y in cases:
        plain = metric.update(metric.init((3, 4)), y, scores)
        masked = metric.update(metric.init((5, 4)), padded_y, padded_scores, w)
        for a, b in zip(jitnet.tree_leaves(plain), jitnet.tree_leaves(masked)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=metric.name)


# -- hand-computed values -----------------------------------------------------------------

def test_f1_score_by_hand():
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    # threshold 0.5: class 0 has tp 1, fn 2 (f1 = 1/2); class 1 tp 2, fp 1 (4/5);
    # class 2 tp 1, fp 1 (2/3)
    f1 = metrics.F1Score(threshold=0.5)
    f1.update_state(y_true, y_pred)
    close(f1.result(), [1 / 2, 4 / 5, 2 / 3])
    micro = metrics.F1Score(average="micro", threshold=0.5)
    micro.update_state(y_true, y_pred)
    close(micro.result(), 2 * 4 / (2 * 4 + 2 + 2))   # tp 4, fp 2, fn 2
    # threshold None: each row's maxima are predicted: row 0 class 2, row 1 classes 1 and 2
    # (a tie), row 2 class 1. Class 0: never predicted (0); class 1: tp 1, fp 1, fn 1 (1/2);
    # class 2: tp 1, fp 1, fn 0 (precision 1/2, recall 1: 2/3)
    f1 = metrics.F1Score()
    f1.update_state(y_true, y_pred)
    close(f1.result(), [0.0, 1 / 2, 2 / 3])


def test_auc_equals_rank_statistic_for_bucket_midpoints(rng):
    """With scores at bucket midpoints the threshold method is exact: the ROC area is the
    probability that a positive outscores a negative, ties counting 1/2."""
    n = 11
    mids = (np.arange(n - 1) + 0.5) / (n - 1)
    scores = mids[rng.randint(0, n - 1, 40)].astype(np.float32)
    positive = rng.uniform(0, 1, 40) < scores
    s_pos, s_neg = scores[positive], scores[~positive]
    exact = (np.mean(s_pos[:, None] > s_neg[None, :])
             + 0.5 * np.mean(s_pos[:, None] == s_neg[None, :]))
    auc = metrics.AUC(num_thresholds=n)
    auc.update_state(positive.astype(np.float32), scores)
    close(auc.result(), exact)
    # from_logits applies the sigmoid first
    logits = np.log(scores / (1 - scores))
    auc_logits = metrics.AUC(num_thresholds=n, from_logits=True)
    auc_logits.update_state(positive.astype(np.float32), logits)
    close(auc_logits.result(), exact)


def test_top_k_ties_count_as_hits():
    scores = np.array([[0.1, 0.5, 0.5, 0.2]] * 4, np.float32)
    labels = np.array([1, 2, 3, 0])
    out = metrics.sparse_top_k_categorical_accuracy(labels, scores, k=1)
    np.testing.assert_array_equal(np.asarray(out), [1, 1, 0, 0])
    out = metrics.sparse_top_k_categorical_accuracy(labels, scores, k=3)
    np.testing.assert_array_equal(np.asarray(out), [1, 1, 1, 0])
    out = metrics.top_k_categorical_accuracy(np.eye(4)[labels], scores, k=2)
    np.testing.assert_array_equal(np.asarray(out), [1, 1, 0, 0])
    # labels out of range are misses, however large k is
    out = metrics.sparse_top_k_categorical_accuracy(np.array([-1, 4, 0, 3]), scores, k=4)
    np.testing.assert_array_equal(np.asarray(out), [0, 0, 1, 1])


def test_accuracy_and_confusion_of_predicted_labels(rng):
    y_true = rng.randint(0, 3, 12)
    y_pred = np.where(rng.uniform(0, 1, 12) < 0.5, y_true, rng.randint(0, 3, 12))
    w = rng.uniform(0.5, 2, 12).astype(np.float32)
    acc = metrics.Accuracy()
    acc.update_state(y_true[:, None], y_pred, w)    # a trailing axis of 1 is squeezed
    close(acc.result(), np.sum((y_true == y_pred) * w.astype(np.float64)) / w.sum())
    cm = metrics.ConfusionMatrix(3)
    cm.update_state(y_true[:, None], y_pred, w)
    expected = np.zeros((3, 3))
    np.add.at(expected, (y_true, y_pred), w)
    close(cm.result(), expected)


def test_precision_recall_without_positives_are_zero():
    p = metrics.Precision()
    p.update_state(np.array([1.0, 0.0]), np.array([0.1, 0.2]))
    assert float(p.result()) == 0.0
    r = metrics.Recall()
    r.update_state(np.array([0.0, 0.0]), np.array([0.9, 0.2]))
    assert float(r.result()) == 0.0


def test_plain_function_becomes_mean_metric_wrapper(rng):
    def abs_cubed(y_true, y_pred):
        return jnp.abs(y_true - y_pred) ** 3

    m = metrics.get(abs_cubed)
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "abs_cubed"
    t = rng.standard_normal((5, 2)).astype(np.float32)
    p = rng.standard_normal((5, 2)).astype(np.float32)
    m.update_state(t, p)
    close(m.result(), np.mean(np.abs(t - p.astype(np.float64)) ** 3))


# -- lookup, config, errors -----------------------------------------------------------------

def test_get_resolves_names_like_keras():
    cases = {"sparse_categorical_crossentropy": metrics.SparseCategoricalAccuracy,
             "categorical_crossentropy": metrics.CategoricalAccuracy,
             "binary_crossentropy": metrics.BinaryAccuracy, "mse": metrics.Accuracy,
             None: metrics.Accuracy}
    for loss, cls in cases.items():
        for name in ("accuracy", "acc"):
            m = metrics.get(name, loss=loss)
            assert type(m) is cls and m.name == name
    assert type(metrics.get("acc", losses.CategoricalCrossentropy(from_logits=True))) \
        is metrics.CategoricalAccuracy
    names = {"mse": metrics.MeanSquaredError, "mae": metrics.MeanAbsoluteError,
             "rmse": metrics.RootMeanSquaredError,
             "top_k_categorical_accuracy": metrics.TopKCategoricalAccuracy,
             "sparse_top_k_categorical_accuracy": metrics.SparseTopKCategoricalAccuracy,
             "precision": metrics.Precision, "recall": metrics.Recall, "auc": metrics.AUC,
             "f1_score": metrics.F1Score}
    for name, cls in names.items():
        assert type(metrics.get(name)) is cls
    for cls in (metrics.AUC, metrics.F1Score, metrics.SparseCategoricalAccuracy,
                metrics.RootMeanSquaredError, metrics.Mean):
        assert type(metrics.get(cls.__name__)) is cls
    auc = metrics.AUC()
    assert metrics.get(auc) is auc
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        metrics.get("acuracy")


def test_config_and_hash():
    a, b = metrics.AUC(num_thresholds=50, curve="PR"), metrics.AUC(num_thresholds=50, curve="PR")
    assert a == b and hash(a) == hash(b) and a != metrics.AUC()
    for m in (a, metrics.Precision(thresholds=[0.2, 0.4], class_id=1), metrics.F1Score("macro"),
              metrics.TopKCategoricalAccuracy(k=3), metrics.ConfusionMatrix(3),
              metrics.BinaryAccuracy(threshold=0.3), metrics.Mean(name="loss")):
        config = m.get_config()
        assert json.loads(json.dumps(config)) == config
        again = type(m).from_config(config)
        assert again == m and hash(again) == hash(m)
    assert metrics.F1Score().name == "f1_score" and metrics.AUC().name == "auc"
    assert metrics.SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    # the state pytree is float32 and starts at zero
    for leaf in jitnet.tree_leaves(metrics.AUC(num_thresholds=4).init()):
        assert leaf.dtype == np.float32 and leaf.shape == (4,) and not np.any(np.asarray(leaf))


def test_metrics_are_static_configuration_of_jit(rng):
    update = jitnet.jit(lambda m, state, t, p: m.update(state, t, p), static_argnums=0)
    t = rng.randint(0, 2, (4, 2)).astype(np.float32)
    p = rng.uniform(0, 1, (4, 2)).astype(np.float32)
    m1, m2 = metrics.Precision(thresholds=[0.3, 0.6]), metrics.Precision(thresholds=[0.3, 0.6])
    s1 = update(m1, m1.init(), t, p)
    s2 = update(m2, m2.init(), t, p)
    assert update.trace_count() == 1
    np.testing.assert_array_equal(np.asarray(m1.result(s1)), np.asarray(m2.result(s2)))
    update(metrics.Precision(thresholds=[0.3, 0.7]), m1.init(), t, p)
    assert update.trace_count() == 2


def test_errors():
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy: y_true has shape "
                                         r"\(4, 2\) but y_pred has shape \(4, 3\).*test_metrics"):
        metrics.SparseCategoricalAccuracy().update_state(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"categorical_accuracy: .*\(4,\).*\(4, 3\)"):
        metrics.CategoricalAccuracy().update_state(np.zeros(4), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="num_classes="):
        metrics.F1Score().init()
    with pytest.raises(ValueError, match=r"F1Score: the state has 3 classes"):
        m = metrics.F1Score(num_classes=3)
        m.update(m.init(), np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"ConfusionMatrix: y_true has shape \(4,\) and "
                                         r"y_pred has shape \(4, 2\)"):
        metrics.ConfusionMatrix(3).update_state(np.zeros(4), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="DET")
    with pytest.raises(ValueError, match="thresholds must lie in"):
        metrics.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        metrics.Mean().update_state(np.zeros(4), np.ones(3))


@pytest.mark.slow
def test_one_jitted_training_step(rng):
    """Loss, gradient and metric updates in one jitted call, as ``fit`` compiles them."""
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    tracked = [metrics.get("accuracy", loss=loss), metrics.SparseTopKCategoricalAccuracy(k=2)]
    running = metrics.Mean(name="loss")

    @jitnet.jit
    def step(params, states, x, y, w):
        def objective(params):
            per_sample = loss.call(y, x @ params)
            return jnp.sum(jnp.where(w != 0, per_sample * w, 0.0)) / jnp.sum(w), per_sample

        (value, per_sample), grads = jitnet.value_and_grad(objective, has_aux=True)(params)
        logits = x @ params
        new = [m.update(s, y, logits, w) for m, s in zip(tracked, states[1:])]
        return value, grads, [running.update(states[0], per_sample, w)] + new

    params = rng.standard_normal((4, 3)).astype(np.float32)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = rng.randint(0, 3, 6)
    w = np.array([1, 1, 1, 1, 0, 0], np.float32)          # two padded rows
    states = [running.init()] + [m.init() for m in tracked]
    value, grads, states = step(params, states, x, y, w)

    logits = x.astype(np.float64) @ params
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    per_sample = -logp[np.arange(6), y]
    close(value, per_sample[:4].mean())
    onehot = np.eye(3)[y]
    close(grads, x[:4].T.astype(np.float64) @ (np.exp(logp) - onehot)[:4] / 4, atol=1e-5)
    close(running.result(states[0]), per_sample[:4].mean())
    close(tracked[0].result(states[1]), np.mean(logits.argmax(1)[:4] == y[:4]))
    top2 = (logits > logits[np.arange(6), y][:, None]).sum(1) < 2
    close(tracked[1].result(states[2]), top2[:4].mean())

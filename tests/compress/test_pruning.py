"""Magnitude pruning: schedules against closed forms, masks against a NumPy sort, and a
pruned fit on synthetic classes (target sparsity reached, pruned weights zero at every
step, one compiled step, accuracy kept), int8 on the same trained model."""
import numpy as np
import pytest

import jitnet as jax
from jitnet import compress, layers, losses, models, train
from jitnet.runtime import compile_log


def test_schedules_closed_forms():
    c = compress.ConstantSparsity(0.6, begin_step=10, end_step=50, frequency=20)
    assert [c(s) for s in (0, 10, 20, 30, 50, 70)] == [
        (False, 0.6), (True, 0.6), (False, 0.6), (True, 0.6), (True, 0.6), (False, 0.6)]
    default = compress.ConstantSparsity(0.5)                 # frequency 100, no end
    assert default(10 ** 6) == (True, 0.5) and default(10 ** 6 + 1) == (False, 0.5)
    p = compress.PolynomialDecay(0.2, 0.8, begin_step=100, end_step=200, power=3, frequency=25)
    for step, t in [(0, 0.0), (100, 0.0), (150, 0.5), (175, 0.75), (200, 1.0), (300, 1.0)]:
        assert p.sparsity(step) == pytest.approx(0.8 - 0.6 * (1 - t) ** 3)
    assert [p.should_prune(s) for s in (99, 100, 125, 130, 200, 225)] == [
        False, True, True, False, True, False]
    with pytest.raises(ValueError, match="target_sparsity"):
        compress.ConstantSparsity(1.0)
    with pytest.raises(ValueError, match="end_step"):
        compress.PolynomialDecay(0.0, 0.5, begin_step=10, end_step=10)
    with pytest.raises(ValueError, match="frequency"):
        compress.ConstantSparsity(0.5, frequency=0)


def dense_model(seed=0):
    return models.Sequential([layers.Input((64,)), layers.Dense(128, activation="relu"),
                              layers.Dense(10)]).init(jax.random.PRNGKey(seed),
                                                       np.zeros((1, 64), np.float32))


def test_masks_zero_the_smallest_and_only_grow(rng):
    m = compress.prune_low_magnitude(dense_model(), compress.ConstantSparsity(0.5, 0))
    wrapper = m.layers[0]
    assert wrapper.kernel_mask.shape == (64, 128) and np.all(np.asarray(wrapper.kernel_mask) == 1)
    x = rng.rand(5, 64).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(m(x)), np.asarray(dense_model()(x)))

    m1 = compress.update_masks(m, 0)
    k0 = np.asarray(wrapper.layer.kernel)
    mask = np.asarray(m1.layers[0].kernel_mask)
    assert mask.sum() == k0.size // 2
    threshold = np.sort(np.abs(k0).ravel())[k0.size // 2 - 1]     # the largest pruned magnitude
    assert np.all(np.abs(k0)[mask == 0] <= threshold) and np.all(np.abs(k0)[mask == 1] > threshold)
    np.testing.assert_array_equal(np.asarray(m1.layers[0].layer.kernel), k0 * mask)

    # a later, larger sparsity keeps every zero even where the raw weight has grown back
    k = np.asarray(m1.layers[0].layer.kernel).copy()
    k[mask == 0] = 10.0
    m1.layers[0].layer.kernel = k
    sched = compress.ConstantSparsity(0.75, 0)
    w2 = compress.PruneLowMagnitude(layers.Dense(128), sched)
    w2.layer, w2.kernel_mask = m1.layers[0].layer, m1.layers[0].kernel_mask
    mask2 = np.asarray(compress.update_masks(w2, 0).kernel_mask)
    assert mask2.sum() == k.size // 4 and np.all(mask2[mask == 0] == 0)

    assert compress.update_masks(m, 1) is m            # not a pruning step: unchanged
    with pytest.raises(ValueError, match="strip_pruning"):
        compress.quantize(m)
    with pytest.raises(ValueError, match="not a Dense"):
        compress.prune_low_magnitude(layers.BatchNormalization())
    with pytest.raises(ValueError, match="already wrapped"):
        compress.prune_low_magnitude(wrapper)


def test_functional_model_strip_and_subclass_error(rng):
    inp = layers.Input((64,))
    h = layers.Dense(16, activation="relu")(inp)
    out = layers.Dense(10)(layers.Concatenate()([h, layers.Dense(8)(inp)]))
    model = models.Model(inp, out).init(jax.random.PRNGKey(0), np.zeros((1, 64), np.float32))
    pruned = compress.update_masks(
        compress.prune_low_magnitude(model, compress.ConstantSparsity(0.7, 0)), 0)
    assert sum(isinstance(l, compress.PruneLowMagnitude) for l in pruned.layers) == 3
    stripped = compress.strip_pruning(pruned)
    assert not any(isinstance(l, compress.PruneLowMagnitude) for l in stripped.layers)
    x = rng.rand(4, 64).astype(np.float32)
    np.testing.assert_allclose(np.asarray(stripped(x)), np.asarray(pruned(x)), rtol=1e-6)
    s = compress.sparsity(stripped)
    for name, size in [("dense/kernel", 64 * 16), ("dense_1/kernel", 64 * 8),
                       ("dense_2/kernel", 24 * 10)]:
        assert s[name] == round(0.7 * size) / size
    assert compress.sparsity(pruned) == s

    class Sub(models.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(3)

        def call(self, x):
            return self.d(x)
    with pytest.raises(ValueError, match="subclassed"):
        compress.prune_low_magnitude(Sub())


@pytest.fixture(scope="module")
def trained():
    """A 64-32-10 MLP trained from scratch with pruning to 80% starting after one epoch, on
    ten Gaussian classes in 64 dimensions (one compiled step for the whole test module).
    Returns the model, the per-step mask history, the test data and the accuracy of the
    nearest-centroid rule (computed in NumPy: the reference the network must approach)."""
    rs = np.random.RandomState(0)
    centers = rs.standard_normal((10, 64))
    y = rs.randint(0, 10, 2000).astype(np.int32)
    x = (centers[y] + 1.5 * rs.standard_normal((2000, 64))).astype(np.float32)
    (x_tr, y_tr), (x_te, y_te) = (x[:1500], y[:1500]), (x[1500:], y[1500:])
    d2 = ((x_te[:, None, :] - centers[None]) ** 2).sum(-1)
    reference_acc = float(np.mean(d2.argmin(1) == y_te))

    steps_per_epoch = -(-len(x_tr) // 64)
    schedule = compress.PolynomialDecay(0.0, 0.8, begin_step=steps_per_epoch,
                                        end_step=3 * steps_per_epoch, frequency=4)
    model = compress.prune_low_magnitude(dense_model(1), schedule).compile(
        optimizer=jax.optim.get("adam", learning_rate=3e-3),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    seen = []

    def check(batch, logs):          # after every step: the used weights are 0 where masked
        state = cb.trainer.state
        m = layers.combine(state.params, state.model_state)
        masks = [np.asarray(w.kernel_mask) for w in (m.layers[0], m.layers[1])]
        for w, mask in zip((m.layers[0], m.layers[1]), masks):
            assert np.all(w.masked_weights()["kernel"][mask == 0] == 0)
        if seen:                      # and masks only ever gain zeros
            assert all(np.all(now[before == 0] == 0) for before, now in zip(seen[-1], masks))
        seen.append(masks)
    cb = compress.UpdatePruningStep()
    traces = compile_log.counts["trace"]
    model.fit(x_tr, y_tr, epochs=8, batch_size=64, verbose=0,
              callbacks=[cb, train.LambdaCallback(on_train_batch_end=check)])
    return dict(model=model, seen=seen, traces=compile_log.counts["trace"] - traces,
                steps=8 * steps_per_epoch, first=steps_per_epoch, test=(x_te, y_te),
                reference_acc=reference_acc)


def accuracy(kernels, biases, x, y):
    """The MLP's accuracy computed in NumPy from given weights."""
    h = np.maximum(x @ kernels[0] + biases[0], 0)
    return float(np.mean((h @ kernels[1] + biases[1]).argmax(1) == y))


def weights(model):
    return ([np.asarray(l.kernel) for l in model.layers],
            [np.asarray(l.bias) for l in model.layers])


def test_pruned_fit_reaches_target_keeps_zeros_and_accuracy(trained):
    seen = trained["seen"]
    assert trained["traces"] <= 3           # one training step (with its flat wrapper)
    assert len(seen) == trained["steps"]
    sparsity = [1 - masks[0].mean() for masks in seen]
    assert max(sparsity[:trained["first"]]) == 0.0             # nothing before begin_step
    assert sparsity[-1] == pytest.approx(0.8, abs=1e-3)
    final = compress.strip_pruning(trained["model"])
    s = compress.sparsity(final)
    assert s["dense/kernel"] == round(0.8 * 64 * 128) / (64 * 128)
    assert s["dense_1/kernel"] == round(0.8 * 128 * 10) / (128 * 10)
    x_te, y_te = trained["test"]
    assert accuracy(*weights(final), x_te, y_te) >= trained["reference_acc"] - 0.03


def test_int8_accuracy_of_the_pruned_model(trained):
    final = compress.strip_pruning(trained["model"])
    x_te, y_te = trained["test"]
    q = compress.quantize(final)
    kernels, biases = weights(final)
    deq = [np.asarray(l.kernel.values, np.float32) * np.asarray(l.kernel.scale)
           for l in q.layers]
    assert abs(accuracy(deq, biases, x_te, y_te) - accuracy(kernels, biases, x_te, y_te)) <= 0.01
    # zeros stay zeros under symmetric quantization
    assert np.all(np.asarray(q.layers[0].kernel.values)[np.asarray(final.layers[0].kernel) == 0]
                  == 0)


def test_wrapped_model_saves_and_loads(tmp_path, rng):
    schedule = compress.PolynomialDecay(0.1, 0.5, begin_step=0, end_step=10, frequency=1)
    pruned = compress.update_masks(compress.prune_low_magnitude(dense_model(), schedule), 0)
    pruned.save(tmp_path / "m")
    back = models.load_model(tmp_path / "m")     # the file names jitnet.compress's class
    assert back.layers[0].pruning_schedule == schedule
    assert np.asarray(back.layers[0].kernel_mask).mean() == pytest.approx(0.9, abs=1e-3)
    x = rng.rand(3, 64).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(back(x)), np.asarray(pruned(x)))


def test_update_pruning_step_needs_fit_and_wrappers():
    from types import SimpleNamespace
    model = dense_model()
    params, rest = layers.partition(model)
    state = train.TrainState(np.int32(0), params, None, None, (), None)
    cb = compress.UpdatePruningStep()
    cb.set_trainer(SimpleNamespace(state=state))
    with pytest.raises(ValueError, match="model.fit"):
        cb.on_train_begin()
    cb.set_trainer(SimpleNamespace(state=state._replace(model_state=rest)))
    with pytest.raises(ValueError, match="no PruneLowMagnitude"):
        cb.on_train_begin()

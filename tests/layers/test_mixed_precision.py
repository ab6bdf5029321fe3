"""Mixed precision: dtype policies, autocast in layers, LossScaleOptimizer, fit, checkpoints."""
import ml_dtypes
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import checkpoint, layers, losses, models, optim
from jitnet.layers import mixed_precision

BF16 = np.dtype(ml_dtypes.bfloat16)
KEY = jax.random.PRNGKey(0)


@pytest.fixture
def policy():
    """Set a global policy for one test, restored afterwards."""
    yield mixed_precision.set_global_policy
    mixed_precision.set_global_policy("float32")


def test_policy_names_and_errors():
    p = mixed_precision.Policy("mixed_bfloat16")
    assert (p.name, p.compute_dtype, p.variable_dtype) == ("mixed_bfloat16", "bfloat16", "float32")
    p = mixed_precision.DTypePolicy("mixed_float16")
    assert (p.compute_dtype, p.variable_dtype) == ("float16", "float32")
    assert mixed_precision.DTypePolicy("bfloat16").variable_dtype == "bfloat16"
    assert mixed_precision.DTypePolicy(p) == p and hash(p) == hash(mixed_precision.Policy(p.name))
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        mixed_precision.DTypePolicy("mixed_int8")
    with pytest.raises(ValueError, match="unknown policy"):
        mixed_precision.DTypePolicy("int32")


def test_global_policy_applies_to_new_layers(policy):
    before = layers.Dense(2)
    policy("mixed_bfloat16")
    assert mixed_precision.global_policy().name == "mixed_bfloat16"
    after, fixed = layers.Dense(2), layers.Dense(2, dtype="float32")
    assert before.dtype_policy.name == "float32" and after.dtype_policy.name == "mixed_bfloat16"
    assert (after.dtype, after.compute_dtype) == ("float32", "bfloat16")
    assert fixed.compute_dtype == "float32"


def test_dense_computes_in_bfloat16_with_float32_weights(policy, generator):
    policy("mixed_bfloat16")
    layer = layers.Dense(5, activation="relu")
    x = generator.standard_normal((4, 7)).astype(np.float32)
    layer.init(KEY, x)
    assert layer.kernel.dtype == np.float32 and layer.bias.dtype == np.float32
    y = layer(x)
    assert y.dtype == BF16
    # reference: bfloat16 operands, float32 matmul, one rounding per op (NumPy + ml_dtypes)
    r = lambda v: np.asarray(v, np.float32).astype(BF16).astype(np.float32)  # noqa: E731
    k, b = r(np.asarray(layer.kernel)), r(np.asarray(layer.bias))
    want = np.maximum(r(r(r(x) @ k) + b), 0)
    np.testing.assert_allclose(np.asarray(y).astype(np.float32), want, rtol=2 ** -7, atol=1e-6)
    g = jax.grad(lambda m: jnp.sum(m(x).astype(jnp.float32)))(layer)
    assert g.kernel.dtype == np.float32                  # gradients of the float32 weights


def _data(generator):
    x = generator.standard_normal((128, 6)).astype(np.float32)
    y = np.argmax(x @ generator.standard_normal((6, 3)), 1).astype(np.int32)
    return x, y


@pytest.mark.parametrize("name", ["mixed_bfloat16", "mixed_float16"])
def test_fit_trains_under_mixed_policies(policy, name, tmp_path, generator):
    policy(name)
    model = models.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                               layers.Dense(3), layers.Activation("softmax", dtype="float32")])
    model.compile(optimizer=optim.sgd(0.5), loss=losses.SparseCategoricalCrossentropy())
    x, y = _data(generator)
    hist = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    assert all(w.dtype == np.float32 for w in jax.tree_util.tree_leaves(model))
    out = model(x[:4])
    assert out.dtype == np.float32                       # the float32 softmax
    opt_state = model._training["engine"].state.opt_state
    scale = optim.loss_scale(opt_state)
    if name == "mixed_float16":                          # compile added loss scaling
        assert float(scale) == 2.0 ** 15
    else:
        assert scale is None
    # save/load keeps the policies and the weights
    path = model.save(str(tmp_path / "m"))
    mixed_precision.set_global_policy("float32")
    back = models.load_model(path)
    assert [lyr.dtype_policy.name for lyr in back.layers] == \
        [lyr.dtype_policy.name for lyr in model.layers]
    np.testing.assert_array_equal(np.asarray(back(x[:4])), np.asarray(out))


def test_loss_scale_optimizer_skips_non_finite_steps_and_adapts_the_scale():
    opt = optim.LossScaleOptimizer(optim.sgd(0.5), initial_scale=8.0, dynamic_growth_steps=2)
    params = {"w": jnp.ones(3)}
    state = opt.init(params)
    g = np.array([8.0, -16.0, 4.0], np.float32)         # gradients of loss * 8
    upd, state = opt.update({"w": g}, state, params)
    np.testing.assert_allclose(np.asarray(upd["w"]), -0.5 * g / 8.0)
    assert float(state.scale) == 8.0 and int(state.good_steps) == 1
    upd, state = opt.update({"w": g}, state, params)     # second good step: the scale grows
    assert float(state.scale) == 16.0 and int(state.good_steps) == 0
    bad = np.array([np.inf, 1.0, np.nan], np.float32)
    upd, state = opt.update({"w": bad}, state, params)
    np.testing.assert_array_equal(np.asarray(upd["w"]), 0.0)   # skipped
    assert float(state.scale) == 8.0 and int(state.good_steps) == 0
    with pytest.raises(ValueError, match="already"):
        optim.LossScaleOptimizer(opt)


def test_loss_scale_lets_float16_gradients_survive():
    # d/dw of mean(w * x) is x / n: about 1e-8 here, zero in float16 unless the loss is scaled
    x = np.full(64, 6e-7, np.float16)

    def loss(w):
        return jnp.mean(w.astype(jnp.float16) * x).astype(jnp.float32)
    w = jnp.ones(64)
    assert not np.any(np.asarray(jax.grad(loss)(w)))
    opt = optim.LossScaleOptimizer(optim.sgd(1.0))
    state = opt.init(w)
    grads = jax.grad(lambda w: loss(w) * optim.loss_scale(state))(w)
    upd, state = opt.update(grads, state, w)
    np.testing.assert_allclose(np.asarray(upd), -float(x[0]) / 64, rtol=2e-3)


def test_checkpoint_round_trips_narrow_arrays(tmp_path, generator):
    tree = {"h": jnp.asarray(generator.standard_normal(5).astype(np.float16)),
            "b": jnp.asarray(generator.standard_normal((2, 3)).astype(BF16)),
            "s": jnp.asarray(np.float32(1.5)).astype(jnp.bfloat16)}
    checkpoint.save(str(tmp_path / "c"), tree)
    back = checkpoint.restore(str(tmp_path / "c"), like=tree)
    for k in tree:
        assert back[k].dtype == tree[k].dtype and back[k].shape == tree[k].shape
        np.testing.assert_array_equal(np.asarray(back[k]).view(np.uint16),
                                      np.asarray(tree[k]).view(np.uint16))
    # a model kept entirely in bfloat16 (policy "bfloat16") saves and loads too
    model = models.Sequential([layers.Input((4,)), layers.Dense(3, dtype="bfloat16")])
    model.init(KEY, np.ones((1, 4), np.float32))
    layer = model.layers[0]
    assert layer.kernel.dtype == BF16
    back = models.load_model(model.save(str(tmp_path / "m")))
    assert back.layers[0].kernel.dtype == BF16
    np.testing.assert_array_equal(np.asarray(back.layers[0].kernel).view(np.uint16),
                                  np.asarray(layer.kernel).view(np.uint16))

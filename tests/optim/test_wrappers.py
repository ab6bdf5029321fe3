"""masked, MultiSteps, inject_hyperparams (+ get/set_hyperparam) and optim.get."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import optim
from jitnet.tree_util import tree_leaves


def _tree(*values):
    return {"w": jnp.asarray(values[0], jnp.float32), "b": jnp.asarray(values[1], jnp.float32)}


# ---- masked ---------------------------------------------------------------------------------

@pytest.mark.parametrize("use_jit", [False, True], ids=["eager", "jit"])
def test_masked_applies_inner_only_where_true(use_jit):
    params = _tree([1.0, 2.0], [3.0])
    grads = _tree([0.5, -0.5], [1.0])
    opt = optim.masked(optim.sgd(0.1, momentum=0.9), {"w": True, "b": False})
    state = opt.init(params)
    assert len(tree_leaves(state)) == 1          # momentum kept for "w" only
    update = jitnet.jit(opt.update) if use_jit else opt.update
    u, state = update(grads, state, params)
    u, state = update(grads, state, params)
    np.testing.assert_allclose(u["w"], [-0.1 * 0.5 * 1.9, 0.1 * 0.5 * 1.9], rtol=1e-6)
    np.testing.assert_array_equal(u["b"], [1.0])   # passed through untouched


def test_masked_with_function_and_prefix_masks():
    params = {"dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.ones(2)}, "scale": jnp.ones(1)}
    grads = jitnet.tree_map(jnp.zeros_like, params)
    no_bias = lambda p: jitnet.tree_map(lambda x: x.ndim > 1, p)  # noqa: E731
    wd = optim.add_decayed_weights(0.5, mask=no_bias)
    u, _ = wd.update(grads, wd.init(params), params)
    np.testing.assert_array_equal(u["dense"]["kernel"], np.full((2, 2), 0.5))
    np.testing.assert_array_equal(u["dense"]["bias"], [0.0, 0.0])
    prefix = optim.add_decayed_weights(0.5, mask={"dense": True, "scale": False})
    u, _ = prefix.update(grads, prefix.init(params), params)
    np.testing.assert_array_equal(u["dense"]["bias"], [0.5, 0.5])
    np.testing.assert_array_equal(u["scale"], [0.0])


def test_masked_bad_masks():
    params = _tree([1.0], [2.0])
    with pytest.raises(TypeError, match="masked: mask entries must be Python bools"):
        optim.masked(optim.scale(2.0), {"w": 1, "b": True}).init(params)
    with pytest.raises(ValueError, match="masked: the mask does not match"):
        optim.masked(optim.scale(2.0), {"w": True}).init(params)


# ---- MultiSteps -----------------------------------------------------------------------------

def _loss(p, x, y):
    return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)


def _batches(k, n=2, seed=0):
    rng = np.random.RandomState(seed)
    return [(rng.randn(n, 3).astype(np.float32), rng.randn(n).astype(np.float32))
            for _ in range(k)]


def test_multisteps_equals_one_big_batch_step():
    params = {"w": jnp.asarray([0.1, -0.2, 0.3]), "b": jnp.asarray(0.5)}
    k = 3
    multi = optim.MultiSteps(optim.adam(0.1), every_k_schedule=k)
    grad = jitnet.grad(_loss)

    @jitnet.jit
    def step(p, s, x, y):
        u, s = multi.update(grad(p, x, y), s, p)
        return optim.apply_updates(p, u), s, u

    big = optim.adam(0.1)
    big_p, big_s = params, big.init(params)
    p, s = params, multi.init(params)
    for round_ in range(2):
        batches = _batches(k, seed=round_)
        for i, (x, y) in enumerate(batches):
            p, s, u = step(p, s, x, y)
            if i < k - 1:   # accumulating: no change yet
                assert all(np.all(np.asarray(leaf) == 0) for leaf in tree_leaves(u))
                assert not bool(multi.has_updated(s))
        assert bool(multi.has_updated(s))
        x_all = np.concatenate([b[0] for b in batches])
        y_all = np.concatenate([b[1] for b in batches])
        big_u, big_s = big.update(grad(big_p, x_all, y_all), big_s, big_p)
        big_p = optim.apply_updates(big_p, big_u)
        for a, b in zip(tree_leaves(p), tree_leaves(big_p)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(s.gradient_step) == 2 and int(s.mini_step) == 0


def test_multisteps_sum_and_scheduled_k():
    g = {"x": jnp.asarray([1.0])}
    multi = optim.MultiSteps(optim.sgd(1.0), lambda step: jnp.where(step < 1, 2, 3),
                             use_grad_mean=False)
    tx = multi.gradient_transformation()
    assert isinstance(tx, optim.GradientTransformation)
    s = tx.init(g)
    outs = []
    for _ in range(5):
        u, s = tx.update(g, s)
        outs.append(float(u["x"][0]))
    assert outs == [0.0, -2.0, 0.0, 0.0, -3.0]   # k=2 for the first update, then k=3


def test_multisteps_bad_arguments():
    with pytest.raises(ValueError, match="MultiSteps: every_k_schedule"):
        optim.MultiSteps(optim.sgd(0.1), 0)
    with pytest.raises(TypeError, match="MultiSteps: opt must be"):
        optim.MultiSteps("sgd", 2)
    multi = optim.MultiSteps(optim.sgd(0.1), 2)
    s = multi.init({"x": jnp.zeros(2)})
    with pytest.raises(ValueError, match="MultiSteps"):
        multi.update({"y": jnp.zeros(2)}, s)


# ---- inject_hyperparams ---------------------------------------------------------------------

def test_inject_hyperparams_matches_plain_optimizer():
    params = _tree([1.0, -2.0], [0.5])
    grads = [_tree([0.3, 0.1], [-1.0]), _tree([-0.2, 0.4], [0.7])]
    plain, injected = optim.adamw(0.01, weight_decay=0.1), \
        optim.inject_hyperparams(optim.adamw)(0.01, weight_decay=0.1)
    s1, s2 = plain.init(params), injected.init(params)
    assert isinstance(s2, optim.InjectHyperparamsState)
    assert set(s2.hyperparams) == {"learning_rate", "b1", "b2", "eps", "eps_root",
                                   "weight_decay"}
    for g in grads:
        u1, s1 = plain.update(g, s1, params)
        u2, s2 = injected.update(g, s2, params)
        for a, b in zip(tree_leaves(u1), tree_leaves(u2)):   # b2 rounded to float32: 1e-5
            np.testing.assert_allclose(a, b, rtol=5e-5)


def test_changing_learning_rate_does_not_retrace():
    traces = []
    opt = optim.inject_hyperparams(optim.sgd)(learning_rate=0.1, momentum=None)

    @jitnet.jit
    def step(g, s):
        traces.append(1)   # runs only while tracing
        return opt.update(g, s)

    g = {"x": jnp.asarray([2.0, -4.0])}
    s = opt.init(g)
    got = []
    for lr in (0.1, 0.0, 0.25, 0.5):
        s = optim.set_hyperparam(s, "learning_rate", lr)
        u, s = step(g, s)
        got.append(np.asarray(u["x"]))
        np.testing.assert_allclose(optim.get_hyperparam(s, "learning_rate"), lr)
    np.testing.assert_allclose(got, [[-0.2, 0.4], [0.0, 0.0], [-0.5, 1.0], [-1.0, 2.0]],
                               rtol=1e-6)
    assert len(traces) == 1


def test_scheduled_hyperparam_is_evaluated_from_the_count():
    opt = optim.inject_hyperparams(optim.sgd)(learning_rate=optim.linear_schedule(1.0, 0.0, 4))
    g = {"x": jnp.asarray([1.0])}
    s = opt.init(g)
    assert float(s.hyperparams["learning_rate"]) == 1.0
    traces = []

    @jitnet.jit
    def step(g, s):
        traces.append(1)
        return opt.update(g, s)
    got = []
    for _ in range(5):
        u, s = step(g, s)
        got.append(float(u["x"][0]))
    np.testing.assert_allclose(got, [-1.0, -0.75, -0.5, -0.25, 0.0], atol=1e-7)
    assert int(s.count) == 5
    assert len(traces) == 1   # the state's types do not change from step to step


def test_static_args_and_bools_stay_python_values():
    opt = optim.inject_hyperparams(optim.sgd, static_args=("momentum",))(
        0.1, momentum=0.9, nesterov=True)
    s = opt.init({"x": jnp.zeros(1)})
    assert set(s.hyperparams) == {"learning_rate"}
    u, s = opt.update({"x": jnp.ones(1)}, s)
    np.testing.assert_allclose(u["x"], [-0.1 * 1.9], rtol=1e-6)   # nesterov: g + 0.9 * g


def test_adafactor_injected_keeps_dtypes_and_sizes_static():
    opt = optim.inject_hyperparams(optim.adafactor, static_args="min_dim_size_to_factor")(
        0.1, min_dim_size_to_factor=2, momentum=0.9, dtype_momentum=jnp.float32)
    p = {"w": jnp.ones((2, 3))}
    s = opt.init(p)
    assert "dtype_momentum" not in s.hyperparams and "momentum" in s.hyperparams
    u, s = jitnet.jit(opt.update)({"w": jnp.full((2, 3), 0.5)}, s, p)
    plain = optim.adafactor(0.1, min_dim_size_to_factor=2, momentum=0.9,
                            dtype_momentum=jnp.float32)
    u_plain, s_plain = plain.update({"w": jnp.full((2, 3), 0.5)}, plain.init(p), p)
    np.testing.assert_allclose(u["w"], u_plain["w"], rtol=5e-5)
    ema_state = [x for x in s.inner_state if isinstance(x, optim.EmaState)][0]
    assert ema_state.ema["w"].dtype == jnp.float32


def test_get_and_set_hyperparam_in_nested_states():
    inner = optim.inject_hyperparams(optim.adam)(learning_rate=1e-3)
    opt = optim.chain(optim.clip_by_global_norm(1.0), inner)
    multi = optim.MultiSteps(opt, 2)
    p = {"x": jnp.zeros(3)}
    for state in (opt.init(p), multi.init(p)):
        assert float(optim.get_hyperparam(state, "learning_rate")) == pytest.approx(1e-3)
        new = optim.set_hyperparam(state, "learning_rate", 0.5)
        assert type(new) is type(state)
        assert float(optim.get_hyperparam(new, "learning_rate")) == 0.5
        assert float(optim.get_hyperparam(state, "learning_rate")) == pytest.approx(1e-3)
        lr = optim.get_hyperparam(new, "learning_rate")
        assert lr.dtype == jnp.float32 and lr.shape == ()
    with pytest.raises(KeyError, match="'momentum'.*'learning_rate'"):
        optim.get_hyperparam(opt.init(p), "momentum")
    with pytest.raises(KeyError, match="inject_hyperparams"):
        optim.set_hyperparam(optim.adam(0.1).init(p), "learning_rate", 0.1)
    with pytest.raises(ValueError, match="set_hyperparam: 'learning_rate' has shape"):
        optim.set_hyperparam(opt.init(p), "learning_rate", [0.1, 0.2])


def test_inject_hyperparams_bad_arguments():
    with pytest.raises(TypeError, match=r"inject_hyperparams\(adam\)"):
        optim.inject_hyperparams(optim.adam)(0.1, bogus=3)
    opt = optim.inject_hyperparams(optim.adam)(0.1)
    with pytest.raises(TypeError, match="InjectHyperparamsState"):
        opt.update({"x": jnp.zeros(1)}, optim.adam(0.1).init({"x": jnp.zeros(1)}))


# ---- optim.get ------------------------------------------------------------------------------

KERAS_DEFAULTS = {"sgd": 1e-2, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3, "adagrad": 1e-3,
                  "lamb": 1e-3, "lion": 1e-4, "adafactor": 1e-3}


@pytest.mark.parametrize("name", sorted(KERAS_DEFAULTS))
def test_get_by_name(name):
    p = {"x": jnp.asarray([1.0, -1.0])}
    opt = optim.get(name)
    s = opt.init(p)
    assert float(optim.get_hyperparam(s, "learning_rate")) == pytest.approx(KERAS_DEFAULTS[name])
    u, s = opt.update({"x": jnp.asarray([0.5, 0.5])}, s, p)
    assert u["x"].shape == (2,)
    custom = optim.get(name.upper(), learning_rate=1)   # an int rate still stores a float
    lr = optim.get_hyperparam(custom.init(p), "learning_rate")
    assert lr.dtype == jnp.float32 and float(lr) == 1.0
    # the same update as the plain optimizer with that learning rate
    plain = getattr(optim, name)(KERAS_DEFAULTS[name])
    u_plain, _ = plain.update({"x": jnp.asarray([0.5, 0.5])}, plain.init(p), p)
    np.testing.assert_allclose(u["x"], u_plain["x"], rtol=5e-5)   # float32 hyperparameters


def test_get_passthrough_and_errors():
    tx = optim.adam(0.1)
    assert optim.get(tx) is tx
    multi = optim.MultiSteps(tx, 2)
    assert isinstance(optim.get(multi), optim.GradientTransformation)
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*adam, adamax"):
        optim.get("adamm")
    with pytest.raises(TypeError, match="optim.get: expected an optimizer name"):
        optim.get(3)


# ---- multi_transform ------------------------------------------------------------------------

def test_multi_transform_per_group():
    params = {"enc": jnp.asarray([1.0, 2.0]), "head": jnp.asarray([3.0]), "frozen": jnp.ones(1)}
    grads = {"enc": jnp.asarray([0.5, -1.0]), "head": jnp.asarray([2.0]), "frozen": jnp.ones(1)}
    opt = optim.multi_transform(
        {"slow": optim.sgd(0.01), "fast": optim.sgd(0.1, momentum=0.5),
         "none": optim.set_to_zero()},
        {"enc": "slow", "head": "fast", "frozen": "none"})
    state = jitnet.jit(opt.init)(params)
    step = jitnet.jit(opt.update)
    u, state = step(grads, state, params)
    u, state = step(grads, state, params)
    np.testing.assert_allclose(u["enc"], [-0.005, 0.01], rtol=1e-6)
    np.testing.assert_allclose(u["head"], [-0.1 * 2.0 * 1.5], rtol=1e-6)
    np.testing.assert_array_equal(u["frozen"], [0.0])
    with pytest.raises(ValueError, match=r"multi_transform: labels \['huge'\]"):
        optim.multi_transform({"slow": optim.sgd(0.1)}, lambda p: jitnet.tree_map(
            lambda x: "huge", p)).init(params)


# ---- apply_if_finite, zero_nans -------------------------------------------------------------

def test_apply_if_finite_skips_nonfinite_steps():
    opt = optim.apply_if_finite(optim.sgd(1.0, momentum=0.5), max_consecutive_errors=1)
    step = jitnet.jit(opt.update)
    s = opt.init({"x": jnp.zeros(2)})
    ok, bad = {"x": jnp.asarray([1.0, 2.0])}, {"x": jnp.asarray([1.0, np.inf])}
    u, s = step(ok, s)
    np.testing.assert_array_equal(u["x"], [-1.0, -2.0])
    u, s = step(bad, s)                          # rejected: zero update, momentum kept
    np.testing.assert_array_equal(u["x"], [0.0, 0.0])
    assert not bool(s.last_finite) and int(s.notfinite_count) == 1
    np.testing.assert_array_equal(s.inner_state[0].trace["x"], [1.0, 2.0])
    u, s = step(ok, s)                           # momentum 0.5 * [1, 2] + [1, 2]
    np.testing.assert_array_equal(u["x"], [-1.5, -3.0])
    assert int(s.notfinite_count) == 0 and int(s.total_notfinite) == 1
    u, s = step(bad, s)
    u, s = step(bad, s)                          # second in a row > 1 allowed: applied
    assert np.isinf(np.asarray(u["x"])[1]) and int(s.total_notfinite) == 3


def test_zero_nans():
    z = optim.zero_nans()
    u, s = z.update({"a": jnp.asarray([1.0, np.nan]), "b": jnp.ones(1)},
                    z.init({"a": jnp.zeros(2), "b": jnp.zeros(1)}))
    np.testing.assert_array_equal(u["a"], [1.0, 0.0])
    assert bool(s.found_nan["a"]) and not bool(s.found_nan["b"])

"""Optimizers and transformations against NumPy implementations of the published formulas.

Every reference below is written from the paper / Optax's documented update rule in float64
NumPy, one leaf at a time; the jitnet optimizer runs on a two-leaf float32 pytree for several
steps, eagerly and under ``jit``.
"""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import optim

STEPS = 4


def _problem(seed=0, steps=STEPS):
    rng = np.random.RandomState(seed)
    params = {"w": rng.randn(2, 3).astype(np.float32), "b": rng.randn(3).astype(np.float32)}
    grads = [{k: rng.randn(*v.shape).astype(np.float32) for k, v in params.items()}
             for _ in range(steps)]
    return params, grads


def run_jitnet(opt, params, grads, use_jit):
    """``use_jit``: False runs eagerly, True compiles the step with ``jit``, ``"traced"`` runs
    ``jit``'s traced program on the NumPy reference interpreter (the rule under tracing,
    without the compile that is most of a jitted test's time)."""
    def step(g, state, p):
        updates, state = opt.update(g, state, p)
        return optim.apply_updates(p, updates), state, updates
    if use_jit:
        step = jitnet.jit(step, backend="interpreter" if use_jit == "traced" else None)
    p = {k: jnp.asarray(v) for k, v in params.items()}
    state = opt.init(p)
    history = []
    for g in grads:
        p, state, updates = step({k: jnp.asarray(v) for k, v in g.items()}, state, p)
        history.append({k: np.asarray(v) for k, v in updates.items()})
    return history


def run_reference(init, step, params, grads):
    """``init(p) -> state`` and ``step(g, p, state, t) -> update`` for one leaf; t counts from 1."""
    p = {k: v.astype(np.float64) for k, v in params.items()}
    states = {k: init(v) for k, v in p.items()}
    history = []
    for t, g in enumerate(grads, start=1):
        updates = {k: step(g[k].astype(np.float64), p[k], states[k], t) for k in p}
        p = {k: p[k] + updates[k] for k in p}
        history.append(updates)
    return history


def assert_same(got, want, rtol=2e-5, atol=2e-6):
    assert len(got) == len(want)
    for t, (a, b) in enumerate(zip(got, want)):
        assert set(a) == set(b)
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol,
                                       err_msg=f"step {t + 1}, leaf {k}")


# ---- NumPy references (float64, one leaf) ---------------------------------------------------

def zeros_state(*names, fill=0.0):
    return lambda p: {n: np.full_like(p, fill) for n in names}


def ref_sgd(lr, momentum=None, nesterov=False):
    def step(g, p, s, t):
        if momentum is None:
            return -lr * g
        s["v"] = g + momentum * s["v"]
        d = g + momentum * s["v"] if nesterov else s["v"]
        return -lr * d
    return zeros_state("v"), step


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, wd=0.0, nesterov=False):
    """Adam / NAdam / AdamW; ``lr`` may be a function of the 0-based step; the state's "wd"
    lets a test switch weight decay off per leaf."""
    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        if nesterov:   # Dozat: look ahead one step with the next bias correction
            m_hat = b1 * s["m"] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
        else:
            m_hat = s["m"] / (1 - b1 ** t)
        v_hat = s["v"] / (1 - b2 ** t)
        return -lr(t - 1) * (m_hat / (np.sqrt(v_hat + eps_root) + eps) + s["wd"] * p)
    lr = lr if callable(lr) else (lambda c, v=lr: v)

    def init(p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p), "wd": wd}
    return init, step


def ref_amsgrad(lr, b1=0.9, b2=0.999, eps=1e-8):
    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        s["vmax"] = np.maximum(s["vmax"], s["v"] / (1 - b2 ** t))
        return -lr * (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["vmax"]) + eps)
    return zeros_state("m", "v", "vmax"), step


def ref_adamax(lr, b1=0.9, b2=0.999, eps=1e-8):
    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["u"] = np.maximum(b2 * s["u"], np.abs(g) + eps)
        return -lr * (s["m"] / (1 - b1 ** t)) / s["u"]
    return zeros_state("m", "u"), step


def ref_adamaxw(lr, wd):
    init, adamax_step = ref_adamax(1.0)
    return init, lambda g, p, s, t: lr * adamax_step(g, p, s, t) - lr * wd * p


def ref_sign_sgd(lr):
    return zeros_state(), lambda g, p, s, t: -lr * np.sign(g)


def ref_fromage(lr):
    def step(g, p, s, t):   # the paper's update, returned as new - old
        new = (p - lr * np.linalg.norm(p) / np.linalg.norm(g) * g) / np.sqrt(1 + lr * lr)
        return new - p
    return zeros_state(), step


def ref_novograd(lr, b1=0.9, b2=0.25, eps=1e-6, wd=0.0):
    def init(p):
        return {"m": np.zeros_like(p), "v": 0.0}

    def step(g, p, s, t):
        n2 = np.sum(g * g)
        s["v"] = n2 if t == 1 else b2 * s["v"] + (1 - b2) * n2
        d = g / (np.sqrt(s["v"]) + eps) + wd * p
        s["m"] = d if t == 1 else b1 * s["m"] + d
        return -lr * s["m"]
    return init, step


def ref_adabelief(lr, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16):
    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["s"] = b2 * s["s"] + (1 - b2) * (g - s["m"]) ** 2 + eps_root
        m_hat, s_hat = s["m"] / (1 - b1 ** t), s["s"] / (1 - b2 ** t)
        return -lr * m_hat / (np.sqrt(s_hat) + eps)
    return zeros_state("m", "s"), step


def ref_yogi(lr, b1=0.9, b2=0.999, eps=1e-3, v0=1e-6):
    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = s["v"] - (1 - b2) * np.sign(s["v"] - g * g) * g * g
        return -lr * (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)
    return zeros_state("m", "v", fill=v0), step


def ref_radam(lr, b1=0.9, b2=0.999, eps=1e-8, threshold=5.0):
    rho_inf = 2 / (1 - b2) - 1

    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1 ** t)
        rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho < threshold:
            return -lr * m_hat
        r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        return -lr * r * m_hat / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)
    return zeros_state("m", "v"), step


def ref_adadelta(lr, rho=0.9, eps=1e-6):
    def step(g, p, s, t):
        s["eg"] = rho * s["eg"] + (1 - rho) * g * g
        d = np.sqrt(s["ex"] + eps) / np.sqrt(s["eg"] + eps) * g
        s["ex"] = rho * s["ex"] + (1 - rho) * d * d
        return -lr * d
    return zeros_state("eg", "ex"), step


def ref_rmsprop(lr, decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, centered=False,
                momentum=None, nesterov=False):
    def init(p):
        return {"nu": np.full_like(p, initial_scale), "mu": np.zeros_like(p),
                "mom": np.zeros_like(p)}

    def step(g, p, s, t):
        s["nu"] = decay * s["nu"] + (1 - decay) * g * g
        s["mu"] = decay * s["mu"] + (1 - decay) * g
        var = s["nu"] - s["mu"] ** 2 if centered else s["nu"]
        d = g / np.sqrt(var + eps) if eps_in_sqrt else g / (np.sqrt(var) + eps)
        d = -lr * d
        if momentum is None:
            return d
        s["mom"] = d + momentum * s["mom"]
        return d + momentum * s["mom"] if nesterov else s["mom"]
    return init, step


def ref_adagrad(lr, initial_accumulator_value=0.1, eps=1e-7):
    def step(g, p, s, t):
        s["acc"] = s["acc"] + g * g
        return -lr * g / np.sqrt(s["acc"] + eps)
    return zeros_state("acc", fill=initial_accumulator_value), step


def ref_lamb(lr, b1=0.9, b2=0.999, eps=1e-6, wd=0.0):
    def step(g, p, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        r = (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps) + wd * p
        ratio = np.linalg.norm(p) / np.linalg.norm(r)
        return -lr * ratio * r
    return zeros_state("m", "v"), step


def ref_lion(lr, b1=0.9, b2=0.99, wd=1e-3):
    def step(g, p, s, t):
        d = np.sign(b1 * s["m"] + (1 - b1) * g) + wd * p
        s["m"] = b2 * s["m"] + (1 - b2) * g
        return -lr * d
    return zeros_state("m"), step


def ref_lars(lr, wd=0.0, trust_coefficient=0.001, momentum=0.9):
    def step(g, p, s, t):
        d = g + wd * p
        d = d * trust_coefficient * np.linalg.norm(p) / np.linalg.norm(d)
        s["v"] = -lr * d + momentum * s["v"]
        return s["v"]
    return zeros_state("v"), step


def schedule(count):   # a jnp schedule for the optimizer, mirrored by ref_schedule
    return 0.1 * 0.5 ** (jnp.asarray(count) / 2)


def ref_schedule(count):
    return 0.1 * 0.5 ** (count / 2)


CASES = {
    "sgd": (optim.sgd(0.1), ref_sgd(0.1)),
    "sgd_momentum": (optim.sgd(0.1, momentum=0.9), ref_sgd(0.1, 0.9)),
    "sgd_nesterov": (optim.sgd(0.1, momentum=0.9, nesterov=True), ref_sgd(0.1, 0.9, True)),
    "adam": (optim.adam(0.01), ref_adam(0.01)),
    "adam_eps_root": (optim.adam(0.01, b1=0.8, b2=0.99, eps=1e-3, eps_root=1e-4),
                      ref_adam(0.01, 0.8, 0.99, 1e-3, 1e-4)),
    "adam_schedule": (optim.adam(schedule), ref_adam(ref_schedule)),
    "nadam": (optim.nadam(0.01), ref_adam(0.01, nesterov=True)),
    "adamw": (optim.adamw(0.01, weight_decay=0.1), ref_adam(0.01, wd=0.1)),
    "amsgrad": (optim.amsgrad(0.01), ref_amsgrad(0.01)),
    "adamax": (optim.adamax(0.01), ref_adamax(0.01)),
    "adamaxw": (optim.adamaxw(0.01, weight_decay=0.1), ref_adamaxw(0.01, 0.1)),
    "adabelief": (optim.adabelief(0.01), ref_adabelief(0.01)),
    "novograd": (optim.novograd(0.01, weight_decay=0.1), ref_novograd(0.01, wd=0.1)),
    "sign_sgd": (optim.sign_sgd(0.01), ref_sign_sgd(0.01)),
    "fromage": (optim.fromage(0.1), ref_fromage(0.1)),
    "fromage_schedule": (optim.fromage(lambda c: 0.1 + 0.0 * c), ref_fromage(0.1)),
    "yogi": (optim.yogi(0.01), ref_yogi(0.01)),
    "adadelta": (optim.adadelta(1.0), ref_adadelta(1.0)),
    "rmsprop": (optim.rmsprop(0.01), ref_rmsprop(0.01)),
    "rmsprop_centered": (optim.rmsprop(0.01, eps=0.1, centered=True, initial_scale=1.0),
                         ref_rmsprop(0.01, eps=0.1, centered=True, initial_scale=1.0)),
    "rmsprop_momentum": (optim.rmsprop(0.01, eps=1e-3, eps_in_sqrt=False, momentum=0.9,
                                       nesterov=True),
                         ref_rmsprop(0.01, eps=1e-3, eps_in_sqrt=False, momentum=0.9,
                                     nesterov=True)),
    "adagrad": (optim.adagrad(0.1), ref_adagrad(0.1)),
    "adagrad_eps": (optim.adagrad(0.1, initial_accumulator_value=0.0, eps=0.5),
                    ref_adagrad(0.1, 0.0, 0.5)),
    "lamb": (optim.lamb(0.01, weight_decay=0.1), ref_lamb(0.01, wd=0.1)),
    "lion": (optim.lion(0.01), ref_lion(0.01)),
    "lars": (optim.lars(0.1, weight_decay=0.01), ref_lars(0.1, wd=0.01)),
}


@pytest.mark.parametrize("use_jit", [False, "traced"], ids=["eager", "traced"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy_reference(name, use_jit):
    opt, (ref_init, ref_step) = CASES[name]
    params, grads = _problem()
    assert_same(run_jitnet(opt, params, grads, use_jit),
                run_reference(ref_init, ref_step, params, grads))


# compiled: an optimizer for each kind of operation the updates use (bias corrections of the
# step count, a schedule, maximum, sign, norms and sums, the first-step select, momentum);
# every rule is checked above, traced, so only the codegen is sampled here
@pytest.mark.parametrize("name", ["adam_schedule", "amsgrad", "lamb", "lion", "novograd",
                                  "rmsprop_momentum"])
def test_compiled_matches_numpy_reference(name):
    opt, (ref_init, ref_step) = CASES[name]
    params, grads = _problem()
    assert_same(run_jitnet(opt, params, grads, True),
                run_reference(ref_init, ref_step, params, grads))


@pytest.mark.parametrize("use_jit", [False, True], ids=["eager", "jit"])
def test_radam_both_branches(use_jit):
    # b2=0.8: rho_t = 1.0, 1.89, 2.71, 3.45, 4.13, 4.73 -> momentum for 4 steps, then rectified
    params, grads = _problem(4, steps=6)
    got = run_jitnet(optim.radam(0.01, b2=0.8, threshold=4.0), params, grads, use_jit)
    assert_same(got, run_reference(*ref_radam(0.01, b2=0.8, threshold=4.0), params, grads))


def test_sgd_schedule_uses_count_before_increment():
    params, grads = _problem(1)
    init, step = ref_sgd(1.0)
    want = run_reference(init, lambda g, p, s, t: ref_schedule(t - 1) * step(g, p, s, t),
                         params, grads)
    assert_same(run_jitnet(optim.sgd(schedule), params, grads, use_jit=True), want)


def test_adamw_mask_leaves_masked_leaves_undecayed():
    params, grads = _problem(2)
    no_bias = lambda p: {"w": True, "b": False}  # noqa: E731
    got = run_jitnet(optim.adamw(0.01, weight_decay=0.5, mask=no_bias), params, grads, True)
    init, step = ref_adam(0.01)
    want = run_reference(lambda p: {**init(p), "wd": 0.5 if p.ndim == 2 else 0.0}, step,
                         params, grads)
    assert_same(got, want)
    # the same mask given as a pytree of bools
    got_tree = run_jitnet(optim.adamw(0.01, weight_decay=0.5, mask={"w": True, "b": False}),
                          params, grads, False)
    assert_same(got_tree, want)


def test_old_api_still_works():
    params, grads = _problem(3)
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(0.01))
    got = run_jitnet(opt, params, grads, True)
    init, step = ref_adam(0.01)

    def clipped(history_grads):
        out = []
        for g in history_grads:
            n = np.sqrt(sum(np.sum(v.astype(np.float64) ** 2) for v in g.values()))
            out.append({k: v * min(1.0, 1.0 / n) for k, v in g.items()})
        return out
    assert_same(got, run_reference(init, step, params, clipped(grads)))


# ---- single transformations against closed forms --------------------------------------------

def test_global_norm_and_clip_by_global_norm():
    tree = {"a": jnp.asarray([3.0, 0.0]), "b": jnp.asarray([[4.0]])}
    assert float(optim.global_norm(tree)) == pytest.approx(5.0)
    clip = optim.clip_by_global_norm(2.5)
    for update in (clip.update, jitnet.jit(clip.update)):
        out, state = update(tree, clip.init(tree))   # norm 5 > 2.5: scaled by 1/2
        np.testing.assert_allclose(out["a"], [1.5, 0.0], rtol=1e-6)
        np.testing.assert_allclose(out["b"], [[2.0]], rtol=1e-6)
        assert state == optim.EmptyState()
    loose = optim.clip_by_global_norm(10.0)            # below the bound: unchanged
    out, _ = loose.update(tree, loose.init(tree))
    np.testing.assert_array_equal(out["a"], [3.0, 0.0])
    np.testing.assert_array_equal(out["b"], [[4.0]])


def test_clip_elementwise():
    c = optim.clip(0.5)
    out, _ = c.update({"x": jnp.asarray([-2.0, 0.25, 3.0])}, c.init(None))
    np.testing.assert_allclose(out["x"], [-0.5, 0.25, 0.5])


def test_add_decayed_weights_and_scale_by_schedule():
    p = {"x": jnp.asarray([1.0, -2.0])}
    g = {"x": jnp.asarray([0.5, 0.5])}
    t = optim.add_decayed_weights(0.1)
    np.testing.assert_allclose(t.update(g, t.init(p), p)[0]["x"], [0.6, 0.3], rtol=1e-6)
    ts = optim.add_decayed_weights(lambda c: 0.1 * (c + 1))
    s = ts.init(p)
    u1, s = ts.update(g, s, p)
    u2, s = ts.update(g, s, p)
    np.testing.assert_allclose(u1["x"], [0.6, 0.3], rtol=1e-6)
    np.testing.assert_allclose(u2["x"], [0.7, 0.1], rtol=1e-6)
    sc = optim.scale_by_schedule(lambda c: 2.0 ** c)
    s = sc.init(p)
    outs = []
    for _ in range(3):
        u, s = sc.update(g, s)
        outs.append(float(u["x"][0]))
    assert outs == [0.5, 1.0, 2.0]
    assert int(s.count) == 3


def test_trust_ratio_is_one_for_zero_norms():
    t = optim.scale_by_trust_ratio()
    p = {"z": jnp.zeros(2), "x": jnp.asarray([3.0, 4.0])}
    g = {"z": jnp.asarray([1.0, 1.0]), "x": jnp.asarray([0.0, 2.0])}
    out, _ = t.update(g, t.init(p), p)
    np.testing.assert_allclose(out["z"], [1.0, 1.0])
    np.testing.assert_allclose(out["x"], [0.0, 5.0], rtol=1e-6)


def test_ema_debiased():
    e = optim.ema(0.5)
    s = e.init({"x": jnp.zeros(1)})
    u1, s = e.update({"x": jnp.asarray([2.0])}, s)
    u2, s = e.update({"x": jnp.asarray([4.0])}, s)
    np.testing.assert_allclose(u1["x"], [2.0])                  # 1.0 / (1 - 0.5)
    np.testing.assert_allclose(u2["x"], [(0.5 * 1.0 + 2.0) / 0.75])
    np.testing.assert_allclose(s.ema["x"], [2.5])


def test_identity_set_to_zero_stateless_and_apply_updates_keep_dtype():
    g = {"x": jnp.asarray([1.0, 2.0])}
    assert optim.identity().update(g, optim.identity().init(g))[0] is g
    np.testing.assert_array_equal(optim.set_to_zero().update(g, ())[0]["x"], [0.0, 0.0])
    neg = optim.stateless(lambda u, p: jitnet.tree_map(lambda x: -x, u))
    np.testing.assert_array_equal(neg.update(g, neg.init(g))[0]["x"], [-1.0, -2.0])
    p = {"x": jnp.asarray([1, 2], dtype=jnp.float16)}
    out = optim.apply_updates(p, {"x": jnp.asarray([0.5, 0.5])})
    assert out["x"].dtype == p["x"].dtype
    np.testing.assert_allclose(np.asarray(out["x"], np.float32), [1.5, 2.5])


def test_states_are_pytrees_of_arrays():
    params, _ = _problem()
    state = optim.adamw(0.1, mask=lambda p: {"w": True, "b": False}).init(params)
    leaves = jitnet.tree_util.tree_leaves(state)
    assert leaves and all(hasattr(x, "dtype") for x in leaves)
    adam_state = state[0]
    assert isinstance(adam_state, optim.ScaleByAdamState)
    assert adam_state.count.dtype == jnp.int32


# ---- errors ---------------------------------------------------------------------------------

def test_mismatched_pytrees_raise_clear_errors():
    opt = optim.adam(0.1)
    state = opt.init({"w": jnp.zeros(3)})
    with pytest.raises(ValueError, match="scale_by_adam.*tree structure"):
        opt.update({"v": jnp.zeros(3)}, state)
    with pytest.raises(ValueError, match=r"scale_by_adam.*shape \(2,\).*\(3,\)"):
        opt.update({"w": jnp.zeros(2)}, state)
    with pytest.raises(ValueError, match="apply_updates"):
        optim.apply_updates({"w": jnp.zeros(3)}, {"w": jnp.zeros(3), "b": jnp.zeros(1)})
    with pytest.raises(ValueError, match=r"add_decayed_weights needs the parameters"):
        w = optim.adamw(0.1)
        w.update({"w": jnp.zeros(3)}, w.init({"w": jnp.zeros(3)}))
    with pytest.raises(TypeError, match="chain: argument 1"):
        optim.chain(optim.scale(1.0), "adam")
    with pytest.raises(ValueError, match="chain: expected the state of 2 transformations"):
        optim.adam(0.1).update({"w": jnp.zeros(3)}, optim.scale(1.0).init({"w": jnp.zeros(3)}))
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        optim.adam("0.1")


# ---- Adafactor ------------------------------------------------------------------------------

def ref_adafactor_leaf(min_dim, clip=1.0, lr=None, momentum=None, eps=1e-30):
    """Shazeer & Stern's Algorithm 4 with Optax's defaults: decay 1 - t^-0.8, factored second
    moments for matrices, update clipping, relative step size."""
    def init(p):
        return {"r": np.zeros(p.shape[:1]), "c": np.zeros(p.shape[1:2]), "v": np.zeros_like(p),
                "m": np.zeros_like(p)}

    def step(g, p, s, t):
        beta = 1 - t ** -0.8
        g2 = g * g + eps
        if p.ndim == 2 and min(p.shape) >= min_dim:
            # rows along the smaller axis 0 here (shape (2, 3)): R = mean over columns
            s["r"] = beta * s["r"] + (1 - beta) * g2.mean(axis=1)
            s["c"] = beta * s["c"] + (1 - beta) * g2.mean(axis=0)
            v_hat = np.outer(s["r"], s["c"]) / s["r"].mean()
        else:
            s["v"] = beta * s["v"] + (1 - beta) * g2
            v_hat = s["v"]
        u = g / np.sqrt(v_hat)
        u = u / max(1.0, np.sqrt(np.mean(u * u)) / clip)
        if lr is not None:
            u = lr * u
        u = u * max(np.sqrt(np.mean(p * p)), 1e-3)
        if momentum is not None:
            s["m"] = momentum * s["m"] + (1 - momentum) * u
            u = s["m"]
        return -u
    return init, step


@pytest.mark.parametrize("use_jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("factor", [True, False], ids=["factored", "full"])
def test_adafactor(factor, use_jit):
    params, grads = _problem(5)
    min_dim = 2 if factor else 128
    got = run_jitnet(optim.adafactor(min_dim_size_to_factor=min_dim), params, grads, use_jit)
    assert_same(got, run_reference(*ref_adafactor_leaf(min_dim), params, grads))


def test_adafactor_with_rate_momentum_and_tight_clipping():
    params, grads = _problem(6)
    opt = optim.adafactor(0.5, min_dim_size_to_factor=2, clipping_threshold=0.5, momentum=0.9)
    assert_same(run_jitnet(opt, params, grads, True),
                run_reference(*ref_adafactor_leaf(2, clip=0.5, lr=0.5, momentum=0.9),
                              params, grads))
    state = opt.init({k: jnp.asarray(v) for k, v in params.items()})
    factored = state[0]
    assert factored.v_row["w"].shape == (2,) and factored.v_col["w"].shape == (3,)
    assert factored.v["b"].shape == (3,)


def test_factored_rms_axes_for_tall_and_3d_leaves():
    """Row/column statistics over the two largest axes, per slice of any leading axis."""
    rng = np.random.RandomState(7)
    g = {"tall": rng.randn(4, 2).astype(np.float32), "cube": rng.randn(2, 3, 4).astype(np.float32)}
    t = optim.scale_by_factored_rms(min_dim_size_to_factor=2)
    params = {k: jnp.asarray(v) for k, v in g.items()}
    s = t.init(params)
    assert s.v_row["cube"].shape == (2, 3) and s.v_col["cube"].shape == (2, 4)
    u, s = t.update(params, s, params)      # first step: the decay is 0, so v = g^2 + eps
    g2 = {k: v.astype(np.float64) ** 2 + 1e-30 for k, v in g.items()}
    v_tall = np.outer(g2["tall"].mean(1), g2["tall"].mean(0)) / g2["tall"].mean()
    rows, cols = g2["cube"].mean(2), g2["cube"].mean(1)          # (2, 3), (2, 4)
    v_cube = rows[:, :, None] * cols[:, None, :] / rows.mean(1)[:, None, None]
    np.testing.assert_allclose(u["tall"], g["tall"] / np.sqrt(v_tall), rtol=2e-5)
    np.testing.assert_allclose(u["cube"], g["cube"] / np.sqrt(v_cube), rtol=2e-5)

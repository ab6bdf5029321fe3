"""Large programs are generated as several Numba functions called by one entry function:
results, returned inputs and literals, control flow and error messages must not depend on
where the split falls. Limits of 1 force every kernel into its own function."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.codegen.cpu import program as cpu_program
from jitnet.runtime import compile as rc


@pytest.fixture
def split_everything(monkeypatch):
    monkeypatch.setattr(cpu_program, "GROUP_LINES", 1)
    monkeypatch.setattr(cpu_program, "GROUP_PARALLEL_LOOPS", 1)
    rc.clear_cache()
    yield
    rc.clear_cache()


def _mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jax.nn.relu(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))


def _step(params, x, y):
    loss, g = jax.value_and_grad(_mlp_loss)(params, x, y)
    new = jax.tree_util.tree_map(lambda p, d: p - 0.1 * d, params, g)
    return loss, new, x, 3.0       # an input and a literal returned as they are


def _data(seed=0):
    r = np.random.default_rng(seed)
    sizes = [20, 16, 12, 5]
    params = [(r.standard_normal((a, b)).astype(np.float32) / np.sqrt(a),
               r.standard_normal(b).astype(np.float32) * 0.1)
              for a, b in zip(sizes[:-1], sizes[1:])]
    x = r.standard_normal((8, 20)).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[r.integers(0, 5, 8)]
    return params, x, y


def _close(got, want):
    got, want = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-6)


@pytest.mark.slow
def test_training_step_split_into_functions(split_everything):
    params, x, y = _data()
    src = jax.jit(_step).lower(params, x, y).source()
    assert src.count("\ndef f") >= 5 and "\ndef entry(" in src
    with jax.disable_jit():
        want = _step(params, x, y)
    _close(jax.jit(_step)(params, x, y), want)


def test_split_matches_single_function():
    params, x, y = _data(1)
    rc.clear_cache()
    whole = jax.jit(_step)(params, x, y)
    src = jax.jit(_step).lower(params, x, y).source()
    assert "\ndef f" not in src           # small programs stay one function
    mp = pytest.MonkeyPatch()
    mp.setattr(cpu_program, "GROUP_LINES", 1)
    try:
        rc.clear_cache()
        _close(jax.jit(_step)(params, x, y), whole)
    finally:
        mp.undo()
        rc.clear_cache()


def test_control_flow_split(split_everything):
    def f(h0, xs):
        def body(h, x):
            h = jnp.tanh(h * 0.5 + x)
            return h, jnp.sum(h)
        h, ys = jax.lax.scan(body, h0, xs)
        z = jax.lax.cond(jnp.sum(h) > 0, lambda a: a * 2.0, lambda a: a - 1.0, h)
        return z, jnp.cumsum(ys)

    r = np.random.default_rng(2)
    h0 = r.standard_normal(4).astype(np.float32)
    xs = r.standard_normal((6, 4)).astype(np.float32)
    with jax.disable_jit():
        want = f(h0, xs)
    _close(jax.jit(f)(h0, xs), want)


def test_failure_in_a_later_function_names_kernel_and_user_line(split_everything, monkeypatch):
    from jitnet.codegen import scalar
    monkeypatch.setitem(scalar.SCALAR, "cos", lambda e, a, d: f"undefined_helper({a[0]})")

    def g(x, w):
        h = jnp.tanh(x @ w)
        return jnp.cos(h @ w) + 1.0

    x = np.ones((3, 3), np.float32)
    with pytest.raises(RuntimeError, match=r"\(cos, add\).*test_split_functions.py"):
        jax.jit(g)(x, x)


def _callees(f, *args):
    """The callee texts of ``f``'s program, and how many times the entry calls one."""
    gen = jax.jit(f).lower(*args).compile().generated
    return gen, gen.source.split("def entry(")[1].count(" = f")


def test_programs_sharing_a_kernel_compile_it_once(split_everything, monkeypatch):
    """Callees are compiled per text (content-addressed, ``numba_callee.shared``): two
    identical kernels of one program, and a kernel another program already compiled, are
    compiled once; results equal NumPy's and the unsplit program's, bit for bit."""
    from jitnet.runtime import compile_log, numba_callee
    monkeypatch.setenv("JITNET_CACHE_DIR", "off")   # compile, do not load the entries
    jax.clear_caches()                               # modules and shared callees
    assert len(numba_callee._shared) == 0
    r = np.random.default_rng(3)
    x, y = (r.standard_normal((6, 6)).astype(np.float32) for _ in range(2))

    def a(x, y):
        return jnp.tanh(x @ y) + jnp.tanh(y @ x)

    def b(x, y):
        return jnp.sin(x @ y)

    gen_a, calls_a = _callees(a, x, y)
    assert len(gen_a.callees) < calls_a          # the two products: one function
    before = compile_log.counts["function_compile"]
    got_a = np.asarray(jax.jit(a)(x, y))
    assert compile_log.counts["function_compile"] - before == len(gen_a.callees)
    gen_b, _ = _callees(b, x, y)
    new = set(gen_b.callees.values()) - set(gen_a.callees.values())
    assert 0 < len(new) < len(gen_b.callees)     # b's product is a's
    before = compile_log.counts["function_compile"]
    got_b = np.asarray(jax.jit(b)(x, y))
    assert compile_log.counts["function_compile"] - before == len(new)

    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    np.testing.assert_allclose(got_a, np.tanh(x64 @ y64) + np.tanh(y64 @ x64), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(got_b, np.sin(x64 @ y64), rtol=1e-5, atol=1e-6)
    mp = pytest.MonkeyPatch()
    mp.setattr(cpu_program, "GROUP_LINES", 10000)
    mp.setattr(cpu_program, "GROUP_PARALLEL_LOOPS", 1000)
    try:
        rc.clear_cache()
        assert "\ndef f" not in jax.jit(a).lower(x, y).source()
        np.testing.assert_array_equal(np.asarray(jax.jit(a)(x, y)), got_a)
    finally:
        mp.undo()


def test_canonical_renames_locals_in_order_of_first_use():
    text = ("def f(v7, S3, k9):\n    t4 = np.i0(v7[i2]) * k9\n    v8 = t4 + S3 + kv_float32[0]\n"
            "    return (v8,)")
    assert cpu_program.canonical(text) == (
        "def f(v0, S0, k0):\n    t0 = np.i0(v0[i0]) * k0\n    v1 = t0 + S0 + kv_float32[0]\n"
        "    return (v1,)")

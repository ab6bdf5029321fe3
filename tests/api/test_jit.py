"""jit: caching and retracing, static arguments, composition with transforms, debugging."""
import functools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp


def test_cache_hits_and_retraces():
    calls = []

    @jax.jit
    def f(x, y):
        calls.append(1)
        return x * y + 1.0

    f(np.ones(3, np.float32), 2.0)
    f(np.ones(3, np.float32), 3.0)           # same signature: no retrace
    assert len(calls) == 1 and f.trace_count() == 1
    f(np.ones(4, np.float32), 3.0)           # new shape
    f(np.ones(3, np.int32), 3.0)             # new dtype
    f(np.ones(3, np.float32), np.float32(3))  # strong instead of weak scalar
    assert f.trace_count() == 4 and len(calls) == 4


def test_static_argnums_and_names():
    @functools.partial(jax.jit, static_argnums=1, static_argnames="mode")
    def f(x, n, mode="sum"):
        y = x ** n
        return jnp.sum(y) if mode == "sum" else jnp.max(y)

    x = np.arange(4.0, dtype=np.float32)
    assert float(f(x, 2)) == 14.0
    assert float(f(x, 3)) == 36.0
    assert float(f(x, 2, mode="max")) == 9.0
    assert f.trace_count() == 3
    with pytest.raises(ValueError, match="Non-hashable static"):
        f(x, [2])


def test_static_argnums_out_of_range_raise_and_negative_count_from_the_end():
    def f(x, n):
        return x * n
    for kw, pattern in ((dict(static_argnums=2), r"static_argnums \(2,\) out of range.* 2 "),
                        (dict(static_argnums=(0, -3)), r"static_argnums \(-3,\)"),
                        (dict(static_argnames="m"), r"static_argnames \('m',\).*x, n")):
        with pytest.raises(ValueError, match=pattern + r".*test_jit.py"):
            jax.jit(f, **kw)
    g = jax.jit(f, static_argnums=-1)          # the last positional parameter: n
    assert float(g(2.0, 3)) == 6.0 and float(g(2.0, 4)) == 8.0
    assert g.trace_count() == 2                 # one trace per static value
    assert float(jax.jit(lambda *a: a[0] * a[1], static_argnums=1)(2.0, 5)) == 10.0


def test_traced_python_control_flow_error_names_static_argnums():
    @jax.jit
    def f(x, n):
        return x if n > 0 else -x
    with pytest.raises(jax.TracerBoolConversionError, match="static_argnums"):
        f(1.0, 2)


@pytest.mark.slow
def test_jit_composes_with_transforms(rng):
    w = rng.randn(3).astype(np.float32)
    xs = rng.randn(5, 3).astype(np.float32)
    loss = lambda w, x: jnp.sum(jnp.tanh(x @ w) ** 2)
    want = np.stack([jax.grad(loss)(w, x) for x in xs])
    np.testing.assert_allclose(jax.jit(jax.vmap(jax.grad(loss), (None, 0)))(w, xs), want,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.vmap(jax.grad(jax.jit(loss)), (None, 0))(w, xs), want,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.grad(jax.jit(loss))(w, xs[0]), want[0], rtol=1e-5, atol=1e-6)
    g2 = jax.jit(jax.grad(jax.grad(lambda x: jnp.sin(x) * x)))
    x = 0.7
    assert float(g2(x)) == pytest.approx(2 * np.cos(x) - x * np.sin(x), rel=1e-5)


def test_lower_shows_ir_and_source():
    lowered = jax.jit(lambda x: jnp.sum(jnp.exp(x))).lower(np.ones(8, np.float32))
    assert "exp" in lowered.as_text()
    assert "def entry" in lowered.source() and "jn_exp_f32" in lowered.source()


def test_disable_jit_runs_python_each_call():
    calls = []

    @jax.jit
    def f(x):
        calls.append(1)
        return x + 1

    with jax.disable_jit():
        f(1.0)
        f(1.0)
    assert len(calls) == 2


def test_debug_nans_names_primitive_and_line():
    @jax.jit
    def f(x):
        y = x * 2.0
        return jnp.log(y - 10.0)

    jax.config.update("jax_debug_nans", True)
    try:
        with pytest.raises(FloatingPointError, match=r"nan.*log.*test_jit.py"):
            f(np.ones(3, np.float32))
    finally:
        jax.config.update("jax_debug_nans", False)


@pytest.fixture
def debug_nans():
    jax.config.update("jax_debug_nans", True)
    try:
        yield
    finally:
        jax.config.update("jax_debug_nans", False)


def test_debug_nans_replays_the_compiled_program_not_the_function(debug_nans):
    """The NaN check used to call the Python function again op by op: a function that does
    not trace the same way twice (here: state) was reported as 'not when run op by op'.
    The compiled program's own primitives are replayed, naming the first NaN and its line."""
    calls = []

    def f(x):
        calls.append(1)
        y = x * 2.0
        if len(calls) == 1:       # only the traced (compiled) version takes the log
            y = jnp.log(y - 10.0)
        return y + 1.0
    line = f.__code__.co_firstlineno + 4
    with pytest.raises(FloatingPointError, match=rf"nan.* in log \(at .*test_jit.py:{line} "):
        jax.jit(f)(np.ones(3, np.float32))


def test_debug_nans_names_the_line_inside_a_nested_jit(debug_nans):
    def g(x):
        return jnp.sqrt(x - 5.0)
    inner, line = jax.jit(g), g.__code__.co_firstlineno + 1
    with pytest.raises(FloatingPointError, match=rf"nan.* in sqrt \(at .*test_jit.py:{line} "):
        jax.jit(lambda x: inner(x) * 2.0)(np.arange(3, dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda x: x * 2.0)(np.ones(2))), [2, 2])


def test_debug_nans_replay_leaves_caller_arrays_writable(debug_nans):
    """The replay wrapped the caller's arrays as jitnet values, which froze them read-only."""
    x = np.array([1.0, -1.0], np.float32)
    with pytest.raises(FloatingPointError, match="sqrt"):
        jax.jit(jnp.sqrt)(x)
    x[0] = 3.0  # still the caller's to write


@pytest.mark.parametrize("backend", ["numba", "interpreter"])
def test_caller_arrays_stay_writable_and_unaliased(backend):
    """A jitted call neither freezes the caller's NumPy arguments nor returns their memory:
    a result that is an argument or a view of it is a copy, as JAX's new buffers are."""
    f = jax.jit(lambda a, b: (a, a.reshape(2, 3), b * 2.0, a[::2]), backend=backend)
    x = np.arange(6.0, dtype=np.float32)
    y = np.ones(3, np.float32)
    outs = f(x, y)
    assert x.flags.writeable and y.flags.writeable
    x[:] = -1.0
    np.testing.assert_array_equal(np.asarray(outs[0]), np.arange(6.0))
    np.testing.assert_array_equal(np.asarray(outs[1]), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(outs[3]), [0.0, 2.0, 4.0])
    frozen = np.arange(6.0, dtype=np.float32)
    frozen.flags.writeable = False  # a read-only argument stays read-only
    f(frozen, y)
    assert not frozen.flags.writeable


def test_numba_failure_names_kernel_and_user_line(monkeypatch):
    from jitnet.codegen import scalar
    monkeypatch.setitem(scalar.SCALAR, "cos", lambda e, a, d: f"undefined_helper({a[0]})")
    from jitnet.runtime import compile as rc
    rc.clear_cache()

    def g(x):
        return jnp.cos(x) + 1.0

    with pytest.raises(RuntimeError, match=r"kernel loop\[3\]\(cos, add\).*test_jit.py"):
        jax.jit(g)(np.ones(3, np.float32))
    rc.clear_cache()


_SCRIPT = textwrap.dedent("""
    import time, numpy as np
    import jitnet as jax, jitnet.numpy as jnp
    from jitnet.runtime.compile import compile_ir
    f = jax.jit(lambda x: jnp.sum(jnp.tanh(x) * 3.0))
    x = np.arange(10, dtype=np.float32)
    t = time.perf_counter()
    y = float(f(x))
    exe = f.lower(x).compile()
    print(repr(y), exe.fn.was_cached, time.perf_counter() - t)
""")


def _run(cache):
    env = dict(os.environ, JITNET_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), out[1] == "True", float(out[2])


@pytest.mark.slow
def test_disk_cache_reuse_and_corruption(tmp_path):
    want = float(np.sum(np.tanh(np.arange(10, dtype=np.float32)) * 3.0))
    y1, cached1, _ = _run(tmp_path)
    assert not cached1 and y1 == pytest.approx(want, rel=1e-6)
    y2, cached2, _ = _run(tmp_path)
    assert cached2 and y2 == y1                          # second process: machine code reused
    data = list(tmp_path.glob("m_*.nbc"))
    assert data
    data[0].write_bytes(b"corrupted" + data[0].read_bytes()[9:])
    y3, cached3, _ = _run(tmp_path)
    assert not cached3 and y3 == y1                      # tampered entry detected and rebuilt
    y4, cached4, _ = _run(tmp_path)
    assert cached4 and y4 == y1
    module = next(tmp_path.glob("m_*.py"))
    module.write_text(module.read_text().replace("np.float32(3.0)", "np.float32(4.0)"))
    y5, _, _ = _run(tmp_path)
    assert y5 == y1                      # an edited module is never executed, and rewritten
    assert "np.float32(4.0)" not in module.read_text()


_POOL_SCRIPT = textwrap.dedent("""
    import os, numpy as np, jitnet
    from jitnet.runtime import threads as nb
    f = jitnet.jit(lambda x: (x * 2.0).sum())
    y = float(f(np.ones(100_000, np.float32)))
    print(y, nb._POOL_STARTED, os.environ.get("OMP_WAIT_POLICY"))
""")


@pytest.mark.parametrize("policy", [None, "ACTIVE"])
def test_thread_pool_start_leaves_environment_as_it_was(policy):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    out = subprocess.run([sys.executable, "-c", _POOL_SCRIPT], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["200000.0", "True", str(policy)]

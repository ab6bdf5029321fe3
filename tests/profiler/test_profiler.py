"""The profiler: its totals add up to wall time measured outside it, the instrumented kinds
cover a jitted loop's time, per-step rows follow what happened (a trace and a compilation or
cache load in the first step only), Chrome-trace export, and nothing is left active."""
import json
import time
import types

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import optim, profiler, train
from jitnet.profiler import kernels as pk
from jitnet.runtime import profiling


def loss_fn(params, batch, mask):
    x, y = batch
    logits = x @ params["w"] + params["b"]
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1)[:, 0]
    return jnp.sum(nll * mask) / jnp.sum(mask)


def data():
    rs = np.random.RandomState(0)
    return rs.randn(300, 4).astype(np.float32), rs.randint(0, 3, 300).astype(np.int32)


def test_jitted_loop_is_covered_and_adds_up():
    @jax.jit
    def f(x, w):
        return jnp.tanh(x @ w).sum(0) * 2.0
    x, w = np.ones((8, 4), np.float32), np.ones((4, 3), np.float32)
    p = profiler.Profiler()
    t = time.perf_counter()
    with p:
        for _ in range(50):
            f(x, w)
    wall = time.perf_counter() - t
    assert profiling.active is None
    total = sum(p.totals.values())
    assert abs(total - wall) <= 0.1 * wall
    measured = sum(p.totals[k] for k in ("dispatch", "trace", "compile", "cache_load",
                                         "execute"))
    assert measured >= 0.9 * wall          # the loop's own Python is the small rest
    assert p.counts["dispatch"] == 50 and p.counts["execute"] == 50
    assert p.counts["trace"] == 1
    assert p.counts["compile"] + p.counts["cache_load"] >= 1
    # the table lists every kind that occurred with its total
    table = p.summary()
    for kind in ("dispatch", "execute", "trace"):
        assert f"{p.totals[kind]:.5f}" in table


@pytest.mark.slow
def test_trainer_profiler_steps_and_chrome_trace(tmp_path):
    x, y = data()
    params = {"w": jnp.zeros((4, 3)), "b": jnp.zeros(3)}
    p = profiler.Profiler()
    t = time.perf_counter()
    with p:
        tr = train.Trainer(max_epochs=2, optimizer=optim.sgd(0.1), batch_size=64, verbose=0,
                           profiler=p)
        tr.fit(loss_fn, params, (x, y), val_data=(x, y))
    wall = time.perf_counter() - t
    assert abs(sum(p.totals.values()) - wall) <= 0.1 * wall
    assert len(p.steps) == 10              # 2 epochs of 5 batches
    first, rest = p.steps[0], p.steps[1:]
    assert first["trace"] > 0 and first["compile"] + first["cache_load"] > 0
    assert all(r["trace"] == 0 and r["compile"] == 0 and r["cache_load"] == 0 for r in rest)
    for r in p.steps:   # each step's wall time is split exactly into its columns
        parts = sum(r[k] for k in profiler.STEP_COLUMNS)
        assert r["wall"] == pytest.approx(parts, rel=1e-6, abs=1e-7)
        assert r["execute"] > 0
    assert p.steps[0]["loop_before"] is None and all(r["loop_before"] > 0 for r in rest)
    path = p.export_chrome_trace(tmp_path / "trace.json")
    with open(path) as f:
        ev = [e for e in json.load(f)["traceEvents"] if e["ph"] == "X"]
    assert {e["cat"] for e in ev} >= {"dispatch", "execute", "trace", "step", "loop"}
    steps = [e for e in ev if e["cat"] == "step"]
    execs = [e for e in ev if e["cat"] == "execute"]
    assert len(steps) == 10 and len(execs) >= 10
    # every training step's execution lies inside its step's interval
    for s in steps:
        assert any(s["ts"] <= e["ts"] and e["ts"] + e["dur"] <= s["ts"] + s["dur"] + 1e-3
                   for e in execs)


def test_profiler_callback_owns_recording_and_errors(capsys):
    x, y = data()
    cb = profiler.ProfilerCallback()
    train.Trainer(max_epochs=1, optimizer=optim.sgd(0.1), batch_size=64, verbose=0,
                  callbacks=[cb]).fit(loss_fn, {"w": jnp.zeros((4, 3)), "b": jnp.zeros(3)},
                                      (x, y))
    assert profiling.active is None and len(cb.profiler.steps) == 5
    assert cb.profiler.wall > 0
    with pytest.raises(TypeError, match="Profiler"):
        profiler.ProfilerCallback(object())
    train.Trainer(max_epochs=1, optimizer=optim.sgd(0.1), batch_size=64, verbose=0,
                  profiler="simple").fit(loss_fn, {"w": jnp.zeros((4, 3)), "b": jnp.zeros(3)},
                                         (x, y))
    out = capsys.readouterr().out
    assert "jitnet profiler report" in out and "execute" in out
    with profiler.Profiler():
        with pytest.raises(RuntimeError, match="already recording"):
            profiler.Profiler().start()
    assert profiling.active is None


def test_profiler_stops_after_an_exception():
    @jax.jit
    def bad(x):
        return x + 1
    p = profiler.Profiler()
    with pytest.raises(TypeError):
        with p:
            bad(np.ones(2, np.float32), np.ones(2))
    assert profiling.active is None and p._stack == []


def test_kernel_times_single_function():
    @jax.jit
    def f(x):
        return jnp.exp(x).sum() + jnp.sin(x)
    kt = profiler.kernel_times(f, np.ones((4, 5), np.float32), number=3)
    assert len(kt.rows) == 1 and kt.rows[0].function == "entry"
    assert any(k.startswith("loop[4, 5]") for k in kt.rows[0].kernels)
    assert kt.total > 0 and "entry" in str(kt)
    with pytest.raises(ValueError, match="number"):
        profiler.kernel_times(f, np.ones((4, 5), np.float32), number=0)


def test_kernel_times_of_a_program_split_in_functions():
    # the generated callees are compiled to IR only (runtime/numba_callee.py): calling one
    # from Python used to crash the process; the profiler times compiled copies
    def f(x, w):
        h = jnp.tanh(x @ w)
        return jnp.sum(h * h), (h @ w.T).max()
    x = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)
    kt = profiler.kernel_times(f, x, x, number=2)
    assert len(kt.rows) > 1 and all(r.seconds > 0 for r in kt.rows)
    kernels = [k for r in kt.rows for k in r.kernels]
    assert kernels.count("dot_general") == 2 and any("tanh" in k for k in kernels)


def test_timed_entry_times_each_generated_function():
    # a generated module of two functions called by the entry, as the code generator writes
    source = ("@dec\ndef f0(v0):\n    return (v0 + 1,)\n\n\n"
              "@dec\ndef f1(v1):\n    return (v1 * 2,)\n\n\n"
              "@dec\ndef entry(v0):\n    v1, = f0(v0)\n    v2, = f1(v1)\n    return (v2,)\n")

    def slow(k):
        def fn(v):
            time.sleep(0.01 * k)
            return (v + 1,) if k == 1 else (v * 2,)
        return fn
    module = types.SimpleNamespace(f0=slow(1), f1=slow(20))
    stats = {}
    timed = pk._timed_entry(source, "entry", module, stats)
    assert timed(5) == (12,)
    # a sleep lasts at least its time (longer on a busy machine): lower bounds, and f0 well
    # under f1's 0.2 s, which a swapped attribution would give it
    assert 0.0095 <= stats["f0"] < 0.15
    assert stats["f1"] >= 0.1995
    funcs = pk._functions(source, {3: ("loop[2](add)", None), 8: ("loop[2](mul)", None)})
    assert funcs == {"f0": ["loop[2](add)"], "f1": ["loop[2](mul)"], "entry": []}

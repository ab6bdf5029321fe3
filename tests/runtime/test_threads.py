"""The thread budget (``config num_threads``): Numba's pool follows it, the BLAS that jitted
code calls stays on one thread, and results do not depend on the thread count."""
import os
import re

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import jitnet
import jitnet.numpy as jnp
from jitnet.runtime import threads as threads_mod
from jitnet.runtime.threads import thread_counts

CORES = numba.config.NUMBA_NUM_THREADS


@pytest.fixture
def budget():
    """Set ``num_threads`` for one test and restore the defaults afterwards; the load does not
    lower the count meanwhile (``adaptive_threads`` off: these tests read it back)."""
    adaptive = jitnet.config.read("adaptive_threads")
    jitnet.config.update("adaptive_threads", False)
    yield lambda n: jitnet.config.update("num_threads", n)
    jitnet.config.update("num_threads", 0)
    jitnet.config.update("adaptive_threads", adaptive)


def _jitted_blas_threads():
    """threadpoolctl's own count for the OpenBLAS jitnet's gemms call (config blas_library:
    NumPy's bundled one, or the one scipy's cython BLAS uses)."""
    from jitnet.runtime.blas import provider
    numpy_lib = provider() == "numpy"
    libs = [i for i in threadpool_info() if i["user_api"] == "blas"
            and ("numpy.libs" in i["filepath"]) == numpy_lib]
    assert libs, threadpool_info()
    return {i["num_threads"] for i in libs}


@pytest.mark.parametrize("n", [1, 2])
def test_budget_sets_numba_threads_and_keeps_blas_single_threaded(budget, n):
    budget(n)
    assert numba.get_num_threads() == min(n, CORES)
    assert _jitted_blas_threads() == {1}
    assert thread_counts() == {"numba": min(n, CORES), "blas": 1}
    f = jitnet.jit(lambda a, b: jnp.tanh(a @ b).sum())   # a parallel, blocked product
    a = np.ones((256, 256), np.float32)
    float(f(a, a))
    assert numba.get_num_threads() == min(n, CORES) and _jitted_blas_threads() == {1}


def test_zero_means_all_of_numbas_threads(budget):
    budget(np.int64(1))   # any integer type
    assert numba.get_num_threads() == 1
    budget(0)
    assert numba.get_num_threads() == CORES


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_budget_is_rejected_and_not_stored(budget, bad):
    with pytest.raises(ValueError, match="num_threads"):
        jitnet.config.update("num_threads", bad)
    assert jitnet.config.read("num_threads") == 0


def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.mean((h @ w2 + b2 - y) ** 2)


def _mlp_grads_numpy(params, x, y):
    """Float64 forward and backward pass of ``_mlp_loss``, written out."""
    (w1, b1), (w2, b2) = [(np.float64(w), np.float64(b)) for w, b in params]
    x, y = np.float64(x), np.float64(y)
    h = np.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    d_out = 2 * (out - y) / out.size
    dh = (d_out @ w2.T) * (1 - h ** 2)
    return [(x.T @ dh, dh.sum(0)), (h.T @ d_out, d_out.sum(0))]


def _run_at(budget, n, f, *args):
    budget(n)
    return jitnet.tree_util.tree_map(np.asarray, f(*args))


@pytest.mark.slow
def test_gemm_heavy_program_is_identical_across_thread_counts(budget):
    rng = np.random.default_rng(0)
    # products of 128x256x256 and larger: split in row blocks on Numba's pool; the
    # gradient takes x.T @ dh and dh @ w2.T (transposed operands in blocks)
    params = [(rng.standard_normal((256, 256), np.float32) * 0.06,
               rng.standard_normal(256, np.float32) * 0.1),
              (rng.standard_normal((256, 256), np.float32) * 0.06,
               rng.standard_normal(256, np.float32) * 0.1)]
    x = rng.standard_normal((128, 256), np.float32)
    y = rng.standard_normal((128, 256), np.float32)
    f = jitnet.jit(jitnet.grad(_mlp_loss))
    src = f.lower(params, x, y).source()
    # five products run in row blocks on the pool; identical ones are one generated function
    # called twice (codegen/cpu/program.py shares callees by their text), so count the calls
    # of the functions that hold a prange
    functions = {d.split("(", 1)[0]: d for d in src.split("\ndef ")[1:]}
    parallel = [name for name, body in functions.items() if "prange(" in body]
    entry = functions["entry"]
    assert sum(len(re.findall(rf"\b{name}\(", entry)) for name in parallel) == 5
    assert "np.bool_(True), np.bool_(False)" in src
    g1 = _run_at(budget, 1, f, params, x, y)
    g2 = _run_at(budget, 2, f, params, x, y)
    ref = _mlp_grads_numpy(params, x, y)
    for a, b, r in zip(jitnet.tree_util.tree_leaves(g1), jitnet.tree_util.tree_leaves(g2),
                       jitnet.tree_util.tree_leaves(ref)):
        assert np.array_equal(a, b)
        np.testing.assert_allclose(a, r, rtol=2e-4, atol=2e-6 * np.abs(r).max())


def test_batched_products_are_identical_across_thread_counts(budget):
    # a population of 4 layers: one product per member, the members over Numba's pool
    rng = np.random.default_rng(1)
    ws = rng.standard_normal((4, 256, 256), np.float32) * 0.06
    x = rng.standard_normal((64, 256), np.float32)
    f = jitnet.jit(jitnet.vmap(lambda w, x: jnp.tanh(x @ w), in_axes=(0, None)))
    o1 = _run_at(budget, 1, f, ws, x)
    o2 = _run_at(budget, 2, f, ws, x)
    assert np.array_equal(o1, o2)
    ref = np.tanh(np.einsum("mk,bkn->bmn", np.float64(x), np.float64(ws)))
    np.testing.assert_allclose(o1, ref, rtol=1e-5, atol=1e-5)


def test_parallel_reduction_is_identical_across_thread_counts(budget):
    x = np.random.default_rng(2).standard_normal(3_000_000, np.float32)
    f = jitnet.jit(lambda x: jnp.sum(jnp.exp(-x * x)))
    assert "prange(" in f.lower(x).source()
    s1 = _run_at(budget, 1, f, x)
    s2 = _run_at(budget, 2, f, x)
    assert s1.tobytes() == s2.tobytes()
    ref = np.exp(-np.float64(x) ** 2).sum()
    assert abs(float(s1) - ref) <= 1e-5 * ref


@pytest.mark.parametrize("chunk", [1, 7])
def test_reduction_is_identical_with_numba_chunk_sizes(budget, chunk):
    # numba.set_parallel_chunksize regroups prange steps; the per-step partials keep the sum
    x = np.random.default_rng(3).standard_normal(3_000_000, np.float32)
    f = jitnet.jit(lambda x: jnp.sum(jnp.exp(-x * x)))
    s0 = _run_at(budget, 2, f, x)
    try:
        numba.set_parallel_chunksize(chunk)
        s1 = _run_at(budget, 2, f, x)
    finally:
        numba.set_parallel_chunksize(0)
    assert s0.tobytes() == s1.tobytes()


# -- adaptive_threads: fewer threads while other work keeps cores busy --------------------

@pytest.mark.parametrize("threads, limit, free, expected", [
    (2, 2, 1.0, 1),    # one core of two taken: down to one thread
    (2, 2, 1.6, 2),    # less than DOWN_AT (0.5) of a core taken: stay
    (1, 2, 1.6, 1),    # ... and the way up needs less than UP_AT (0.25) taken: stay
    (1, 2, 1.8, 2),
    (2, 2, 0.7, 1),
    (1, 2, 0.5, 1),    # between SATURATED and STAY_AT: as it is
    (2, 2, 0.5, 2),
    (1, 2, 0.2, 2),    # saturated (no idle core to move to): all threads
    (2, 2, -0.3, 2),
    (2, 1, 2.0, 1),    # never above the limit
    (4, 4, 2.2, 2),    # two of four cores taken
    (2, 4, 3.9, 4),
])
def test_decide_has_a_hysteresis_band(threads, limit, free, expected):
    assert threads_mod.decide(threads, limit, free) == expected


class _FakeLoad:
    """Feeds _LoadWatch samples in which other processes keep ``others`` cores busy."""

    def __init__(self):
        self.t = self.busy = 0.0
        self.others = 0.0
        self.calls = 0

    def __call__(self):
        self.calls += 1
        self.t += 1.0
        self.busy += self.others
        return self.t, self.busy, 0.0, CORES


@pytest.fixture
def fake_load(monkeypatch, budget):
    fake = _FakeLoad()
    for name, value in [("sample", fake), ("last", None), ("due", 0.0), ("fit", CORES)]:
        monkeypatch.setattr(threads_mod._LOAD, name, value)   # restored afterwards
    monkeypatch.setattr(threads_mod, "PERIOD_S", 0.0)     # sample before every call
    budget(0)
    jitnet.config.update("adaptive_threads", True)
    return fake


@pytest.mark.skipif(CORES < 2, reason="needs two of Numba's threads to drop one")
def test_adaptive_threads_follow_the_load_and_the_switch(fake_load):
    f = jitnet.jit(lambda x: jnp.sum(jnp.exp(-x * x)))   # the program compiled above
    x = np.random.default_rng(4).standard_normal(3_000_000, np.float32)
    ref = np.exp(-np.float64(x) ** 2).sum()
    fake_load.others = 1.0                  # one core busy elsewhere
    outs = [float(f(x)) for _ in range(3)]
    assert numba.get_num_threads() == CORES - 1 and thread_counts()["numba"] == CORES - 1
    fake_load.others = 0.0                  # quiet again
    outs += [float(f(x)) for _ in range(3)]
    assert numba.get_num_threads() == CORES
    fake_load.others = 1.0
    outs += [float(f(x)) for _ in range(3)]
    assert numba.get_num_threads() == CORES - 1
    jitnet.config.update("adaptive_threads", False)   # off: the whole budget, no sampling
    assert numba.get_num_threads() == CORES
    calls = fake_load.calls
    outs += [float(f(x)) for _ in range(3)]
    assert fake_load.calls == calls and numba.get_num_threads() == CORES
    assert len(set(outs)) == 1 and abs(outs[0] - ref) <= 1e-5 * ref


@pytest.mark.skipif(CORES < 2, reason="needs a budget below Numba's thread count")
def test_budget_applies_in_every_calling_thread(fake_load, budget):
    import threading
    f = jitnet.jit(lambda x: jnp.sum(jnp.exp(-x * x)))   # the program compiled above
    x = np.random.default_rng(4).standard_normal(3_000_000, np.float32)
    budget(1)
    seen = {}

    def work():   # a new thread starts with all of Numba's threads
        seen["before"] = numba.get_num_threads()
        f(x)
        seen["after"] = numba.get_num_threads()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == {"before": CORES, "after": 1}


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_bad_adaptive_switch_is_rejected_and_not_stored(bad):
    before = jitnet.config.read("adaptive_threads")
    with pytest.raises(ValueError, match="adaptive_threads"):
        jitnet.config.update("adaptive_threads", bad)
    assert jitnet.config.read("adaptive_threads") is before


def test_load_sample_counts_other_python_threads_as_load():
    """Another Python thread's CPU time, read from /proc, against that thread's own clock."""
    if threads_mod._LOAD.sample() is None:
        pytest.skip("no /proc/stat on this system")
    import threading
    import time
    spun, release, spent = threading.Event(), threading.Event(), {}

    def spin():   # busy for 0.15 s of its own CPU time, then idle until released
        end = time.thread_time() + 0.15
        while time.thread_time() < end:
            pass
        spent["cpu"] = time.thread_time()
        spun.set()
        release.wait()

    t = threading.Thread(target=spin)
    t.start()
    spun.wait()
    # only the spinning thread is read: others (xdist's execnet, background compiles) spend
    # CPU of their own, more of it on a loaded machine
    read = threads_mod._python_threads_cpu(set(threading.enumerate()) - {t})
    release.set()
    t.join()
    tick = 1 / threads_mod._TICK   # /proc counts in clock ticks
    assert spent["cpu"] - 2 * tick <= read <= spent["cpu"] + 2 * tick
    wall, busy, own, cpus = threads_mod._LOAD.sample()
    assert busy > 0 and 0 <= own <= time.process_time()
    assert cpus == len(os.sched_getaffinity(0))

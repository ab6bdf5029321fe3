"""Shape-generic programs (``codegen/dims.py``): a new batch size re-traces but reuses the
compiled program, with results equal to NumPy references; and the compile log."""
import logging
import random

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.codegen.dims import LARGEST, Dim, choose, decide
from jitnet.core.aval import ShapedArray
from jitnet.core.ir import Var
from jitnet.runtime import compile_log


def _compiles():
    """Compilations and disk-cache loads so far (either means the program was not reused)."""
    return compile_log.counts["compile"] + compile_log.counts["cache_load"]


# -- Dim: the value decides, the text evaluates to the same value -------------------------

def test_dim_text_evaluates_to_its_value():
    r = random.Random(0)
    for _ in range(300):
        env = {"S0": r.randint(2, 50), "S1": r.randint(2, 50)}
        d = Dim(env["S0"], "S0")
        e = Dim(env["S1"], "S1")
        for _ in range(r.randint(1, 6)):
            k = r.choice([0, 1, 3, 16, d, e])
            op = r.choice(["+", "-", "*", "//", "%", "r-", "r*", "r//", "neg"])
            if op in ("//", "%") and k == 0 or op == "r//" and d == 0:
                continue
            d = {"+": lambda: d + k, "-": lambda: d - k, "*": lambda: d * k,
                 "//": lambda: d // k, "%": lambda: d % k, "r-": lambda: k - d,
                 "r*": lambda: k * d, "r//": lambda: 17 // d if d else d,
                 "neg": lambda: -d}[op]()
        assert eval(str(d), {}, dict(env)) == int(d)  # noqa: S307 - our own arithmetic text


def test_dim_behaves_as_its_value_and_prints_as_text():
    d = Dim(16, "S0")
    assert d == 16 and hash(d) == hash(16) and {16: "a"}[d] == "a"
    assert f"{d}" == "S0" and repr((d, 32)) == "(S0, 32)" and f"{d:d}" == "16"
    assert d * 1 is d and d + 0 is d and 1 * d is d and d * 0 == 0
    assert str(d * 32) == "(S0 * 32)" and d * 32 == 512
    # a comparison's value in arithmetic (ceil division as n // b + (n % b > 0)) stays text
    assert str(d // 3 + (d % 3 > 0)) == "((S0 // 3) + 1)" and d // 3 + (d % 3 > 0) == 6


def test_choose_keeps_sizes_on_other_axes_literal():
    def v(*shape):
        return Var(ShapedArray(shape, np.float32))
    # batch 16 varies; 8, 32, 4 are feature sizes; 1 decides broadcasting
    chosen = choose([v(16, 8), v(8, 32), v(32,), v(16, 4), v(1, 4)])
    assert chosen == {16: ("S0", 0, 0)}
    # a batch equal to a feature size stays literal (one compilation more, never ambiguous)
    assert choose([v(32, 8), v(8, 32)]) == {}
    # tokens (batch, time), time-major targets: the batch is named, time is a feature size;
    # a small window size (HWIO kernel) stays literal
    assert choose([v(32, 50), v(50, 32, 64), v(64, 16)]) == {32: ("S0", 0, 0)}
    assert choose([v(4, 9, 9, 2), v(3, 3, 2, 5)]) == {4: ("S0", 0, 0)}


def test_choose_keys_varying_axes_apart_from_equal_fixed_sizes():
    def v(*shape):
        return Var(ShapedArray(shape, np.float32))
    # W6 at batch 32: the embedding (64, 32) has the batch's size on its last axis
    ins = [v(64, 32), v(32, 128), v(32, 50), v(50, 32, 64)]
    assert choose(ins) == {}
    assert choose(ins, {(2, 0), (3, 1)}) == {("varying", 32): ("S0", 2, 0)}
    # W4 at batch 16: 16 channels stay a name of their own, the batch gets another
    ins = [v(16, 1, 3, 3), v(32, 16, 3, 3), v(16, 1, 28, 28), v(16, 10)]
    assert choose(ins, {(2, 0), (3, 0)}) == {16: ("S0", 0, 0), 32: ("S1", 1, 0),
                                             ("varying", 16): ("S2", 2, 0)}


def test_decide_answers_only_what_every_batch_size_answers():
    s = Dim(40, "S0")
    assert decide(40 * 100, 1000) is True and decide(40, 1000) is False  # plain ints
    assert decide(s * 1000, 1000) is True          # from batch 2 on
    assert decide(s * 100, 1000) is None           # 200 at batch 2, 40 * 100 at 40
    assert decide(s, LARGEST + 1) is False         # no batch up to LARGEST reaches it
    assert decide(s * s, 5) is None and decide(s * s, 4) is True


# -- a new batch size reuses the compiled program -------------------------------------------

def _mlp_reference(p, x, y):
    """Loss and gradients of the MLP below, by hand in float64."""
    h = np.tanh(x @ p["w1"] + p["b1"])
    o = h @ p["w2"] + p["b2"]
    d = o - y
    loss = np.mean(d ** 2)
    do = 2 * d / d.size
    dh = do @ p["w2"].T * (1 - h ** 2)
    g = {"w1": x.T @ dh, "b1": dh.sum(0), "w2": h.T @ do, "b2": do.sum(0)}
    return loss, g


def _mlp_loss(p, x, y):
    h = jnp.tanh(x @ p["w1"] + p["b1"])
    o = h @ p["w2"] + p["b2"]
    return jnp.mean((o - y) ** 2)


def test_new_batch_size_does_not_compile_and_matches_reference():
    r = np.random.RandomState(1)
    p = {"w1": r.normal(size=(5, 7)), "b1": r.normal(size=7),
         "w2": r.normal(size=(7, 3)), "b2": r.normal(size=3)}
    p = {k: v.astype(np.float32) for k, v in p.items()}
    step = jax.jit(jax.value_and_grad(_mlp_loss))
    first = True
    for b in (16, 40, 77, 2, 33):
        x = r.normal(size=(b, 5)).astype(np.float32)
        y = r.normal(size=(b, 3)).astype(np.float32)
        before = _compiles()
        loss, g = step(p, x, y)
        if not first:
            assert _compiles() == before, f"batch {b} compiled again"
        first = False
        want_loss, want_g = _mlp_reference({k: v.astype(np.float64) for k, v in p.items()},
                                           x.astype(np.float64), y.astype(np.float64))
        np.testing.assert_allclose(float(loss), want_loss, rtol=1e-5)
        for k in p:
            np.testing.assert_allclose(np.asarray(g[k]), want_g[k], rtol=1e-4, atol=1e-5)
    assert step.trace_count() == 5  # each batch size traced (cheap), one program compiled


@pytest.mark.parametrize("axis", [0, 1, None])
def test_size_dependent_code_is_right_at_every_size(axis):
    # reductions emit lanes, chunks and tail loops depending on the size: text generated for
    # one size is only reused where it is the text for the other size too
    f = jax.jit(lambda x: jnp.sum(jnp.exp(x) * 0.3, axis=axis))
    r = np.random.RandomState(2)
    for b in (3, 31, 32, 33, 40, 100, 5000):
        x = r.normal(size=(b, 6)).astype(np.float32)
        want = np.sum(np.exp(x.astype(np.float64)) * 0.3, axis=axis)
        np.testing.assert_allclose(np.asarray(f(x)), want, rtol=2e-5)


def test_programs_differing_only_in_a_float_constant_share_code():
    x = np.linspace(-1, 1, 9, dtype=np.float32)
    f = jax.jit(lambda v: jnp.tanh(v) * 0.3 + 0.125)
    g = jax.jit(lambda v: jnp.tanh(v) * 0.7 + 0.375)
    np.testing.assert_allclose(np.asarray(f(x)), np.tanh(x) * np.float32(0.3) + 0.125, rtol=1e-6)
    before = _compiles()
    np.testing.assert_allclose(np.asarray(g(x)), np.tanh(x) * np.float32(0.7) + 0.375, rtol=1e-6)
    assert _compiles() == before


def test_new_rank_or_dtype_compiles():
    f = jax.jit(lambda v: v * 2.5)
    f(np.ones((4, 3), np.float32))
    before = _compiles()
    np.testing.assert_array_equal(np.asarray(f(np.ones((4, 3, 2), np.float32))),
                                  np.full((4, 3, 2), 2.5, np.float32))
    np.testing.assert_array_equal(np.asarray(f(np.ones((4, 3), np.int32))),
                                  np.full((4, 3), 2.5, np.float32))
    assert _compiles() == before + 2


# -- log_compiles ---------------------------------------------------------------------------

def test_log_compiles_says_what_why_and_how_long(caplog):
    def scale(x, k):
        return x * k + 0.0625

    f = jax.jit(scale, static_argnums=1)
    jax.config.update("log_compiles", True)
    try:
        with caplog.at_level(logging.WARNING, logger="jitnet"):
            f(np.ones((6, 2), np.float32), 3)
            f(np.ones((9, 2), np.float32), 3)
            f(np.ones((9, 2), np.float32), 4)
            f(np.ones((9, 2, 1), np.float32), 4)
            f(np.ones((9, 2, 1), np.int32), 4)
    finally:
        jax.config.update("log_compiles", False)
    text = "\n".join(r.getMessage() for r in caplog.records)
    traces = [r.getMessage() for r in caplog.records if r.getMessage().startswith("jitnet trace")]
    assert len(traces) == 5
    assert "scale in" in traces[0] and traces[0].endswith("first call")
    assert "new shape for x: (6, 2) -> (9, 2)" in traces[1]
    assert "new static value (1=4)" in traces[2]
    assert "new rank for x: 2 -> 3" in traces[3]
    assert "new dtype for x: float32 -> int32" in traces[4]
    assert "jitnet reuse:" in text  # the new batch size
    assert any(m.startswith(("jitnet compile: m_", "jitnet cache_load: m_")) and " s (" in m
               for m in text.splitlines())


def test_log_compiles_off_logs_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger="jitnet"):
        jax.jit(lambda v: v - 1.5)(np.ones(3, np.float32))
    assert not [r for r in caplog.records if r.name == "jitnet"]


def test_reduction_over_the_batch_is_one_program_for_all_sizes():
    # a mean over the batch of per-example values: the batch is the reduced (innermost)
    # axis, emitted with lanes and a tail loop whatever its size
    f = jax.jit(lambda x: jnp.mean(jnp.sum(x * x, axis=1)))
    r = np.random.RandomState(3)
    x = r.normal(size=(32, 10)).astype(np.float32)
    np.testing.assert_allclose(float(f(x)), np.mean(np.sum(x.astype(np.float64) ** 2, 1)),
                               rtol=1e-5)
    before = _compiles()
    for b in (16, 40, 77, 128, 2):
        x = r.normal(size=(b, 10)).astype(np.float32)
        np.testing.assert_allclose(float(f(x)), np.mean(np.sum(x.astype(np.float64) ** 2, 1)),
                                   rtol=1e-5)
    assert _compiles() == before


def test_scan_body_over_a_new_batch_size_reuses_the_program():
    # the loop body is a sub-program inlined at generation: it carries the batch's name too
    def rnn(wh, xs):  # xs (batch, time, features), scanned over time
        h, _ = jax.lax.scan(lambda h, x: (jnp.tanh(h @ wh + x), None),
                            jnp.zeros((xs.shape[0], 6)), jnp.swapaxes(xs, 0, 1))
        return jnp.sum(h, axis=1)

    def reference(wh, xs):
        h = np.zeros((xs.shape[0], 6))
        for t in range(xs.shape[1]):
            h = np.tanh(h @ wh + xs[:, t])
        return h.sum(1)

    f = jax.jit(rnn)
    r = np.random.RandomState(4)
    wh = (0.3 * r.normal(size=(6, 6))).astype(np.float32)
    first = True
    for b in (8, 3, 21):
        xs = r.normal(size=(b, 5, 6)).astype(np.float32)
        before = _compiles()
        np.testing.assert_allclose(np.asarray(f(wh, xs)), reference(wh, xs), rtol=1e-5,
                                   atol=1e-6)
        assert first or _compiles() == before, f"batch {b} compiled again"
        first = False


def test_long_row_reductions_are_written_once():
    """A kernel reducing rows of CHUNK or more is not written twice (serial and prange, for
    batches up to LARGEST): Numba's parallel lowering of its chunked reductions made five
    row reductions of (7, 4097) compile in 26 s instead of 4.6 s. Shorter rows still are."""
    rng = np.random.default_rng(3)

    def rows(a, b):
        return jnp.sum(a * b, axis=-1), jnp.max(a * b, axis=-1), jnp.min(a - b, axis=-1)

    def source(m):
        a, b = (rng.standard_normal((7, m)).astype(np.float32) for _ in range(2))
        got = jax.jit(rows)(a, b)
        p = a.astype(np.float64) * b
        np.testing.assert_allclose(np.asarray(got[0]), p.sum(-1), rtol=1e-5, atol=1e-3)
        np.testing.assert_array_equal(np.asarray(got[1]), p.max(-1).astype(np.float32))
        return jax.jit(rows).lower(a, b).compile().source()
    assert "prange(" not in source(4097)
    assert "prange(" in source(2000)   # 7 * 2000 elements: parallel from some batch on

"""compiler/scan_hoist.py and summed_batch.py: products move out of scan bodies (before the
loop: those of consts and scanned inputs; after it: those the next carry does not need,
sums into a carry becoming one product), and the program computes what it did.

Programs are run by the primitives' NumPy implementations (``run_ir``: no compile), the
prepared one against the unprepared one and against NumPy loops written here; one test runs
the compiled program. ``verify_ir`` (tests/conftest.py) checks the IR after every pass."""

import numpy as np
import pytest

import jitnet
import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.compiler import prepare
from jitnet.compiler.scan_hoist import hoist_scan_accumulators, hoist_scan_invariants
from jitnet.compiler.summed_batch import contract_summed_batch
from jitnet.hop.control_flow import run_ir

B, T, E, H = 3, 5, 4, 6


x64 = jitnet.enable_x64


def _ir(f, *args):
    return jax.make_jaxpr(f)(*args).ir


def _scans(ir):
    """(reverse, dot_generals in the body) of each top-level scan, in order."""
    return [(e.params["reverse"], sum(b.prim.name == "dot_general" for b in e.params["body"].eqns))
            for e in ir.eqns if e.prim.name == "scan"]


def _outer_dots(ir):
    return sum(e.prim.name == "dot_general" for e in ir.eqns)


def _same(f, *args, rtol=1e-5, atol=1e-6):
    """The prepared program's values equal the unprepared program's; the prepared IR."""
    ir = _ir(f, *args)
    prepared = prepare(ir)
    flat = jax.tree_util.tree_leaves(args)
    for a, b in zip(run_ir(prepared, flat), run_ir(ir, flat)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    return prepared


def _params(rng, dtype=np.float32):
    return [(rng.standard_normal(s) / np.sqrt(s[0])).astype(dtype)
            for s in [(E, H), (H, H), (H,), (H, 2)]]


def _rnn(params, xs, reverse=False):
    wx, wh, b, wo = params

    def cell(h, x):
        h = jnp.tanh(x @ wx + h @ wh + b)
        return h, h
    _, hs = lax.scan(cell, jnp.zeros((xs.shape[1], H), xs.dtype), xs, reverse=reverse)
    return jnp.sum(jnp.sin(hs @ wo))


def _rnn_numpy(params, xs, reverse=False):
    wx, wh, b, wo = params
    h, total = np.zeros((xs.shape[1], H), xs.dtype), 0.0
    for t in (range(len(xs))[::-1] if reverse else range(len(xs))):
        h = np.tanh(xs[t] @ wx + h @ wh + b)
        total = total + np.sum(np.sin(h @ wo))
    return total


@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_forward_projection_hoisted(reverse):
    rng = np.random.default_rng(0)
    params, xs = _params(rng), rng.standard_normal((T, B, E)).astype(np.float32)
    f = lambda p, xs: _rnn(p, xs, reverse)  # noqa: E731
    assert _scans(_ir(f, params, xs)) == [(reverse, 2)]
    prepared = _same(f, params, xs)
    assert _scans(prepared) == [(reverse, 1)]          # h @ wh only
    assert _outer_dots(prepared) == 2                  # xs @ wx, hs @ wo
    got = run_ir(prepared, params + [xs])[0]
    np.testing.assert_allclose(got, _rnn_numpy(params, xs, reverse), rtol=1e-5)


@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_gradient_one_product_per_step(reverse):
    """The backward scan keeps only d_t @ wh^T; dWx, dWh and dx are products after it."""
    rng = np.random.default_rng(1)
    params, xs = _params(rng), rng.standard_normal((T, B, E)).astype(np.float32)
    g = jax.grad(lambda p, xs: _rnn(p, xs, reverse), argnums=(0, 1))
    before = _scans(_ir(g, params, xs))
    assert [n for _, n in before] == [2, 4]
    prepared = _same(g, params, xs, rtol=2e-5)
    assert _scans(prepared) == [(reverse, 1), (not reverse, 1)]
    # float64 finite differences of the NumPy loop
    with x64():
        p64, x64_ = [p.astype(np.float64) for p in params], xs.astype(np.float64)
        got = run_ir(prepare(_ir(g, p64, x64_)), p64 + [x64_])
    args, eps = p64 + [x64_], 1e-6
    for k, a in enumerate(args):
        fd = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            hi, lo = [x.copy() for x in args], [x.copy() for x in args]
            hi[k][i] += eps
            lo[k][i] -= eps
            fd[i] = (_rnn_numpy(hi[:4], hi[4], reverse)
                     - _rnn_numpy(lo[:4], lo[4], reverse)) / (2 * eps)
        np.testing.assert_allclose(got[k], fd, rtol=1e-6, atol=1e-8)


def test_stacked_value_that_is_already_a_ys_is_not_stacked_twice():
    """With the input projection outside the scan (as the recurrent layers do), d z_t is the
    projection's cotangent, a ys of the backward scan, and what dWh's product reads."""
    rng = np.random.default_rng(8)
    wh = (rng.standard_normal((H, H)) / 3).astype(np.float32)
    proj = rng.standard_normal((T, B, H)).astype(np.float32)

    def loss(wh, proj):
        def cell(h, p):
            h = jnp.tanh(p + h @ wh)
            return h, h
        return jnp.sum(jnp.sin(lax.scan(cell, jnp.zeros((B, H), jnp.float32), proj)[1]))
    prepared = _same(jax.grad(loss, argnums=(0, 1)), wh, proj)
    back = [e for e in prepared.eqns if e.prim.name == "scan"][1]
    stacks = back.outputs[back.params["num_carry"]:]
    assert back.params["num_carry"] == 1 and len(stacks) == 1, back.outputs
    assert _scans(prepared) == [(False, 1), (True, 1)]


def test_product_near_peak_per_step_stays_in_the_loop():
    """A weight gradient of more than MAX_STEP_FLOPS per step keeps its accumulating carry."""
    from jitnet.compiler.scan_hoist import MAX_STEP_FLOPS
    b, n, m = 16, 64, 2100
    assert 2 * n * b * m > MAX_STEP_FLOPS >= 2 * n * b * (m // 2)
    rng = np.random.default_rng(9)
    w, init = (rng.standard_normal((n, n)) / 9).astype(np.float32), np.zeros((n, m), np.float32)

    def f(w, init, xs, zs):
        def cell(carry, xz):
            h, acc = carry
            h = jnp.tanh(h @ w + xz[0])
            return (h, acc + h.T @ xz[1]), None
        return lax.scan(cell, (jnp.ones((b, n), jnp.float32), init), (xs, zs))[0]
    for width, summed in [(m, False), (m // 2, True)]:
        xs = rng.standard_normal((2, b, n)).astype(np.float32)
        zs = rng.standard_normal((2, b, width)).astype(np.float32)
        # the hoisted sum adds the 2*b products in another order: float32 rounding of a
        # sum of 32 terms of size ~1 is up to ~32 * 6e-8, whatever the (cancelled) result
        prepared = _same(f, w, init[:, :width], xs, zs, atol=32 * 2 ** -24 * 4)
        scan = next(e for e in prepared.eqns if e.prim.name == "scan")
        assert scan.params["num_carry"] == (1 if summed else 2)


def test_compiled_rnn_step_matches_unhoisted():
    """The compiled program (code generation of the hoisted loops) against the NumPy run
    of the unprepared program."""
    rng = np.random.default_rng(2)
    params, xs = _params(rng), rng.standard_normal((T, B, E)).astype(np.float32)
    vg = jax.value_and_grad(_rnn)
    got = jax.tree_util.tree_leaves(jax.jit(vg)(params, xs))
    want = run_ir(_ir(vg, params, xs), params + [xs])
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=2e-5, atol=1e-6)


def test_ys_product_after_the_loop():
    """y_t = h_t @ v reads the carry but the next carry does not need it."""
    rng = np.random.default_rng(3)
    w, v = rng.standard_normal((H, H)).astype(np.float32) / 3, rng.standard_normal((H, 2))
    v, xs = v.astype(np.float32), rng.standard_normal((T, B, H)).astype(np.float32)

    def f(w, v, xs):
        def cell(h, x):
            h = jnp.tanh(h @ w + x)
            return h, h @ v
        return lax.scan(cell, jnp.ones((B, H), jnp.float32), xs)
    prepared = _same(f, w, v, xs)
    assert _scans(prepared) == [(False, 1)] and _outer_dots(prepared) == 1
    h, ys = np.ones((B, H), np.float32), []
    for x in xs:
        h = np.tanh(h @ w + x)
        ys.append(h @ v)
    out = run_ir(prepared, [w, v, xs])
    np.testing.assert_allclose(out[1], np.stack(ys), rtol=1e-5)
    np.testing.assert_allclose(out[0], h, rtol=1e-5)


def _accumulating(read_twice=False, g_reads_carry=False):
    def f(w, init, xs):
        def cell(carry, x):
            h, acc = carry
            h = jnp.tanh(h @ w + x)
            g = (acc @ w) if g_reads_carry else h.T @ h
            return (h, acc + g), (acc * 2.0 if read_twice else h)
        return lax.scan(cell, (jnp.ones((B, H), jnp.float32), init), xs)
    return f


def _accumulating_numpy(w, init, xs, read_twice=False, g_reads_carry=False):
    h, acc, ys = np.ones((B, H), np.float32), init, []
    for x in xs:
        h = np.tanh(h @ w + x)
        ys.append(acc * 2 if read_twice else h)
        acc = acc + ((acc @ w) if g_reads_carry else h.T @ h)
    return h, acc, np.stack(ys)


@pytest.mark.parametrize("case, summed", [({}, True), ({"read_twice": True}, False),
                                          ({"g_reads_carry": True}, False)])
def test_accumulator_summed_after_the_loop_only_when_sound(case, summed):
    rng = np.random.default_rng(4)
    w = (rng.standard_normal((H, H)) / 4).astype(np.float32)
    init, xs = rng.standard_normal((H, H)).astype(np.float32), rng.standard_normal((T, B, H))
    xs = xs.astype(np.float32)
    prepared = _same(_accumulating(**case), w, init, xs)
    scan = next(e for e in prepared.eqns if e.prim.name == "scan")
    assert scan.params["num_carry"] == (1 if summed else 2)
    assert _scans(prepared) == [(False, 1 if summed else 2)]
    for a, b in zip(run_ir(prepared, [w, init, xs]), _accumulating_numpy(w, init, xs, **case)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("length", [0, 1])
def test_short_scans(length):
    rng = np.random.default_rng(5)
    params, xs = _params(rng), rng.standard_normal((length, B, E)).astype(np.float32)
    g = jax.value_and_grad(_rnn, argnums=(0, 1))
    prepared = _same(g, params, xs)
    assert [n for _, n in _scans(prepared)] == ([2, 4] if length == 0 else [1, 1])
    np.testing.assert_allclose(run_ir(prepared, params + [xs])[0], _rnn_numpy(params, xs),
                               rtol=1e-5)


def test_no_product_no_change():
    def f(xs):
        return lax.scan(lambda c, x: (c * 0.5 + jnp.sin(x), c), jnp.zeros(3), xs)
    ir = _ir(f, np.ones((4, 3), np.float32))
    assert hoist_scan_invariants(ir) is ir and hoist_scan_accumulators(ir) is ir


def _all_scans(ir):
    """(depth, dot_generals in the body) of every scan, outer ones first."""
    out = []
    for e in ir.eqns:
        if e.prim.name == "scan":
            body = e.params["body"]
            out.append((0, sum(b.prim.name == "dot_general" for b in body.eqns)))
            out += [(d + 1, n) for d, n in _all_scans(body)]
    return out


def test_nested_scan_reading_the_outer_carry():
    """Each outer step runs an RNN from the outer carry: the outer body's product of a
    const and its scanned input moves before the outer loop, the inner one's inside it."""
    rng = np.random.default_rng(6)
    params, xss = _params(rng), rng.standard_normal((2, T, B, E)).astype(np.float32)
    u = rng.standard_normal((E, E)).astype(np.float32)

    def f(params, u, h0, xss):
        wx, wh, b, _ = params

        def outer(h, xs):
            def cell(h, x):
                h = jnp.tanh(x @ wx + h @ wh + b)
                return h, None
            return lax.scan(cell, h, xs @ u)[0], None
        return lax.scan(outer, h0, xss)[0]
    h0 = rng.standard_normal((B, H)).astype(np.float32)
    assert _all_scans(_ir(f, params, u, h0, xss)) == [(0, 1), (1, 2)]
    prepared = _same(f, params, u, h0, xss)
    assert _all_scans(prepared) == [(0, 1), (1, 1)]
    h = h0
    for xs in xss:
        for x in xs @ u:
            h = np.tanh(x @ params[0] + h @ params[1] + params[2])
    np.testing.assert_allclose(run_ir(prepared, params + [u, h0, xss])[0], h, rtol=1e-5)


def test_nested_scan_independent_of_the_outer_carry():
    """An inner scan that reads only the outer step's input moves out of the outer loop
    whole (vmapped: one batched scan), and its own projection out of it in turn."""
    rng = np.random.default_rng(7)
    params, xss = _params(rng), rng.standard_normal((2, T, B, E)).astype(np.float32)
    u = rng.standard_normal((E, E)).astype(np.float32)

    def f(params, u, xss):
        def outer(total, xs):
            return total + _rnn(params, xs @ u), None
        return lax.scan(outer, jnp.float32(0.0), xss)[0]
    assert _all_scans(_ir(f, params, u, xss)) == [(0, 2), (1, 2)]
    prepared = _same(f, params, u, xss)
    assert sorted(_all_scans(prepared)) == [(0, 0), (0, 1)]
    want = sum(_rnn_numpy(params, xs @ u) for xs in xss)
    np.testing.assert_allclose(run_ir(prepared, params + [u, xss])[0], want, rtol=1e-5)


def test_contract_summed_batch():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 3, 2))
    a, b = a.astype(np.float32), b.astype(np.float32)
    dn = (((1,), (1,)), ((0,), (0,)))

    def summed(a, b):
        return jnp.sum(lax.dot_general(a, b, dn), axis=0)

    def also_read(a, b):
        d = lax.dot_general(a, b, dn)
        return jnp.sum(d, axis=0), d

    def free_dim(a, b):
        return jnp.sum(lax.dot_general(a, b, dn), axis=1)
    ir = contract_summed_batch(_ir(summed, a, b))
    (dot,) = [e for e in ir.eqns if e.prim.name == "dot_general"
              and e.outputs[0] in set(ir.outvars)]
    assert dot.params["dimension_numbers"] == (((0, 1), (0, 1)), ((), ()))
    np.testing.assert_allclose(run_ir(ir, [a, b])[0], np.einsum("bkm,bkn->mn", a, b),
                               rtol=1e-5)
    for f in (also_read, free_dim):
        ir = _ir(f, a, b)
        assert contract_summed_batch(ir) is ir

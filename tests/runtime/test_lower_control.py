"""The Numba lowering of cond / while / scan: jit equals eager, and the generated function
holds real branches and loops (bodies emitted once, never unrolled)."""
import re

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax


def _same(got, want, tol=1e-5):
    got, want = jax.tree_leaves(got), jax.tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def _check(f, *argsets, tol=1e-5):
    """jit(f) equals f on every argument set (one compile); returns the generated source."""
    jf = jax.jit(f)
    for args in argsets:
        _same(jf(*args), f(*args), tol)
    assert jf.trace_count() == 1
    return jf.lower(*argsets[0]).source()


def test_cond_and_switch(rng):
    w = rng.randn(3).astype(np.float32)

    def f(p, i, x):
        a = lax.cond(p, lambda x: (x["a"] * w, x["b"]), lambda x: (x["a"] - 1.0, x["b"] * 2), x)
        b = lax.switch(i, [lambda v: v + 1.0, lambda v: jnp.sin(v), lambda v: v], x["a"])
        return a, b

    x = {"a": rng.randn(3).astype(np.float32), "b": np.float32(3)}
    src = _check(f, (True, np.int32(-1), x), (False, np.int32(1), x), (True, np.int32(9), x))
    assert "if " in src and "elif " in src and "else:" in src


def test_while_loop():
    def collatz_steps(n):
        def body(c):
            n, k = c
            return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
        return lax.while_loop(lambda c: c[0] != 1, body, (n, 0))

    src = _check(collatz_steps, (np.int32(27),), (np.int32(1),))
    assert int(jax.jit(collatz_steps)(np.int32(27))[1]) == 111
    assert "while True:" in src


@pytest.mark.slow
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_with_int_carry_and_rank0_and_rank1_ys(rng, reverse):
    w = rng.randn(2, 2).astype(np.float32)

    def f(h0, xs):
        def step(c, x):
            h, k = c
            h = jnp.tanh(h @ w + x)
            return (h, k + 1), (jnp.sum(h), h * k)
        return lax.scan(step, (h0, 0), xs, reverse=reverse)

    src = _check(f, (rng.randn(2).astype(np.float32), rng.randn(50, 2).astype(np.float32)))
    assert "in range(50):" in src
    assert src.count("jn_gemm_f32(") == 1  # the body is emitted once, not unrolled


def test_scan_permuted_carries_and_scalar_slice_passthrough(rng):
    # carries swap every step, and a 0-d x slice becomes the carry (it lives in a reused
    # buffer: the carry must be a copy)
    def f(a, b, xs):
        return lax.scan(lambda c, x: ((c[1], c[0], x), c[2] + c[0]), (a, b, 0.0), xs)

    _check(f, (np.float32(1), np.float32(2), np.arange(5, dtype=np.float32)))
    (a, b, last), ys = jax.jit(f)(np.float32(1), np.float32(2), np.arange(5, dtype=np.float32))
    assert (float(a), float(b), float(last)) == (2.0, 1.0, 4.0)
    np.testing.assert_array_equal(np.asarray(ys), [1, 2, 2, 4, 4])


def test_fori_loop_traced_bounds_and_empty_scan(rng):
    def f(x, n):
        y = lax.fori_loop(1, n, lambda i, c: c * 0.5 + i, 0.0)  # a literal init carry
        c, ys = lax.scan(lambda c, xi: (c + xi, c), x, jnp.zeros((0, 2)))
        return y, c, ys

    x = rng.randn(2).astype(np.float32)
    _check(f, (x, np.int32(6)), (x, np.int32(0)))


def test_grad_of_rnn_scan(rng):
    def loss(w, h0, xs):
        def step(h, x):
            h = jnp.tanh(h @ w.T + x)
            return h, jnp.sum(h ** 2)
        h, ys = lax.scan(step, h0, xs)
        return jnp.sum(h) + jnp.sum(ys)

    args = (rng.randn(3, 3).astype(np.float32) * 0.5, rng.randn(3).astype(np.float32),
            rng.randn(7, 3).astype(np.float32))
    src = _check(jax.grad(loss, argnums=(0, 1, 2)), args, tol=1e-4)
    assert src.count("# scan") == 2  # the forward scan and the transpose's reverse scan


def test_nested_control_flow_and_vmapped_while(rng):
    def nested(x, xs):
        def outer(c, xi):
            inner = lambda c: lax.scan(lambda a, b: (a * jnp.cos(b) + b, a), c, xs)[0]  # noqa
            c = lax.cond(xi > 0, inner, lambda c: c * xi, c)
            c = lax.while_loop(lambda s: jnp.sum(s ** 2) > 4.0, lambda s: s * 0.5, c)
            return c, jnp.sum(c)
        return lax.scan(outer, x, xs[:, 0])

    xs = rng.randn(4, 2).astype(np.float32)
    xs[:, 0] = [0.5, -0.3, 0.8, -1.0]

    def lanes(x):  # lanes leave the loop at different steps
        return lax.while_loop(lambda c: c[1] < 10.0, lambda c: (c[0] * 2.0, c[1] + c[0], c[2] + 1),
                              (x, 0.0, 0))

    def f(x, xs, lane_x):
        return nested(x, xs), jax.vmap(lanes)(lane_x)

    src = _check(f, (rng.randn(2).astype(np.float32), xs,
                     np.array([1.0, 3.0, 0.5, 20.0], np.float32)))
    assert src.count("while True:") == 2 and src.count("for ") >= 2


def test_jit_and_custom_jvp_inside_a_loop_body_are_inlined(rng):
    @jax.custom_jvp
    def softplus(x):
        return jnp.log1p(jnp.exp(x))

    softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] * jax.nn.sigmoid(p[0])))
    inner = jax.jit(lambda c, x: c * 0.9 + softplus(x))

    def f(xs):
        return lax.scan(lambda c, x: (inner(c, x), c), jnp.zeros(3), xs)

    _check(f, (rng.randn(5, 3).astype(np.float32),))


def test_parallel_kernels_inside_a_loop(rng):
    # a body big enough that its elementwise loop runs with prange, nested in the scan loop
    def f(c0, xs):
        return lax.scan(lambda c, x: (jnp.sin(c) * x + c, None), c0, xs)[0]

    src = _check(f, (rng.randn(700, 700).astype(np.float32), rng.randn(3).astype(np.float32)))
    assert "prange(" in src


def test_kernel_order_follows_dependencies():
    # regression (fusion): `mul d g` joins the kernel of `d` although `g` is computed by a
    # kernel created later; kernels must be emitted in dependency order
    def f(x, t, i):
        return jax.jvp(lambda c: jnp.sin(c) * i, (x,), (t,))

    x = np.linspace(0, 1, 3)
    _check(f, (x.astype(np.float32), np.ones(3, np.float32), 2))


def _np_rnn(w, h0, xs, reverse):
    """float64 NumPy reference of ``_rnn``'s scan."""
    h, hs, zs = h0.astype(np.float64), [], []
    for t in (range(len(xs))[::-1] if reverse else range(len(xs))):
        z = h @ w + xs[t]
        h = np.tanh(z)
        hs.append(h)
        zs.append(z)
    if reverse:
        hs, zs = hs[::-1], zs[::-1]
    return h, np.stack(hs), np.stack(zs)


def _rnn(w, h0, xs, reverse):
    def step(h, x):
        z = h @ w + x
        h = jnp.tanh(z)
        # stacked: the carry (twice), a computed value, the x slice, a 0-d value
        return h, (h, z * 1.0, h, x, jnp.sum(z))
    return lax.scan(step, h0, xs, reverse=reverse)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("b,n,t", [(1, 1, 1), (3, 5, 7), (2, 17, 13)])
def test_scan_rows_stored_in_place_match_numpy(reverse, b, n, t):
    """The body's loop kernels store the stacked outputs straight into their rows (no copy
    loop per output); the carry is one of them, stacked twice, beside a passed-through x
    slice and a 0-d row: all against a float64 NumPy loop."""
    rng = np.random.default_rng(23)
    w = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    h0 = rng.standard_normal((b, n)).astype(np.float32)
    xs = rng.standard_normal((t, b, n)).astype(np.float32)
    f = jax.jit(_rnn, static_argnums=3)
    h, (hs, zs, hs2, xs2, sums) = f(w, h0, xs, reverse)
    h64, hs64, zs64 = _np_rnn(w, h0, xs, reverse)
    np.testing.assert_allclose(np.asarray(h), h64, rtol=1e-5, atol=1e-6)
    for got in (hs, hs2):
        np.testing.assert_allclose(np.asarray(got), hs64, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(zs), zs64, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(xs2), xs)
    np.testing.assert_allclose(np.asarray(sums), zs64.sum(axis=(1, 2)), rtol=1e-5, atol=1e-4)
    src = f.lower(w, h0, xs, reverse).source()
    copies = re.findall(r"v\d+\[t\d+, t\d+, t\d+\] = ", src)  # ys[i, j, k] = y[j, k]
    assert len(copies) == 2  # rows copied: the second hs and the x slice only


def test_grad_through_scan_rows_against_finite_differences():
    """The gradient of a loss of every stacked row (the backward scan stores its rows in
    place too) against central differences of the float64 NumPy loss."""
    rng = np.random.default_rng(24)
    w = (rng.standard_normal((5, 5)) / np.sqrt(5)).astype(np.float32)
    h0 = rng.standard_normal((3, 5)).astype(np.float32)
    xs = rng.standard_normal((7, 3, 5)).astype(np.float32)
    c = rng.standard_normal((7, 3, 5))

    def loss(w, xs):
        _, (hs, zs, _, _, _) = _rnn(w, h0, xs, False)
        return jnp.sum(hs * c.astype(np.float32)) + jnp.sum(zs ** 2) * 0.1

    def loss64(w, xs):
        _, hs, zs = _np_rnn(w, h0, xs, False)
        return (hs * c).sum() + (zs ** 2).sum() * 0.1
    gw, gx = jax.jit(jax.grad(loss, argnums=(0, 1)))(w, xs)
    for got, arg, other in ((gw, w, xs), (gx, xs, w)):
        a = arg.astype(np.float64)
        fd = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i] = 1e-6
            f = (lambda v: loss64(v, other)) if arg is w else (lambda v: loss64(other, v))
            fd[i] = (f(a + e) - f(a - e)) / 2e-6
        np.testing.assert_allclose(np.asarray(got), fd, rtol=1e-3, atol=1e-3)

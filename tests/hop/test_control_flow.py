"""lax.cond / switch / while_loop / fori_loop / scan / map: values against NumPy loops,
derivatives against finite differences, vmap against loops over lanes, nesting, errors.

Everything here runs eagerly (the primitives' NumPy impls); jit is tested in
tests/runtime/test_lower_control.py.
"""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.testing import check_grads, check_vmap


def _eqn_names(ir):
    return [e.prim.name for e in ir.eqns]


def _sub_irs(ir):
    """Every IR nested in ``ir``'s equation params (recursively), ``ir`` included."""
    out = [ir]
    for e in ir.eqns:
        for v in e.params.values():
            for sub in (v if isinstance(v, tuple) else (v,)):
                if hasattr(sub, "eqns"):
                    out += _sub_irs(sub)
    return out


def _close(a, b, tol=1e-6):
    for x, y in zip(jax.tree_leaves(a), jax.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


# -- values against NumPy ------------------------------------------------------------------

def test_cond_picks_branch_with_pytrees_and_closures(rng):
    w = rng.randn(3).astype(np.float32)
    x = {"a": rng.randn(3).astype(np.float32), "b": np.float32(2.0)}

    def f(p, x):
        return lax.cond(p, lambda x: (x["a"] * w, x["b"] + 1), lambda x: (x["a"] - w, x["b"]), x)

    _close(f(True, x), (x["a"] * w, x["b"] + 1))
    _close(f(False, x), (x["a"] - w, x["b"]))


@pytest.mark.parametrize("pred,expect", [(2, 1.0), (0, -1.0), (0.5, 1.0), (np.float32(0), -1.0)])
def test_cond_numeric_predicate_is_nonzero_test(pred, expect):
    assert float(lax.cond(pred, lambda: 1.0, lambda: -1.0)) == expect


def test_switch_clamps_index(rng):
    x = rng.randn(4).astype(np.float32)
    fs = [lambda x: x + 1, lambda x: x * 2, lambda x: jnp.sin(x)]
    refs = [x + 1, x * 2, np.sin(x)]
    for i, want in [(-3, 0), (0, 0), (1, 1), (2, 2), (7, 2)]:
        _close(lax.switch(i, fs, x), refs[want])
    assert float(lax.switch(5, [lambda: 3.0])) == 3.0


def test_while_loop_matches_python_loop():
    def collatz_steps(n):
        def body(c):
            n, k = c
            return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
        return lax.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]

    def ref(n):
        k = 0
        while n != 1:
            n, k = (n // 2 if n % 2 == 0 else 3 * n + 1), k + 1
        return k

    for n in [1, 6, 27]:
        assert int(collatz_steps(np.int32(n))) == ref(n)


def test_fori_loop_static_is_scan_traced_is_while(rng):
    x = rng.randn(3).astype(np.float32)
    body = lambda i, c: c * 0.5 + i  # noqa: E731
    ref = x.copy()
    for i in range(2, 6):
        ref = ref * 0.5 + i
    _close(lax.fori_loop(2, 6, body, x), ref)
    _close(jax.jit(lambda x, n: lax.fori_loop(2, n, body, x), backend="interpreter")(x, 6), ref)
    static = jax.make_jaxpr(lambda x: lax.fori_loop(2, 6, body, x))(x).ir
    traced = jax.make_jaxpr(lambda x, n: lax.fori_loop(2, n, body, x))(x, 6).ir
    assert "scan" in _eqn_names(static) and "while" not in _eqn_names(static)
    assert "while" in _eqn_names(traced) and "scan" not in _eqn_names(traced)
    _close(lax.fori_loop(5, 2, body, x), x)  # empty range: the init comes back


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_numpy_loop(rng, reverse):
    w = rng.randn(2, 2).astype(np.float32)
    xs = rng.randn(5, 2).astype(np.float32)
    h0 = rng.randn(2).astype(np.float32)

    def f(c, x):
        h, k = c
        h = jnp.tanh(h @ w + x)
        return (h, k + 1), (jnp.sum(h), k)

    (h, k), (s, ks) = lax.scan(f, (h0, 0), xs, reverse=reverse)
    hr, s_ref, k_ref = h0, np.zeros(5), np.zeros(5, int)
    for step, i in enumerate(range(4, -1, -1) if reverse else range(5)):
        hr = np.tanh(hr @ w + xs[i])
        s_ref[i], k_ref[i] = hr.sum(), step
    _close(h, hr, 1e-5)
    _close(s, s_ref, 1e-5)
    assert int(k) == 5
    np.testing.assert_array_equal(np.asarray(ks), k_ref)


def test_scan_length_without_xs_and_empty_scan():
    c, ys = lax.scan(lambda c, _: (c * 2, c), 1.0, None, length=4)
    assert float(c) == 16.0
    np.testing.assert_array_equal(np.asarray(ys), [1, 2, 4, 8])
    c, ys = lax.scan(lambda c, x: (c + x, c), jnp.full(2, 3.0), jnp.zeros((0, 2)))
    assert np.asarray(c).tolist() == [3.0, 3.0] and np.asarray(ys).shape == (0, 2)


def test_map_with_and_without_batch_size(rng):
    xs = rng.randn(7, 3).astype(np.float32)
    f = lambda x: (jnp.sum(x ** 2), x[::-1])  # noqa: E731
    want = ((xs ** 2).sum(1), xs[:, ::-1])
    _close(lax.map(f, xs), want, 1e-5)
    _close(lax.map(f, xs, batch_size=3), want, 1e-5)


def test_bodies_are_traced_once_and_closures_become_operands(rng):
    w = rng.randn(3).astype(np.float32)
    calls = []

    def body(c, x):
        calls.append(1)
        return c * w + x, c

    xs = rng.randn(20, 3).astype(np.float32)
    lax.scan(body, np.zeros(3, np.float32), xs)
    assert len(calls) == 1  # traced once, then run per step from the IR
    ir = jax.make_jaxpr(lambda xs: lax.scan(body, np.zeros(3, np.float32), xs))(xs).ir
    (eqn,) = [e for e in ir.eqns if e.prim.name == "scan"]
    assert eqn.params["num_consts"] == 1 and eqn.params["length"] == 20
    assert eqn.params["body"].num_consts == 0  # closure values are explicit leading operands
    assert len(eqn.params["body"].eqns) == 2


def test_weak_typed_init_takes_the_body_type():
    c, _ = lax.scan(lambda c, x: (c + x, None), 0.0, jnp.ones(3, jnp.float32))
    assert c.dtype == np.float32 and not c.weak_type
    out = lax.fori_loop(0, 3, lambda i, c: c + 0.5, 0)
    assert out.dtype == np.float32 and float(out) == 1.5


# -- derivatives ------------------------------------------------------------------------------

def test_cond_grads(x64, rng):
    def f(x, y):
        return lax.cond(jnp.sum(x) > 0, lambda a: jnp.sin(a) * y, lambda a: a ** 2 + y, x)
    for x in [rng.randn(3), -np.abs(rng.randn(3)), np.abs(rng.randn(3))]:
        check_grads(f, (x, 0.7), order=2)


def test_switch_grads_and_closure_over_differentiated_value(x64, rng):
    def f(x, i):
        return lax.switch(i, [lambda: jnp.sum(x ** 3), lambda: jnp.prod(jnp.cos(x)),
                              lambda: x[0] * x[1]])
    for i in range(3):
        check_grads(lambda x: f(x, i), (rng.randn(3),), order=2)


def test_scan_grads_rnn(x64, rng):
    def loss(w, h0, xs):
        def step(h, x):
            h = jnp.tanh(h @ w.T + x)
            return h, jnp.sum(h ** 2)
        h, ys = lax.scan(step, h0, xs)
        return jnp.sum(h) + jnp.sum(ys)
    check_grads(loss, (rng.randn(2, 2) * 0.5, rng.randn(2), rng.randn(4, 2)), order=2)


def test_scan_grads_reverse_pytree_and_integer_carry(x64, rng):
    def f(x, xs):
        def step(c, xi):
            a, (b, k) = c
            return (a * jnp.cos(xi) + b, (b * x + k, k + 1)), a * xi
        (a, (b, k)), ys = lax.scan(step, (x, (x[::-1], 0)), xs, reverse=True)
        return a, b, ys
    check_grads(f, (rng.randn(2), rng.randn(3, 2)), order=2)


def test_scan_carry_tangent_nonzero_only_after_the_body(x64, rng):
    # the init carry is a constant; its tangent becomes nonzero in the body (fixed point)
    def f(x, xs):
        return lax.scan(lambda c, xi: (c * 0.9 + x * xi, c), jnp.zeros(2), xs)
    check_grads(f, (rng.randn(2), rng.randn(4, 2)), order=2)
    g = jax.grad(lambda x: jnp.sum(f(x, np.ones((4, 2)))[0]))(np.ones(2))
    _close(g, np.full(2, sum(0.9 ** k for k in range(4))))


def test_fori_loop_static_grads(x64, rng):
    f = lambda x: lax.fori_loop(0, 4, lambda i, c: jnp.sin(c) * (i + 1.0) + c, x)  # noqa: E731
    check_grads(f, (rng.randn(3),), order=2)


def test_while_loop_forward_mode_only(x64, rng):
    def f(x):
        return lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, jnp.sin(c[1]) * 1.5),
                              (0, x))[1]
    check_grads(f, (rng.randn(3),), order=2, modes=("fwd",))
    y, f_jvp = jax.linearize(f, np.ones(3))
    _close(f_jvp(np.ones(3)), jax.jvp(f, (np.ones(3),), (np.ones(3),))[1])
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for "
                                         "lax.while_loop.*lax.scan.*fori_loop with static"):
        jax.grad(lambda x: jnp.sum(f(x)))(np.ones(3))
    traced_bounds = jax.jit(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * 2.0, x),
                            backend="interpreter")
    with pytest.raises(ValueError, match="fori_loop"):
        jax.grad(traced_bounds)(1.0, jnp.int32(3))


def test_grad_through_loop_that_does_not_depend_on_the_input(x64):
    # a while loop computing a known value is fine under grad (nothing to transpose)
    f = lambda x: x * lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, 1.0)  # noqa: E731
    assert float(jax.grad(f)(3.0)) == 16.0


# -- vmap --------------------------------------------------------------------------------------

def test_vmap_cond_batched_and_unbatched_predicate(rng):
    f = lambda p, x, y: lax.cond(p, lambda a: jnp.sin(a) * y, lambda a: a * 3.0, x)  # noqa
    x = rng.randn(4, 2).astype(np.float32)
    check_vmap(f, (np.array([True, False, True, False]), x, np.float32(2)), in_axes=(0, 0, None))
    check_vmap(f, (True, x, np.float32(2)), in_axes=(None, 0, None))
    check_vmap(f, (False, x[0], rng.randn(4).astype(np.float32)), in_axes=(None, None, 0))
    ir = jax.make_jaxpr(jax.vmap(f, (0, 0, None)))(np.ones(4, bool), x, np.float32(2)).ir
    assert "cond" not in _eqn_names(ir) and "select_n" in _eqn_names(ir)


def test_vmap_switch_batched_index(rng):
    f = lambda i, x: lax.switch(i, [jnp.sin, jnp.cos, lambda a: a * 2.0], x)  # noqa: E731
    check_vmap(f, (np.array([0, 1, 2, 7, -1], np.int32), rng.randn(5, 3).astype(np.float32)))


def test_vmap_while_batched_predicate_lanes_finish_at_different_steps():
    def f(x, limit):
        return lax.while_loop(lambda c: c[1] < limit, lambda c: (c[0] * 2.0, c[1] + c[0], c[2] + 1),
                              (x, 0.0, 0))
    x = np.array([1.0, 3.0, 0.5, 20.0], np.float32)
    out = check_vmap(f, (x, np.float32(10)), in_axes=(0, None))
    assert np.asarray(out[2]).tolist() == [4, 3, 5, 1]  # lanes ran different step counts
    check_vmap(f, (np.float32(1), np.array([0.0, 5.0, 40.0], np.float32)), in_axes=(None, 0))


def test_vmap_while_unbatched_predicate_batched_body(rng):
    f = lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.sin(c[1])),  # noqa
                                 (0, x))
    check_vmap(f, (rng.randn(4, 2).astype(np.float32),))
    ir = jax.make_jaxpr(jax.vmap(f))(np.ones((4, 2), np.float32)).ir
    (e,) = [e for e in ir.eqns if e.prim.name == "while"]
    assert "reduce_or" not in _eqn_names(e.params["cond_ir"])  # no masking needed


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None), (0, 1)])
def test_vmap_scan(rng, in_axes):
    def f(c, xs):
        return lax.scan(lambda c, x: (jnp.sin(c) + x, c * x), c, xs)
    c = rng.randn(*((3, 2) if in_axes[0] == 0 else (2,))).astype(np.float32)
    xs_shape = {0: (3, 5, 2), None: (5, 2), 1: (5, 3, 2)}[in_axes[1]]
    check_vmap(f, (c, rng.randn(*xs_shape).astype(np.float32)), in_axes=in_axes, atol=1e-5)


def test_vmap_scan_batched_const_only(rng):
    def f(w, xs):
        return lax.scan(lambda c, x: (c + w * x, c), jnp.zeros(2), xs)
    check_vmap(f, (rng.randn(3, 2).astype(np.float32), rng.randn(4, 2).astype(np.float32)),
               in_axes=(0, None), atol=1e-5)


def test_vmap_and_grad_compose_through_scan(x64, rng):
    def f(c, xs):
        return jnp.sum(lax.scan(lambda c, x: (jnp.sin(c) * x, c * x), c, xs)[1])
    check_vmap(jax.grad(f), (rng.randn(3, 2), rng.randn(3, 4, 2)))
    check_grads(lambda c, xs: jax.vmap(f)(c, xs), (rng.randn(3, 2), rng.randn(3, 4, 2)),
                order=1)


# -- nesting -----------------------------------------------------------------------------------

def test_scan_in_cond_in_scan_grads(x64, rng):
    def f(x, xs):
        def outer(c, xi):
            inner = lambda c: lax.scan(lambda a, b: (a * jnp.cos(b) + b, a), c, xs)[0]  # noqa
            c = lax.cond(xi > 0, inner, lambda c: c * xi, c)
            return c, jnp.sum(c)
        return lax.scan(outer, x, xs[:, 0])
    xs = rng.randn(4, 2)
    xs[:, 0] = [0.5, -0.3, 0.8, -1.0]  # both branches are taken
    check_grads(f, (rng.randn(2), xs), order=2)


def test_grad_of_scan_of_grad(x64, rng):
    def f(x):
        def body(c, xi):
            g = jax.grad(lambda y: jnp.sum(jnp.sin(y * xi) * c))(c)
            return c + 0.1 * g, jnp.sum(g)
        c, ys = lax.scan(body, x, jnp.arange(3.0))
        return jnp.sum(c) + jnp.sum(ys)
    check_grads(f, (rng.randn(2),), order=2)


def test_while_and_cond_inside_scan_forward_mode_and_vmap(x64, rng):
    def f(x):
        def body(c, xi):
            c = lax.while_loop(lambda s: jnp.sum(s ** 2) < 4.0 + xi, lambda s: s * 1.5, c)
            return lax.cond(xi > 1.0, lambda s: -s, lambda s: s, c), jnp.sum(c)
        return lax.scan(body, x, jnp.arange(3.0))
    check_grads(f, (rng.randn(2) * 0.3,), order=1, modes=("fwd",))
    check_vmap(f, (rng.randn(4, 2) * 0.3,))


# -- errors -----------------------------------------------------------------------------------

def test_cond_errors():
    with pytest.raises(TypeError, match=r"Pred must be a scalar, got .* of shape \(2,\)"):
        lax.cond(jnp.array([True, False]), lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="Pred type must be either boolean or number"):
        lax.cond(np.complex64(1), lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="output of false_fun has type float32\\[\\] but the "
                                        "corresponding output of true_fun has type "
                                        "float32\\[3\\], so the shapes do not match"):
        lax.cond(True, lambda x: jnp.ones(3), lambda x: x, 1.0)
    with pytest.raises(TypeError, match="int32\\[\\], so the dtypes do not match"):
        lax.cond(True, lambda x: jnp.int32(1), lambda x: x, 1.0)
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, 1.0)


def test_switch_errors():
    with pytest.raises(TypeError, match="Index type must be an integer, got True as bool"):
        lax.switch(True, [lambda: 1.0, lambda: 2.0])
    with pytest.raises(TypeError, match="Index type must be an integer, got 1.0 as float32"):
        lax.switch(1.0, [lambda: 1.0, lambda: 2.0])
    with pytest.raises(ValueError, match="Empty branch sequence"):
        lax.switch(0, [])
    with pytest.raises(TypeError, match=r"branches\[1\] has type int32"):
        lax.switch(0, [lambda: 1.0, lambda: 2])


def test_while_loop_errors():
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c - 1, 3.0)
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c > 0, lambda c: c - 1, jnp.ones(3))
    with pytest.raises(TypeError, match="The input carry c has type float32\\[\\] but the "
                                        "corresponding output carry component has type "
                                        "float32\\[2\\], so the shapes do not match"):
        lax.while_loop(lambda c: c > 0, lambda c: jnp.ones(2), 3.0)
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.while_loop(lambda c: c[0] > 0, lambda c: c[0], (3.0, 1.0))


def test_scan_errors():
    xs = jnp.ones(4)
    with pytest.raises(TypeError, match=r"input carry c\[1\] has type float32\[\] but .* "
                                        r"int32\[\], so the dtypes do not match"):
        lax.scan(lambda c, x: ((c[0], jnp.int32(1)), x), (0.0, jnp.float32(0)), xs)
    with pytest.raises(TypeError, match="shapes do not match"):
        lax.scan(lambda c, x: (jnp.ones(3), x), jnp.float32(0), xs)
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.scan(lambda c, x: ((c, c), x), 0.0, xs)
    with pytest.raises(TypeError, match="scan body output must be a pair"):
        lax.scan(lambda c, x: c, 0.0, xs)
    with pytest.raises(ValueError, match="no leading axis to scan over"):
        lax.scan(lambda c, x: (c, x), 0.0, jnp.float32(1))
    with pytest.raises(ValueError, match="different leading axis sizes: 4, 3"):
        lax.scan(lambda c, x: (c, x), 0.0, (xs, jnp.ones(3)))
    with pytest.raises(ValueError, match="no values to scan over and `length` not provided"):
        lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(ValueError, match="`length` argument of 5 which disagrees"):
        lax.scan(lambda c, x: (c, x), 0.0, xs, length=5)
    with pytest.raises(TypeError, match="lower and upper arguments to fori_loop must have "
                                        "equal types, got int16 and int32"):
        lax.fori_loop(jnp.int16(0), jnp.int32(3), lambda i, c: c, 0)
    with pytest.raises(TypeError, match="fori_loop bounds must be integers, got float32"):
        lax.fori_loop(0.0, 3.0, lambda i, c: c, 0)


# -- the shape of the reverse pass ---------------------------------------------------------------

def test_grad_of_scan_is_a_reverse_scan_with_hoisted_invariants(rng):
    w = rng.randn(3, 3).astype(np.float32)

    def loss(w, xs):
        return jnp.sum(lax.scan(lambda h, x: (jnp.tanh(h @ w.T + x), None), jnp.zeros(3), xs)[0])

    ir = jax.make_jaxpr(jax.grad(loss))(w, rng.randn(6, 3).astype(np.float32)).ir
    scans = [e for e in ir.eqns if e.prim.name == "scan"]
    assert [e.params["reverse"] for e in scans] == [False, True]
    # w.T does not change across steps: computed once outside, never stacked per step
    assert not any(v.aval.shape == (6, 3, 3) for e in scans for v in e.outputs)
    assert "transpose" in _eqn_names(ir)
    fwd_body = scans[0].params["body"]
    assert "dot_general" in _eqn_names(fwd_body)
    assert all(len(sub.eqns) < 40 for sub in _sub_irs(ir))  # nothing unrolled


@pytest.mark.parametrize("reverse", [False, True])
def test_residual_that_is_an_output_is_not_stacked_twice(x64, rng, reverse):
    w = rng.randn(3, 3)

    def loss(w, xs):
        def step(h, x):
            h = jnp.tanh(h @ w + x)
            return h, h                       # ys = h, which the backward pass needs too
        _, hs = lax.scan(step, jnp.zeros(3), xs, reverse=reverse)
        return jnp.sum(hs ** 2)

    xs = rng.randn(5, 3)
    ir = jax.make_jaxpr(jax.grad(loss))(w, xs).ir
    fwd = [e for e in ir.eqns if e.prim.name == "scan"][0]
    ys = [id(v) for v in fwd.params["body"].outvars[fwd.params["num_carry"]:]]
    assert len(ys) == len(set(ys)), "a body value is stacked twice"
    check_grads(loss, (w, xs), order=1, modes=("rev",))

"""Collectives over a named vmap axis (lax.psum, pmean, pmax, pmin) against NumPy reductions
over the batch, including nested axes, jit, and gradients through them."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax

XS = np.arange(12.0, dtype=np.float32).reshape(4, 3) ** 1.5
M = np.random.RandomState(0).randn(2, 4, 3).astype(np.float32)


def test_collectives_reduce_over_the_named_batch():
    np.testing.assert_allclose(jitnet.vmap(lambda x: x - lax.pmean(x, "i"), axis_name="i")(XS),
                               XS - XS.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jitnet.jit(jitnet.vmap(lambda x: x / lax.psum(x, "i"),
                                                      axis_name="i"))(XS),
                               XS / XS.sum(0), rtol=1e-6)
    # a value the same in every example: psum multiplies by the batch size
    np.testing.assert_array_equal(jitnet.vmap(lambda x: lax.psum(2.0, "i"), axis_name="i")(XS),
                                  [8.0] * 4)
    out = jitnet.vmap(lambda x: (lax.pmax(x, "i"), lax.pmin({"a": x}, "i")["a"]),
                      axis_name="i")(XS)
    np.testing.assert_array_equal(out[0], np.broadcast_to(XS.max(0), XS.shape))
    np.testing.assert_array_equal(out[1], np.broadcast_to(XS.min(0), XS.shape))


def test_nested_axes_reduce_at_their_own_level():
    inner = jitnet.vmap(lambda x: (lax.psum(x, "outer"), lax.pmax(x, "inner"),
                                   lax.psum(x, ("outer", "inner"))), axis_name="inner")
    s_out, m_in, s_both = jitnet.vmap(inner, axis_name="outer")(M)
    np.testing.assert_allclose(s_out, np.broadcast_to(M.sum(0, keepdims=True), M.shape),
                               rtol=1e-6)
    np.testing.assert_array_equal(m_in, np.broadcast_to(M.max(1, keepdims=True), M.shape))
    np.testing.assert_allclose(s_both, np.broadcast_to(M.sum((0, 1), keepdims=True), M.shape),
                               rtol=1e-5)


def test_gradients_through_collectives():
    """Per-example grad of sum((x - pmean(x))^2): the cotangent through pmean is the batch
    mean of 2(x - m), which is zero, so the gradient is 2(x - m) (as in JAX)."""
    g = jitnet.vmap(jitnet.grad(lambda x: jnp.sum((x - lax.pmean(x, "b")) ** 2)),
                    axis_name="b")(XS)
    np.testing.assert_allclose(g, 2 * (XS - XS.mean(0)), rtol=1e-5, atol=1e-5)
    # the whole batch's loss: d/dx_j sum_i (x_i / psum(x))^2, against finite differences
    def total(xs):
        return jnp.sum(jitnet.vmap(lambda x: (x / lax.psum(x, "b")) ** 2, axis_name="b")(xs))
    x64 = XS.astype(np.float64)
    ref = np.empty_like(x64)
    for idx in np.ndindex(*x64.shape):
        e = np.zeros_like(x64)
        e[idx] = 1e-6
        f = lambda v: np.sum((v / v.sum(0)) ** 2)   # noqa: E731
        ref[idx] = (f(x64 + e) - f(x64 - e)) / 2e-6
    np.testing.assert_allclose(jitnet.grad(total)(XS), ref, rtol=1e-3, atol=1e-6)


def test_unbound_axis_name_is_an_error():
    with pytest.raises(NameError, match="unbound axis name: 'nope'"):
        lax.psum(XS, "nope")
    with pytest.raises(NameError, match=r"bound here: \['i'\]"):
        jitnet.vmap(lambda x: lax.pmean(x, "j"), axis_name="i")(XS)


def test_the_collective_is_a_primitive_of_jitnet_outside_the_registry():
    """``parallel_reduce`` (prims/parallel.py) never reaches the compiler, so it is not in the
    registry; its IR, run outside the vmap of its axis, names the axis instead of failing
    deep in the interpreter; pmax has no derivative."""
    from jitnet.core.primitive import registry
    from jitnet.prims.parallel import parallel_p
    assert "parallel_reduce" not in registry
    seen = {}

    def f(x):
        seen["ir"] = jitnet.make_jaxpr(lambda y: lax.psum(y, "i"))(x)
        return x
    jitnet.vmap(f, axis_name="i")(XS)
    assert [e.prim for e in seen["ir"].eqns] == [parallel_p]
    with pytest.raises(NameError, match="psum: unbound axis name: 'i'"):
        seen["ir"](XS[0])
    with pytest.raises(NotImplementedError, match="pmax: not differentiable"):
        jitnet.vmap(jitnet.grad(lambda x: lax.pmax(x, "i").sum()), axis_name="i")(XS)

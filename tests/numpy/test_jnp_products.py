"""dot, matmul, tensordot, inner, outer, vdot, kron, trace, vecdot against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
from jnp_testutil import check, jax_dtype, rand, rng_for, traced


def _pair(sa, sb, dta=np.float32, dtb=np.float32, tag=""):
    rng = rng_for("prod", sa, sb, np.dtype(dta).name, np.dtype(dtb).name, tag)
    return rand(rng, sa, dta), rand(rng, sb, dtb)


def _ref(npf, a, b, dt, **kw):
    return npf(a.astype(np.float64), b.astype(np.float64), **kw).astype(dt) \
        if np.dtype(dt).kind == "f" else npf(a.astype(dt), b.astype(dt), **kw)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((5, 1, 2, 3), (6, 3, 4)), ((1, 2, 3), (7, 3, 4)), ((4, 1, 2, 3), (1, 5, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((0, 3), (3, 4)), ((2, 0), (0, 4)),
                 ((0, 2, 3), (1, 3, 4))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("dts", [(np.float32, np.float32), (np.int32, np.int32),
                                 (np.int8, np.uint8), (np.float16, np.float32),
                                 (np.int16, np.float32), (np.bool_, np.bool_)], ids=str)
def test_matmul(sa, sb, dts):
    a, b = _pair(sa, sb, *dts)
    dt = jax_dtype(*dts)
    want = _ref(np.matmul, a, b, dt)
    tol = dict(rtol=1e-2, atol=1e-2) if dt == np.float16 else dict(rtol=1e-5, atol=1e-5)
    check(jnp.matmul(a, b), want, dtype=dt, **tol)
    check(jnp.asarray(a) @ jnp.asarray(b), want, dtype=dt, **tol)
    check(a @ jnp.asarray(b), want, dtype=dt, **tol)
    check(traced(jnp.matmul)(a, b), want, dtype=dt, **tol)


def test_matmul_errors():
    with pytest.raises(ValueError):
        jnp.matmul(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError):
        jnp.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4)))
    with pytest.raises(ValueError):
        jnp.matmul(np.float32(1), np.ones(3))
    with pytest.raises(ValueError):
        jnp.matmul(np.ones(3), np.ones(4))


DOT_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
              ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (6, 3, 4)), ((), (3,)),
              ((2, 3), ()), ((), ()), ((0,), (0,)), ((2, 0), (0, 3))]


@pytest.mark.parametrize("sa,sb", DOT_SHAPES, ids=str)
@pytest.mark.parametrize("dts", [(np.float32, np.float32), (np.int32, np.int8),
                                 (np.bool_, np.bool_), (np.uint8, np.uint8)], ids=str)
def test_dot(sa, sb, dts):
    a, b = _pair(sa, sb, *dts)
    dt = jax_dtype(*dts)
    check(jnp.dot(a, b), _ref(np.dot, a, b, dt), dtype=dt, rtol=1e-5, atol=1e-5)
    check(jnp.asarray(a).dot(b), _ref(np.dot, a, b, dt), dtype=dt, rtol=1e-5, atol=1e-5)


def test_dot_with_python_scalars_and_errors():
    x = np.arange(3, dtype=np.float32)
    check(jnp.dot(2, x), 2 * x, dtype=np.float32, weak=False)
    check(jnp.dot(2.0, 3), np.float32(6), dtype=np.float32, weak=True)
    with pytest.raises(ValueError):
        jnp.dot(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError):
        jnp.dot([1, 2], [3, 4])


@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0), ((3, 4), (3, 4), 2),
    ((2, 3, 4), (4, 3, 5), ((1, 2), (1, 0))), ((2, 3, 4), (5, 2), ([0], [1])),
    ((2, 3, 4), (4, 2), (-1, 0)), ((2, 3, 4), (3, 2, 4), ((-1, 0), (-1, -2))), ((), (), 0)],
    ids=str)
def test_tensordot(sa, sb, axes):
    a, b = _pair(sa, sb)
    check(jnp.tensordot(a, b, axes), np.tensordot(a, b, axes), rtol=1e-5, atol=1e-5)
    ai, bi = _pair(sa, sb, np.int8, np.int16)
    check(jnp.tensordot(ai, bi, axes), np.tensordot(ai.astype(np.int16), bi, axes),
          dtype=np.int16)


def test_tensordot_errors():
    with pytest.raises((ValueError, TypeError)):
        jnp.tensordot(np.ones((2, 3)), np.ones((4, 5)), 1)
    with pytest.raises((ValueError, TypeError)):
        jnp.tensordot(np.ones((2, 3)), np.ones((3, 5)), ((0,), (0, 1)))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                   ((2, 5, 3), (4, 3)), ((), (3,)), ((2, 3), ()),
                                   ((0,), (0,))], ids=str)
def test_inner(sa, sb):
    a, b = _pair(sa, sb)
    check(jnp.inner(a, b), np.inner(a, b), rtol=1e-5, atol=1e-5)
    ai, bi = _pair(sa, sb, np.int32, np.int32)
    check(jnp.inner(ai, bi), np.inner(ai, bi), dtype=np.int32)


@pytest.mark.parametrize("sa,sb", [((3,), (4,)), ((2, 3), (4,)), ((), (3,)), ((0,), (2,)),
                                   ((2, 2), (3, 1))], ids=str)
@pytest.mark.parametrize("dts", [(np.float32, np.float32), (np.int8, np.int32),
                                 (np.bool_, np.bool_)], ids=str)
def test_outer(sa, sb, dts):
    a, b = _pair(sa, sb, *dts)
    dt = jax_dtype(*dts)
    check(jnp.outer(a, b), np.outer(a.astype(dt), b.astype(dt)), dtype=dt)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 2), (4,)), ((2, 3), (3, 2)), ((), ())],
                         ids=str)
def test_vdot(sa, sb):
    a, b = _pair(sa, sb)
    check(jnp.vdot(a, b), np.vdot(a, b), rtol=1e-5, atol=1e-5)
    with pytest.raises((ValueError, TypeError)):
        jnp.vdot(np.ones(3), np.ones(4))


@pytest.mark.parametrize("sa,sb", [((2,), (3,)), ((2, 3), (4, 5)), ((2,), (3, 4)),
                                   ((2, 2, 2), (3,)), ((), (3,)), ((0, 2), (2, 2))], ids=str)
@pytest.mark.parametrize("dts", [(np.float32, np.float32), (np.int8, np.float32),
                                 (np.bool_, np.bool_)], ids=str)
def test_kron(sa, sb, dts):
    a, b = _pair(sa, sb, *dts)
    dt = jax_dtype(*dts)
    check(jnp.kron(a, b), np.kron(a.astype(dt), b.astype(dt)), dtype=dt)


@pytest.mark.parametrize("sa,sb,axis", [((2, 3), (3,), -1), ((2, 3), (2, 3), 0),
                                        ((4, 2, 3), (2, 1), 1)], ids=str)
def test_vecdot(sa, sb, axis):
    a, b = _pair(sa, sb)
    want = np.sum(a * b, axis=axis)
    check(jnp.vecdot(a, b, axis=axis), want, rtol=1e-5, atol=1e-6)


def test_trace_dtypes():
    x = np.arange(9, dtype=np.int8).reshape(3, 3)
    check(jnp.trace(x), np.trace(x.astype(np.int32)), dtype=np.int32)
    check(jnp.trace(x, dtype=np.float32), np.trace(x, dtype=np.float32), dtype=np.float32)
    check(jnp.asarray(x).trace(1), np.trace(x, 1).astype(np.int32), dtype=np.int32)


def test_preferred_element_type():
    a, b = _pair((2, 3), (3, 4), np.int8, np.int8)
    check(jnp.matmul(a, b, preferred_element_type=np.int32),
          np.matmul(a.astype(np.int32), b.astype(np.int32)), dtype=np.int32)
    af, bf = _pair((2, 3), (3,))
    check(jnp.dot(af, bf, preferred_element_type=np.float16), np.dot(af, bf),
          dtype=np.float16, rtol=1e-2, atol=1e-2)

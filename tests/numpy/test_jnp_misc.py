"""Array methods and properties, dtype helpers, and broadcasting of ufuncs over random
shapes (hypothesis)."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import jitnet
import jitnet.numpy as jnp
from jnp_testutil import check, rand, rng_for

X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5


def test_astype_view_item_tolist():
    x = jnp.asarray(X)
    check(x.astype(jnp.int8), X.astype(np.int8), dtype=np.int8, weak=False)
    check(x.astype("float16"), X.astype(np.float16), dtype=np.float16)
    check(x.astype(bool), X.astype(bool), dtype=np.bool_)
    check(jnp.asarray(2.0).astype(jnp.float32), np.float32(2), dtype=np.float32, weak=False)
    check(x.view(jnp.int32), X.view(np.int32), dtype=np.int32)
    assert x.item(1) == X.item(1) and x[0, 1].item() == X[0, 1].item()
    assert x.tolist() == X.tolist()
    with pytest.raises((ValueError, TypeError)):
        x.item()


def test_properties_and_python_protocols():
    x = jnp.asarray(X)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
    assert x.itemsize == 4 and x.nbytes == 24 and len(x) == 2
    check(x.real, X.real, dtype=np.float32)
    check(x.imag, np.zeros_like(X), dtype=np.float32)
    rows = list(x)
    assert len(rows) == 2
    for r, w in zip(rows, X):
        check(r, w)
    assert bool(x[0, 1]) is True and int(x[1, 1]) == 1 and float(x[0, 0]) == -2.5
    check(round(jnp.asarray(np.float32(2.5))), np.float32(2.0))
    check(round(jnp.asarray(np.float32(2.567)), 2), np.float32(2.57), rtol=1e-6)
    assert copy.copy(x) is x and copy.deepcopy(x) is x
    y = pickle.loads(pickle.dumps(x))
    check(y, X, dtype=np.float32)
    with pytest.raises(TypeError):
        len(jnp.asarray(1.0))
    with pytest.raises(TypeError):
        iter(jnp.asarray(1.0))
    with pytest.raises(TypeError):
        hash(x)
    with pytest.raises(ValueError):
        bool(x)
    np.testing.assert_array_equal(np.asarray(x), X)
    assert "float32" in repr(x)
    assert "weak_type=True" in repr(jnp.asarray(2.0))


def test_index_protocol():
    assert [10, 20, 30][jnp.asarray(1)] == 20
    with pytest.raises(TypeError):
        [10, 20][jnp.asarray(1.0)]


def test_dtype_helpers():
    x = jnp.asarray(X)
    assert jnp.isscalar(3) and jnp.isscalar(np.float32(1)) and jnp.isscalar(x[0, 0])
    assert not jnp.isscalar(x) and not jnp.isscalar([1])
    assert jnp.can_cast(jnp.int8, jnp.int16) and not jnp.can_cast("float32", "int32")
    assert not jnp.iscomplexobj(x) and jnp.isrealobj(x)
    assert jnp.iscomplexobj(np.ones(2, np.complex64))
    assert jnp.finfo(jnp.float32).eps == np.finfo(np.float32).eps
    assert jnp.iinfo(jnp.int8).max == 127
    assert jnp.result_type(jnp.int8, jnp.uint8) == np.int16
    assert jnp.result_type(jnp.float16, 1.0) == np.float16
    assert isinstance(x, jnp.ndarray) and isinstance(x, jitnet.Array)
    assert jnp.newaxis is None and jnp.pi == np.pi and np.isnan(jnp.nan)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=3),
       st.sampled_from(["add", "multiply", "maximum", "where", "clip", "arctan2", "less"]))
def test_broadcasting_hypothesis(shapes, op):
    rng = rng_for("bcast", shapes.input_shapes, op)
    a, b, c = (rand(rng, s, np.float32) for s in shapes.input_shapes)
    if op == "where":
        got, want = jnp.where(a > 0, b, c), np.where(a > 0, b, c)
    elif op == "clip":
        got, want = jnp.clip(a, b, c), np.clip(a, b, c)
    else:
        got = getattr(jnp, op)(a, b)
        want = getattr(np, op)(a, b)
    check(got, want, rtol=1e-6, atol=1e-6)
    assert got.shape == np.broadcast_shapes(*(shapes.input_shapes if op in ("where", "clip")
                                              else shapes.input_shapes[:2]))


@pytest.mark.parametrize("dt", [np.float32, np.int32, np.uint8, np.bool_, np.float16])
def test_real_imag_conj_of_real_arrays(dt):
    x = rand(rng_for("reim", np.dtype(dt).name), (3, 4), dt)
    if np.dtype(dt).kind == "f":
        x[0, 0] = np.nan
    for got, want in [(jnp.real(x), np.real(x)), (jnp.imag(x), np.imag(x)),
                      (jnp.conj(x), np.conj(x)), (jnp.conjugate(x), np.conjugate(x)),
                      (jnp.asarray(x).real, x.real), (jnp.asarray(x).imag, x.imag),
                      (jnp.asarray(x).conj(), x.conj())]:
        check(got, want, dtype=dt)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_real_imag_conj_angle_of_complex_arrays(dt, x64):
    z = np.array([1 + 2j, -3j, complex(np.inf, -1), complex(0.5, np.nan)], dt)
    part = np.finfo(dt).dtype
    for got, want, d in [(jnp.real(z), np.real(z), part), (jnp.imag(z), np.imag(z), part),
                         (jnp.conj(z), np.conj(z), dt), (jnp.asarray(z).imag, z.imag, part),
                         (jnp.asarray(z).conj(), z.conj(), dt),
                         (jnp.angle(z), np.angle(z), part),
                         (jnp.angle(z, deg=True), np.angle(z, deg=True), part)]:
        check(got, want, dtype=d)


def test_complex_reductions_norms_and_predicates_match_numpy():
    # vdot conjugates its first argument; var/std and norms use |z|^2 (real results);
    # isinf looks at each part (|1e30 + 1e30j| overflows float32 but is finite)
    a = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j], np.complex64)
    b = np.array([2 - 1j, 0.5j, 1 + 1j], np.complex64)
    m = np.array([[1 + 2j, 3 - 1j], [-0.5 + 0.25j, 2j]], np.complex64)
    c = np.array([complex(np.inf, 1), complex(1, -np.inf), 1e30 + 1e30j, complex(np.nan, 0)],
                 np.complex64)
    cases = [(jnp.vdot(a, b), np.vdot(a, b)), (jnp.var(a), np.var(a)),
             (jnp.std(m, axis=0), np.std(m, axis=0)), (jnp.var(m, axis=1, ddof=1),
                                                       np.var(m, axis=1, ddof=1)),
             (jnp.linalg.norm(a), np.linalg.norm(a)), (jnp.linalg.norm(m), np.linalg.norm(m)),
             (jnp.linalg.norm(a, 1), np.linalg.norm(a, 1)),
             (jnp.linalg.norm(a, 3), np.linalg.norm(a, 3)),
             (jnp.linalg.norm(a, 0), np.linalg.norm(a, 0)),
             (jnp.isclose(a, a + 1e-9), np.isclose(a, a + 1e-9)), (jnp.isclose(a, b),
                                                                   np.isclose(a, b)),
             (jnp.isinf(c), np.isinf(c)), (jnp.isnan(c), np.isnan(c)),
             (jnp.isfinite(c), np.isfinite(c)), (jnp.vecdot(a, b), np.vecdot(a, b)),
             (jnp.nanvar(a), np.nanvar(a)), (jnp.nanstd(m, axis=1), np.nanstd(m, axis=1))]
    for got, want in cases:
        check(got, want, dtype=np.asarray(want).dtype, rtol=1e-6, atol=1e-6)
    assert bool(jnp.allclose(a, a))
    got = jitnet.jit(lambda z: (jnp.var(z), jnp.linalg.norm(z), jnp.isinf(z)))(c[:3])
    with np.errstate(over="ignore", invalid="ignore"):   # NumPy's own inf - inf
        want = (np.var(c[:3]), np.linalg.norm(c[:3]), np.isinf(c[:3]))
    for g, w in zip(got, want):
        check(g, w, dtype=np.asarray(w).dtype, rtol=1e-6)

"""Array creation against NumPy, with JAX's dtypes (float32/int32 defaults, weak scalars)."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jnp_testutil import check, default_float, default_int, enable_x64, rand, rng_for, traced


@pytest.mark.parametrize("obj,dtype,weak", [
    (3, np.int32, True), (3.5, np.float32, True), (True, np.bool_, False),
    (1 + 2j, np.complex64, True), ([1, 2, 3], np.int32, False), ([1, 2.5], np.float32, False),
    ([True, 2], np.int32, False), ([[1, 2], [3, 4]], np.int32, False), ((1, 2.0), np.float32,
                                                                        False),
    ([], np.float32, False), ([[]], np.float32, False), ([True, False], np.bool_, False),
    (np.float64(2.5), np.float32, False), (np.int64(7), np.int32, False),
    (np.arange(4, dtype=np.int64), np.int32, False), (np.ones(3, np.float64), np.float32, False),
    (np.ones(3, np.uint8), np.uint8, False), (np.ones(3, np.float16), np.float16, False),
    ([np.float16(1), 2.0], np.float16, False), ([np.int8(1), 2], np.int8, False),
    ([np.uint8(1), np.int8(2)], np.int16, False), ([1, 2 + 1j], np.complex64, False),
])
def test_array_from_python_and_numpy(obj, dtype, weak):
    for fn in (jnp.array, jnp.asarray):
        out = fn(obj)
        check(out, np.asarray(obj).astype(dtype), dtype=dtype, weak=weak)


def test_array_of_jitnet_values():
    a = jnp.asarray(np.arange(3, dtype=np.float32))
    check(jnp.array(a), np.arange(3), dtype=np.float32)
    assert jnp.asarray(a) is a
    check(jnp.array([a, a * 2]), np.stack([np.arange(3), np.arange(3) * 2]), dtype=np.float32)
    check(jnp.array([jnp.array(1.0), 2]), np.array([1.0, 2.0]), dtype=np.float32, weak=False)
    check(jnp.array([jnp.array(1.0, jnp.float16), 2]), np.array([1.0, 2.0]), dtype=np.float16)
    check(jnp.array(a, dtype=jnp.int32), np.arange(3), dtype=np.int32)
    # inside a trace, a list of tracers becomes a stack
    out = traced(lambda x: jnp.array([x, x + 1, 3.0]))(np.float32(2.0))
    check(out, np.array([2.0, 3.0, 3.0]), dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.float16, np.float32,
                                   np.bool_, "float32", "int16", jnp.float32, jnp.uint16, int,
                                   float, bool])
def test_array_dtype_argument(dtype):
    obj = [[0, 1, 2], [3, 4, 5]]
    want_dt = jitnet.dtypes.canonicalize_dtype(np.dtype(dtype) if not isinstance(
        dtype, jnp._ScalarType) else dtype.dtype)
    for fn in (jnp.array, jnp.asarray):
        check(fn(obj, dtype=dtype), np.array(obj, dtype=want_dt), dtype=want_dt, weak=False)
    check(jnp.array(3, dtype=dtype), np.array(3, dtype=want_dt), dtype=want_dt, weak=False)


def test_array_ndmin_and_copy():
    check(jnp.array([[1, 2], [3, 4]], ndmin=4), np.array([[1, 2], [3, 4]], ndmin=4))
    out = jnp.array(3, ndmin=1)
    check(out, np.array(3, ndmin=1), dtype=np.int32, weak=True)
    x = np.arange(3)
    a = jnp.array(x)
    x[0] = 100  # jitnet copied the buffer
    check(a, np.arange(3))
    check(jnp.copy(a), np.arange(3), dtype=np.int32)


def test_array_rejects_bad_input():
    with pytest.raises(TypeError):
        jnp.array(object())
    with pytest.raises((TypeError, ValueError)):
        jnp.array([[1, 2], [3]])
    with pytest.raises(OverflowError):
        jnp.array(2 ** 40)
    with pytest.raises(OverflowError):
        jnp.array([1, 2 ** 40])


def test_array_x64():
    with enable_x64():
        check(jnp.array(2 ** 40), np.array(2 ** 40), dtype=np.int64, weak=True)
        check(jnp.array([1.5]), np.array([1.5]), dtype=np.float64)
        check(jnp.array(np.ones(2, np.float64)), np.ones(2), dtype=np.float64)
        check(jnp.zeros(2), np.zeros(2), dtype=np.float64)
        check(jnp.arange(3), np.arange(3), dtype=np.int64)
    check(jnp.array([1.5]), np.array([1.5]), dtype=np.float32)


SHAPES = [(), 0, 3, (3,), (2, 3), (2, 0, 4), [1, 2], np.int64(2), (np.int32(2), 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [None, np.int32, np.uint8, np.bool_, np.float16])
def test_zeros_ones_empty_full(shape, dtype):
    want_dt = np.dtype(dtype) if dtype is not None else default_float()
    nshape = tuple(shape) if isinstance(shape, (tuple, list)) else shape
    check(jnp.zeros(shape, dtype), np.zeros(nshape, want_dt), dtype=want_dt, weak=False)
    check(jnp.ones(shape, dtype), np.ones(nshape, want_dt), dtype=want_dt, weak=False)
    e = jnp.empty(shape, dtype)
    assert e.shape == np.empty(nshape).shape and e.dtype == want_dt
    for fill in (7, 2.5, True):
        out = jnp.full(shape, fill, dtype)
        if dtype is None:
            fdt, weak = {int: (np.int32, True), float: (np.float32, True),
                         bool: (np.bool_, False)}[type(fill)]
        else:
            fdt, weak = want_dt, False
        check(out, np.full(nshape, fill, fdt), dtype=fdt, weak=weak)


def test_full_with_array_fill():
    row = np.arange(3, dtype=np.int32)
    check(jnp.full((2, 3), row), np.full((2, 3), row), dtype=np.int32)
    check(jnp.full((2, 3), row, dtype=np.float32), np.full((2, 3), row, np.float32),
          dtype=np.float32)
    check(jnp.full((4, 2, 3), jnp.asarray(row)), np.full((4, 2, 3), row))
    check(jnp.full((2,), np.float64(1.5)), np.full((2,), 1.5), dtype=np.float32, weak=False)
    with pytest.raises(ValueError):
        jnp.full((2, 4), row)
    with pytest.raises(ValueError):
        jnp.zeros((2, -1))
    with pytest.raises(TypeError):
        jnp.zeros((2.5, 1))


@pytest.mark.parametrize("src_dt", [np.int8, np.uint8, np.float16, np.float32, np.bool_,
                                    np.int64])
@pytest.mark.parametrize("shape", [None, (2,), (3, 0), 4])
@pytest.mark.parametrize("dtype", [None, np.float32, np.int16])
def test_like(src_dt, shape, dtype):
    src = np.ones((2, 3), src_dt)
    canon = jitnet.dtypes.canonicalize_dtype(src_dt)
    want_dt = np.dtype(dtype) if dtype is not None else canon
    nshape = src.shape if shape is None else shape
    check(jnp.zeros_like(src, dtype, shape), np.zeros(nshape, want_dt), dtype=want_dt,
          weak=False)
    check(jnp.ones_like(src, dtype, shape), np.ones(nshape, want_dt), dtype=want_dt,
          weak=False)
    check(jnp.full_like(src, 2, dtype, shape), np.full(nshape, 2, want_dt), dtype=want_dt,
          weak=False)
    e = jnp.empty_like(src, dtype, shape)
    assert e.shape == np.empty(nshape).shape and e.dtype == want_dt


def test_like_keeps_weak_type_and_casts_fill():
    check(jnp.zeros_like(3), np.int32(0), dtype=np.int32, weak=True)
    check(jnp.ones_like(jnp.array(2.0)), np.float32(1), dtype=np.float32, weak=True)
    check(jnp.full_like(jnp.array(2.0), 5), np.float32(5), dtype=np.float32, weak=True)
    check(jnp.full_like(np.arange(3), 2.7), np.full(3, 2), dtype=np.int32)  # truncated
    check(jnp.full_like(np.arange(3), 2.7, shape=(2,)), np.full(2, 2), dtype=np.int32)
    check(jnp.zeros_like(jnp.asarray(np.ones(3, np.float32)), shape=(2, 2)), np.zeros((2, 2)))


@pytest.mark.parametrize("args,kw", [
    ((5,), {}), ((0,), {}), ((-3,), {}), ((2, 9), {}), ((2, 9, 3), {}), ((10, 0, -3), {}),
    ((9, 2, -1), {}), ((1, 5, 0.5), {}), ((5.0,), {}), ((0.5, 3.0), {}), ((-1.5, 1.5, 0.25), {}),
    ((5,), {"dtype": np.float32}), ((5,), {"dtype": np.uint8}), ((1, 4), {"dtype": float}),
    ((np.int8(5),), {}), ((np.int64(3), 8), {}), ((3, 3), {}), ((3, 1), {}),
])
def test_arange(args, kw):
    want = np.arange(*args, **kw)
    out = jnp.arange(*args, **kw)
    if "dtype" in kw:
        dt = jitnet.dtypes.canonicalize_dtype(kw["dtype"])
    elif any(isinstance(a, float) for a in args):
        dt = default_float()
    elif any(isinstance(a, np.int8) for a in args) and len(args) == 1:
        dt = np.dtype(np.int8)
    else:
        dt = default_int()
    check(out, want.astype(dt), dtype=dt, weak=False)


def test_arange_rejects_traced_bounds():
    with pytest.raises(TypeError):
        traced(lambda n: jnp.arange(n))(jnp.asarray(3))
    check(jnp.arange(jnp.asarray(4)), np.arange(4), dtype=np.int32)


@pytest.mark.parametrize("start,stop", [(0, 1), (-3.5, 2.0), (5, -5), (0.0, 0.0)])
@pytest.mark.parametrize("num", [0, 1, 2, 7, 50])
@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace(start, stop, num, endpoint):
    want, wstep = np.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    out, step = jnp.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    check(out, want, dtype=default_float(), rtol=1e-6, atol=1e-6)
    check(step, np.asarray(wstep), dtype=default_float(), rtol=1e-6, atol=1e-6)
    check(jnp.linspace(start, stop, num, endpoint=endpoint), want, rtol=1e-6, atol=1e-6)


def test_linspace_arrays_axis_and_dtype():
    start = np.array([0.0, 1.0, -2.0], np.float32)
    stop = np.array([[2.0], [4.0]], np.float32)
    for axis in (0, 1, -1, 2):
        check(jnp.linspace(start, stop, 5, axis=axis), np.linspace(start, stop, 5, axis=axis),
              rtol=1e-6, atol=1e-6)
    out, step = jnp.linspace(start, 2.0, 4, retstep=True, axis=-1)
    wout, wstep = np.linspace(start, 2.0, 4, retstep=True, axis=-1)
    check(out, wout, rtol=1e-6)
    check(step, wstep, rtol=1e-6)
    for a, b in [(0, 10), (-10, 0), (-7, 7), (3, -8)]:
        check(jnp.linspace(a, b, 4, dtype=np.int32), np.linspace(a, b, 4, dtype=np.int32),
              dtype=np.int32)
    check(jnp.linspace(0, 1, 3, dtype=np.float16), np.linspace(0, 1, 3), dtype=np.float16)
    check(jnp.linspace(np.float16(0), 1, 3), np.linspace(0, 1, 3), dtype=np.float16)
    with pytest.raises(ValueError):
        jnp.linspace(0, 1, -1)


@pytest.mark.parametrize("kw", [dict(), dict(base=2.0), dict(endpoint=False),
                                dict(num=5, base=3), dict(num=1), dict(dtype=np.int32)])
def test_logspace(kw):
    check(jnp.logspace(0, 3, **{"num": 4, **kw}), np.logspace(0, 3, **{"num": 4, **kw}),
          rtol=1e-5)


@pytest.mark.parametrize("N,M,k", [(3, None, 0), (3, 4, 1), (4, 3, -1), (3, 3, 5), (3, 3, -5),
                                   (0, None, 0), (1, 5, 2), (2, 0, 0)])
@pytest.mark.parametrize("dtype", [None, np.int32, np.bool_, np.float16])
def test_eye_tri(N, M, k, dtype):
    want_dt = np.dtype(dtype) if dtype is not None else default_float()
    check(jnp.eye(N, M, k, dtype), np.eye(N, M, k, want_dt), dtype=want_dt, weak=False)
    check(jnp.tri(N, M, k, dtype), np.tri(N, M, k, want_dt), dtype=want_dt, weak=False)
    if M is None and k == 0:
        check(jnp.identity(N, dtype), np.identity(N, want_dt), dtype=want_dt)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 4), (2, 1, 3, 3), (0, 3)])
@pytest.mark.parametrize("k", [0, 1, -1, 2, -3, 10, -10])
@pytest.mark.parametrize("dt", [np.float32, np.int8, np.bool_])
def test_tril_triu(shape, k, dt):
    x = rand(rng_for("tri", shape, k), shape, dt)
    check(jnp.tril(x, k), np.tril(x, k), dtype=dt)
    check(jnp.triu(x, k), np.triu(x, k), dtype=dt)


def test_tril_triu_need_2d():
    with pytest.raises(ValueError):
        jnp.tril(np.ones(3))
    with pytest.raises(ValueError):
        jnp.triu(np.float32(1))


@pytest.mark.parametrize("sizes", [(), (3,), (2, 3), (2, 3, 4), (0, 2), (1, 4, 2, 3)])
@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(sizes, indexing, sparse):
    xs = [np.arange(n, dtype=dt) for n, dt in zip(sizes, [np.int32, np.float32, np.uint8,
                                                         np.int16])]
    got = jnp.meshgrid(*xs, indexing=indexing, sparse=sparse)
    want = np.meshgrid(*xs, indexing=indexing, sparse=sparse)
    assert isinstance(got, (list, tuple)) and len(got) == len(want)
    for g, w in zip(got, want):
        check(g, w, dtype=w.dtype)


def test_meshgrid_flattens_and_rejects_bad_indexing():
    a, b = np.arange(4).reshape(2, 2), np.arange(3.0)
    for g, w in zip(jnp.meshgrid(a, b), np.meshgrid(a, b)):
        check(g, w)
    with pytest.raises(ValueError):
        jnp.meshgrid(b, b, indexing="xx")


@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("k", [0, 1, -1, 3, -4])
def test_diag_from_vector(n, k):
    v = np.arange(1, n + 1, dtype=np.int32)
    check(jnp.diag(v, k), np.diag(v, k), dtype=np.int32)
    check(jnp.diag(v.astype(np.float32), k), np.diag(v.astype(np.float32), k))


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("k", [0, 1, -1, 2, -2, 4, -6])
def test_diag_diagonal_from_matrix(shape, k):
    x = rand(rng_for("diag", shape, k), shape, np.float32)
    check(jnp.diag(x, k), np.diag(x, k))
    check(jnp.diagonal(x, k), np.diagonal(x, k))
    check(jnp.asarray(x).diagonal(k), np.diagonal(x, k))
    check(jnp.trace(x, k), np.trace(x, k), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("offset", [0, 1, -1, 3])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (-1, -2), (-3, 1)])
def test_diagonal_nd(offset, axes):
    x = rand(rng_for("diagnd", offset, axes), (3, 4, 5), np.int32)
    check(jnp.diagonal(x, offset, *axes), np.diagonal(x, offset, *axes), dtype=np.int32)
    check(jnp.trace(x, offset, *axes), np.trace(x, offset, *axes), dtype=np.int32)


def test_diag_errors():
    with pytest.raises(ValueError):
        jnp.diag(np.ones((2, 2, 2)))
    with pytest.raises(ValueError):
        jnp.diagonal(np.ones(3))
    with pytest.raises(ValueError):
        jnp.diagonal(np.ones((3, 3)), 0, 0, 0)


def test_scalar_type_constructors():
    for t, np_t in [(jnp.float32, np.float32), (jnp.int8, np.int8), (jnp.uint8, np.uint8),
                    (jnp.bool_, np.bool_), (jnp.int32, np.int32), (jnp.float16, np.float16)]:
        check(t(3), np.asarray(3, np_t), dtype=np_t, weak=False)
        check(t([1, 0]), np.asarray([1, 0], np_t), dtype=np_t)
        assert np.dtype(t) == np_t


def test_64_bit_dtype_without_x64_warns_as_jax():
    """With x64 off an explicit float64/int64 is truncated, with JAX's warning naming the
    function and the dtypes; Python's float/int/complex ask for nothing special (no warning),
    and neither does a 32-bit dtype."""
    import warnings
    cases = [(lambda: jnp.zeros(3, dtype=jnp.float64), "float64", "zeros", "float32"),
             (lambda: jnp.ones(3).astype("int64"), "int64", "astype", "int32"),
             (lambda: jnp.sum(jnp.ones(3), dtype=np.float64), "float64", "sum", "float32"),
             (lambda: jnp.array([1, 2], dtype=np.uint64), "uint64", "array", "uint32")]
    for make, asked, fn, got in cases:
        with pytest.warns(UserWarning, match=rf"Explicitly requested dtype {asked} requested "
                                             rf"in {fn} is not available, and will be "
                                             rf"truncated to dtype {got}") as rec:
            out = make()
        assert out.dtype == np.dtype(got)
        assert rec[0].filename == __file__  # attributed to the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jnp.zeros(3, dtype=float), jnp.arange(3, dtype=int), jnp.ones(2, jnp.float32)

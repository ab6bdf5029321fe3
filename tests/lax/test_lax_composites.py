"""lax.mulhi, reduce_xor, stack, unstack, tile, and the tracing names (stage, dtype,
shape_as_value, dce_sink), against NumPy and Python integers."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.core import Tracer


def _mulhi_ref(x, y):
    """High N bits of the exact 2N-bit product, with Python's unbounded integers."""
    bits = x.dtype.itemsize * 8
    out = [(int(a) * int(b)) >> bits for a, b in zip(x.ravel(), y.ravel())]  # floor shift
    return np.array([v % (1 << bits) for v in out], np.uint64).astype(
        np.dtype(f"u{x.dtype.itemsize}")).view(x.dtype).reshape(x.shape)


def _ints(rng, dt, n):
    info = np.iinfo(dt)
    edges = np.array([info.min, info.max, 0, 1, info.max // 2 + 1, info.min + 1], dt)
    rand = rng.randint(0, 1 << 62, n, dtype=np.int64).astype(np.uint64).astype(dt)
    return np.concatenate([edges, rand])


@pytest.mark.parametrize("dt", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                np.int64, np.uint64])
def test_mulhi_matches_exact_products(dt, x64):
    rng = np.random.RandomState(0)
    x, y = _ints(rng, dt, 30), np.roll(_ints(rng, dt, 30), 3)
    np.testing.assert_array_equal(np.asarray(lax.mulhi(x, y)), _mulhi_ref(x, y))
    scalar = dt(np.iinfo(dt).max)       # a 0-d operand broadcasts
    np.testing.assert_array_equal(np.asarray(lax.mulhi(x, scalar)),
                                  _mulhi_ref(x, np.full_like(x, scalar)))


@pytest.mark.parametrize("dt", [np.int32, np.uint32])
def test_mulhi_compiled(dt):
    x, y = _ints(np.random.RandomState(1), dt, 10), _ints(np.random.RandomState(2), dt, 10)
    np.testing.assert_array_equal(np.asarray(jitnet.jit(lax.mulhi)(x, y)), _mulhi_ref(x, y))


@pytest.mark.parametrize("dt", [np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("axes", [(0,), (1, 2), (0, 1, 2), ()])
def test_reduce_xor_matches_numpy(dt, axes):
    x = np.random.RandomState(0).randint(0, 256, (3, 5, 7)).astype(dt)
    want = x
    for a in sorted(axes, reverse=True):
        want = (np.logical_xor if dt == np.bool_ else np.bitwise_xor).reduce(want, axis=a)
    got = lax.reduce_xor(x, axes)
    assert got.dtype == dt
    np.testing.assert_array_equal(np.asarray(got), want)


def test_reduce_xor_compiled_and_empty_axis():
    x = np.arange(-6, 6, dtype=np.int32).reshape(3, 4) * 37
    np.testing.assert_array_equal(
        np.asarray(jitnet.jit(lambda x: lax.reduce_xor(x, (1,)))(x)),
        np.bitwise_xor.reduce(x, axis=1))
    np.testing.assert_array_equal(np.asarray(lax.reduce_xor(np.zeros((2, 0), np.int32), (1,))),
                                  np.zeros(2, np.int32))
    np.testing.assert_array_equal(np.asarray(lax.reduce(x, np.int32(0), lax.bitwise_xor, (0,))),
                                  np.bitwise_xor.reduce(x, axis=0))


def test_stack_unstack_tile_match_numpy():
    x, y = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    for axis in (0, 1, 2, -1):
        np.testing.assert_array_equal(np.asarray(lax.stack([x, y], axis)),
                                      np.stack([x, y], axis))
    for axis in (0, 1, -1):
        got = lax.unstack(x, axis)
        assert isinstance(got, tuple) and len(got) == x.shape[axis]
        for g, w in zip(got, np.moveaxis(x, axis, 0)):
            np.testing.assert_array_equal(np.asarray(g), w)
    for reps in [(2, 3), (1, 1), (3, 1), (0, 2)]:
        np.testing.assert_array_equal(np.asarray(lax.tile(x, reps)), np.tile(x, reps))
    np.testing.assert_array_equal(np.asarray(jitnet.jit(lambda v: lax.tile(v, (2, 2)))(x)),
                                  np.tile(x, (2, 2)))


def test_tile_and_stack_derivatives_and_vmap():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    w = np.random.RandomState(0).standard_normal((4, 6))
    g = jitnet.grad(lambda v: jnp.sum(lax.tile(v, (2, 3)) * w))(x)
    # each element of x appears in 6 tiles: its gradient sums w over them
    np.testing.assert_allclose(np.asarray(g), w.reshape(2, 2, 3, 2).sum(axis=(0, 2)), rtol=1e-6)
    g2 = jitnet.grad(lambda a, b: jnp.sum(lax.stack([a, b], 1) * np.arange(8.0).reshape(2, 2, 2)),
                     (0, 1))(x, x)
    np.testing.assert_allclose(np.asarray(g2[0]), [[0, 1], [4, 5]])
    np.testing.assert_allclose(np.asarray(g2[1]), [[2, 3], [6, 7]])
    batched = jitnet.vmap(lambda v: lax.tile(v, (3,)))(x)
    np.testing.assert_array_equal(np.asarray(batched), np.tile(x, (1, 3)))


def test_stage_dtype_shape_as_value_dce_sink():
    seen = []

    def f(x):
        s = lax.stage(2.0)
        seen.append(isinstance(s, Tracer))
        return x * s

    assert float(jitnet.jit(f)(np.float32(3))) == 6.0 and seen == [True]
    assert float(lax.stage(np.float32(1.5))) == 1.5 and not isinstance(lax.stage(1), Tracer)
    assert lax.dtype(1.0) == np.float32 and lax.dtype(np.float64) == np.float32
    assert lax.dtype(True) == np.bool_ and lax.dtype(np.arange(3)) == np.int32
    assert lax.dtype("bfloat16") == jnp.bfloat16
    v = lax.shape_as_value((2, 3))
    assert v.dtype == np.int32 and v.tolist() == [2, 3]
    assert lax.shape_as_value(()).shape == (0,)
    assert lax.dce_sink({"a": jnp.ones(2)}) is None


@pytest.mark.parametrize("call, words", [
    (lambda: lax.mulhi(np.ones(2, np.float32), np.ones(2, np.float32)), ["mulhi", "float32"]),
    (lambda: lax.mulhi(np.ones(2, np.int32), np.ones(2, np.uint32)), ["mulhi", "uint32"]),
    (lambda: lax.mulhi(np.ones(2, np.int32), np.ones(3, np.int32)), ["mulhi", "(3,)"]),
    (lambda: lax.reduce_xor(np.ones(2, np.float32), (0,)), ["reduce_xor", "float32"]),
    (lambda: lax.reduce_xor(np.ones(2, np.int32), (1,)), ["reduce_xor", "(2,)"]),
    (lambda: lax.stack([np.ones(2), np.ones(3)]), ["stack", "(3,)"]),
    (lambda: lax.stack([np.ones(2)], axis=2), ["axis 2"]),
    (lambda: lax.tile(np.ones((2, 2)), (2,)), ["tile", "(2, 2)"]),
    (lambda: lax.unstack(np.ones(2), 1), ["axis 1"]),
    (lambda: lax.dtype([1, 2]), ["dtype", "list"]),
    (lambda: lax.cumlogsumexp(np.ones(2, np.int32)), ["cumlogsumexp", "int32"]),
    (lambda: lax.cumlogsumexp(np.ones(2, np.float32), axis=1), ["axis 1"]),
    (lambda: lax.linalg.lu_pivots_to_permutation(np.ones(3, np.float32), 3),
     ["lu_pivots_to_permutation", "float32"]),
    (lambda: lax.linalg.lu_pivots_to_permutation(np.ones(4, np.int32), 3), ["(4,)"]),
    (lambda: lax.igamma(np.float32(1.0), np.int32(2)), ["igamma", "int32"]),
])
def test_bad_arguments_raise_naming_the_function(call, words):
    with pytest.raises((TypeError, ValueError)) as err:
        call()
    for w in words:
        assert w in str(err.value), (w, str(err.value))

"""``threefry2x32_iota``, the one primitive random bits, split and fold_in draw from, against
the hash written with ``lax`` operations (``random/threefry.threefry2x32``, the path every
program traced before: Random123's known answers in ``test_random_threefry.py``), on every
backend: eager (NumPy), jit (the C kernel), the interpreter and vmap over keys."""
from __future__ import annotations

import math

import numpy as np
import pytest

import jitnet
from jitnet import lax, random
from jitnet.prims.random import threefry2x32_iota
from jitnet.random import threefry

U32 = np.uint32
SHAPES = [(), (0,), (1,), (7,), (3, 5), (2, 0, 3), (4, 1, 17)]


def _traced_words(key, shape, start=0):
    """The elementwise form: counters start + n as (hi, lo) in NumPy, hashed by lax ops."""
    n = np.arange(math.prod(shape), dtype=np.uint64) + np.uint64(start)
    hi = (n >> np.uint64(32)).astype(U32).reshape(shape)
    lo = (n & np.uint64(0xFFFFFFFF)).astype(U32).reshape(shape)
    k = np.asarray(key)
    return [np.asarray(w) for w in threefry.threefry2x32(U32(k[0]), U32(k[1]), hi, lo)]


def _keys(rng, n):
    return rng.integers(0, 2 ** 32, (n, 2), dtype=np.uint64).astype(U32)


def _run(f, *args):
    """f eager, jitted (the C kernel) and interpreted."""
    return [f(*args), jitnet.jit(f)(*args), jitnet.jit(f, backend="interpreter")(*args)]


@pytest.mark.parametrize("shape", SHAPES)
def test_words_equal_the_traced_hash(shape):
    rng = np.random.default_rng(140)
    for key in _keys(rng, 2):
        want = _traced_words(key, shape)
        for got in _run(lambda k: threefry2x32_iota(k, shape), key):
            for g, w in zip(got, want):
                assert g.dtype == U32 and g.shape == shape
                np.testing.assert_array_equal(np.asarray(g), w)


def test_counters_carry_into_the_high_word():
    # start + n crosses 2**32: the high word of the counter becomes 1 (JAX's 64-bit iota)
    key = np.array([0x13198A2E, 0x03707344], U32)
    start = U32(2 ** 32 - 3)
    want = _traced_words(key, (6,), 2 ** 32 - 3)
    for got in _run(lambda k, s: threefry2x32_iota(k, (6,), s), key, start):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.asarray(g), w)


@pytest.mark.parametrize("width", [8, 16, 32, 64])
def test_bits_split_fold_in_equal_the_traced_path(width):
    """The layout built on the words (xor, 64-bit concatenation, split's pairs, fold_in's
    counter (0, d)), with fold_in's data traced and concrete."""
    rng = np.random.default_rng(141)
    key = _keys(rng, 1)[0]
    w0, w1 = _traced_words(key, (3, 5))
    bits = (w0.astype(np.uint64) << np.uint64(32)) | w1 if width == 64 else (
        (w0 ^ w1).astype(np.dtype(f"u{width // 8}")))
    dt = np.dtype(f"u{width // 8}")
    with jitnet.enable_x64(width == 64):
        for got in _run(lambda k: random.bits(k, (3, 5), dt), key):
            assert got.dtype == dt
            np.testing.assert_array_equal(np.asarray(got), bits)
    for got in _run(lambda k: random.split(k, (3, 5)), key):
        np.testing.assert_array_equal(np.asarray(got), np.stack([w0, w1], -1))
    d = 0xDEADBEEF
    want = np.array(_traced_words(key, (), d))
    for got in _run(lambda k, x: random.fold_in(k, x), key, U32(d)):
        np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(random.fold_in(key, d)), want)


def test_vmap_over_keys_and_fold_in_data():
    rng = np.random.default_rng(142)
    keys = _keys(rng, 5)
    data = rng.integers(0, 2 ** 32, 5, dtype=np.uint64).astype(U32)
    want = np.stack([np.asarray(random.bits(k, (2, 3))) for k in keys])
    f = jitnet.vmap(lambda k: random.bits(k, (2, 3)))
    for got in (f(keys), jitnet.jit(f)(keys)):
        np.testing.assert_array_equal(np.asarray(got), want)
    # keys batched on their second axis, one fold_in datum per key, one datum for every key
    g = jitnet.vmap(random.fold_in, in_axes=(1, 0))
    want = np.stack([_traced_words(k, (), d) for k, d in zip(keys, data)])
    for got in (g(keys.T, data), jitnet.jit(g)(keys.T, data)):
        np.testing.assert_array_equal(np.asarray(got), want)
    h = jitnet.vmap(random.fold_in, in_axes=(None, 0))
    want = np.stack([_traced_words(keys[0], (), d) for d in data])
    np.testing.assert_array_equal(np.asarray(jitnet.jit(h)(keys[0], data)), want)
    # nested: a batch of batches of keys
    nested = jitnet.jit(jitnet.vmap(jitnet.vmap(lambda k: random.split(k, 3))))
    got = np.asarray(nested(keys[:4].reshape(2, 2, 2)))
    for i, k in enumerate(keys[:4]):
        np.testing.assert_array_equal(got.reshape(4, 3, 2)[i], np.asarray(random.split(k, 3)))


def test_many_keys_many_counters():
    """Long rows of counters per key (the kernel's vectorized loop, its remainder)."""
    rng = np.random.default_rng(143)
    keys = _keys(rng, 3)
    f = jitnet.jit(jitnet.vmap(lambda k: threefry2x32_iota(k, (50_001,))))
    got = f(keys)
    for b, key in enumerate(keys):
        for g, w in zip(got, _traced_words(key, (50_001,))):
            np.testing.assert_array_equal(np.asarray(g)[b], w)


def test_no_gradient_flows_through_the_bits():
    key = random.PRNGKey(7)
    x = np.linspace(-1, 1, 6, dtype=np.float32)

    def f(x, k):
        keep = random.bernoulli(k, 0.5, x.shape)
        return (lax.select(keep, x, lax.full(x.shape, 0.0, x.dtype)) ** 2).sum()

    # the words' own tangent (a jvp with a float0 key tangent) is float0
    y, t = jitnet.jvp(lambda k: threefry2x32_iota(k, (3,))[0], (key,),
                      (np.zeros(2, jitnet.dtypes.float0),))
    np.testing.assert_array_equal(np.asarray(y), _traced_words(key, (3,))[0])
    assert t.dtype == jitnet.dtypes.float0 and t.shape == (3,)
    keep = np.asarray(random.bernoulli(key, 0.5, x.shape))
    for g in (jitnet.grad(f)(x, key), jitnet.jit(jitnet.grad(f))(x, key)):
        np.testing.assert_allclose(np.asarray(g), np.where(keep, 2 * x, 0), rtol=1e-6)


def test_bad_operands_name_the_op():
    with pytest.raises(TypeError, match="threefry2x32_iota.*uint32"):
        threefry2x32_iota(np.zeros(2, np.int32), (3,))
    with pytest.raises(ValueError, match=r"threefry2x32_iota.*\(\.\.\., 2\).*\(3,\)"):
        threefry2x32_iota(np.zeros(3, U32), (3,))
    with pytest.raises(ValueError, match=r"threefry2x32_iota.*start.*\(4,\).*\(2,\)"):
        threefry2x32_iota(np.zeros((4, 2), U32), (3,), np.zeros(2, U32))
    assert "threefry2x32_iota[shape=(3,)]" in str(
        jitnet.make_jaxpr(lambda k: threefry2x32_iota(k, (3,)))(np.zeros(2, U32)))

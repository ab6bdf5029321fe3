"""Threefry-2x32 block function and the partitionable counter layout built on it."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
from jitnet import random
from jitnet.random import threefry
from random_reference_helpers import x64

U32 = np.uint32

# Random123 known-answer vectors for threefry2x32_20: (key, counter) -> output
KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6b200159, 0x99ba4efe)),
    ((0xffffffff, 0xffffffff), (0xffffffff, 0xffffffff), (0x1cb996fc, 0xbb002be7)),
    ((0x13198a2e, 0x03707344), (0x243f6a88, 0x85a308d3), (0xc4923a9c, 0x483df7a0)),
]


@pytest.mark.parametrize("key,ctr,out", KAT)
def test_known_answer_vectors(key, ctr, out):
    got = threefry.threefry2x32(U32(key[0]), U32(key[1]), U32(ctr[0]), U32(ctr[1]))
    assert [int(np.asarray(g)) for g in got] == list(out)
    assert all(np.asarray(g).dtype == U32 for g in got)


def test_vectorized_counters_match_scalar_calls():
    k0, k1 = U32(0x13198a2e), U32(0x03707344)
    x0 = np.array([0, 1, 0xffffffff, 0x243f6a88], U32)
    x1 = np.array([0, 0, 0xffffffff, 0x85a308d3], U32)
    v0, v1 = threefry.threefry2x32(k0, k1, x0, x1)
    for i in range(4):
        s0, s1 = threefry.threefry2x32(k0, k1, x0[i], x1[i])
        assert (int(np.asarray(v0)[i]), int(np.asarray(v1)[i])) == (int(np.asarray(s0)),
                                                                     int(np.asarray(s1)))
    assert int(np.asarray(v0)[3]) == 0xc4923a9c


def test_rejects_non_uint32():
    with pytest.raises(TypeError, match="uint32"):
        threefry.threefry2x32(np.int32(0), U32(0), U32(0), U32(0))


def _hash(key, hi, lo):
    k = np.asarray(key)
    return [int(np.asarray(w)) for w in threefry.threefry2x32(U32(k[0]), U32(k[1]), U32(hi),
                                                              U32(lo))]


def test_split_fold_in_and_bits_follow_the_partitionable_layout():
    # jax_threefry_partitionable=True (JAX 0.10.2's default): element n of any output is
    # the hash of the 64-bit counter n = (hi, lo); split keeps both words, bits xors them
    key = random.PRNGKey(1701)
    keys = np.asarray(random.split(key, 5))
    b32 = np.asarray(random.bits(key, (5,)))
    b8 = np.asarray(random.bits(key, (5,), jnp.uint8))
    for n in range(5):
        x0, x1 = _hash(key, 0, n)
        assert list(keys[n]) == [x0, x1]
        assert b32[n] == x0 ^ x1
        assert b8[n] == (x0 ^ x1) & 0xff
    assert list(np.asarray(random.fold_in(key, 77))) == _hash(key, 0, 77)


def test_64_bit_bits_concatenate_the_two_words():
    key = random.PRNGKey(3)
    with x64(True):
        b = np.asarray(random.bits(key, (3,)))
        assert b.dtype == np.uint64
    for n in range(3):
        x0, x1 = _hash(key, 0, n)
        assert int(b[n]) == (x0 << 32) | x1


def test_layout_is_flat_index_based():
    # prefix-stable and shape-independent, unlike the original (non-partitionable) layout,
    # which hashes the two halves of the counter range together
    key = random.PRNGKey(0)
    long = np.asarray(random.bits(key, (1000,)))
    np.testing.assert_array_equal(np.asarray(random.bits(key, (7,))), long[:7])
    np.testing.assert_array_equal(np.asarray(random.bits(key, (10, 100))), long.reshape(10, 100))
    np.testing.assert_array_equal(np.asarray(random.split(key, (2, 3))),
                                  np.asarray(random.split(key, 6)).reshape(2, 3, 2))


def test_iota_2x32():
    hi, lo = threefry.iota_2x32((3, 4))
    np.testing.assert_array_equal(np.asarray(lo), np.arange(12, dtype=U32).reshape(3, 4))
    np.testing.assert_array_equal(np.asarray(hi), np.zeros((3, 4), U32))
    hi, lo = threefry.iota_2x32(())
    assert int(np.asarray(lo)) == 0 and int(np.asarray(hi)) == 0
    with pytest.raises(NotImplementedError, match="2\\*\\*32"):
        threefry.iota_2x32((2 ** 17, 2 ** 16))


def test_random_bits_rejects_bad_width():
    with pytest.raises(TypeError, match="8-, 16-, 32- or 64-bit"):
        threefry.random_bits(random.PRNGKey(0), 12, (3,))

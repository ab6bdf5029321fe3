"""``threefry2x32_iota`` on the CUDA backend (the simulator): a thread per counter, the hash of
``core/threefry.py``, against the hash written with ``lax`` operations; keys batched by vmap
(one start per key) and one literal start for all."""
import math

import numpy as np

import jitnet
from jitnet import random
from jitnet.prims.random import threefry2x32_iota
from jitnet.random import threefry


def _traced_words(key, shape, start=0):
    n = np.arange(math.prod(shape), dtype=np.uint64) + np.uint64(start)
    hi = (n >> np.uint64(32)).astype(np.uint32).reshape(shape)
    lo = (n & np.uint64(0xFFFFFFFF)).astype(np.uint32).reshape(shape)
    k = np.asarray(key)
    return [np.asarray(w) for w in threefry.threefry2x32(np.uint32(k[0]), np.uint32(k[1]),
                                                         hi, lo)]


def test_cuda_words_bits_and_fold_in():
    rng = np.random.default_rng(144)
    keys = rng.integers(0, 2 ** 32, (3, 2), dtype=np.uint64).astype(np.uint32)
    data = rng.integers(0, 2 ** 32, 3, dtype=np.uint64).astype(np.uint32)
    f = jitnet.jit(jitnet.vmap(lambda k: threefry2x32_iota(k, (2, 3))), backend="cuda")
    got = f(keys)
    for b, key in enumerate(keys):
        for g, w in zip(got, _traced_words(key, (2, 3))):
            np.testing.assert_array_equal(np.asarray(g)[b], w)
    g = jitnet.jit(jitnet.vmap(random.fold_in), backend="cuda")(keys, data)
    want = np.stack([_traced_words(k, (), d) for k, d in zip(keys, data)])
    np.testing.assert_array_equal(np.asarray(g), want)
    carry = jitnet.jit(lambda k: threefry2x32_iota(k, (4,), np.uint32(2 ** 32 - 2)),
                       backend="cuda")(keys[0])
    for g, w in zip(carry, _traced_words(keys[0], (4,), 2 ** 32 - 2)):
        np.testing.assert_array_equal(np.asarray(g), w)

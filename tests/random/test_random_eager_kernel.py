"""Eager ``threefry2x32_iota`` through the C kernel (``runtime/eager_random.py``): the same
bits as the NumPy reference (``prims/random._impl``, the hash on uint64 arrays) and as the
hash written with ``lax`` operations; a fresh process links the kernel's object file from a
warm disk cache (neither compiling it nor importing Numba or LLVM) once its NumPy draws cost
about as much as the link, and never links a changed file."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import jitnet
from jitnet import random
from jitnet.prims.random import _impl as numpy_reference
from jitnet.prims.random import threefry2x32_iota, threefry2x32_iota_p
from jitnet.random import threefry
from jitnet.runtime import eager_random

U32 = np.uint32
SHAPES = [(0,), (1,), (7,), (3, 5), (2, 0, 3), (4, 1, 17), (2 ** 16 + 3,)]


@pytest.fixture(scope="module", autouse=True)
def kernel():
    """The kernel loaded, as after a large draw."""
    fn = eager_random._function(eager_random.LOAD_AFTER)
    assert fn is not None
    return fn


def _keys(rng, *batch):
    return rng.integers(0, 2 ** 32, batch + (2,), dtype=np.uint64).astype(U32)


def _equal(got, want):
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray) and g.dtype == U32 and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("shape", SHAPES)
def test_kernel_words_equal_the_numpy_reference(shape):
    rng = np.random.default_rng(1401)
    for key in _keys(rng, 2):
        start = U32(rng.integers(0, 2 ** 32))
        got = [np.asarray(w) for w in threefry2x32_iota(key, shape, start)]
        _equal(got, numpy_reference(key, start, shape=shape))


def test_kernel_words_equal_the_traced_hash_across_the_high_word():
    # counters start + n cross 2**32 (the high word becomes 1): lax's form, independent code
    key = _keys(np.random.default_rng(1402), 1)[0]
    start = 2 ** 32 - 5
    n = np.arange(11, dtype=np.uint64) + np.uint64(start)
    hi, lo = (n >> np.uint64(32)).astype(U32), (n & np.uint64(0xFFFFFFFF)).astype(U32)
    want = [np.asarray(w) for w in threefry.threefry2x32(U32(key[0]), U32(key[1]), hi, lo)]
    _equal([np.asarray(w) for w in threefry2x32_iota(key, (11,), U32(start))], want)


@pytest.mark.parametrize("batch", [(1,), (3,), (2, 3)])
def test_batched_keys_with_one_or_many_starts(batch):
    rng = np.random.default_rng(1403)
    keys = _keys(rng, *batch)
    for start in (U32(rng.integers(0, 2 ** 32)),
                  rng.integers(0, 2 ** 32, batch, dtype=np.uint64).astype(U32)):
        got = threefry2x32_iota_p.impl(keys, start, shape=(5, 3))  # what vmap binds
        _equal(got, numpy_reference(keys, start, shape=(5, 3)))


def test_vmap_split_fold_in_and_bits_equal_the_reference():
    rng = np.random.default_rng(1404)
    keys = _keys(rng, 4)
    w0, w1 = numpy_reference(keys, U32(0), shape=(3, 2))
    np.testing.assert_array_equal(np.asarray(jitnet.vmap(lambda k: random.split(k, (3, 2)))(
        keys)), np.stack([w0, w1], -1))
    d = U32(0xDEADBEEF)
    np.testing.assert_array_equal(np.asarray(jitnet.vmap(lambda k: random.fold_in(k, d))(keys)),
                                  np.stack(numpy_reference(keys, d, shape=()), -1))
    np.testing.assert_array_equal(np.asarray(random.bits(keys[0], (1001,))), np.bitwise_xor(
        *numpy_reference(keys[0], U32(0), shape=(1001,))))


def test_eager_equals_jit_for_normal():
    key = random.PRNGKey(14)
    eager = np.asarray(random.normal(key, (4099,)))
    np.testing.assert_array_equal(eager, np.asarray(jitnet.jit(
        lambda k: random.normal(k, (4099,)))(key)))


_CHILD = """
import json, sys
import numpy as np
import jitnet
from jitnet import random
from jitnet.prims.random import threefry2x32_iota_p
from jitnet.runtime import compile_log, eager_kernels, eager_random
events = []
record = compile_log.record
compile_log.record = lambda kind, message: (events.append((kind, message())), record(kind, message))
key = random.PRNGKey(3)
small = np.asarray(random.bits(key, (1000,)))
after_small = bool(eager_random._kernel)
n = eager_random.LOAD_AFTER
if sys.argv[1] == "quick":
    with eager_kernels.without_compiling():
        big = np.asarray(random.bits(key, (n,)))
else:
    big = np.asarray(random.bits(key, (n,)))
after_big, numba_big = bool(eager_random._kernel), "numba" in sys.modules
events_big = len(events)
rng = np.random.default_rng(1405)
draws = []
for batch, shape in [((), (1,)), ((), (7,)), ((), (13, 3)), ((3,), (5, 3)), ((2, 1), (1,))]:
    keys = rng.integers(0, 2 ** 32, batch + (2,), dtype=np.uint64).astype(np.uint32)
    starts = rng.integers(0, 2 ** 32, batch, dtype=np.uint64).astype(np.uint32)
    words = threefry2x32_iota_p.impl(keys, starts, shape=shape)
    draws.append([keys.tolist(), starts.tolist(), list(shape), [w.tolist() for w in words]])
print("RESULT " + json.dumps({
    "after_small": after_small, "after_big": after_big, "numba_big": numba_big,
    "events_big": events_big,
    "numba": "numba" in sys.modules, "llvm": "llvmlite.binding" in sys.modules,
    "events": [e for e in events if "threefry" in e[1]], "n": n,
    "small": small.tolist(), "big": big[-50:].tolist(), "draws": draws}))
"""


def _child(tmp_path, mode="load"):
    env = dict(os.environ, JITNET_CACHE_DIR=str(tmp_path / "cache"),
               JITNET_CACHE_KEY_FILE=str(tmp_path / "key" / "cache.key"))
    out = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.split("RESULT ", 1)[1])
    key = np.asarray(random.PRNGKey(3))
    assert got["small"] == np.bitwise_xor(*numpy_reference(key, U32(0), shape=(1000,))).tolist()
    want_big = np.bitwise_xor(*numpy_reference(key, U32(0), shape=(got["n"],)))
    assert got["big"] == want_big[-50:].tolist()
    for keys, starts, shape, words in got["draws"]:
        want = numpy_reference(np.array(keys, U32), np.array(starts, U32), shape=tuple(shape))
        _equal([np.array(w, U32).reshape(x.shape) for w, x in zip(words, want)], want)
    return got


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A cache directory a first process filled: it compiled the kernel and wrote it."""
    tmp = tmp_path_factory.mktemp("eager_random")
    got = _child(tmp)
    assert not got["after_small"] and got["after_big"] and got["numba"]
    assert [kind for kind, _ in got["events"]] == ["compile"], got["events"]
    return tmp


def test_a_fresh_process_links_the_cached_kernel_without_numba_or_llvm(warm):
    got = _child(warm)
    assert not got["after_small"] and got["after_big"] and not got["numba"]
    assert got["llvm"] == (platform.machine() != "x86_64")  # elsewhere: MCJIT links it
    assert [kind for kind, _ in got["events"]] == ["cache_load"], got["events"]


def test_a_changed_object_file_is_compiled_anew_not_linked(warm):
    (path,) = (warm / "cache").glob("e_*.eager")
    blob = bytearray(path.read_bytes())
    blob[-64] ^= 0x10
    path.write_bytes(bytes(blob))
    got = _child(warm)  # (its bits equal the reference: checked by _child)
    assert got["after_big"] and [kind for kind, _ in got["events"]] == ["compile"]


def test_without_compiling_a_missing_kernel_is_not_compiled(tmp_path):
    got = _child(tmp_path, "quick")
    assert not got["after_big"] and not got["numba_big"] and got["events_big"] == 0

"""Semantics the CUDA kernels must get exactly right: duplicate scatters, NaN propagation,
ties, stable sorts, integer wrap-around, float32 arithmetic (simulator)."""
import os

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.prims import indexing as ix
from jitnet.runtime.cuda_backend import launch_limits


def cuda(f):
    return jitnet.jit(f, backend="cuda")


def cpu(f):
    return jitnet.jit(f, backend="cpu")


def test_scatter_set_with_duplicates_is_last_writer_wins():
    x = np.zeros((3, 2), np.float32)
    idx = np.random.RandomState(0).randint(0, 3, (50, 1)).astype(np.int32)
    upd = np.arange(100, dtype=np.float32).reshape(50, 2)
    f = lambda x, i, u: ix.scatter(x, i, u, (0,), "set", "drop")  # noqa: E731
    want = np.asarray(cpu(f)(x, idx, upd))
    for _ in range(2):  # deterministic, run to run
        np.testing.assert_array_equal(np.asarray(cuda(f)(x, idx, upd)), want)
    last = {int(i): r for r, i in enumerate(idx[:, 0])}
    np.testing.assert_array_equal(want, upd[[last[p] for p in range(3)]])


@pytest.mark.parametrize("comb", ["add", "mul", "min", "max"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int8])
def test_scatter_combiners_with_duplicates(comb, dtype):
    rng = np.random.RandomState(1)
    x = rng.randint(-3, 4, (4, 3)).astype(dtype)
    idx = rng.randint(-1, 5, (9, 1)).astype(np.int32)       # duplicates and out of bounds
    upd = rng.randint(-3, 4, (9, 3)).astype(dtype)
    f = lambda x, i, u: ix.scatter(x, i, u, (0,), comb, "drop")  # noqa: E731
    np.testing.assert_array_equal(np.asarray(cuda(f)(x, idx, upd)),
                                  np.asarray(f(jnp.asarray(x), idx, upd)))


@pytest.mark.parametrize("comb", ["min", "max"])
def test_scatter_min_max_propagate_nan(comb):
    x = np.array([1.0, np.nan, 3.0, 4.0], np.float32)
    idx = np.array([[0], [0], [2], [3]], np.int32)
    upd = np.array([np.nan, 5.0, 2.0, 7.0], np.float32)
    f = lambda x, i, u: ix.scatter(x, i, u, (0,), comb, "clip")  # noqa: E731
    np.testing.assert_array_equal(np.asarray(cuda(f)(x, idx, upd)),
                                  np.asarray(f(jnp.asarray(x), idx, upd)))


def test_reductions_and_argmax_nan_and_ties():
    x = np.array([[1.0, 3.0, 3.0, np.nan, 2.0, np.nan],
                  [5.0, 5.0, -1.0, 0.0, 5.0, -1.0]], np.float32)
    long = np.tile(x, (1, 10))  # 60-element rows: block (shared-memory tree) reductions
    fs = [lambda x: jnp.max(x, axis=1), lambda x: jnp.min(x, axis=1),
          lambda x: jnp.argmax(x, axis=1), lambda x: jnp.argmin(x, axis=1)]
    for f in fs:
        for a in (x, long):
            np.testing.assert_array_equal(np.asarray(cuda(f)(a)), np.asarray(f(jnp.asarray(a))))


def test_sort_is_stable_with_nan_last_and_multiple_keys():
    k1 = np.array([2, 1, 2, 1, 0, 2], np.int32)
    k2 = np.array([np.nan, 0.5, -0.0, 0.5, np.nan, 0.0], np.float32)
    v = np.arange(6, dtype=np.int32)
    f = lambda a, b, c: lax.sort((a, b, c), 0, num_keys=2)  # noqa: E731
    got = cuda(f)(k1, k2, v)
    for g, w in zip(got, f(k1, k2, v)):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    s = cuda(jnp.sort)(np.array([3.0, np.nan, -1.0, np.inf, -np.inf], np.float32))
    np.testing.assert_array_equal(np.asarray(s), [-np.inf, -1.0, 3.0, np.inf, np.nan])


def test_integer_arithmetic_wraps_and_float32_stays_float32():
    big = np.full(70, 2 ** 30, np.int32)
    assert int(cuda(jnp.sum)(big)) == int(np.sum(big, dtype=np.int32))
    x = np.random.RandomState(2).randn(200).astype(np.float32)
    f = lambda x: x * np.float32(0.1) + x / np.float32(3.0)  # noqa: E731
    got = cuda(f)(x)
    assert got.dtype == np.float32
    want = x * np.float32(0.1) + x / np.float32(3.0)
    if os.environ.get("JITNET_CUDA_DEVICE") == "1":  # a GPU contracts a * b + c into an FMA
        np.testing.assert_array_max_ulp(np.asarray(got), want, maxulp=1)
    else:
        np.testing.assert_array_equal(np.asarray(got), want)
    d = cuda(lambda a, b: lax.div(a, b))(np.array([7, -7, 5], np.int32),
                                         np.array([2, 2, 0], np.int32))
    np.testing.assert_array_equal(np.asarray(d), [3, -3, -1])  # C division, x/0 = -1 (XLA)


@pytest.mark.parametrize("limits", [{}, {"serial": 2, "max_threads": 4, "items": 1}],
                         ids=["serial", "block-split"])
def test_loop_with_stores_and_two_reduction_groups(limits):
    """One loop kernel storing a value and reducing it over two different axes: the first
    reduction kernel writes the store, the second reads it back (with tiny limits, both are
    block reductions split over two blocks each)."""
    def f(x):
        y = jnp.exp(x) * 2.0
        return y, jnp.sum(y, axis=0), jnp.max(y * x, axis=1)
    x = np.random.RandomState(3).randn(5, 7).astype(np.float32)
    with launch_limits(**limits):
        lowered = jitnet.jit(f, backend="cuda").lower(x)
        assert lowered.compile().program.loop_count() == 1
        src = lowered.source()
        assert src.count("reduce axes") == 2
        assert ("combine 2 partials" in src) == bool(limits)
        got = cuda(f)(x)
    for g, w in zip(got, f(jnp.asarray(x))):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "and", "or"])
def test_block_reductions_of_every_kind(name):
    """Each reducer through the shared-memory tree, split over blocks then combined, on
    float, integer and boolean operands."""
    rng = np.random.RandomState(4)
    if name in ("and", "or"):
        xs = [rng.rand(3, 20) > 0.1, rng.randint(-8, 8, (3, 20)).astype(np.int32)]
    else:
        xs = [rng.uniform(0.9, 1.1, (3, 20)).astype(np.float32),
              rng.randint(-3, 4, (3, 20)).astype(np.int32)]
    reducer = getattr(lax, f"reduce_{name}")
    with launch_limits(serial=2, max_threads=8, items=2):
        for x in xs:
            f = lambda x: (reducer(x, (1,)), reducer(x, (0, 1)))  # noqa: E731
            src = jitnet.jit(f, backend="cuda").lower(x).source()
            assert "shared.array" in src and "combine" in src
            for g, w in zip(cuda(f)(x), f(jnp.asarray(x))):
                assert np.asarray(g).dtype == np.asarray(w).dtype
                np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5)


def test_attention_products_with_folded_transposes():
    """q k^T and p v with heads as a batch dim between the matrix dims (the transposes of
    (B, T, H, D) are folded into dot_general by the compiler): offsets per (batch, head)."""
    rng = np.random.RandomState(7)
    q, k, v = (rng.standard_normal((2, 5, 3, 4)).astype(np.float32) for _ in range(3))

    def f(q, k, v):
        q, k, v = (z.transpose(0, 2, 1, 3) for z in (q, k, v))
        return (q @ k.transpose(0, 1, 3, 2)) @ v
    s = np.einsum("bthd,bshd->bhts", q, k)
    np.testing.assert_allclose(np.asarray(cuda(f)(q, k, v)),
                               np.einsum("bhts,bshd->bhtd", s, v), rtol=1e-4, atol=1e-4)

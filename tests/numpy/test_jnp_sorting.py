"""sort, argsort, lexsort, searchsorted, partition against NumPy (JAX's dtypes)."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
from jnp_testutil import check, default_int, rand, rng_for, traced

SPECIAL = np.array([3.0, np.nan, -np.inf, 1.0, np.nan, -0.0, 0.0, np.inf, 1.0, -2.5],
                   np.float32)


@pytest.mark.parametrize("shape,axis", [((7,), -1), ((3, 4, 5), -1), ((3, 4, 5), 0),
                                        ((3, 4, 5), 1), ((3, 4, 5), None), ((0, 3), -1),
                                        ((0, 3), 0), ((1,), 0)], ids=str)
@pytest.mark.parametrize("dt", [np.float32, np.int32, np.int8, np.uint8, np.bool_,
                                np.float16])
def test_sort_argsort(shape, axis, dt):
    x = rand(rng_for("sort", shape, axis, np.dtype(dt).name), shape, dt)  # many ties
    check(jnp.sort(x, axis=axis), np.sort(x, axis=axis), dtype=dt)
    check(jnp.argsort(x, axis=axis), np.argsort(x, axis=axis, kind="stable"),
          dtype=default_int())
    check(jnp.asarray(x).argsort(axis=axis), np.argsort(x, axis=axis, kind="stable"))
    if axis is not None:
        check(jnp.asarray(x).sort(axis=axis), np.sort(x, axis=axis))
    check(traced(lambda a: jnp.argsort(a, axis=axis))(x),
          np.argsort(x, axis=axis, kind="stable"))


def _desc_stable(x):
    """Stable descending order with NaN first (JAX: the reverse of the ascending order with
    ties kept in their original order)."""
    return sorted(range(len(x)), key=lambda i: (0, 0.0) if np.isnan(x[i]) else (1, -x[i]))


def test_sort_specials_and_descending():
    x = SPECIAL
    check(jnp.sort(x), np.sort(x))
    check(jnp.argsort(x), np.argsort(x, kind="stable"))
    check(jnp.sort(x, descending=True), np.sort(x)[::-1])
    check(jnp.argsort(x, descending=True), np.array(_desc_stable(x)))
    xi = np.array([3, 1, 2, 3, 1, 1, 0], np.int32)
    check(jnp.argsort(xi, descending=True), np.array(_desc_stable(xi)))
    m = rand(rng_for("desc2d"), (4, 6), np.int8)
    want = np.stack([np.array(_desc_stable(row)) for row in m])
    check(jnp.argsort(m, axis=1, descending=True), want)
    check(jnp.argsort(m.T, axis=0, descending=True), want.T)
    check(jnp.sort(m, axis=0, descending=True), np.sort(m, axis=0)[::-1])


def test_sort_0d_and_bad_axis():
    with pytest.raises(ValueError):
        jnp.sort(np.float32(1))
    check(jnp.sort(np.float32(1), axis=None), np.sort(np.float32(1), axis=None))
    with pytest.raises(ValueError):
        jnp.sort(np.ones((2, 3)), axis=2)


@pytest.mark.parametrize("nkeys", [1, 2, 3])
@pytest.mark.parametrize("axis", [-1, 0])
def test_lexsort(nkeys, axis):
    rng = rng_for("lex", nkeys, axis)
    keys = [rng.integers(0, 3, (5, 6)).astype(np.int32) for _ in range(nkeys)]
    check(jnp.lexsort(keys, axis=axis), np.lexsort(keys, axis=axis), dtype=default_int())
    check(jnp.lexsort(tuple(jnp.asarray(k) for k in keys), axis=axis),
          np.lexsort(keys, axis=axis))
    fk = [rng.standard_normal(8).astype(np.float32), rng.integers(0, 2, 8).astype(np.uint8)]
    check(jnp.lexsort(fk), np.lexsort(fk))


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("dt", [np.float32, np.int32, np.uint8])
def test_searchsorted(side, dt):
    rng = rng_for("ss", side, np.dtype(dt).name)
    a = np.sort(rand(rng, (9,), dt))  # with duplicates
    for v in (rand(rng, (5,), dt), rand(rng, (2, 3), dt), a, np.asarray(a[3]),
              rand(rng, (0,), dt)):
        check(jnp.searchsorted(a, v, side=side), np.searchsorted(a, v, side=side),
              dtype=default_int())
    check(jnp.searchsorted(a, 2, side=side), np.searchsorted(a, 2, side=side))
    perm = rng.permutation(9)
    unsorted = a[perm]
    sorter = np.argsort(unsorted, kind="stable")
    v = rand(rng, (6,), dt)
    check(jnp.searchsorted(unsorted, v, side=side, sorter=sorter),
          np.searchsorted(unsorted, v, side=side, sorter=sorter))
    check(traced(lambda a_, v_: jnp.searchsorted(a_, v_, side=side))(a, v),
          np.searchsorted(a, v, side=side))


def test_searchsorted_nan_inf_and_empty():
    a = np.array([-np.inf, -1.0, 0.0, 2.0, np.inf, np.nan, np.nan], np.float32)
    v = np.array([np.nan, -np.inf, np.inf, 1.0, -0.0, 5.0], np.float32)
    for side in ("left", "right"):
        check(jnp.searchsorted(a, v, side=side), np.searchsorted(a, v, side=side))
    e = np.zeros((0,), np.float32)
    check(jnp.searchsorted(e, v), np.searchsorted(e, v))
    check(jnp.searchsorted(np.arange(4), 2.5), np.searchsorted(np.arange(4), 2.5))


@pytest.mark.parametrize("kth", [0, 2, 4, -1])
def test_partition_contract(kth):
    x = rand(rng_for("part", kth), (3, 5), np.float32)
    p = np.asarray(jnp.partition(x, kth, axis=-1))
    s = np.sort(x, axis=-1)
    np.testing.assert_array_equal(p[:, kth], s[:, kth])
    assert np.all(p[:, :kth % 5] <= p[:, [kth % 5]])
    assert np.all(p[:, kth % 5 + 1:] >= p[:, [kth % 5]])
    np.testing.assert_array_equal(np.sort(p, axis=-1), s)
    ip = np.asarray(jnp.argpartition(x, kth, axis=-1))
    np.testing.assert_array_equal(np.take_along_axis(x, ip, -1)[:, kth], s[:, kth])
    np.testing.assert_array_equal(np.sort(ip, axis=-1), np.tile(np.arange(5), (3, 1)))

"""Statistical behaviour, shapes/dtypes and argument checking of the samplers.

Each statistical test uses a fixed key, so it is deterministic: a wrong sampler (wrong
transform, wrong parameter handling, correlated streams) fails it, a right one passes.
Moment checks allow 5 standard errors; KS tests require p > 1e-3.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.stats as st

import jitnet.numpy as jnp
from jitnet import random
from random_reference_helpers import x64
from random_stats import a, check_ks, chi2_p

N = 100_000
KEY = random.PRNGKey(20240601)


def check_moments(x, mean, var):
    x = a(x)
    n = x.size
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n), (x.mean(), mean)
    # the variance of the sample variance is about (mu4 - var^2) / n; 2 var^2 / n bounds it
    # for the light-tailed laws here, and 4 var^2 / n for Laplace/logistic
    assert abs(x.var() - var) < 5 * math.sqrt(4 * var * var / n), (x.var(), var)


CONTINUOUS = [
    ("uniform", lambda k: random.uniform(k, (N,)), st.uniform()),
    ("uniform_range", lambda k: random.uniform(k, (N,), minval=-3., maxval=5.),
     st.uniform(loc=-3, scale=8)),
    ("normal", lambda k: random.normal(k, (N,)), st.norm()),
    ("truncated_normal", lambda k: random.truncated_normal(k, -1.5, 0.5, (N,)),
     st.truncnorm(-1.5, 0.5)),
    ("truncated_normal_tail", lambda k: random.truncated_normal(k, 2., 4., (N,)),
     st.truncnorm(2., 4.)),
    ("exponential", lambda k: random.exponential(k, (N,)), st.expon()),
    ("laplace", lambda k: random.laplace(k, (N,)), st.laplace()),
    ("logistic", lambda k: random.logistic(k, (N,)), st.logistic()),
    ("gumbel", lambda k: random.gumbel(k, (N,)), st.gumbel_r()),
    ("gumbel_high", lambda k: random.gumbel(k, (N,), mode="high"), st.gumbel_r()),
]


@pytest.mark.parametrize("name,sample,dist", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_distribution(name, sample, dist):
    x = sample(KEY)
    assert x.shape == (N,) and x.dtype == np.float32
    check_ks(x, dist)
    check_moments(x, dist.mean(), dist.var())
    lo, hi = dist.support()
    assert np.all(a(x) >= lo) and np.all(a(x) <= hi)


def test_truncated_normal_stays_inside_the_open_interval():
    x = a(random.truncated_normal(KEY, 0.25, 0.2500001, (1000,)))
    assert np.all(x > np.float32(0.25)) and np.all(x < np.float32(0.2500001))


def test_uniform_float64_has_53_bit_resolution():
    with x64(True):
        x = random.uniform(KEY, (N,))
        assert x.dtype == np.float64
        check_ks(x, st.uniform())
        frac = np.asarray(x) * 2.0 ** 52
        assert np.mean(frac != np.round(frac)) == 0  # multiples of 2**-52
        assert np.mean((frac % 2 ** 29) != 0) > 0.99  # but not of 2**-23: not float32 bits


def test_complex_normal():
    z = np.asarray(random.normal(KEY, (N,), jnp.complex64))
    assert z.dtype == np.complex64
    check_moments(z.real, 0, 0.5)
    check_moments(z.imag, 0, 0.5)
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 5 / math.sqrt(N)


@pytest.mark.parametrize("p", [0.5, 0.1, 0.93])
@pytest.mark.parametrize("mode", ["low", "high"])
def test_bernoulli(p, mode):
    x = random.bernoulli(KEY, p, (N,), mode=mode)
    assert x.dtype == np.bool_
    check_moments(x, p, p * (1 - p))


def test_bernoulli_broadcasts_p():
    p = jnp.array([0.1, 0.5, 0.9])
    x = a(random.bernoulli(KEY, p, (N // 3, 3)))
    for j, pj in enumerate([0.1, 0.5, 0.9]):
        check_moments(x[:, j], pj, pj * (1 - pj))


def test_rademacher():
    x = a(random.rademacher(KEY, (N,)))
    assert set(np.unique(x)) == {-1.0, 1.0}
    check_moments(x, 0, 1)


@pytest.mark.parametrize("lo,hi,dtype", [(0, 10, None), (-7, 6, jnp.int32), (0, 256, jnp.uint8),
                                         (-128, 128, jnp.int8), (5, 17, jnp.uint32),
                                         (-3, 300, jnp.int16)])
def test_randint_is_uniform_over_the_range(lo, hi, dtype):
    x = np.asarray(random.randint(KEY, (N,), lo, hi, dtype or jnp.int32))
    assert x.dtype == np.dtype(dtype or np.int32)
    assert x.min() >= lo and x.max() < hi
    counts = np.bincount(x.astype(np.int64) - lo, minlength=hi - lo)
    assert len(counts) == hi - lo
    assert chi2_p(counts, np.full(hi - lo, 1 / (hi - lo))) > 1e-3


def test_randint_full_int32_range_and_empty_range():
    x = np.asarray(random.randint(KEY, (N,), -2 ** 31, 2 ** 31 - 1))
    check_ks(x / 2.0 ** 31, st.uniform(loc=-1, scale=2))
    assert np.all(np.asarray(random.randint(KEY, (5,), 7, 3)) == 7)  # empty: minval, as JAX


def test_randint_int64_under_x64():
    with x64(True):
        x = random.randint(KEY, (N,), -2 ** 40, 2 ** 50)
        assert x.dtype == np.int64
        check_ks(np.asarray(x) / 2.0 ** 50, st.uniform(loc=-2.0 ** -10, scale=1 + 2.0 ** -10))


def test_categorical_frequencies():
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    x = np.asarray(random.categorical(KEY, jnp.log(jnp.asarray(probs)), shape=(N,)))
    assert x.dtype == np.int32
    assert chi2_p(np.bincount(x, minlength=4), probs) > 1e-3


def test_categorical_batched_along_axis():
    logits = jnp.log(jnp.array([[0.7, 0.1], [0.2, 0.5], [0.1, 0.4]]))  # categories on axis 0
    x = np.asarray(random.categorical(KEY, logits, axis=0, shape=(N // 2, 2)))
    for j, probs in enumerate(([0.7, 0.2, 0.1], [0.1, 0.5, 0.4])):
        assert chi2_p(np.bincount(x[:, j], minlength=3), probs) > 1e-3


def test_categorical_without_replacement_gives_distinct_draws():
    keys = random.split(KEY, 200)
    logits = jnp.zeros((6,))
    firsts = []
    for k in keys:
        draw = np.asarray(random.categorical(k, logits, shape=(6,), replace=False))
        assert sorted(draw.tolist()) == list(range(6))
        firsts.append(draw[0])
    assert chi2_p(np.bincount(firsts, minlength=6), np.full(6, 1 / 6)) > 1e-3


def test_choice_with_p_and_replacement():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    x = np.asarray(random.choice(KEY, 4, (N,), p=jnp.asarray(p, jnp.float32)))
    counts = np.bincount(x, minlength=4)
    assert counts[1] == 0
    assert chi2_p(counts[[0, 2, 3]], p[[0, 2, 3]]) > 1e-3


def test_choice_uniform_and_from_an_array():
    x = np.asarray(random.choice(KEY, jnp.array([3., 5., 8.]), (N,)))
    assert set(np.unique(x)) == {3., 5., 8.}
    assert chi2_p([np.sum(x == v) for v in (3., 5., 8.)], [1 / 3] * 3) > 1e-3
    rows = np.asarray(random.choice(KEY, jnp.arange(12).reshape(4, 3), (2,), axis=1,
                                    replace=False))
    assert rows.shape == (4, 2) and rows[0, 0] != rows[0, 1]
    np.testing.assert_array_equal(rows - rows[:1], np.arange(0, 12, 3)[:, None] + 0 * rows)


def test_choice_without_replacement_is_distinct():
    for k in random.split(KEY, 20):
        d = np.asarray(random.choice(k, 10, (10,), replace=False))
        assert sorted(d.tolist()) == list(range(10))
        d = np.asarray(random.choice(k, 10, (4,), replace=False,
                                     p=jnp.array([0.0, 0.5] + [0.0625] * 8)))
        assert len(set(d.tolist())) == 4 and 0 not in d.tolist()


def test_permutation_is_uniform_over_all_orders():
    # 20000 independent permutations of 4 elements (one per column): all 24 orders equally
    n = 20_000
    x = jnp.broadcast_to(jnp.arange(4)[:, None], (4, n))
    perms = np.asarray(random.permutation(KEY, x, axis=0, independent=True))
    assert np.all(np.sort(perms, axis=0) == np.arange(4)[:, None])
    codes = perms[0] * 64 + perms[1] * 16 + perms[2] * 4 + perms[3]
    orders = [p[0] * 64 + p[1] * 16 + p[2] * 4 + p[3] for p in itertools.permutations(range(4))]
    counts = [np.sum(codes == c) for c in orders]
    assert sum(counts) == n
    assert chi2_p(counts, np.full(24, 1 / 24)) > 1e-3


def test_permutation_of_rows_and_large_arrays():
    x = jnp.arange(20).reshape(5, 4)
    p = np.asarray(random.permutation(KEY, x))
    assert sorted(p[:, 0].tolist()) == list(range(0, 20, 4))
    np.testing.assert_array_equal(p - p[:, :1], np.tile(np.arange(4), (5, 1)))  # rows intact
    big = np.asarray(random.permutation(KEY, 5000))  # two sorting rounds
    assert sorted(big.tolist()) == list(range(5000))
    assert abs(np.corrcoef(big, np.arange(5000))[0, 1]) < 5 / math.sqrt(5000)


def test_orthogonal_is_haar():
    q = np.asarray(random.orthogonal(KEY, 3, shape=(3000,)))
    assert q.shape == (3000, 3, 3)
    np.testing.assert_allclose(np.einsum("bij,bkj->bik", q, q), np.broadcast_to(np.eye(3), q.shape),
                               atol=2e-6)
    # for Haar O(3) an entry is uniform on [-1, 1], and det = +-1 with equal odds
    check_ks(q[:, 0, 0], st.uniform(loc=-1, scale=2))
    check_ks(q[:, 2, 1], st.uniform(loc=-1, scale=2))
    det = np.linalg.det(q.astype(np.float64))
    check_moments(det, 0, 1)


def test_orthogonal_semi_orthogonal_shapes():
    wide = np.asarray(random.orthogonal(KEY, 3, m=5))
    assert wide.shape == (3, 5)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=2e-6)
    tall = np.asarray(random.orthogonal(KEY, 5, m=3))
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=2e-6)


# -- independence ---------------------------------------------------------------------------

def corr(x, y):
    return np.corrcoef(a(x).ravel(), a(y).ravel())[0, 1]


def test_split_streams_are_uncorrelated():
    k1, k2 = random.split(KEY)
    n = N
    bound = 5 / math.sqrt(n)
    assert abs(corr(random.uniform(k1, (n,)), random.uniform(k2, (n,)))) < bound
    assert abs(corr(random.normal(k1, (n,)), random.normal(k2, (n,)))) < bound
    assert abs(corr(random.uniform(KEY, (n,)), random.uniform(k1, (n,)))) < bound
    f0, f1 = random.fold_in(KEY, 0), random.fold_in(KEY, 1)
    assert abs(corr(random.uniform(f0, (n,)), random.uniform(f1, (n,)))) < bound


def test_many_split_keys_are_uniform_and_uncorrelated():
    words = np.asarray(random.split(KEY, 20_000)).astype(np.float64) / 2.0 ** 32
    check_ks(words[:, 0], st.uniform())
    check_ks(words[:, 1], st.uniform())
    assert abs(corr(words[:, 0], words[:, 1])) < 5 / math.sqrt(len(words))
    assert abs(corr(words[:-1, 0], words[1:, 0])) < 5 / math.sqrt(len(words))
    # and the streams they start: first draws of sibling keys
    first = np.array([float(np.asarray(random.uniform(k))) for k in random.split(KEY, 300)])
    check_ks(first, st.uniform())


def test_consecutive_values_are_uncorrelated():
    x = a(random.uniform(KEY, (N,)))
    assert abs(corr(x[:-1], x[1:])) < 5 / math.sqrt(N)
    b = np.asarray(random.bits(KEY, (N,)))
    ones = np.unpackbits(b.view(np.uint8)).mean()
    assert abs(ones - 0.5) < 5 * 0.5 / math.sqrt(32 * N)


def test_same_key_same_values_different_key_different_values():
    np.testing.assert_array_equal(np.asarray(random.normal(KEY, (5,))),
                                  np.asarray(random.normal(KEY, (5,))))
    assert not np.array_equal(np.asarray(random.normal(KEY, (5,))),
                              np.asarray(random.normal(random.fold_in(KEY, 1), (5,))))


# -- shapes and dtypes -------------------------------------------------------------------------

FLOAT_SAMPLERS = {
    "uniform": random.uniform, "normal": random.normal, "gumbel": random.gumbel,
    "exponential": random.exponential, "laplace": random.laplace, "logistic": random.logistic,
    "truncated_normal": lambda k, s, d=None: random.truncated_normal(k, -1., 1., s, d),
}


@pytest.mark.parametrize("name", sorted(FLOAT_SAMPLERS))
@pytest.mark.parametrize("shape", [(), (3,), (2, 0, 4), (2, 3, 4)])
def test_float_sampler_shapes_and_dtypes(name, shape):
    f = FLOAT_SAMPLERS[name]
    x = f(KEY, shape)
    assert x.shape == shape and x.dtype == np.float32
    assert f(KEY, shape, jnp.float16).dtype == np.float16
    assert np.all(np.isfinite(np.asarray(x)))
    with x64(True):
        assert f(KEY, shape).dtype == np.float64
        assert f(KEY, shape, jnp.float32).dtype == np.float32


def test_other_shapes_and_dtypes():
    assert random.uniform(KEY, 5).shape == (5,)  # an int is a 1-d shape, as in JAX
    assert random.bits(KEY, (2, 3)).dtype == np.uint32
    assert random.bits(KEY, (2,), jnp.uint16).dtype == np.uint16
    assert random.randint(KEY, (2, 3), 0, 4).dtype == np.int32
    assert random.randint(KEY, (2,), 0, 4, jnp.uint8).dtype == np.uint8
    assert random.bernoulli(KEY).shape == ()
    assert random.bernoulli(KEY, jnp.full((2, 3), 0.5)).shape == (2, 3)
    assert random.truncated_normal(KEY, jnp.zeros((2, 1)), jnp.ones(3)).shape == (2, 3)
    assert random.categorical(KEY, jnp.zeros((2, 5))).shape == (2,)
    assert random.categorical(KEY, jnp.zeros((2, 5)), axis=0).shape == (5,)
    assert random.choice(KEY, 5).shape == ()
    assert random.choice(KEY, 5, (0,)).shape == (0,)
    assert random.permutation(KEY, 4).dtype == np.int32
    assert random.rademacher(KEY, (3,), jnp.float32).dtype == np.float32
    with x64(True):
        assert random.bits(KEY, (2,)).dtype == np.uint64
        assert random.randint(KEY, (2,), 0, 4).dtype == np.int64
        assert random.bernoulli(KEY, 0.5, (3,)).dtype == np.bool_
        assert random.permutation(KEY, 4).dtype == np.int64
        assert random.choice(KEY, 5, (3,)).dtype == np.int64
        assert random.categorical(KEY, jnp.zeros(5)).dtype == np.int64


# -- bad arguments ----------------------------------------------------------------------------

@pytest.mark.parametrize("call,exc,match", [
    (lambda: random.uniform(KEY, (2,), jnp.int32), ValueError, "must be a float dtype"),
    (lambda: random.normal(KEY, (2,), jnp.int32), ValueError, "float or complex"),
    (lambda: random.gumbel(KEY, (2,), jnp.uint8), ValueError, "float dtype"),
    (lambda: random.bits(KEY, (2,), jnp.int32), ValueError, "unsigned int"),
    (lambda: random.randint(KEY, (2,), 0, 5, jnp.float32), TypeError, "integer dtypes"),
    (lambda: random.uniform(KEY, (-1,)), ValueError, "non-negative"),
    (lambda: random.uniform(KEY, (2.0,)), TypeError, "integer type"),
    (lambda: random.uniform(KEY, (3,), minval=jnp.zeros((2, 3))), ValueError,
     "broadcast-compatible"),
    (lambda: random.randint(KEY, (2,), jnp.zeros(3, jnp.int32), 5), ValueError, "broadcasting"),
    (lambda: random.truncated_normal(KEY, jnp.zeros(3), 1., (2, 4)), ValueError,
     "broadcasting"),
    (lambda: random.bernoulli(KEY, 1), TypeError, "floating dtype"),
    (lambda: random.bernoulli(KEY, 0.5, mode="mid"), ValueError, "'high' or 'low'"),
    (lambda: random.gumbel(KEY, mode="x"), ValueError, "valid mode"),
    (lambda: random.gumbel(KEY, mode="highest"), NotImplementedError, "'low'"),
    (lambda: random.categorical(KEY, jnp.zeros((3, 4)), shape=(2, 4)), ValueError,
     "broadcast"),
    (lambda: random.categorical(KEY, jnp.zeros(3), shape=(4,), replace=False), ValueError,
     "cannot exceed"),
    (lambda: random.choice(KEY, 3, (5,), replace=False), ValueError, "larger sample"),
    (lambda: random.choice(KEY, 3, (2,), p=jnp.ones(4)), ValueError, "p must be None"),
    (lambda: random.choice(KEY, 3, 2), TypeError, "must be a sequence"),
    (lambda: random.choice(KEY, 0, (2,)), ValueError, "greater than 0"),
    (lambda: random.permutation(KEY, 3.0), TypeError, "integer or at least 1-dimensional"),
    (lambda: random.permutation(KEY, jnp.arange(3), axis=2), ValueError, "out of bounds"),
    (lambda: random.uniform(KEY, (2,), minval=[0., 1.]), TypeError, "asarray"),
])
def test_bad_arguments_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()

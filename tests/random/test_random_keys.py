"""Key semantics: raw vs typed keys, pytree behaviour, tracing, and argument errors."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import random
from jitnet.core.pytree import tree_flatten, tree_map, tree_unflatten
from random_reference_helpers import x64


def np_(x):
    return np.asarray(random.key_data(x) if isinstance(x, random.KeyArray) else x)


def test_prngkey_is_raw_uint32_pair():
    k = random.PRNGKey(42)
    assert isinstance(k, jitnet.Array)
    assert k.shape == (2,) and k.dtype == np.uint32
    assert np_(k).tolist() == [0, 42]


def test_seed_wrapping_x32_and_x64():
    # Python ints go through int64, then to the canonical int width (as in JAX)
    assert np_(random.PRNGKey(-1)).tolist() == [0, 0xffffffff]
    assert np_(random.PRNGKey(2 ** 40 + 5)).tolist() == [0, 5]
    with x64(True):
        assert np_(random.PRNGKey(-1)).tolist() == [0xffffffff, 0xffffffff]
        assert np_(random.PRNGKey(2 ** 40 + 5)).tolist() == [256, 5]
    with pytest.raises(OverflowError):
        random.PRNGKey(2 ** 64)


def test_typed_key_wraps_the_same_bits():
    k = random.key(42)
    assert isinstance(k, random.KeyArray) and not isinstance(k, jitnet.Array)
    assert k.shape == () and k.ndim == 0 and k.size == 1
    assert str(k.dtype) == "key<fry>" and k.dtype == random.key_dtype()
    np.testing.assert_array_equal(np_(k), np_(random.PRNGKey(42)))
    assert "key<fry>" in repr(k)


def test_split_and_fold_in_keep_the_key_kind():
    raw, typed = random.PRNGKey(7), random.key(7)
    s_raw, s_typed = random.split(raw, 3), random.split(typed, 3)
    assert isinstance(s_raw, jitnet.Array) and s_raw.shape == (3, 2)
    assert isinstance(s_typed, random.KeyArray) and s_typed.shape == (3,)
    np.testing.assert_array_equal(np_(s_raw), np_(s_typed))
    f_raw, f_typed = random.fold_in(raw, 9), random.fold_in(typed, 9)
    assert isinstance(f_typed, random.KeyArray)
    np.testing.assert_array_equal(np_(f_raw), np_(f_typed))
    assert random.split(typed, (2, 4)).shape == (2, 4)
    assert random.split(raw, (2, 4)).shape == (2, 4, 2)
    assert random.split(raw, 0).shape == (0, 2)


def test_samplers_accept_both_key_kinds_with_identical_values():
    raw, typed = random.PRNGKey(5), random.key(5)
    for f in (lambda k: random.uniform(k, (4,)), lambda k: random.normal(k, (4,)),
              lambda k: random.randint(k, (4,), 0, 9), lambda k: random.bits(k, (4,)),
              lambda k: random.permutation(k, 6), lambda k: random.gumbel(k, (3,))):
        np.testing.assert_array_equal(np.asarray(f(raw)), np.asarray(f(typed)))


def test_typed_key_array_indexing_iteration_and_equality():
    ks = random.split(random.key(0), (2, 3))
    data = np_(ks)
    np.testing.assert_array_equal(np_(ks[1, 2]), data[1, 2])
    np.testing.assert_array_equal(np_(ks[..., 0]), data[:, 0])
    np.testing.assert_array_equal(np_(ks[:, 1:]), data[:, 1:])
    assert ks[1].shape == (3,) and len(ks) == 2
    assert [k.shape for k in ks] == [(3,), (3,)]
    assert ks.reshape(6).shape == (6,) and ks.reshape((3, 2)).shape == (3, 2)
    eq = ks[0] == ks[0]
    assert np.asarray(eq).tolist() == [True, True, True]
    assert np.asarray(ks[0] != ks[1]).tolist() == [True, True, True]
    with pytest.raises(IndexError):
        random.key(0)[0]
    with pytest.raises(TypeError):
        len(random.key(0))


def test_key_data_and_wrap_key_data_round_trip():
    k = random.key(11)
    data = random.key_data(k)
    assert data.dtype == np.uint32 and data.shape == (2,)
    k2 = random.wrap_key_data(data)
    assert bool(np.asarray(k2 == k))
    raw = random.PRNGKey(11)
    np.testing.assert_array_equal(np.asarray(random.key_data(raw)), np_(raw))
    batch = random.wrap_key_data(np.zeros((4, 2), np.uint32))
    assert batch.shape == (4,)
    assert random.key_impl(k) == "threefry2x32"
    assert random.clone(k) is k


def test_typed_keys_are_pytrees_with_the_data_as_leaf():
    k = random.split(random.key(3), 2)
    leaves, tree = tree_flatten({"k": k, "w": 1.0})
    assert len(leaves) == 2
    assert any(getattr(l, "dtype", None) == np.uint32 and l.shape == (2, 2) for l in leaves)
    back = tree_unflatten(tree, leaves)
    assert isinstance(back["k"], random.KeyArray)
    np.testing.assert_array_equal(np_(back["k"]), np_(k))
    same = tree_map(lambda x: x, k)
    assert isinstance(same, random.KeyArray)


SAMPLERS = {
    "split": lambda k: random.split(k, 3),
    "fold_in": lambda k: random.fold_in(k, 5),
    "bits": lambda k: random.bits(k, (4,)),
    "uniform": lambda k: random.uniform(k, (4,), minval=-1., maxval=2.),
    "normal": lambda k: random.normal(k, (4,)),
    "normal_complex": lambda k: random.normal(k, (2,), jnp.complex64),
    "truncated_normal": lambda k: random.truncated_normal(k, -1., 2., (4,)),
    "randint": lambda k: random.randint(k, (4,), 0, 10),
    "randint_uint8": lambda k: random.randint(k, (4,), 0, 256, jnp.uint8),
    "bernoulli": lambda k: random.bernoulli(k, 0.3, (4,)),
    "bernoulli_high": lambda k: random.bernoulli(k, 0.3, (4,), mode="high"),
    "categorical": lambda k: random.categorical(k, jnp.zeros((3, 4))),
    "categorical_no_replace": lambda k: random.categorical(k, jnp.zeros((3, 4)), shape=(2, 3),
                                                           replace=False),
    "choice": lambda k: random.choice(k, 5, (3,)),
    "choice_p": lambda k: random.choice(k, 5, (3,), p=jnp.ones(5) / 5),
    "choice_no_replace": lambda k: random.choice(k, 5, (3,), replace=False),
    "choice_p_no_replace": lambda k: random.choice(k, 5, (3,), replace=False, p=jnp.ones(5) / 5),
    "permutation": lambda k: random.permutation(k, 6),
    "permutation_axis": lambda k: random.permutation(k, jnp.arange(12).reshape(3, 4), axis=1),
    "gumbel": lambda k: random.gumbel(k, (4,)),
    "gumbel_high": lambda k: random.gumbel(k, (4,), mode="high"),
    "exponential": lambda k: random.exponential(k, (4,)),
    "laplace": lambda k: random.laplace(k, (4,)),
    "logistic": lambda k: random.logistic(k, (4,)),
    "rademacher": lambda k: random.rademacher(k, (4,)),
    "orthogonal": lambda k: random.orthogonal(k, 3, m=4),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_traces_with_an_abstract_key(name):
    # staged with the key as an abstract input (what jit/vmap will do): no concretization,
    # and the IR computes the same values as eager execution
    f = SAMPLERS[name]
    key = random.PRNGKey(3)
    cj = jitnet.make_jaxpr(f)(key)
    assert cj.in_avals[0].shape == (2,)
    np.testing.assert_array_equal(np.asarray(cj(key)[0]), np.asarray(f(key)))


def test_traces_with_a_typed_key_argument():
    f = lambda k: random.key_data(random.split(k, 2))  # noqa: E731
    k = random.key(8)
    cj = jitnet.make_jaxpr(f)(k)
    np.testing.assert_array_equal(np.asarray(cj(random.key_data(k))[0]), np.asarray(f(k)))


def test_traced_fold_in_data():
    f = lambda k, d: random.fold_in(k, d)  # noqa: E731
    key = random.PRNGKey(1)
    cj = jitnet.make_jaxpr(f)(key, jnp.int32(4))
    np.testing.assert_array_equal(np.asarray(cj(key, jnp.int32(4))[0]),
                                  np.asarray(random.fold_in(key, 4)))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: random.key(random.key(0)), TypeError, "given a PRNG key"),
    (lambda: random.PRNGKey(1.0), TypeError, "must be an integer"),
    (lambda: random.PRNGKey(jnp.float32(1.0)), TypeError, "must be an integer"),
    (lambda: random.PRNGKey(jnp.array([1, 2])), TypeError, "scalar seed"),
    (lambda: random.PRNGKey(0, impl="rbg"), ValueError, "threefry2x32"),
    (lambda: random.fold_in(random.PRNGKey(0), -1), OverflowError, "uint32"),
    (lambda: random.fold_in(random.PRNGKey(0), 2 ** 32), OverflowError, "uint32"),
    (lambda: random.fold_in(random.PRNGKey(0), jnp.arange(2)), TypeError, "scalar"),
    (lambda: random.split(random.PRNGKey(0), -1), ValueError, "non-negative"),
    (lambda: random.split(random.PRNGKey(0), 2.5), TypeError, "integer type"),
    (lambda: random.split(random.split(random.PRNGKey(0)), 2), ValueError, "single key"),
    (lambda: random.uniform(random.split(random.key(0))), ValueError, "single key"),
    (lambda: random.uniform(jnp.zeros(2, jnp.int32)), TypeError, "uint32"),
    (lambda: random.uniform(jnp.zeros(3, jnp.uint32)), TypeError, "end with \\(2,\\)"),
    (lambda: random.uniform("key"), TypeError, "unexpected PRNG key type"),
    (lambda: random.wrap_key_data(jnp.zeros(3, jnp.uint32)), TypeError, "end with \\(2,\\)"),
    (lambda: random.wrap_key_data(random.key(0)), TypeError, "already a typed key"),
])
def test_bad_key_arguments_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()

"""lax.reduce against NumPy: monoid computations (as primitives or lambdas), non-identity
initial values, variadic reductions (argmax over (value, index) pairs), generic computations
folded in order, gradients, jit, and the errors."""
import functools

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax

_IMPORT_RNG = np.random.default_rng(0)
X = _IMPORT_RNG.standard_normal((3, 4, 5)).astype(np.float32)


@pytest.mark.parametrize("comp,np_red,init", [
    (lax.add, np.sum, 0.0), (lax.add, np.sum, 1.5), (lax.mul, np.prod, 2.0),
    (lax.max, np.max, -np.inf), (lax.max, np.max, 0.25), (lax.min, np.min, np.inf),
    (lambda a, b: a + b, np.sum, 0.5), (lambda a, b: lax.max(b, a), np.max, -1.0)])
@pytest.mark.parametrize("dims", [(0,), (1, 2), (0, 1, 2)])
def test_monoids_combine_the_init_value_once(comp, np_red, init, dims):
    got = lax.reduce(X, np.float32(init), comp, dims)
    ref = np_red(X.astype(np.float64), axis=dims)
    ref = {np.sum: np.add, np.prod: np.multiply, np.max: np.maximum,
           np.min: np.minimum}[np_red](ref, init)
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-5, atol=1e-5)


def test_a_monoid_lambda_becomes_the_reduction_primitive():
    ir = jitnet.make_jaxpr(lambda x: lax.reduce(x, np.float32(0), lambda a, b: b + a, (1,)))(X)
    assert "reduce_sum" in str(ir) and "scan" not in str(ir), str(ir)


def test_integer_bitwise_reductions(generator):
    x = generator.integers(0, 1 << 20, (6, 7)).astype(np.int32)
    for comp, uf, init in [(lax.bitwise_and, np.bitwise_and, -1), (lax.bitwise_or,
                           np.bitwise_or, 0), (lax.bitwise_xor, np.bitwise_xor, 5)]:
        got = lax.reduce(x, np.int32(init), comp, (0,))
        np.testing.assert_array_equal(np.asarray(got), uf(uf.reduce(x, axis=0), init))


def _argmax_pair(a, b):
    (av, ai), (bv, bi) = a, b
    take_b = (bv > av) | ((bv == av) & (bi < ai))
    return lax.select(take_b, bv, av), lax.select(take_b, bi, ai)


def test_variadic_argmax_over_value_index_pairs_with_ties():
    x = np.array([[1., 3., 3., 0.], [2., 2., 2., 2.], [-1., -5., 7., 7.]], np.float32)
    idx = np.broadcast_to(np.arange(4, dtype=np.int32), x.shape)
    v, i = lax.reduce((x, idx), (np.float32(-np.inf), np.int32(0)), _argmax_pair, (1,))
    np.testing.assert_array_equal(np.asarray(i), np.argmax(x, axis=1))
    np.testing.assert_array_equal(np.asarray(v), np.max(x, axis=1))


def test_generic_computation_folds_in_order_from_the_init_value(generator):
    def comp(a, b):
        return 0.5 * a + b * b          # neither commutative nor associative
    x = generator.standard_normal((4, 3)).astype(np.float32)
    got = jitnet.jit(lambda x: lax.reduce(x, np.float32(0.25), comp, (0,)))(x)
    ref = [functools.reduce(lambda a, b: 0.5 * a + b * b, x[:, j].astype(np.float64), 0.25)
           for j in range(3)]
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-5)


def test_empty_reduction_gives_the_init_value():
    x = np.zeros((0, 3), np.float32)
    np.testing.assert_array_equal(np.asarray(lax.reduce(x, np.float32(2), lax.add, (0,))),
                                  np.full(3, 2, np.float32))
    got = lax.reduce(x, np.float32(7), lambda a, b: a * 0.5 + b, (0,))
    np.testing.assert_array_equal(np.asarray(got), np.full(3, 7, np.float32))


def test_gradients_match_finite_differences(generator):
    x = generator.standard_normal((3, 4))
    with jitnet.enable_x64():
        for comp in (lax.mul, lambda a, b: jnp.sin(a) + b):
            f = lambda x: jnp.sum(lax.reduce(x, np.float64(1.0), comp, (1,)))
            g = np.asarray(jitnet.grad(f)(x))
            eps, fd = 1e-6, np.zeros_like(x)
            for k in np.ndindex(x.shape):
                d = np.zeros_like(x)
                d[k] = eps
                fd[k] = (float(f(x + d)) - float(f(x - d))) / (2 * eps)
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="same structure"):
        lax.reduce((X, X), np.float32(0), lax.add, (0,))
    with pytest.raises(ValueError, match="dimensions"):
        lax.reduce(X, np.float32(0), lax.add, (3,))
    with pytest.raises(TypeError, match="init value"):
        lax.reduce(X, np.int32(0), lax.add, (0,))
    with pytest.raises(ValueError, match="one shape"):
        lax.reduce((X, X[0]), (np.float32(0), np.float32(0)), _argmax_pair, (0,))

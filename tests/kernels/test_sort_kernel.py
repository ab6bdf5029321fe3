"""The sort kernels (jitnet/kernels/sort.py) against NumPy's stable sorts written here:
every axis position, 0/1 lengths, NaN/inf last, ties kept in order, several keys of mixed
dtypes, bool; gradients through the permutation; a second program reusing the kernels;
complex operands, which keep the generated argsorts, giving the kernels' order."""
import numpy as np

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.runtime import compile_log


def ref_sort(ops, axis, num_keys):
    """NumPy: lexsort's stable order by the keys (first key most significant), taken along
    ``axis``."""
    keys = [np.moveaxis(k, axis, -1) for k in ops[:num_keys]][::-1]
    order = np.moveaxis(np.lexsort(keys, axis=-1), -1, axis) if ops[0].size else \
        np.zeros(ops[0].shape, np.intp)
    return [np.take_along_axis(x, order, axis) for x in ops]


def test_float_keys_every_axis_nan_inf_ties_and_empty():
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, (3, 5, 4)).astype(np.float32)  # many ties
    x[0, 1, 2], x[2, 3, 0], x[1, 0, 1] = np.nan, np.inf, -np.inf
    x[1, 4, 3] = -0.0
    payload = rng.standard_normal(x.shape).astype(np.float32)  # which tied key went first
    empty = np.zeros((2, 0, 3), np.float32)
    one = rng.standard_normal((4, 1)).astype(np.float32)

    def f(x, p, e, o):
        outs = [lax.sort((x, p), dimension=d, num_keys=1) for d in range(3)]
        return outs, jnp.sort(e, axis=1), jnp.sort(o, axis=1), jnp.sort(o, axis=0)

    outs, e, o1, o0 = jitnet.jit(f)(x, payload, empty, one)
    for d in range(3):
        for got, want in zip(outs[d], ref_sort([x, payload], d, 1)):
            np.testing.assert_array_equal(np.asarray(got), want)
    assert np.asarray(e).shape == (2, 0, 3)
    np.testing.assert_array_equal(np.asarray(o1), one)
    np.testing.assert_array_equal(np.asarray(o0), np.sort(one, axis=0))


def test_several_keys_mixed_dtypes_and_bool(x64):
    rng = np.random.default_rng(1)
    shape = (4, 9)
    ops = [rng.integers(0, 2, shape).astype(bool), rng.integers(-3, 3, shape).astype(np.int32),
           rng.integers(0, 4, shape).astype(np.uint8), rng.standard_normal(shape)]

    def f(*ops):
        return lax.sort(ops, dimension=1, num_keys=3), lax.sort(ops[1:], dimension=0,
                                                                  num_keys=1)

    many, few = jitnet.jit(f)(*ops)
    for got, want in zip(many, ref_sort(ops, 1, 3)):
        assert np.asarray(got).dtype == want.dtype
        np.testing.assert_array_equal(np.asarray(got), want)
    for got, want in zip(few, ref_sort(ops[1:], 0, 1)):
        np.testing.assert_array_equal(np.asarray(got), want)


def test_argsort_and_gradient_through_the_permutation():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, -1.0, 4.0, 0.0]], np.float32)
    np.testing.assert_array_equal(np.asarray(jitnet.jit(jnp.argsort)(x)),
                                  np.argsort(x, kind="stable"))
    weights = np.arange(4, dtype=np.float32)
    g = jitnet.jit(jitnet.grad(lambda x: (jnp.sort(x) * weights).sum()))(x)
    want = np.zeros_like(x)  # d/dx of sum_j w_j x[perm_j] is w at perm's inverse
    np.put_along_axis(want, np.argsort(x, kind="stable"), np.broadcast_to(weights, x.shape), 1)
    np.testing.assert_array_equal(np.asarray(g), want)


def test_a_second_program_reuses_the_kernels():
    x = np.array([2.0, -1.0, 3.0], np.float32)
    jitnet.jit(jnp.sort)(x)
    before = dict(compile_log.counts)
    f = jitnet.jit(lambda x: jnp.sort(x * 3.0))
    np.testing.assert_array_equal(np.asarray(f(x)), np.sort(x * 3.0))
    assert "jn_sort_keys_float32(" in f.lower(x).source()
    assert compile_log.counts["compile"] + compile_log.counts["cache_load"] \
        == before["compile"] + before["cache_load"] + 1  # the program only


def test_complex_operands_keep_the_generated_sort_and_agree_with_the_kernels():
    rng = np.random.default_rng(2)
    k = rng.integers(0, 3, (3, 8)).astype(np.float32)
    real, imag = rng.standard_normal((2, 3, 8)).astype(np.float32)

    def f(k, real, imag):
        by_kernel = lax.sort((k, real, imag), dimension=1, num_keys=1)
        generated = lax.sort((k, lax.complex(real, imag)), dimension=1, num_keys=1)
        return by_kernel, generated

    jf = jitnet.jit(f)
    (k1, re1, im1), (k2, c2) = jf(k, real, imag)
    src = jf.lower(k, real, imag).source()
    assert "jn_sort_keys_float32(" in src and "argsort(" in src
    want = ref_sort([k, real, imag], 1, 1)
    for got, w in zip((k1, re1, im1, k2, np.real(c2), np.imag(c2)), want + want):
        np.testing.assert_array_equal(np.asarray(got), w)

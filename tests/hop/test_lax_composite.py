"""lax.population_count (a primitive since), clz, top_k and cumlogsumexp against NumPy (issue 18,
item 4)."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.test_util import check_grads


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint32, np.int32])
def test_bit_counts(dtype):
    info = np.iinfo(dtype)
    x = np.array([0, 1, 2, 3, 7, info.max, info.min, info.max // 3], dtype)
    width = np.dtype(dtype).itemsize * 8
    bits = [format(int(v) & ((1 << width) - 1), f"0{width}b") for v in x]
    pop = np.array([b.count("1") for b in bits], dtype)
    lead = np.array([len(b) - len(b.lstrip("0")) for b in bits], dtype)
    for f, ref in ((lax.population_count, pop), (lax.clz, lead)):
        got = f(x)
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), ref)
        np.testing.assert_array_equal(np.asarray(jitnet.jit(f)(x)), ref)
    with pytest.raises(TypeError, match="population_count"):
        lax.population_count(np.ones(2, np.float32))


def test_top_k():
    x = np.array([[3.0, 1.0, 3.0, 5.0, -2.0], [0.0, 0.5, 0.25, 0.5, 9.0]], np.float32)
    vals, idx = lax.top_k(x, 3)
    ref_idx = np.argsort(-x, axis=-1, kind="stable")[:, :3]
    np.testing.assert_array_equal(np.asarray(idx), ref_idx)
    np.testing.assert_array_equal(np.asarray(vals), np.take_along_axis(x, ref_idx, -1))
    assert idx.dtype == np.int32
    g = jitnet.grad(lambda v: jnp.sum(lax.top_k(v, 2)[0]))(x[0])
    np.testing.assert_array_equal(np.asarray(g), [1.0, 0.0, 0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="top_k"):
        lax.top_k(x, 6)


@pytest.mark.parametrize("reverse", [False, True])
def test_cumlogsumexp(reverse):
    x = np.array([[-1000.0, 0.0, 2.0], [5.0, 5.0, -3.0]], np.float32)
    xx = x[:, ::-1] if reverse else x
    ref = np.logaddexp.accumulate(xx.astype(np.float64), axis=1)
    ref = ref[:, ::-1] if reverse else ref
    got = lax.cumlogsumexp(x, axis=1, reverse=reverse)
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-6)
    check_grads(lambda v: lax.cumlogsumexp(v, axis=0, reverse=reverse),
                (np.array([0.3, -1.0, 2.0]),), order=1, rtol=1e-2, atol=1e-2)

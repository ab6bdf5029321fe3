"""Code the CPU tests check but whose CUDA lowering could differ: float32 hypergeometric series
summed in double-float arithmetic (``scipy/special/double_float.py``: its error-free
transformations break if the compiler contracts a * b + c into one rounding, which CUDA's
compiler does by default), and the gradients of grouped and depthwise convolutions, which are
convolutions with few outputs and large windows. Small sizes under the simulator; with
``JITNET_CUDA_DEVICE=1`` (a real GPU) 20,000 points, as the CPU's accuracy search used."""
import os

import numpy as np
import pytest
import scipy.special as sp

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.scipy import special as js

REAL_GPU = os.environ.get("JITNET_CUDA_DEVICE") == "1"
POINTS = 20_000 if REAL_GPU else 6


def cuda(f):
    return jitnet.jit(f, backend="cuda")


def test_hyp2f1_float32_keeps_its_precision(generator):
    n = POINTS
    a, b = generator.uniform(-5, 5, n), generator.uniform(-5, 5, n)
    c, x = generator.uniform(0.1, 8, n), generator.uniform(-10, 0.9, n)
    # the first rows: points where plain float32 summation lost 2-12% (CPU test's cancelling
    # series); only double-float arithmetic keeps them to 5e-6
    hard = np.array([(-2.81394, -4.2599053, 4.3623667, -7.515428),
                     (-4.7574034, -2.7732668, 6.877792, -8.470304)]).T
    a, b, c, x = (np.concatenate([h, v]).astype(np.float32) for h, v in zip(hard, (a, b, c, x)))
    expected = sp.hyp2f1(*(v.astype(np.float64) for v in (a, b, c, x)))
    keep = np.abs(expected) < 1e30
    got = np.asarray(cuda(js.hyp2f1)(a, b, c, x))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got[keep], expected[keep], rtol=5e-6)


def test_hyp1f1_float32_keeps_its_precision(generator):
    n = POINTS
    a, b = generator.uniform(0.1, 10, n), generator.uniform(0.1, 10, n)
    x = generator.uniform(-80, 200, n)
    hard = np.array([(9.796106, 2.7224844, -10.159563), (9.579998, 1.583562, -16.665018)]).T
    a, b, x = (np.concatenate([h, v]).astype(np.float32) for h, v in zip(hard, (a, b, x)))
    expected = sp.hyp1f1(*(v.astype(np.float64) for v in (a, b, x)))
    keep = np.abs(expected) < 1e37
    got = np.asarray(cuda(js.hyp1f1)(a, b, x))
    np.testing.assert_allclose(got[keep], expected[keep], rtol=2e-5)
    np.testing.assert_allclose(got[:2], expected[:2], rtol=1e-6)  # the cancelling series


# (lhs NCHW, rhs OIHW, strides, padding, groups): depthwise, a channel multiplier with stride,
# and two groups with negative padding
CONVS = {"depthwise": ((2, 5, 7, 6), (5, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), 5),
         "multiplier-stride": ((3, 4, 9, 7), (12, 1, 3, 3), (2, 2), ((1, 2), (2, 1)), 4),
         "groups2": ((2, 6, 8, 9), (4, 3, 2, 3), (2, 1), ((0, 1), (-1, 2)), 2)}


@pytest.mark.parametrize("name", sorted(CONVS))
def test_grouped_conv_value_and_grads_equal_the_cpu(name, generator):
    xs, ws, strides, padding, groups = CONVS[name]

    def loss(x, w, r):
        y = lax.conv_general_dilated(x, w, strides, padding, feature_group_count=groups)
        return jnp.sum(jnp.sin(y) * r)

    x = generator.standard_normal(xs).astype(np.float32)
    w = generator.standard_normal(ws).astype(np.float32)
    out = jitnet.eval_shape(lambda x, w: lax.conv_general_dilated(
        x, w, strides, padding, feature_group_count=groups), x, w)
    r = generator.standard_normal(out.shape).astype(np.float32)
    f = jitnet.value_and_grad(loss, argnums=(0, 1))
    (v_gpu, (gx_gpu, gw_gpu)) = cuda(f)(x, w, r)
    (v_cpu, (gx_cpu, gw_cpu)) = jitnet.jit(f, backend="cpu")(x, w, r)
    # float32 sums in another order: a few ulp of the largest terms
    np.testing.assert_allclose(np.asarray(v_gpu), np.asarray(v_cpu), rtol=1e-5, atol=1e-4)
    for g, c in ((gx_gpu, gx_cpu), (gw_gpu, gw_cpu)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(c), rtol=1e-4, atol=1e-4)

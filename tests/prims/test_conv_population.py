"""vmap of a convolution over members that each have their own inputs and weights (a
population of CNNs): values and gradients against a per-member Python loop, in both
orders of the transforms (vmap of grad, grad of vmap), channels-last as the layers use."""
import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax

DN = ("NHWC", "HWIO", "NHWC")


def _loss(w, x, ct):
    y = lax.conv_general_dilated(x, w, (2, 1), ((1, 1), (0, 1)), rhs_dilation=(1, 2),
                                 dimension_numbers=DN, feature_group_count=2)
    return jnp.sum(jnp.tanh(y) * ct)


def _data(members=2):
    rs = np.random.RandomState(0)
    x = rs.randn(members, 2, 5, 4, 4)
    w = rs.randn(members, 2, 2, 2, 4) * 0.3
    ct = rs.randn(members, 2, 3, 3, 4)
    return x, w, ct


def _fd_grad(w, x, ct, eps=1e-6):
    """Central finite differences of ``_loss`` in float64 (an independent reference)."""
    g = np.zeros_like(w)
    for i in np.ndindex(*w.shape):
        d = np.zeros_like(w)
        d[i] = eps
        g[i] = (float(_loss(w + d, x, ct)) - float(_loss(w - d, x, ct))) / (2 * eps)
    return g


def test_member_convs_match_a_loop(x64):
    x, w, ct = _data()
    vals, grads = jax.jit(jax.vmap(jax.value_and_grad(_loss)))(w, x, ct)
    total, grads_of_sum = jax.jit(jax.value_and_grad(
        lambda w: jnp.sum(jax.vmap(_loss)(w, x, ct))))(w)
    loop = [float(_loss(w[m], x[m], ct[m])) for m in range(len(x))]
    np.testing.assert_allclose(vals, loop, rtol=1e-10)
    np.testing.assert_allclose(total, sum(loop), rtol=1e-10)
    for m in range(len(x)):
        fd = _fd_grad(w[m], x[m], ct[m])
        np.testing.assert_allclose(grads[m], fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(grads_of_sum[m], fd, rtol=1e-6, atol=1e-8)

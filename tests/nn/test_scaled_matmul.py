"""Block-scaled matmuls (jax.nn.scaled_matmul, scaled_dot_general, lax.scaled_dot) against
NumPy references that quantize with ml_dtypes' real float8/float4 casts, as JAX's
reference implementation does."""
import ml_dtypes
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax, nn
from jitnet.nn.scaled_matmul import _e8m0_round_up, _round_to_format


def _np_scaled_matmul(a, b, sa, sb):
    a = a * np.repeat(sa, a.shape[-1] // sa.shape[-1], axis=-1)
    b = b * np.repeat(sb, b.shape[-1] // sb.shape[-1], axis=-1)
    return np.einsum("bmk,bnk->bmn", a.astype(np.float64), b.astype(np.float64))


def _np_e8m0_up(s):
    bits = s.astype(np.float32).view(np.uint32)
    exp, mant = bits >> 23, bits & 0x7FFFFF
    up = (mant > 0) & (exp != 0xFE) & ~((exp == 0) & (mant <= 0x400000))
    exp = np.where(up, exp + 1, exp).astype(np.uint32)
    return np.where(exp == 0, np.float32(2.0 ** -127), (exp << 23).view(np.float32))


def _np_quantize(x, mode, gs=1.0):
    """JAX's quantize, with ml_dtypes casting to the real formats."""
    b, m, k = x.shape
    bs = 32 if mode == "mxfp8" else 16
    fmt = ml_dtypes.float8_e4m3fn if mode == "mxfp8" else ml_dtypes.float4_e2m1fn
    big = np.float32(ml_dtypes.finfo(fmt).max)
    x = x.astype(np.float32).reshape(b, m, k // bs, bs)
    if mode == "nvfp4":
        x = x / np.float32(gs)
    amax = np.max(np.abs(x), axis=-1, keepdims=True) / big
    if mode == "mxfp8":
        s = _np_e8m0_up(amax)
    else:
        s = np.clip(amax, 0, 448).astype(ml_dtypes.float8_e4m3fn).astype(np.float32)
    # an all-zero block has scale 0 under nvfp4: JAX divides 0 by 0 there (nan), an
    # artefact; jitnet keeps the block zero, the mathematically right value
    q = np.clip(x / np.where(s == 0, 1, s), -big, big).astype(fmt).astype(np.float32)
    return q.reshape(b, m, k), s.reshape(b, m, k // bs)


def _np_qdot(x3, y3, mode, gx=1.0, gy=1.0):
    xq, xs = _np_quantize(x3, mode, gx)
    yq, ys = _np_quantize(y3, mode, gy)
    out = _np_scaled_matmul(xq, yq, xs, ys)
    return out * gx * gy if mode == "nvfp4" else out


def test_scaled_matmul_matches_repeat_and_einsum(generator):
    a, b = generator.standard_normal((2, 3, 8)), generator.standard_normal((2, 5, 8))
    sa, sb = generator.uniform(0.5, 2, (2, 3, 2)), generator.uniform(0.5, 2, (2, 5, 2))
    got = nn.scaled_matmul(a, b, sa, sb)
    assert got.dtype == np.float32 and got.shape == (2, 3, 5)
    np.testing.assert_allclose(np.asarray(got), _np_scaled_matmul(a, b, sa, sb), rtol=1e-5)
    one = np.ones((1, 1, 1))  # JAX's docstring example: 0.5 * 0.5 * (4 + 10 + 18)
    assert float(nn.scaled_matmul(np.array([[[1.0, 2, 3]]]), np.array([[[4.0, 5, 6]]]),
                                  0.5 * one, 0.5 * one)[0, 0, 0]) == 8.0


@pytest.mark.parametrize("fmt, lim", [(ml_dtypes.float8_e4m3fn, 448),
                                      (ml_dtypes.float4_e2m1fn, 6)])
def test_rounding_to_the_formats_grid_equals_ml_dtypes_casts(fmt, lim, generator):
    x = np.concatenate([generator.standard_normal(500) * 40, generator.standard_normal(200) * 1e-3,
                        [0.0, lim, -lim, 0.0009765625, 0.00146484375, 1.0625, 0.25, 0.75]])
    x = np.clip(x, -lim, lim).astype(np.float32)           # (ties to even among them)
    # the bit manipulations compiled too (the rest of scaled_dot_general is jnp operations
    # whose primitives the jit conformance tests cover)
    both = lambda v: (_round_to_format(v, fmt), _e8m0_round_up(jnp.abs(v)))  # noqa: E731
    for rounded, scale in (both(jnp.asarray(x)), jitnet.jit(both)(x)):
        np.testing.assert_array_equal(np.asarray(rounded), x.astype(fmt).astype(np.float32))
        np.testing.assert_array_equal(np.asarray(scale), _np_e8m0_up(np.abs(x)))


@pytest.mark.parametrize("mode", ["mxfp8", "nvfp4"])
def test_scaled_dot_general_forward_matches_reference(mode, generator):
    gs = 0.5 if mode == "nvfp4" else None
    cfg = nn.get_scaled_dot_general_config(mode, None if gs is None else np.float32([gs]))
    x, y = generator.standard_normal((2, 3, 64)) * 3, generator.standard_normal((2, 4, 64))
    x[0, 0, :16] = 0.0                                      # an all-zero block
    dn = (((2,), (2,)), ((0,), (0,)))
    got = nn.scaled_dot_general(x, y, dn, configs=[cfg] * 3)
    want = _np_qdot(x, y, mode, gs or 1.0, gs or 1.0)
    assert got.dtype == np.float32 and got.shape == (2, 3, 4)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    exact = np.einsum("bmk,bnk->bmn", x, y)   # the quantization error: 3 or 1 mantissa bits
    rel = np.linalg.norm(np.asarray(got) - exact) / np.linalg.norm(exact)
    assert rel < (0.05 if mode == "mxfp8" else 0.25), rel


def test_scaled_dot_general_other_layouts_and_no_configs(generator):
    cfg = nn.get_scaled_dot_general_config("mxfp8")
    x, y = generator.standard_normal((32, 3)), generator.standard_normal((2, 32))  # (K, M), (N, K)
    dn = (((0,), (1,)), ((), ()))
    got = nn.scaled_dot_general(x, y, dn, configs=[cfg] * 3)
    want = _np_qdot(x.T[None], y[None], "mxfp8")[0]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(nn.scaled_dot_general(x, y, dn)), x.T @ y.T,
                               rtol=1e-5)


def test_scaled_dot_general_gradients_quantize_the_cotangent(generator):
    # 2-d: lhs (M, K), rhs (N, K); the cotangent of lhs is g (M, N) contracted with rhs
    # over N, both quantized along N; that of rhs is g^T with lhs, as in JAX's backward
    cfg = nn.get_scaled_dot_general_config("mxfp8")
    # (every contracted size, M and N included, is a multiple of the block size 32)
    x, y = generator.standard_normal((32, 64)), generator.standard_normal((32, 64))
    w = generator.standard_normal((32, 32))
    dn = (((1,), (1,)), ((), ()))
    f = lambda a, b: jnp.sum(nn.scaled_dot_general(a, b, dn, configs=[cfg] * 3) * w)  # noqa
    gx, gy = jitnet.grad(f, (0, 1))(x, y)
    np.testing.assert_allclose(np.asarray(gx), _np_qdot(w[None], y.T[None], "mxfp8")[0],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(gy), _np_qdot(w.T[None], x.T[None], "mxfp8")[0],
                               rtol=1e-5, atol=1e-5)


def test_lax_scaled_dot_repeats_scales_in_bfloat16(generator):
    a, b = generator.standard_normal((2, 3, 8)), generator.standard_normal((2, 8, 5))
    sa, sb = generator.uniform(0.5, 2, (2, 3, 2)), generator.uniform(0.5, 2, (2, 4, 5))
    got = lax.scaled_dot(a, b, lhs_scale=sa, rhs_scale=sb,
                         preferred_element_type=np.float32)
    bf = lambda v: v.astype(jnp.bfloat16).astype(np.float64)  # noqa: E731
    a_s = bf(bf(a) * bf(np.repeat(sa, 4, axis=2)))
    b_s = bf(bf(b) * bf(np.repeat(sb, 2, axis=1)))
    np.testing.assert_allclose(np.asarray(got), np.einsum("bmk,bkn->bmn", a_s, b_s),
                               rtol=1e-5, atol=1e-5)
    assert lax.scaled_dot(a, b).dtype == jnp.bfloat16      # JAX's default result type


@pytest.mark.parametrize("call, words", [
    (lambda: nn.scaled_matmul(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 1)),
                              np.ones((2, 1))), ["3-dimensional"]),
    (lambda: nn.scaled_matmul(np.ones((1, 2, 8)), np.ones((1, 2, 8)), np.ones((1, 2, 3)),
                              np.ones((1, 2, 3))), ["multiple", "8", "3"]),
    (lambda: nn.scaled_dot_general(np.ones((2, 16)), np.ones((3, 16)),
                                   (((1,), (1,)), ((), ())),
                                   configs=[nn.get_scaled_dot_general_config("mxfp8")] * 3),
     ["16", "block size 32"]),
    (lambda: nn.get_scaled_dot_general_config("fp2"), ["fp2"]),
    (lambda: lax.scaled_dot(np.ones(4), np.ones(4)), ["rank"]),
    (lambda: lax.scaled_dot(np.ones((2, 4)), np.ones((4, 3)), lhs_scale=np.ones((3, 2))),
     ["lhs_scale", "(2, 4)"]),
])
def test_bad_arguments_raise_naming_the_function(call, words):
    with pytest.raises((TypeError, ValueError)) as err:
        call()
    for w in words:
        assert w in str(err.value), (w, str(err.value))

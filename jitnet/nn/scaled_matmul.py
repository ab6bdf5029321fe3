"""``jax.nn``'s block-scaled (microscaling) matmuls: ``scaled_matmul``,
``scaled_dot_general`` and ``get_scaled_dot_general_config``, with JAX's reference
semantics.

jitnet has no 8- and 4-bit float dtypes, so quantized values are kept in float32 on the
grid of the quantized format (``data_type``: float8_e4m3fn or float4_e2m1fn, round to
nearest even, saturated to its largest value) and scales likewise (a power of two rounded
up for mxfp8's float8_e8m0fnu, the float8_e4m3fn grid for nvfp4): the products are the
ones a kernel fed those formats computes, accumulated in float32.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..core.source_info import user_line
from ..hop.custom import custom_vjp
from ..lax.scaled_dot import repeat_scale


@dataclass
class BlockScaleConfig:
    """How ``scaled_dot_general`` quantizes one operand: blocks of ``block_size`` along
    the contracting dimension share a scale of ``scale_type``; values become ``data_type``;
    ``global_scale`` (nvfp4) divides the operand first."""
    mode: str
    block_size: int
    data_type: object
    scale_type: object
    global_scale: object
    infer_only: bool


def get_scaled_dot_general_config(mode, global_scale=None):
    """The configuration of ``mode``: "mxfp8" (float8_e4m3fn values, power-of-two
    float8_e8m0fnu scales per 32) or "nvfp4" (float4_e2m1fn values, float8_e4m3fn scales per
    16, and a float32 ``global_scale``, 1 by default)."""
    import ml_dtypes  # loaded on use: importing it costs ~0.6 s
    if mode == "mxfp8":
        return BlockScaleConfig("mxfp8", 32, ml_dtypes.float8_e4m3fn,
                                ml_dtypes.float8_e8m0fnu, None, False)
    if mode == "nvfp4":
        gs = jnp.ones((1,), np.float32) if global_scale is None else global_scale
        return BlockScaleConfig("nvfp4", 16, ml_dtypes.float4_e2m1fn,
                                ml_dtypes.float8_e4m3fn, gs, False)
    raise ValueError(f"get_scaled_dot_general_config: unsupported mode {mode!r} (use "
                     f"'mxfp8' or 'nvfp4'){user_line()}")


def _round_to_format(x, fmt):
    """``x`` (float32, within the format's range) rounded to the nearest value of the float
    format ``fmt`` (ties to even), subnormals included: steps of 2^(e - nmant) in the
    binade [2^e, 2^(e+1)), e at least the smallest normal exponent. The binade and the step
    are read and built from float32's exponent bits."""
    import ml_dtypes  # loaded on use: importing it costs ~0.6 s
    info = ml_dtypes.finfo(fmt)
    bits = lax.bitcast_convert_type(x, np.int32)
    e = ((bits >> 23) & 0xFF) - 127
    step_bits = (jnp.maximum(e, info.minexp) - info.nmant + 127) << 23
    step = lax.bitcast_convert_type(step_bits.astype(np.int32), np.float32)
    return jnp.round(x / step) * step                    # half to even


def _e8m0_round_up(s):
    """A positive float32 scale rounded up to a power of two (float8_e8m0fnu), as JAX's
    ``cast_to_e8m0_with_rounding_up``: the exponent bits plus one unless the mantissa is 0
    (or the result would be NaN, or the input is a subnormal of at most half the smallest
    normal); exponent 0 stands for 2^-127."""
    bits = lax.bitcast_convert_type(s.astype(np.float32), np.uint32)
    exp, mant = bits >> 23, bits & 0x7FFFFF
    up = (mant > 0) & (exp != 0xFE) & ~((exp == 0) & (mant <= 0x400000))
    exp = jnp.where(up, exp + 1, exp)
    value = lax.bitcast_convert_type(exp << 23, np.float32)
    return jnp.where(exp == 0, np.float32(2.0 ** -127), value)


def quantize(x, config):
    """``x`` of shape (B, M, K) as (values on ``config.data_type``'s grid, one scale per
    block of ``block_size`` along K, shape (B, M, K / block_size)), both float32."""
    import ml_dtypes  # loaded on use: importing it costs ~0.6 s
    b, m, k = x.shape
    bs = config.block_size
    if k < bs or k % bs:
        raise ValueError(f"scaled_dot_general: the contracted size {k} must be a multiple of "
                         f"the {config.mode} block size {bs}{user_line()}")
    x = x.astype(np.float32).reshape(b, m, k // bs, bs)
    big = np.float32(ml_dtypes.finfo(config.data_type).max)
    amax = jnp.max(jnp.abs(x), axis=-1, keepdims=True) / big
    if config.mode == "mxfp8":
        scale = _e8m0_round_up(amax)
    elif config.mode == "nvfp4":
        x = x / jnp.asarray(config.global_scale, np.float32)
        amax = jnp.max(jnp.abs(x), axis=-1, keepdims=True) / big
        scale_max = np.float32(ml_dtypes.finfo(config.scale_type).max)
        scale = _round_to_format(jnp.clip(amax, 0, scale_max), config.scale_type)
    else:
        raise ValueError(f"scaled_dot_general: unsupported mode {config.mode!r}{user_line()}")
    safe = jnp.where(scale == 0, np.float32(1), scale)  # an all-zero block stays zero
    values = _round_to_format(jnp.clip(x / safe, -big, big), config.data_type)
    return values.reshape(b, m, k), scale.reshape(b, m, k // bs)


def scaled_matmul(lhs, rhs, lhs_scales, rhs_scales, preferred_element_type=np.float32):
    """``einsum('BMK,BNK->BMN', lhs * repeat(lhs_scales), rhs * repeat(rhs_scales))`` in
    float32, each scale repeated over its block of K (block sizes ``K // K_a``, ``K // K_b``)."""
    a, b, sa, sb = (jnp.asarray(v) for v in (lhs, rhs, lhs_scales, rhs_scales))
    if not all(v.ndim == 3 for v in (a, b, sa, sb)):
        raise ValueError(f"scaled_matmul requires 3-dimensional arrays, got shapes {a.shape}, "
                         f"{b.shape}, {sa.shape}, {sb.shape}{user_line()}")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[2]:
        raise ValueError(f"scaled_matmul requires lhs and rhs with matching batch (B) and "
                         f"contracting (K) dimensions, got shapes {a.shape} and {b.shape}"
                         f"{user_line()}")
    if sa.shape[0] != sb.shape[0] or sa.shape[2] != sb.shape[2]:
        raise ValueError(f"scaled_matmul requires scales with matching batch (B) and "
                         f"contracting (K) dimensions, got shapes {sa.shape} and {sb.shape}"
                         f"{user_line()}")
    a = a.astype(np.float32) * repeat_scale(sa, a.shape, (2,), "scaled_matmul: lhs_scales"
                                            ).astype(np.float32)
    b = b.astype(np.float32) * repeat_scale(sb, b.shape, (2,), "scaled_matmul: rhs_scales"
                                            ).astype(np.float32)
    out = lax.dot_general(a, b, (((2,), (2,)), ((0,), (0,))))
    return out.astype(preferred_element_type)


def _as_bmk(x, contract, batch):
    """``x`` transposed to (batch dims, other dims, contracting dims) and flattened to 3-d."""
    other = [d for d in range(x.ndim) if d not in contract and d not in batch]
    t = jnp.transpose(x, list(batch) + other + list(contract))
    size = lambda dims: int(np.prod([x.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    return t.reshape(size(batch), size(other), size(contract)), [x.shape[d] for d in other]


def _quantized_dot(x, y, dn, cfg_x, cfg_y, dtype):
    """``dot_general(x, y, dn)`` with both operands quantized along their contracting dims."""
    (xc, yc), (xb, yb) = dn
    x3, x_kept = _as_bmk(x, xc, xb)
    y3, y_kept = _as_bmk(y, yc, yb)
    xq, xs = quantize(x3, cfg_x)
    yq, ys = quantize(y3, cfg_y)
    out = scaled_matmul(xq, yq, xs, ys)
    if cfg_x.mode == "nvfp4":
        out = out * (jnp.asarray(cfg_x.global_scale, np.float32)
                     * jnp.asarray(cfg_y.global_scale, np.float32))
    batch = [x.shape[d] for d in xb]
    return out.reshape(batch + x_kept + y_kept).astype(dtype)


def _grad_operand(g, other, dn, mine: str, cfgs, dtype):
    """The cotangent of operand ``mine`` ("lhs"/"rhs") of ``dot_general(lhs, rhs, dn)``:
    ``g`` contracted with the other operand over the output dims that operand kept, with
    ``g`` quantized by ``cfgs[0]`` and the other operand by ``cfgs[1]``, as JAX does (plain
    products when ``cfgs[0]`` is nvfp4)."""
    (lc, rc), (lb, rb) = dn
    mc, oc, mb, ob = (lc, rc, lb, rb) if mine == "lhs" else (rc, lc, rb, lb)
    m_nd = len(mc) + len(mb) + (g.ndim - len(lb)) - (other.ndim - len(oc) - len(ob))
    m_kept = [d for d in range(m_nd) if d not in mc and d not in mb]
    o_kept = [d for d in range(other.ndim) if d not in oc and d not in ob]
    nb = len(lb)
    # output dims: batch, then lhs's kept dims, then rhs's kept dims
    first = nb if mine == "rhs" else nb + len(m_kept)
    g_other = tuple(range(first, first + len(o_kept)))
    g_dn = ((g_other, tuple(o_kept)), (tuple(range(nb)), tuple(ob)))
    if cfgs[0].mode == "nvfp4":
        out = lax.dot_general(g, other, g_dn, preferred_element_type=dtype)
    else:
        out = _quantized_dot(g, other, g_dn, cfgs[0], cfgs[1], dtype)
    # out's dims: batch, my kept dims, then my contracting dims in the order of the other's
    mc_by_other = [mc[i] for i in np.argsort(oc)]
    return lax.transpose(out, tuple(np.argsort(list(mb) + m_kept + mc_by_other)))


def _scaled_dot_general_fn(dn, dtype, configs, lhs, rhs):
    return _quantized_dot(lhs, rhs, dn, configs[0], configs[1], dtype)


def _scaled_fwd(dn, dtype, configs, lhs, rhs):
    return _scaled_dot_general_fn(dn, dtype, configs, lhs, rhs), (lhs, rhs)


def _scaled_bwd(dn, dtype, configs, res, g):
    import ml_dtypes  # loaded on use: importing it costs ~0.6 s
    lhs, rhs = res
    g_lhs = _grad_operand(g, rhs, dn, "lhs", [configs[2], configs[1]], dtype)
    g_rhs = _grad_operand(g, lhs, dn, "rhs", [configs[2], configs[0]], dtype)
    if configs[2].mode == "nvfp4":
        # a straight-through estimator that zeroes what the forward quantization clipped
        big = float(ml_dtypes.finfo(configs[0].data_type).max)
        scale_max = float(ml_dtypes.finfo(configs[0].scale_type).max)
        for i, (x, gx) in enumerate(((lhs, g_lhs), (rhs, g_rhs))):
            bound = jnp.asarray(configs[i].global_scale, np.float32) * (big * scale_max)
            gx = jnp.where(jnp.abs(x) <= bound, gx, 0).astype(gx.dtype)
            g_lhs, g_rhs = (gx, g_rhs) if i == 0 else (g_lhs, gx)
    return g_lhs, g_rhs


_scaled_dot_general = custom_vjp(_scaled_dot_general_fn, nondiff_argnums=(0, 1, 2))
_scaled_dot_general.defvjp(_scaled_fwd, _scaled_bwd)


def scaled_dot_general(lhs, rhs, dimension_numbers, preferred_element_type=np.float32,
                       configs=None, implementation=None):
    """``lax.dot_general`` with both operands quantized in blocks along their contracting
    dims by ``configs[0]`` and ``configs[1]`` (see ``get_scaled_dot_general_config``); the
    backward pass quantizes the output cotangent by ``configs[2]``. ``configs=None`` is a
    plain ``dot_general``. ``implementation`` is accepted and ignored, as in JAX."""
    if configs is None:
        return lax.dot_general(lhs, rhs, dimension_numbers,
                               preferred_element_type=preferred_element_type)
    dtype = np.dtype(preferred_element_type)
    if dtype not in (np.dtype(np.float32), np.dtype(jnp.bfloat16), np.dtype(np.float16)):
        raise TypeError(f"scaled_dot_general: preferred_element_type must be float32, "
                        f"bfloat16 or float16, got {dtype.name}{user_line()}")
    if len(configs) != 3:
        raise ValueError(f"scaled_dot_general: configs must hold 3 BlockScaleConfigs (lhs, "
                         f"rhs, gradients), got {len(configs)}{user_line()}")
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    return _scaled_dot_general(dn, dtype, tuple(configs), lhs, rhs)


"""Shape arithmetic of convolutions and windowed reductions (``lax.conv_general_shape_tuple``
and friends), and ``lax.Precision``: the host-side helpers that layer libraries (``stax``,
Flax) call to size parameters before any array exists."""
from __future__ import annotations

import enum

import numpy as np

from ..core.window import dilate_dim
from .conv import _conv_transpose_pads, conv_dimension_numbers, padtype_to_pads


class Precision(enum.Enum):
    """Requested matmul/conv precision. jitnet computes in the operands' dtype whatever is
    asked (float32 on CPU is already the ``HIGHEST`` of accelerators), so this only keeps
    JAX programs that pass it running. Strings (``'highest'``, ``'float32'``, ...) convert."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        names = {"default": 0, "fastest": 0, "bfloat16": 0, "high": 1, "bfloat16_3x": 1,
                 "tensorfloat32": 1, "highest": 2, "float32": 2}
        if isinstance(value, str) and value.lower() in names:
            return cls(names[value.lower()])
        return None

    def __str__(self):
        return self.name


def _pairs(name, padding, n):
    padding = [tuple(int(v) for v in p) for p in padding]
    if len(padding) != n or any(len(p) != 2 for p in padding):
        raise ValueError(f"{name}: padding must be a string or {n} (lo, hi) pairs, got "
                         f"{padding}")
    return padding


def _window_out(size, window, stride, lo, hi):
    return (size + lo + hi - window) // stride + 1


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """Output shape of a convolution of ``lhs`` (N, C, spatial...) with ``rhs``
    (O, I, spatial...); ``pads`` is a padding string or (lo, hi) pairs."""
    lhs_shape, rhs_shape = tuple(lhs_shape), tuple(rhs_shape)
    if len(lhs_shape) != len(rhs_shape) or len(lhs_shape) < 2:
        raise TypeError(f"conv_shape_tuple: lhs and rhs must have the same rank >= 2, got "
                        f"{lhs_shape} and {rhs_shape}")
    ns = len(lhs_shape) - 2
    if len(strides) != ns:
        raise ValueError(f"conv_shape_tuple: {ns} strides needed for shapes {lhs_shape} and "
                         f"{rhs_shape}, got {tuple(strides)}")
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    pads = _pairs("conv_shape_tuple", pads, ns)
    spatial = tuple(max(0, _window_out(n, k, s, lo, hi)) for n, k, s, (lo, hi)
                    in zip(lhs_shape[2:], rhs_shape[2:], strides, pads))
    return (lhs_shape[0] // batch_group_count, rhs_shape[0]) + spatial


def conv_general_permutations(dimension_numbers):
    """The (lhs, rhs, out) permutations to (N, C, spatial...) / (O, I, spatial...) order for
    spec strings such as ``('NHWC', 'HWIO', 'NHWC')``."""
    lhs_spec = dimension_numbers[0]
    shape = (1,) * len(lhs_spec)
    return tuple(conv_dimension_numbers(shape, shape, tuple(dimension_numbers)))


def _to_canonical(lhs_shape, rhs_shape, dimension_numbers):
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    return (tuple(np.take(lhs_shape, dn.lhs_spec)), tuple(np.take(rhs_shape, dn.rhs_spec)),
            dn.out_spec)


def _from_canonical(out_canonical, out_spec):
    out = [0] * len(out_spec)
    for size, dim in zip(out_canonical, out_spec):
        out[dim] = int(size)
    return tuple(out)


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """Output shape of ``conv_general_dilated`` (no dilation) in the layout of
    ``dimension_numbers`` (spec strings, a ``ConvDimensionNumbers``, or None for NCHW)."""
    lhs_c, rhs_c, out_spec = _to_canonical(tuple(lhs_shape), tuple(rhs_shape), dimension_numbers)
    return _from_canonical(conv_shape_tuple(lhs_c, rhs_c, window_strides, padding), out_spec)


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                               dimension_numbers):
    """Output shape of ``conv_transpose`` with the same arguments: each spatial size is
    ``(n - 1) * stride + 2 - k + lo + hi`` for the pads of the lhs-dilated convolution."""
    lhs_c, rhs_c, out_spec = _to_canonical(tuple(lhs_shape), tuple(rhs_shape), dimension_numbers)
    ns = len(lhs_c) - 2
    if isinstance(padding, str):
        kind = padding.upper()
        if kind not in ("SAME", "VALID"):
            raise ValueError(f"conv_transpose_shape_tuple: padding must be 'SAME', 'VALID' or "
                             f"(lo, hi) pairs, got {padding!r}")
        padding = [_conv_transpose_pads(k, s, kind) for k, s in zip(rhs_c[2:], window_strides)]
    padding = _pairs("conv_transpose_shape_tuple", padding, ns)
    spatial = tuple((n - 1) * s + 2 - k + lo + hi for n, k, s, (lo, hi)
                    in zip(lhs_c[2:], rhs_c[2:], window_strides, padding))
    return _from_canonical((lhs_c[0], rhs_c[0]) + spatial, out_spec)


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None):
    """Output shape of ``reduce_window`` for explicit (lo, hi) ``padding`` pairs. A window of
    1 keeps a placeholder size such as stax's batch dimension ``-1`` unchanged."""
    n = len(operand_shape)
    base_dilation = (1,) * n if base_dilation is None else tuple(base_dilation)
    window_dilation = (1,) * n if window_dilation is None else tuple(window_dilation)
    if not (len(window_dimensions) == len(window_strides) == n):
        raise ValueError(f"reduce_window_shape_tuple: window_dimensions and window_strides "
                         f"need {n} entries for operand shape {tuple(operand_shape)}, got "
                         f"{tuple(window_dimensions)} and {tuple(window_strides)}")
    padding = _pairs("reduce_window_shape_tuple", padding, n)
    return tuple(_window_out(dilate_dim(d, b), dilate_dim(w, r), s, lo, hi)
                 for d, w, s, (lo, hi), b, r in zip(operand_shape, window_dimensions,
                                                    window_strides, padding, base_dilation,
                                                    window_dilation))


__all__ = ["Precision", "conv_general_permutations",
           "conv_general_shape_tuple", "conv_shape_tuple", "conv_transpose_shape_tuple",
           "reduce_window_shape_tuple"]

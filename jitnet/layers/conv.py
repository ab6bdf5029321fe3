"""Convolution layers (channels last, like Keras): Conv1D, Conv2D, Conv2DTranspose.

Kernels use Keras's layouts so weights are interchangeable with Keras: (k..., in / groups,
filters) for convolutions and (k..., filters, in) for transposed ones.
"""
from __future__ import annotations

from .. import lax
from .. import numpy as jnp
from ..core.source_info import user_line
from .module import Layer, expect_rank
from .resolve import get_activation

_SPECS = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC")}
_TRANSPOSED_SPECS = {1: ("NWC", "WOI", "NWC"), 2: ("NHWC", "HWOI", "NHWC")}


def normalize_tuple(value, n: int, what: str, layer: str, minimum: int = 1) -> tuple:
    """An int or a length-``n`` sequence of ints >= ``minimum`` as an ``n``-tuple (Keras's rule)."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) and v >= minimum for v in values):
        raise ValueError(f"{layer}: {what} must be an int >= {minimum} or {n} such ints, "
                         f"got {value!r}")
    return values


def normalize_padding(padding, layer: str, allowed=("valid", "same")) -> str:
    p = str(padding).lower()
    if p not in allowed:
        raise ValueError(f"{layer}: padding must be one of {', '.join(map(repr, allowed))}, "
                         f"got {padding!r}")
    return p


class _Conv(Layer):
    rank = 0
    _paddings = ("valid", "same")

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups: int = 1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None, trainable: bool = True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        kind, n = type(self).__name__, self.rank
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{kind}: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{kind}: filters must be a positive int, got {filters!r}")
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(f"{kind}: groups must be a positive int dividing filters "
                             f"({filters}), got {groups!r}")
        self.filters, self.groups = filters, groups
        self.kernel_size = normalize_tuple(kernel_size, n, "kernel_size", kind)
        self.strides = normalize_tuple(strides, n, "strides", kind)
        self.dilation_rate = normalize_tuple(dilation_rate, n, "dilation_rate", kind)
        if any(s > 1 for s in self.strides) and any(d > 1 for d in self.dilation_rate):
            raise ValueError(f"{kind}: strides > 1 together with dilation_rate > 1 is not "
                             f"supported (as in Keras), got strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.padding = normalize_padding(padding, kind, self._paddings)
        get_activation(activation)
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def _in_channels(self, input_shape) -> int:
        if len(input_shape) != self.rank + 2:
            spatial = ("steps, ", "height, width, ")[self.rank - 1]
            raise ValueError(f"{self.label} expects a rank-{self.rank + 2} input "
                             f"(batch, {spatial}channels), got shape {tuple(input_shape)}"
                             f"{user_line()}")
        return int(input_shape[-1])

    def build(self, input_shape):
        cin = self._in_channels(input_shape)
        if cin % self.groups:
            raise ValueError(f"{self.label}: input channels ({cin}) "
                             f"must be divisible by groups ({self.groups})")
        self.add_weight("kernel", self.kernel_size + (cin // self.groups, self.filters),
                        self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def _check_inputs(self, inputs):
        x = inputs[0]
        expect_rank(self, x, self.rank + 2)
        if x.shape[-1] != self._built_channels():
            raise ValueError(f"{self.label} was built for "
                             f"{self._built_channels()} input channels, got shape "
                             f"{tuple(x.shape)}")

    def _built_channels(self) -> int:
        return self.kernel.shape[-2] * self.groups

    def _finish(self, y):
        if self.use_bias:
            y = y + self.bias
        act = get_activation(self.activation)
        return y if act is None else act(y)

    def call(self, x):
        padding = self.padding.upper()
        if padding == "CAUSAL":       # Conv1D: pad the start only, so y[t] sees x[<= t]
            padding = [((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)]
        y = lax.conv_general_dilated(x, self.kernel, self.strides, padding,
                                     rhs_dilation=self.dilation_rate,
                                     dimension_numbers=_SPECS[self.rank],
                                     feature_group_count=self.groups)
        return self._finish(y)


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); padding "valid", "same" or "causal"."""
    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels); kernel
    (kh, kw, in / groups, filters)."""
    rank = 2


def _transpose_pads(k: int, stride: int, padding: str, output_padding, dilation: int):
    """(lo, hi) padding of the input-dilated convolution that gives Keras's output length."""
    k = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    lo = min(total // 2 + total % 2, k - 1)
    return lo, total - lo


class _ConvTranspose(_Conv):
    """Transposed convolution: the gradient of a convolution with respect to its input."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None, trainable: bool = True, dtype=None):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer, name=name,
                         trainable=trainable, dtype=dtype)
        kind = type(self).__name__
        if output_padding is not None:
            output_padding = normalize_tuple(output_padding, self.rank, "output_padding", kind,
                                             minimum=0)
            for p, s in zip(output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"{kind}: output_padding {output_padding} must be smaller "
                                     f"than strides {self.strides}")
        self.output_padding = output_padding

    def build(self, input_shape):
        cin = self._in_channels(input_shape)
        self.add_weight("kernel", self.kernel_size + (self.filters, cin), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def _built_channels(self) -> int:
        return self.kernel.shape[-1]

    def call(self, x):
        ops = self.output_padding or (None,) * self.rank
        pads = [_transpose_pads(k, s, self.padding, None if self.output_padding is None else p, d)
                for k, s, p, d in zip(self.kernel_size, self.strides, ops, self.dilation_rate)]
        kernel = jnp.flip(self.kernel, tuple(range(self.rank)))
        y = lax.conv_general_dilated(x, kernel, (1,) * self.rank, pads,
                                     lhs_dilation=self.strides, rhs_dilation=self.dilation_rate,
                                     dimension_numbers=_TRANSPOSED_SPECS[self.rank])
        return self._finish(y)


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution; kernel (k, filters, in)."""
    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution; kernel (kh, kw, filters, in); output sizes follow Keras:
    ``in * stride`` ("same") or ``in * stride + max(k - stride, 0)`` ("valid"), or with
    ``output_padding`` ``(in - 1) * stride + k - 2 * pad + output_padding``."""
    rank = 2


class _DepthwiseConv(_Conv):
    """A convolution of each input channel with its own ``depth_multiplier`` filters (a
    grouped convolution with one group per channel); kernel (k..., in, depth_multiplier),
    Keras's layout; output channel ``c * depth_multiplier + m`` is filter ``m`` of channel
    ``c``."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier: int = 1,
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", name=None,
                 trainable: bool = True, dtype="float32"):
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"{type(self).__name__}: depth_multiplier must be a positive int, "
                             f"got {depth_multiplier!r}")
        super().__init__(1, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, depthwise_initializer, bias_initializer,
                         name=name, trainable=trainable, dtype=dtype)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = depthwise_initializer

    def build(self, input_shape):
        cin = self._in_channels(input_shape)
        self.add_weight("kernel", self.kernel_size + (cin, self.depth_multiplier),
                        self.depthwise_initializer)
        if self.use_bias:
            self.add_weight("bias", (cin * self.depth_multiplier,), self.bias_initializer)

    def _built_channels(self) -> int:
        return self.kernel.shape[-2]

    def call(self, x):
        return self._finish(depthwise(x, self.kernel, self))


def depthwise(x, kernel, layer: _Conv):
    """``x`` convolved channel by channel with ``kernel`` (k..., in, multiplier)."""
    cin, mult = kernel.shape[-2], kernel.shape[-1]
    padding = layer.padding.upper()
    if padding == "CAUSAL":
        padding = [((layer.kernel_size[0] - 1) * layer.dilation_rate[0], 0)]
    grouped = kernel.reshape(kernel.shape[:-2] + (1, cin * mult))
    return lax.conv_general_dilated(x, grouped, layer.strides, padding,
                                    rhs_dilation=layer.dilation_rate,
                                    dimension_numbers=_SPECS[layer.rank],
                                    feature_group_count=cin)


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution; kernel (k, in, depth_multiplier)."""
    rank = 1
    _paddings = ("valid", "same", "causal")


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution (MobileNet's spatial filtering); kernel
    (kh, kw, in, depth_multiplier), bias (in * depth_multiplier,)."""
    rank = 2


class _SeparableConv(_Conv):
    """A depthwise convolution followed by a pointwise (1x1) one: ``depthwise_kernel``
    (k..., in, depth_multiplier), ``pointwise_kernel`` (1..., in * depth_multiplier,
    filters), ``bias`` (filters,), Keras's names and layouts."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier: int = 1, activation=None,
                 use_bias: bool = True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", name=None,
                 trainable: bool = True, dtype="float32"):
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"{type(self).__name__}: depth_multiplier must be a positive int, "
                             f"got {depth_multiplier!r}")
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, pointwise_initializer, bias_initializer,
                         name=name, trainable=trainable, dtype=dtype)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer

    def build(self, input_shape):
        cin = self._in_channels(input_shape)
        self.add_weight("depthwise_kernel", self.kernel_size + (cin, self.depth_multiplier),
                        self.depthwise_initializer)
        self.add_weight("pointwise_kernel", (1,) * self.rank + (cin * self.depth_multiplier,
                                                                self.filters),
                        self.pointwise_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def _built_channels(self) -> int:
        return self.depthwise_kernel.shape[-2]

    def call(self, x):
        y = depthwise(x, self.depthwise_kernel, self)
        y = lax.conv_general_dilated(y, self.pointwise_kernel, (1,) * self.rank, "VALID",
                                     dimension_numbers=_SPECS[self.rank])
        return self._finish(y)


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-D convolution."""
    rank = 1
    _paddings = ("valid", "same", "causal")


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-D convolution (Xception's, MobileNet's building block)."""
    rank = 2

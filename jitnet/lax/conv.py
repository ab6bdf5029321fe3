"""``lax`` convolutions and ``reduce_window`` with JAX's signatures, padding rules and specs.

This layer only resolves user conveniences (padding strings, dimension-number
strings, defaults, a non-identity ``init_value``) into the explicit params of the
primitives in ``jitnet/prims/conv.py``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..prims import elementwise as ew
from ..prims import shape as sh
from ..prims.conv import conv_general_dilated as _conv
from ..core.window import dilate_dim, identity
from ..prims.window import reduce_window as _reduce_window
from ..prims.util import get_aval, shape_error
from ..trace.array import ArrayImpl

ConvDimensionNumbers = namedtuple("ConvDimensionNumbers", ["lhs_spec", "rhs_spec", "out_spec"])
ConvDimensionNumbers.__doc__ = """Dims of a convolution, as int tuples.

lhs_spec: (batch dim, feature dim, spatial dims...); rhs_spec: (out-feature dim,
in-feature dim, spatial dims...); out_spec: (batch dim, feature dim, spatial dims...).
"""


# -- padding ----------------------------------------------------------------------

def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """(lo, hi) pairs for 'VALID', 'SAME' (extra pad at the end) or 'SAME_LOWER' (at the start).

    SAME pads so that the output has ceil(in / stride) positions.
    """
    kind = padding.upper()
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    if kind not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"Unrecognized padding type: expected 'VALID', 'SAME' or 'SAME_LOWER', "
                         f"got {padding!r}")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if kind == "SAME" else (big, small))
    return pads


# -- dimension numbers ------------------------------------------------------------

def _check_spec_string(i, spec, a, b):
    if len(set(spec)) != len(spec):
        raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate characters, "
                        f"got {spec}")
    if spec.count(a) != 1 or spec.count(b) != 1:
        raise TypeError(f"convolution dimension_numbers[{i}] must contain the characters "
                        f"'{a}' and '{b}' exactly once, got {spec}")


def _specs_from_strings(lhs_shape, lhs_s, rhs_s, out_s):
    for i, (s, a, b) in enumerate(((lhs_s, "N", "C"), (rhs_s, "O", "I"), (out_s, "N", "C"))):
        if len(s) != len(lhs_shape):
            raise TypeError(f"convolution dimension_numbers[{i}] must have len equal to the ndim "
                            f"of lhs and rhs, got {len(s)} for shape {tuple(lhs_shape)}")
        _check_spec_string(i, s, a, b)
    spatial = [c for c in rhs_s if c not in "OI"]
    if not (set(spatial) == set(lhs_s) - {"N", "C"} == set(out_s) - {"N", "C"}):
        raise TypeError(f"convolution dimension_numbers elements must each have the same set of "
                        f"spatial characters, got {(lhs_s, rhs_s, out_s)}")

    def perm(s, a, b):
        return (s.index(a), s.index(b)) + tuple(s.index(c) for c in spatial)

    return ConvDimensionNumbers(perm(lhs_s, "N", "C"), perm(rhs_s, "O", "I"),
                                perm(out_s, "N", "C"))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """Resolve None (NCHW/OIHW/NCHW), a ConvDimensionNumbers or a triple of spec strings.

    Spatial dims are matched by letter and ordered as in the rhs spec, so
    ``window_strides[i]`` applies to the i-th spatial letter of ``rhs_spec``.
    """
    lhs_shape, rhs_shape = tuple(lhs_shape), tuple(rhs_shape)
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError(f"convolution requires lhs and rhs ndim to be equal, got "
                        f"{len(lhs_shape)} and {len(rhs_shape)}")
    if dimension_numbers is None:
        canon = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(canon, canon, canon)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return ConvDimensionNumbers(*(tuple(int(i) for i in s) for s in dimension_numbers))
    if not isinstance(dimension_numbers, (list, tuple)) or len(dimension_numbers) != 3:
        n = len(dimension_numbers) if isinstance(dimension_numbers, (list, tuple)) else "?"
        raise TypeError(f"convolution dimension_numbers list/tuple must be length 3, got {n}.")
    if not all(isinstance(s, str) for s in dimension_numbers):
        raise TypeError(f"convolution dimension_numbers elements must be strings, got "
                        f"{tuple(type(s) for s in dimension_numbers)}; pass a "
                        f"ConvDimensionNumbers for integer specs")
    return _specs_from_strings(lhs_shape, *dimension_numbers)


# -- convolutions -----------------------------------------------------------------

def _spatial(shape, spec):
    return [shape[i] for i in spec[2:]]


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
    """General n-d convolution (cross-correlation), as ``jax.lax.conv_general_dilated``."""
    lshape, rshape = get_aval(lhs).shape, get_aval(rhs).shape
    dn = conv_dimension_numbers(lshape, rshape, dimension_numbers)
    ns = len(lshape) - 2
    rhs_dilation = (1,) * ns if rhs_dilation is None else tuple(rhs_dilation)
    if isinstance(padding, str):
        if lhs_dilation is not None and any(d != 1 for d in lhs_dilation):
            raise ValueError("conv_general_dilated: string padding is not implemented for "
                             "transposed convolution (lhs_dilation > 1); give explicit (lo, hi) "
                             "padding or use conv_transpose")
        window = [dilate_dim(k, r) for k, r in zip(_spatial(rshape, dn.rhs_spec), rhs_dilation)]
        padding = padtype_to_pads(_spatial(lshape, dn.lhs_spec), window, window_strides, padding)
    return _conv(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, tuple(dn),
                 feature_group_count, batch_group_count, precision, preferred_element_type)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """NCHW/OIHW convolution with string padding."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """NCHW/OIHW convolution with explicit padding and dilations."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


_TRANSPOSE_DEFAULT_SPECS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                            4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def _conv_transpose_pads(k, s, padding):
    """Pads of the lhs-dilated conv giving Keras' sizes: s*n (SAME), s*n + max(k-s, 0) (VALID)."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
    else:
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    return lo, total - lo


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None,
                   use_consistent_padding=False):
    """Fractionally strided convolution (``jax.lax.conv_transpose``); TF layouts by default."""
    lshape, rshape = get_aval(lhs).shape, get_aval(rhs).shape
    nd = len(lshape)
    if dimension_numbers is None:
        if nd not in _TRANSPOSE_DEFAULT_SPECS:
            raise ValueError(f"conv_transpose: no default dimension_numbers for rank {nd}; "
                             f"pass dimension_numbers")
        dimension_numbers = _TRANSPOSE_DEFAULT_SPECS[nd]
    dn = conv_dimension_numbers(lshape, rshape, dimension_numbers)
    ns = nd - 2
    rhs_dilation = (1,) * ns if rhs_dilation is None else tuple(rhs_dilation)
    ks = [dilate_dim(k, r) for k, r in zip(_spatial(rshape, dn.rhs_spec), rhs_dilation)]
    if isinstance(padding, str):
        kind = padding.upper()
        if kind not in ("SAME", "VALID"):
            raise ValueError(f"conv_transpose: padding must be 'SAME', 'VALID' or (lo, hi) "
                             f"pairs, got {padding!r}")
        pads = [_conv_transpose_pads(k, s, kind) for k, s in zip(ks, strides)]
    elif use_consistent_padding:  # padding of the forward conv this is the gradient of
        pads = [(k - 1 - lo, k - 1 - hi) for k, (lo, hi) in zip(ks, padding)]
    else:
        pads = list(padding)
    if transpose_kernel:
        rhs = sh.rev(rhs, dn.rhs_spec[2:])
        dn = dn._replace(rhs_spec=(dn.rhs_spec[1], dn.rhs_spec[0]) + tuple(dn.rhs_spec[2:]))
    return conv_general_dilated(lhs, rhs, (1,) * ns, pads, lhs_dilation=strides,
                                rhs_dilation=rhs_dilation, dimension_numbers=dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


# -- reduce_window ----------------------------------------------------------------

def _computation_name(computation):
    names = {ew.max: "max", ew.min: "min", ew.add: "add"}
    for f, name in names.items():
        if computation is f:
            return name
    raise NotImplementedError("reduce_window: only lax.max, lax.min and lax.add computations "
                              f"are supported, got {computation!r}")


def _is_identity(init, name, dtype) -> bool:
    """Whether a concrete ``init`` is the computation's identity (traced ones never are)."""
    if not isinstance(init, (int, float, bool, np.ndarray, np.generic, ArrayImpl)):
        return False
    v = np.asarray(init)
    return v.shape == () and bool(v == identity(name, dtype))


def _as_operand_dtype(init, x):
    aval = get_aval(x)
    if isinstance(init, (int, float, bool)):
        return ArrayImpl(np.asarray(init, aval.dtype), aval.weak_type)
    if tuple(get_aval(init).shape) != ():
        raise shape_error(f"reduce_window: init_value must be a scalar, got shape "
                          f"{tuple(get_aval(init).shape)}")
    return ew.convert_element_type(init, aval.dtype, aval.weak_type)


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """Reduce each window with lax.max, lax.min or lax.add (as ``jax.lax.reduce_window``).

    Padding and base-dilation holes hold the computation's identity; a
    non-identity ``init_value`` is combined into each result once, as JAX does.
    String padding is computed, as in JAX, from the undilated operand shape and the
    dilated window.
    """
    name = _computation_name(computation)
    if isinstance(operand, (tuple, list, dict)):
        raise NotImplementedError("reduce_window: pytree (variadic) operands are not supported; "
                                  "reduce each array separately")
    aval = get_aval(operand)
    n = len(aval.shape)
    window_strides = (1,) * n if window_strides is None else tuple(window_strides)
    base_dilation = (1,) * n if base_dilation is None else tuple(base_dilation)
    window_dilation = (1,) * n if window_dilation is None else tuple(window_dilation)
    if isinstance(padding, str):  # as JAX: the undilated operand, the dilated window
        window = [dilate_dim(w, d) for w, d in zip(window_dimensions, window_dilation)]
        padding = padtype_to_pads(aval.shape, window, window_strides, padding)
    out = _reduce_window(operand, name, window_dimensions, window_strides, padding,
                         base_dilation, window_dilation)
    if _is_identity(init_value, name, aval.dtype):
        return out
    return computation(out, _as_operand_dtype(init_value, out))

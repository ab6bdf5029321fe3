"""Windowed primitives but the convolution: patches (im2col), its transpose (col2im), and
reduce_window (pooling). The convolution (``conv.py``) is written on them.

``patches`` returns every window of an operand of rank n as an array of shape
``out_dims + window_dims`` (strides, (lo, hi) padding, base and window dilation on every dim,
holes and padding filled with a static ``pad_value``); ``patches_transpose`` is its adjoint,
scatter-adding windows back (padding and dilation holes are dropped). ``reduce_window``'s
max/min tangent is the tangent's patches averaged over the positions that attain the
extremum (windows that tile the operand, as in max pooling, read it in place instead: a
reshape, no patches), and the add transpose is col2im of the broadcast cotangent, so
derivatives of any order and vmap of them stay closed.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..core.dtypes import kind_of
from ..core.adtypes import Zero
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive
from ..core.window import dilate_dim, identity, padded_dims, window_out_shape
from ..trace.tracer import bind
from . import elementwise as ew
from . import reduce as red
from . import shape as sh
from .util import (bdim_to_front, dtype_error, get_aval, shape_error, shape_str,
                   tangent_aval)

# -- window arithmetic ------------------------------------------------------------

WINDOW_PARAMS = ("window_dimensions", "window_strides", "padding", "base_dilation",
                 "window_dilation")


def _check_window(name, shape, window_dimensions, window_strides, padding, base_dilation,
                  window_dilation):
    n = len(shape)
    lens = [len(window_dimensions), len(window_strides), len(padding), len(base_dilation),
            len(window_dilation)]
    ok = (all(k == n for k in lens) and all(len(p) == 2 for p in padding)
          and all(w >= 0 for w in window_dimensions)
          and all(v >= 1 for v in window_strides + base_dilation + window_dilation))
    if not ok:
        raise shape_error(
            f"{name}: window_dimensions {window_dimensions}, window_strides {window_strides}, "
            f"padding {padding}, base_dilation {base_dilation} and window_dilation "
            f"{window_dilation} must each have one entry per dimension of the operand of shape "
            f"{shape_str(shape)} (window sizes >= 0, strides and dilations >= 1, padding as "
            f"(lo, hi) pairs)")


def _prefix_window(win, k=1):
    """Window params with ``k`` leading untouched dims (for batching: window 1, no padding)."""
    return dict(window_dimensions=(1,) * k + win["window_dimensions"],
                window_strides=(1,) * k + win["window_strides"],
                padding=((0, 0),) * k + win["padding"],
                base_dilation=(1,) * k + win["base_dilation"],
                window_dilation=(1,) * k + win["window_dilation"])


# -- NumPy kernels ----------------------------------------------------------------

def windows_view(x, pad_value, window_dimensions, window_strides, padding, base_dilation,
                 window_dilation):
    """Read-only strided view of all windows of padded, dilated ``x``: out_dims + window_dims."""
    out_shape = window_out_shape(x.shape, window_dimensions, window_strides, padding,
                                 base_dilation, window_dilation)
    full = out_shape + tuple(window_dimensions)
    if 0 in out_shape:
        return np.full(full, pad_value, x.dtype)
    cfg = tuple((lo, hi, b - 1) for (lo, hi), b in zip(padding, base_dilation))
    xp = sh.pad_p.impl(x, np.asarray(pad_value, x.dtype), padding_config=cfg)
    st = xp.strides
    strides = (tuple(a * s for a, s in zip(st, window_strides))
               + tuple(a * d for a, d in zip(st, window_dilation)))
    return as_strided(xp, full, strides, writeable=False)


def _patches_impl(x, *, pad_value, **win):
    return np.array(windows_view(x, pad_value, **win))


def _patches_transpose_impl(ct, *, operand_shape, window_dimensions, window_strides, padding,
                            base_dilation, window_dilation):
    n = len(operand_shape)
    out_shape = ct.shape[:n]
    if 0 in out_shape or 0 in window_dimensions:
        return np.zeros(operand_shape, ct.dtype)
    buf = np.zeros(padded_dims(operand_shape, padding, base_dilation), ct.dtype)
    for k in np.ndindex(*window_dimensions):  # one vectorized add per window offset
        region = tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                       for i, d, o, s in zip(k, window_dilation, out_shape, window_strides))
        buf[region] += ct[(Ellipsis,) + k]
    unpadded = sh.pad_p.impl(buf, np.zeros((), ct.dtype),
                             padding_config=tuple((-lo, -hi, 0) for lo, hi in padding))
    return np.ascontiguousarray(unpadded[tuple(slice(None, None, b) for b in base_dilation)])


# -- patches ----------------------------------------------------------------------

def _patches_shape(x, *, pad_value, **win):
    _check_window("patches", x.shape, **win)
    v = complex(pad_value)
    if x.dtype.kind in "iub" and not (v.imag == 0 and np.isfinite(v.real)
                                      and float(v.real).is_integer()):
        raise dtype_error(f"patches: pad_value {pad_value!r} is not representable in an operand "
                          f"of dtype {x.dtype.name}")
    out = window_out_shape(x.shape, **win)
    return ShapedArray(out + tuple(win["window_dimensions"]), x.dtype, x.weak_type)


def _patches_jvp(primals, tangents, **params):
    (x,), (t,) = primals, tangents
    out = bind(patches_p, x, **params)
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, bind(patches_p, t, **dict(params, pad_value=0))  # padding carries no tangent


def _patches_transpose_rule(ct, x, *, pad_value, **win):
    """Adjoint of the linear part: the pad value is a constant, so it gets no cotangent."""
    if type(ct) is Zero:
        return (Zero(x.aval),)
    return (patches_transpose(ct, x.aval.shape, **win),)


def _patches_batch(args, dims, *, pad_value, **win):
    x = bdim_to_front(args[0], dims[0])
    out = patches(x, pad_value=pad_value, **_prefix_window(win))
    n = len(x.shape)  # out: (B, out..., 1, window...) -> drop the unit window dim
    return sh.reshape(out, out.shape[:n] + out.shape[n + 1:]), 0


patches_p = Primitive("patches", kind=OP)
patches_p.impl = _patches_impl
patches_p.shape_rule = _patches_shape
patches_p.jvp = _patches_jvp
patches_p.transpose = _patches_transpose_rule
patches_p.batch = _patches_batch


def normalize_window(ndim, window_dimensions, window_strides=None, padding=None,
                     base_dilation=None, window_dilation=None):
    """Window params as int tuples, with the defaults (unit strides and dilations, no padding)."""
    ones = (1,) * ndim
    return dict(
        window_dimensions=tuple(int(w) for w in window_dimensions),
        window_strides=ones if window_strides is None else tuple(int(s) for s in window_strides),
        padding=(((0, 0),) * ndim if padding is None
                 else tuple(tuple(int(v) for v in p) for p in padding)),
        base_dilation=ones if base_dilation is None else tuple(int(b) for b in base_dilation),
        window_dilation=ones if window_dilation is None else tuple(int(d) for d in window_dilation))


def patches(x, window_dimensions, window_strides=None, padding=None, base_dilation=None,
            window_dilation=None, pad_value=0):
    """All windows of ``x`` (shape ``out_dims + window_dims``); see the module docstring."""
    win = normalize_window(len(get_aval(x).shape), window_dimensions, window_strides, padding,
                           base_dilation, window_dilation)
    return bind(patches_p, x, pad_value=pad_value, **win)


# -- patches_transpose ------------------------------------------------------------

def _patches_transpose_shape(ct, *, operand_shape, **win):
    _check_window("patches_transpose", operand_shape, **win)
    want = window_out_shape(operand_shape, **win) + tuple(win["window_dimensions"])
    if tuple(ct.shape) != want:
        raise shape_error(f"patches_transpose: cotangent of shape {shape_str(ct.shape)} does not "
                          f"match the patches shape {shape_str(want)} of an operand of shape "
                          f"{shape_str(operand_shape)}")
    return ShapedArray(operand_shape, ct.dtype, ct.weak_type)


def _patches_transpose_transpose(ct, y, *, operand_shape, **win):
    if type(ct) is Zero:
        return (Zero(y.aval),)
    return (patches(ct, pad_value=0, **win),)


def _patches_transpose_batch(args, dims, *, operand_shape, **win):
    ct = bdim_to_front(args[0], dims[0])
    n = len(operand_shape)  # insert the unit window dim of the batch axis
    ct = sh.reshape(ct, ct.shape[:n + 1] + (1,) + ct.shape[n + 1:])
    return patches_transpose(ct, (ct.shape[0],) + tuple(operand_shape),
                             **_prefix_window(win)), 0


patches_transpose_p = Primitive("patches_transpose", kind=OP)
patches_transpose_p.impl = _patches_transpose_impl
patches_transpose_p.shape_rule = _patches_transpose_shape
patches_transpose_p.transpose = _patches_transpose_transpose
patches_transpose_p.batch = _patches_transpose_batch
sh.linear_jvp(patches_transpose_p)


def patches_transpose(ct, operand_shape, window_dimensions, window_strides=None, padding=None,
                      base_dilation=None, window_dilation=None):
    """Adjoint of ``patches``: scatter-add each window back into an operand-shaped array."""
    operand_shape = tuple(int(d) for d in operand_shape)
    win = normalize_window(len(operand_shape), window_dimensions, window_strides, padding,
                           base_dilation, window_dilation)
    return bind(patches_transpose_p, ct, operand_shape=operand_shape, **win)


# -- reduce_window ----------------------------------------------------------------

COMPUTATIONS = ("max", "min", "add")


def _rw_shape(x, *, computation, **win):
    if computation not in COMPUTATIONS:
        raise ValueError(f"reduce_window: computation must be one of {COMPUTATIONS}, got "
                         f"{computation!r}")
    kinds = "iufc" if computation == "add" else "iufb"
    if kind_of(x.dtype) not in kinds:
        raise dtype_error(f"reduce_window ({computation}) does not accept dtype {x.dtype.name}")
    _check_window("reduce_window", x.shape, **win)
    return ShapedArray(window_out_shape(x.shape, **win), x.dtype, x.weak_type)


def _rw_impl(x, *, computation, **win):
    init = identity(computation, x.dtype)
    v = windows_view(x, init, **win)
    axes = tuple(range(x.ndim, 2 * x.ndim))
    if computation == "add":
        return np.sum(v, axis=axes, dtype=x.dtype)
    f = np.max if computation == "max" else np.min
    return f(v, axis=axes, initial=init)


def _rw_jvp(primals, tangents, *, computation, **win):
    (x,), (t,) = primals, tangents
    out = bind(reduce_window_p, x, computation=computation, **win)
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    if computation == "add":
        return out, bind(reduce_window_p, t, computation=computation, **win)
    return out, _chooser_tangent(x, t, out, computation, win)


def _tile_sizes(shape, win):
    """The window sizes when the windows tile the operand (window == stride, no padding, no
    dilation, some window > 1, no empty dim), else None: then every operand element lies in
    at most one window, and the chooser tangent needs no patches (``_tiled``)."""
    w = win["window_dimensions"]
    tiles = (w == win["window_strides"] and all(p == (0, 0) for p in win["padding"])
             and all(b == 1 for b in win["base_dilation"] + win["window_dilation"])
             and all(k >= 1 for k in w) and any(k > 1 for k in w) and 0 not in shape)
    return w if tiles else None


def _tiled(a, w):
    """Operand-shaped ``a`` cut to its whole windows and each windowed dim split into
    (position, offset), and the offset axes: elementwise with the windows but no patches
    copy (a reshape, which the fused loops read in place)."""
    shape = tuple(get_aval(a).shape)
    covered = tuple(d // k * k for d, k in zip(shape, w))
    if covered != shape:  # trailing elements no window reaches
        a = sh.slice(a, (0,) * len(shape), covered)
    split, offsets = [], []
    for d, k in zip(shape, w):
        split.append(d // k)
        if k > 1:
            offsets.append(len(split))
            split.append(k)
    return sh.reshape(a, split), tuple(offsets)


def _chooser_tangent(x, t, out, computation, win):
    """Tangent at the window's extremum; ties share it evenly (as reduce_max's jvp; JAX
    gives it all to one of the tied elements). Tiling windows (max pooling) read the operand
    in place (``_tiled``), other windows through its patches."""
    n = len(get_aval(x).shape)
    w = _tile_sizes(tuple(get_aval(x).shape), win)
    if w is not None:
        (px, offsets), (pt, _) = _tiled(x, w), _tiled(t, w)
    else:
        px = patches(x, pad_value=identity(computation, get_aval(x).dtype), **win)
        pt = patches(t, pad_value=0, **win)
        offsets = tuple(range(n, 2 * n))
    shape = tuple(px.shape)
    kept = tuple(d for d in range(len(shape)) if d not in offsets)
    hit = ew.eq(px, sh.broadcast_in_dim(out, shape, kept))
    ind = ew.convert_element_type(hit, get_aval(t).dtype)
    return ew.div(red.reduce_sum(ew.mul(pt, ind), offsets), red.reduce_sum(ind, offsets))


def _rw_transpose(ct, x, *, computation, **win):
    if computation != "add":
        raise NotImplementedError(f"reduce_window ({computation}) is not linear, so it has no "
                                  f"transpose")
    if type(ct) is Zero:
        return (Zero(x.aval),)
    n = len(x.aval.shape)
    full = sh.broadcast_in_dim(ct, tuple(ct.shape) + win["window_dimensions"], tuple(range(n)))
    return (patches_transpose(full, x.aval.shape, **win),)


def _rw_batch(args, dims, *, computation, **win):
    x = bdim_to_front(args[0], dims[0])
    return bind(reduce_window_p, x, computation=computation, **_prefix_window(win)), 0


reduce_window_p = Primitive("reduce_window", kind=OP)
reduce_window_p.impl = _rw_impl
reduce_window_p.shape_rule = _rw_shape
reduce_window_p.jvp = _rw_jvp
reduce_window_p.transpose = _rw_transpose
reduce_window_p.batch = _rw_batch


def reduce_window(x, computation, window_dimensions, window_strides=None, padding=None,
                  base_dilation=None, window_dilation=None):
    """Reduce each window of ``x`` with 'max', 'min' or 'add', starting from the identity."""
    win = normalize_window(len(get_aval(x).shape), window_dimensions, window_strides, padding,
                           base_dilation, window_dilation)
    return bind(reduce_window_p, x, computation=str(computation), **win)


__all__ = ["patches", "patches_transpose", "reduce_window", "window_out_shape", "dilate_dim",
           "identity", "normalize_window"]

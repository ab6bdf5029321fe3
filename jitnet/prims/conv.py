"""The convolution primitive, ``conv_general_dilated``, written on the window family
(``window.py``): its impl is ``dot_general(patches(lhs), rhs)``; its cotangents are
themselves convolutions, as XLA writes them (feature groups included: the input gradient
keeps them, the weight gradient lets its window span the batch or regroups the lhs), or
for some ungrouped weight gradients one product per kernel offset. Every rule is written
with primitives (plus dot_general, shape and elementwise ops; a convolution vmapped over
both operands loops over the members with the scan primitive, so its batch rule is in
``hop/conv_batch.py``), so derivatives of any order and vmap of them stay closed.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.dtypes import kind_of
from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.dtypes import canonicalize_dtype
from ..core.primitive import OP, Primitive
from ..core.window import dilate_dim, padded_dims, window_out_shape
from ..trace.tracer import bind
from . import elementwise as ew
from . import shape as sh
from .dot import dot_general
from .util import (batch_size, bdim_to_front, dtype_error, get_aval, shape_error, shape_str,
                   tangent_aval)
from .window import _prefix_window, windows_view


# -- conv_general_dilated ---------------------------------------------------------

def _is_perm(spec, n):
    return sorted(spec) == list(range(n))


def _conv_shape(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                dimension_numbers, feature_group_count, batch_group_count, precision,
                preferred_element_type):
    name = "conv_general_dilated"
    shapes = f"lhs shape {shape_str(lhs.shape)} and rhs shape {shape_str(rhs.shape)}"
    if batch_group_count != 1:
        raise NotImplementedError(f"{name}: batch_group_count={batch_group_count} is not "
                                  f"supported (only 1)")
    nd = len(lhs.shape)
    if nd != len(rhs.shape) or nd < 2:
        raise shape_error(f"{name}: lhs and rhs must have the same rank (at least 2), got "
                          f"{shapes}")
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if not all(_is_perm(s, nd) for s in dimension_numbers):
        raise shape_error(f"{name}: dimension_numbers {dimension_numbers} must be three "
                          f"permutations of range({nd}) for {shapes}")
    ns = nd - 2
    if not (len(window_strides) == len(padding) == len(lhs_dilation) == len(rhs_dilation) == ns
            and all(len(p) == 2 for p in padding)
            and all(v >= 1 for v in window_strides + lhs_dilation + rhs_dilation)):
        raise shape_error(f"{name}: window_strides {window_strides}, padding {padding}, "
                          f"lhs_dilation {lhs_dilation} and rhs_dilation {rhs_dilation} need one "
                          f"entry (>= 1; (lo, hi) pairs for padding) per spatial dimension "
                          f"({ns} for {shapes})")
    if lhs.dtype != rhs.dtype:
        raise dtype_error(f"{name} requires lhs and rhs of the same dtype, got "
                          f"{lhs.dtype.name} and {rhs.dtype.name}")
    if kind_of(lhs.dtype) not in "iufc":
        raise dtype_error(f"{name} does not accept dtype {lhs.dtype.name}")
    x = [lhs.shape[i] for i in lhs_spec]
    w = [rhs.shape[i] for i in rhs_spec]
    g = feature_group_count
    if g < 1 or x[1] != w[1] * g:
        raise shape_error(f"{name}: lhs feature dimension ({x[1]}) must equal rhs in-feature "
                          f"dimension ({w[1]}) times feature_group_count ({g}), for {shapes}")
    if w[0] % g:
        raise shape_error(f"{name}: rhs out-feature dimension ({w[0]}) must be a multiple of "
                          f"feature_group_count ({g}), for {shapes}")
    padded = padded_dims(x[2:], padding, lhs_dilation)
    if any(p < 0 for p in padded):
        raise shape_error(f"{name}: negative padding {padding} is larger than the (dilated) "
                          f"lhs spatial shape {shape_str(x[2:])}: padded sizes would be "
                          f"{shape_str(padded)}, for {shapes}")
    spatial = window_out_shape(x[2:], w[2:], window_strides, padding, lhs_dilation, rhs_dilation)
    canon = (x[0], w[0]) + spatial
    shape = [0] * nd
    for i, d in enumerate(out_spec):
        shape[d] = canon[i]
    dtype = lhs.dtype if preferred_element_type is None else preferred_element_type
    return ShapedArray(shape, dtype, lhs.weak_type and rhs.weak_type)


def _conv_window(ks, window_strides, padding, lhs_dilation, rhs_dilation):
    """patches params for the canonical lhs (N, C, spatial...): no window on N and C."""
    return _prefix_window(dict(window_dimensions=tuple(ks), window_strides=window_strides,
                               padding=padding, base_dilation=lhs_dilation,
                               window_dilation=rhs_dilation), 2)


def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               dimension_numbers, feature_group_count, batch_group_count, precision,
               preferred_element_type):
    """im2col + one batched matmul over feature groups."""
    if preferred_element_type is not None:
        lhs, rhs = lhs.astype(preferred_element_type), rhs.astype(preferred_element_type)
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    x, w = np.transpose(lhs, lhs_spec), np.transpose(rhs, rhs_spec)
    (n, _), (o, i), ks = x.shape[:2], w.shape[:2], w.shape[2:]
    g = feature_group_count
    cols = windows_view(x, 0, **_conv_window(ks, window_strides, padding, lhs_dilation,
                                             rhs_dilation))
    os_ = cols.shape[2:2 + len(ks)]
    p, k = math.prod(os_), math.prod(ks)
    a = cols.reshape(n, g, i, p, k).transpose(1, 0, 3, 2, 4).reshape(g, n * p, i * k)
    b = w.reshape(g, o // g, i * k).transpose(0, 2, 1)
    out = np.matmul(a, b).reshape(g, n, p, o // g).transpose(1, 0, 3, 2)
    return np.transpose(out.reshape((n, o) + os_), np.argsort(out_spec))


def _conv_jvp(primals, tangents, **params):
    (lhs, rhs), (tl, tr) = primals, tangents
    out = bind(conv_general_dilated_p, lhs, rhs, **params)
    total = None
    if type(tl) is not Zero:
        total = bind(conv_general_dilated_p, tl, rhs, **params)
    if type(tr) is not Zero:
        c = bind(conv_general_dilated_p, lhs, tr, **params)
        total = c if total is None else ew.add(total, c)
    return out, (Zero(tangent_aval(get_aval(out))) if total is None else total)


def _inv(perm):
    return tuple(int(i) for i in np.argsort(perm))


def _swap01(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _spatial(shape, spec):
    return tuple(shape[d] for d in spec[2:])


def _as_dtype_of(x, like):
    """``x`` in ``like``'s dtype (the cotangent's, which a preferred element type may widen)."""
    d = get_aval(like).dtype
    return x if get_aval(x).dtype == d else ew.convert_element_type(x, d)


def _flipped_kernel(rhs, rhs_spec, g):
    """The input gradient's kernel and its spec: ``rhs`` with each feature group's in and
    out features swapped (O = G*M, I) -> (G*I, M), spatially flipped. Without groups the
    swap is only in the spec; with them the (small) kernel is copied."""
    if g > 1:
        w = sh.transpose(rhs, rhs_spec)                       # (G*M, I, ks...)
        (o, i), ks = w.shape[:2], tuple(w.shape[2:])
        w = sh.reshape(w, (g, o // g, i) + ks)
        w = sh.transpose(w, (0, 2, 1) + tuple(range(3, 3 + len(ks))))
        rhs, rhs_spec = sh.reshape(w, (g * i, o // g) + ks), tuple(range(2 + len(ks)))
    else:
        rhs_spec = _swap01(rhs_spec)
    return sh.rev(rhs, tuple(rhs_spec[2:])), rhs_spec


def _conv_lhs_grad_as_conv(ct, lhs_aval, rhs, p):
    """d lhs as one convolution: the cotangent, dilated by the forward strides, convolved
    (same feature groups) with the spatially flipped kernel whose in/out features are
    swapped per group. Padding: the dilated kernel overhangs by (its size - 1 - forward low
    padding) before; the high side makes the output exactly the lhs's size (negative when
    strides skipped trailing rows)."""
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    ks = _spatial(rhs.shape, rhs_spec)
    xs = _spatial(lhs_aval.shape, lhs_spec)
    os_ = _spatial(get_aval(ct).shape, out_spec)
    padding = []
    for x, k, o, s, (lo, _), ld, rd in zip(xs, ks, os_, p["window_strides"], p["padding"],
                                           p["lhs_dilation"], p["rhs_dilation"]):
        kd, xd, od = dilate_dim(k, rd), dilate_dim(x, ld), dilate_dim(o, s)
        before = kd - lo - 1
        padding.append((before, xd + kd - 1 - od - before))
    g = p["feature_group_count"]
    kernel, kernel_spec = _flipped_kernel(_as_dtype_of(rhs, ct), rhs_spec, g)
    out = conv_general_dilated(
        ct, kernel, window_strides=p["lhs_dilation"],
        padding=tuple(padding), lhs_dilation=p["window_strides"],
        rhs_dilation=p["rhs_dilation"],
        dimension_numbers=(out_spec, kernel_spec, lhs_spec), feature_group_count=g)
    return ew.convert_element_type(out, lhs_aval.dtype, lhs_aval.weak_type)


def _conv_rhs_grad_by_offsets(ct, lhs, rhs_aval, p):
    """d rhs one kernel offset at a time: for each offset, the strided slice of the padded
    lhs that the offset's taps saw, contracted with the cotangent over the batch and output
    positions (one long matmul per offset, no patches array). As a convolution instead, the
    cotangent would be a kernel as large as the image, which no conv algorithm runs well."""
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    # feature-major layouts, so that every product contracts trailing contiguous axes
    x = _as_dtype_of(sh.transpose(lhs, (lhs_spec[1], lhs_spec[0]) + lhs_spec[2:]), ct)
    c = sh.transpose(ct, (out_spec[1], out_spec[0]) + out_spec[2:])  # (O, N, out spatial...)
    ch, n = x.shape[:2]
    ks = _spatial(rhs_aval.shape, rhs_spec)
    os_ = tuple(c.shape[2:])
    ns = len(ks)
    cfg = ((0, 0, 0), (0, 0, 0)) + tuple(
        (lo, hi, ld - 1) for (lo, hi), ld in zip(p["padding"], p["lhs_dilation"]))
    xp = sh.pad(x, ew.convert_element_type(0, x.dtype), cfg)          # (C, N, padded...)
    summed = tuple(range(1, 2 + ns))
    cols = []
    for k in np.ndindex(*ks):
        start = (0, 0) + tuple(kd * rd for kd, rd in zip(k, p["rhs_dilation"]))
        limit = (ch, n) + tuple(st + (o - 1) * s + 1 for st, o, s in
                                zip(start[2:], os_, p["window_strides"]))
        taps = sh.slice(xp, start, limit, (1, 1) + tuple(p["window_strides"]))
        cols.append(sh.reshape(dot_general(c, taps, ((summed, summed), ((), ()))),
                               (c.shape[0], ch, 1)))
    gw = sh.reshape(sh.concatenate(cols, 2), (c.shape[0], ch) + ks)  # (O, I, ks...)
    return ew.convert_element_type(sh.transpose(gw, _inv(rhs_spec)), rhs_aval.dtype,
                                   rhs_aval.weak_type)


def _rhs_grad_padding(ct, lhs, rhs_aval, p):
    """The weight gradient's convolution padding (lhs spatial dims): exactly k window
    positions per dim, the last one ending at (k-1)*rd + (o-1)*s in the padded lhs."""
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    ks = _spatial(rhs_aval.shape, rhs_spec)
    xs = _spatial(get_aval(lhs).shape, lhs_spec)
    os_ = _spatial(get_aval(ct).shape, out_spec)
    return tuple((lo, dilate_dim(k, rd) + dilate_dim(o, s) - 1 - dilate_dim(x, ld) - lo)
                 for x, k, o, s, (lo, _), ld, rd in zip(xs, ks, os_, p["window_strides"],
                                                        p["padding"], p["lhs_dilation"],
                                                        p["rhs_dilation"]))


def _split_features(x, spec, g):
    """``x`` with its feature axis ``spec[1]`` split into (G, I) (no copy); returns the
    array and a map from the old axes to the new ones; the I axis is ``spec[1] + 1``."""
    f = spec[1]
    shape = tuple(get_aval(x).shape)
    x = sh.reshape(x, shape[:f] + (g, shape[f] // g) + shape[f + 1:])
    return x, lambda d: d + (d > f)


def _conv_rhs_grad_as_conv(ct, lhs, rhs_aval, p):
    """d rhs as one convolution (as XLA writes it): the lhs with its batch and feature
    roles swapped, convolved with the cotangent as the kernel (window = the output
    positions, window dilation = the forward strides, stride = the forward kernel
    dilation), the result landing in the rhs's own layout. Its window is as large as the
    image and its output as small as the kernel: the hand-written kernel runs such
    convolutions by their own algorithm (``jitnet/kernels/conv.py``, ``conv2d_window``).
    With G feature groups the lhs is copied to (I, G*N, spatial...), so that group g's
    N lhs features meet the cotangent's group g (its N in-features), one grouped
    convolution; without, the swap is only in the specs."""
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    g = p["feature_group_count"]
    x, x_spec = _as_dtype_of(lhs, ct), _swap01(lhs_spec)
    if g > 1:
        x, ax = _split_features(x, lhs_spec, g)
        x = sh.transpose(x, (lhs_spec[1] + 1, lhs_spec[1], ax(lhs_spec[0]))
                         + tuple(ax(d) for d in lhs_spec[2:]))   # (I, G, N, spatial...)
        x_shape = tuple(get_aval(x).shape)
        x = sh.reshape(x, (x_shape[0], g * x_shape[2]) + x_shape[3:])
        x_spec = tuple(range(len(x_shape) - 1))
    out = conv_general_dilated(
        x, ct, window_strides=p["rhs_dilation"], padding=_rhs_grad_padding(ct, lhs, rhs_aval, p),
        lhs_dilation=p["lhs_dilation"], rhs_dilation=p["window_strides"],
        dimension_numbers=(x_spec, _swap01(out_spec), _swap01(rhs_spec)),
        feature_group_count=g)
    return ew.convert_element_type(out, rhs_aval.dtype, rhs_aval.weak_type)


def _conv_rhs_grad_batch_window(ct, lhs, rhs_aval, p):
    """Grouped d rhs as one convolution whose window also spans the batch, for small
    groups (depthwise): the lhs read as (I, G, spatial..., N) - I samples of G features,
    the batch a last spatial dim - convolved (G groups) with the cotangent read as a
    (G*M, 1, out spatial..., N) kernel: out (I, G*M, ks..., 1) contracts each group over
    the output positions and the batch. No copies of the operands (only split and unit
    axes), no gather of N large windows per group as the grouped convolution runs. With
    channels-last operands the out features are made innermost too, so that the direct
    loops run along contiguous channels."""
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    g, nd = p["feature_group_count"], len(rhs_aval.shape)
    ns = nd - 2
    x, ax = _split_features(_as_dtype_of(lhs, ct), lhs_spec, g)
    x_spec = (lhs_spec[1] + 1, lhs_spec[1]) + tuple(ax(d) for d in lhs_spec[2:]) \
        + (ax(lhs_spec[0]),)
    c = sh.reshape(ct, tuple(get_aval(ct).shape) + (1,))       # a unit in-feature axis
    c_spec = (out_spec[1], nd) + tuple(out_spec[2:]) + (out_spec[0],)
    channels_last = lhs_spec[1] == nd - 1 and out_spec[1] == nd - 1
    # (I, ks..., 1, G*M) or the rhs's layout with a unit axis last
    o_spec = ((0, nd) + tuple(range(1, ns + 2)) if channels_last
              else (rhs_spec[1], rhs_spec[0]) + tuple(rhs_spec[2:]) + (nd,))
    out = conv_general_dilated(
        x, c, window_strides=p["rhs_dilation"] + (1,),
        padding=_rhs_grad_padding(ct, lhs, rhs_aval, p) + ((0, 0),),
        lhs_dilation=p["lhs_dilation"] + (1,), rhs_dilation=p["window_strides"] + (1,),
        dimension_numbers=(x_spec, c_spec, o_spec), feature_group_count=g)
    if channels_last:
        o_shape = tuple(get_aval(out).shape)
        out = sh.reshape(out, o_shape[:ns + 1] + o_shape[ns + 2:])   # (I, ks..., G*M)
        canon = (ns + 1, 0) + tuple(range(1, ns + 1))   # its axes of (G*M, I, ks...)
        out = sh.transpose(out, tuple(canon[d] for d in _inv(rhs_spec)))
    else:
        out = sh.reshape(out, tuple(rhs_aval.shape))
    return ew.convert_element_type(out, rhs_aval.dtype, rhs_aval.weak_type)


# Below this many output positions per sample, the window-major kernel contracts too few
# elements per BLAS call, and for large gradients (OFFSETS_MIN_WORK multiply-adds) the
# per-offset products, contracting over batch * positions, ran faster: 7x7 images, 128 ->
# 128 channels, batch 32: 20.0 ms against 26.4 ms; at 14x14 the kernel led (21.0 against
# 23.7 ms; benchmarks/conv_weight_grad.py --more). Small gradients keep the kernel: one
# call instead of a generated function per offset (compile time, issue 14).
WINDOW_MIN_POSITIONS = 100
OFFSETS_MIN_WORK = 1 << 24


# Grouped weight gradients with one out feature per group (depthwise) and at most this
# many multiply-adds per group per output position (in features per group * kernel size)
# take the batch-window convolution, the others the grouped one: 0.2-0.7x its time with
# one out feature (up to 72 measured), 1.2-2.1x with two (benchmarks/RESULTS.md, group).
GROUP_WINDOW_MAX_MACS = 72


def _rhs_grad_rule(ct, lhs, rhs_aval, p):
    """The weight gradient's formulation: with feature groups, one convolution whose
    window spans the batch (small groups) or one grouped convolution; without, one
    convolution where the hand-written kernel takes it (2-D, float32/float64) and pays,
    else a product per kernel offset. (The kernel's own plan, ``codegen.kernel_plan.
    plan_conv``, decides the same from the same facts; prims sit below the kernels and do
    not import them.)"""
    cs, xs, ws = get_aval(ct).shape, get_aval(lhs).shape, rhs_aval.shape
    g = p["feature_group_count"]
    if g > 1:
        _, rhs_spec, _ = p["dimension_numbers"]
        window = ws[rhs_spec[0]] == g and \
            ws[rhs_spec[1]] * math.prod(_spatial(ws, rhs_spec)) <= GROUP_WINDOW_MAX_MACS
        return _conv_rhs_grad_batch_window if window else _conv_rhs_grad_as_conv
    if (len(ws) != 4 or 0 in tuple(cs) + tuple(xs) + tuple(ws)
            or np.dtype(get_aval(ct).dtype).name not in ("float32", "float64")):
        return _conv_rhs_grad_by_offsets
    _, _, out_spec = p["dimension_numbers"]
    positions = math.prod(_spatial(cs, out_spec))
    if positions < WINDOW_MIN_POSITIONS and math.prod(cs) * math.prod(ws) // cs[out_spec[1]] \
            >= OFFSETS_MIN_WORK:
        return _conv_rhs_grad_by_offsets
    return _conv_rhs_grad_as_conv


def _conv_transpose_rule(ct, lhs, rhs, **params):
    """Each side's gradient is itself a convolution (no patches are materialized), except
    the ungrouped weight gradients that run faster as per-offset products."""
    if is_undefined(lhs) and is_undefined(rhs):
        raise NotImplementedError("conv_general_dilated: transpose with both operands linear")
    if is_undefined(lhs):
        if type(ct) is Zero:
            return Zero(lhs.aval), None
        return _conv_lhs_grad_as_conv(ct, lhs.aval, rhs, params), None
    if type(ct) is Zero:
        return None, Zero(rhs.aval)
    return None, _rhs_grad_rule(ct, lhs, rhs.aval, params)(ct, lhs, rhs.aval, params)


def _fold(x, d, axis, split=1):
    """``x`` with its batch dim ``d`` merged into ``axis`` (an axis of the unbatched layout)
    as the major part; with ``split`` > 1 that axis is read as (split, rest) and the batch
    dim goes between: (split, B, rest)."""
    x = bdim_to_front(x, d)
    nb, shape = x.shape[0], tuple(x.shape[1:])
    if split > 1:
        x = sh.reshape(x, (nb,) + shape[:axis] + (split, shape[axis] // split)
                       + shape[axis + 1:])
    at = axis + (split > 1)
    perm = list(range(1, len(x.shape)))
    perm.insert(at, 0)
    merged = list(shape)
    merged[axis] *= nb
    return sh.reshape(sh.transpose(x, tuple(perm)), tuple(merged))


def _unfold(y, axis, nb, split=1):
    """The inverse of ``_fold`` for an output: ``axis`` split into (B, rest) (or (split, B,
    rest)), B moved to the front."""
    shape = tuple(y.shape)
    n = shape[axis]
    parts = (nb, n // nb) if split == 1 else (split, nb, n // nb // split)
    y = sh.reshape(y, shape[:axis] + parts + shape[axis + 1:])
    at = axis + (split > 1)
    y = sh.transpose(y, (at,) + tuple(i for i in range(len(y.shape)) if i != at))
    if split > 1:
        rest = tuple(y.shape[1:])
        y = sh.reshape(y, (nb,) + rest[:axis] + (split * rest[axis + 1],) + rest[axis + 2:])
    return y


def batch_one_operand(args, dims, **params):
    """vmap of a convolution with one operand batched, in the operands' own layout (no
    layout changes around it):

    * only the lhs batched (shared weights): the vmapped dim joins the batch dim;
    * only the rhs batched (shared input): it joins the out features (ordered (G, B, O/G)
      so that groups stay contiguous): one convolution with B times the filters.

    Both batched (a population) is a loop over the members: ``hop/conv_batch.py``, which
    holds the whole batch rule since the loop is a scan, a primitive above this layer."""
    (lhs, rhs), (dl, dr) = args, dims
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    nb = batch_size(args, dims)
    if dl is not None:
        out = bind(conv_general_dilated_p, _fold(lhs, dl, lhs_spec[0]), rhs, **params)
        return _unfold(out, out_spec[0], nb), 0
    g = params["feature_group_count"]
    out = bind(conv_general_dilated_p, lhs, _fold(rhs, dr, rhs_spec[0], g), **params)
    return _unfold(out, out_spec[1], nb, g), 0


conv_general_dilated_p = Primitive("conv_general_dilated", kind=OP)
conv_general_dilated_p.impl = _conv_impl
conv_general_dilated_p.shape_rule = _conv_shape
conv_general_dilated_p.jvp = _conv_jvp
conv_general_dilated_p.transpose = _conv_transpose_rule
# conv_general_dilated_p.batch: set in hop/conv_batch.py (a population's loop is a scan)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
    """Bind the primitive with normalized params: explicit (lo, hi) padding, int-tuple specs."""
    nd = len(get_aval(lhs).shape)
    ns = max(nd - 2, 0)
    ones = (1,) * ns
    canon = tuple(range(nd))
    dn = (canon, canon, canon) if dimension_numbers is None else tuple(
        tuple(int(i) for i in s) for s in dimension_numbers)
    pet = None if preferred_element_type is None else canonicalize_dtype(preferred_element_type)
    if pet is not None and pet == get_aval(lhs).dtype:
        pet = None
    return bind(conv_general_dilated_p, lhs, rhs,
                window_strides=tuple(int(s) for s in window_strides),
                padding=tuple(tuple(int(v) for v in p) for p in padding),
                lhs_dilation=ones if lhs_dilation is None else tuple(int(d) for d in lhs_dilation),
                rhs_dilation=ones if rhs_dilation is None else tuple(int(d) for d in rhs_dilation),
                dimension_numbers=dn, feature_group_count=int(feature_group_count),
                batch_group_count=int(batch_group_count), precision=None,
                preferred_element_type=pet)

__all__ = ["conv_general_dilated"]

"""The convolution kernel (jitnet/kernels): its plan on its own, its values against a NumPy
reference written here (per-offset einsums over a dilated, padded operand) and against the
generated loop nests, its gradients against float64 finite differences, its disk cache.

All cases of a test run in one jitted program: each convolution is one call of the
compiled kernel, so a program of many convolutions compiles about as fast as one."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.codegen.cpu import conv as ops_conv
from jitnet.codegen import kernel_plan as kp
from jitnet.prims import conv as prims_conv
from jitnet.testing import check_grads
from jitnet.runtime import disk_cache


def spec(dn):
    """Index specs (N, C, spatial), (O, I, spatial), (N, C, spatial) of dimension-number
    strings, the spatial dims in the rhs's order (JAX's rule)."""
    lhs, rhs, out = dn
    sp = [c for c in rhs if c not in "OI"]
    return (tuple(lhs.index(c) for c in ["N", "C"] + sp),
            tuple(rhs.index(c) for c in ["O", "I"] + sp),
            tuple(out.index(c) for c in ["N", "C"] + sp))


def ref_conv(x, w, strides, padding, lhs_dil, rhs_dil, dn, groups):
    """float64 convolution: canonical layouts, zeros inserted between lhs elements, padded
    (negative: cropped), then one einsum per kernel offset and feature group."""
    ls, rs, os_ = spec(dn)
    x = np.transpose(x, ls).astype(np.float64)
    w = np.transpose(w, rs).astype(np.float64)
    n, c, h, wd = x.shape
    o, i, kh, kw = w.shape
    xd = np.zeros((n, c, (h - 1) * lhs_dil[0] + 1, (wd - 1) * lhs_dil[1] + 1))
    xd[:, :, ::lhs_dil[0], ::lhs_dil[1]] = x
    (a0, a1), (b0, b1) = padding
    xp = np.pad(xd, ((0, 0), (0, 0), (max(a0, 0), max(a1, 0)), (max(b0, 0), max(b1, 0))))
    xp = xp[:, :, max(-a0, 0):xp.shape[2] - max(-a1, 0), max(-b0, 0):xp.shape[3] - max(-b1, 0)]
    ph = (xp.shape[2] - (kh - 1) * rhs_dil[0] - 1) // strides[0] + 1
    pw = (xp.shape[3] - (kw - 1) * rhs_dil[1] - 1) // strides[1] + 1
    og = o // groups
    out = np.zeros((n, o, ph, pw))
    for g in range(groups):
        for u in range(kh):
            for v in range(kw):
                r0, c0 = u * rhs_dil[0], v * rhs_dil[1]
                taps = xp[:, g * i:(g + 1) * i, r0:r0 + (ph - 1) * strides[0] + 1:strides[0],
                          c0:c0 + (pw - 1) * strides[1] + 1:strides[1]]
                out[:, g * og:(g + 1) * og] += np.einsum("nihw,oi->nohw", taps,
                                                         w[g * og:(g + 1) * og, :, u, v])
    return np.transpose(out, np.argsort(os_))


NCHW = ("NCHW", "OIHW", "NCHW")
NHWC = ("NHWC", "HWIO", "NHWC")
# (lhs shape, rhs shape, strides, padding, lhs dilation, rhs dilation, dimension numbers, groups)
CASES = [
    ((1, 8, 1, 1), (4, 8, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), NCHW, 1),  # sizes 1
    ((3, 5, 7, 11), (7, 5, 3, 3), (2, 3), ((1, 2), (0, 1)), (1, 1), (1, 1), NCHW, 1),  # primes
    ((2, 6, 13, 9), (5, 6, 2, 2), (3, 4), ((1, 0), (2, 1)), (1, 1), (1, 1), NCHW, 1),  # s > k
    ((2, 4, 7, 5), (6, 4, 3, 2), (1, 1), ((2, -1), (3, 1)), (2, 3), (2, 1), NCHW, 1),  # dilations
    ((2, 6, 5, 7), (9, 2, 3, 3), (1, 2), ((1, 1), (1, 1)), (1, 1), (1, 1), NCHW, 3),   # groups
    ((1, 3, 40, 9), (8, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), NCHW, 1),  # row blocks
    ((3, 6, 5, 8), (3, 2, 4, 6), (1, 1), ((1, 1), (0, 1)), (1, 1), (1, 1), NHWC, 2),   # channels-last
    ((2, 7, 5, 8), (3, 2, 4, 10), (2, 1), ((2, 0), (0, 1)), (1, 2), (1, 1),
     ("NWHC", "WHIO", "CNHW"), 2),                                                     # odd layouts
    ((2, 7, 6, 5), (3, 3, 5, 8), (2, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), NHWC, 1),  # strided NHWC
    ((2, 9, 4, 16), (3, 3, 1, 16), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), NHWC, 16),  # depthwise
]


def rand(generator, shape, dtype):
    return generator.standard_normal(shape).astype(dtype)


def conv_of(case):
    _, _, strides, padding, ld, rd, dn, g = case
    return lambda x, w: lax.conv_general_dilated(x, w, strides, padding, lhs_dilation=ld,
                                                 rhs_dilation=rd, dimension_numbers=dn,
                                                 feature_group_count=g)


def all_cases(generator, dtype, cases=CASES):
    args = [a for c in cases for a in (rand(generator, c[0], dtype), rand(generator, c[1], dtype))]

    def f(*xs):
        return [conv_of(c)(xs[2 * i], xs[2 * i + 1]) for i, c in enumerate(cases)]
    return f, args


# -- the plan ---------------------------------------------------------------------------------

def params(case):
    _, _, strides, padding, ld, rd, dn, g = case
    return dict(window_strides=strides, padding=padding, lhs_dilation=ld, rhs_dilation=rd,
                dimension_numbers=spec(dn), feature_group_count=g)


def test_plan_takes_1d_2d_float_convs_and_leaves_the_rest():
    case = CASES[6]
    p = kp.plan_conv(params(case), case[0], case[1], (3, 6, 5, 6), np.float32)
    assert p.channels_last and p.dtype == "float32"
    # specs (NHWC, HWIO, NHWC), strides, low padding, dilations, groups, channels-last,
    # threads, window-major (no: the window is smaller than the output), output-major (no)
    assert p.args() == (0, 3, 1, 2, 3, 2, 0, 1, 0, 3, 1, 2, 1, 1, 1, 0, 1, 1, 1, 1, 2, 1,
                        p.threads, 0, 0)
    nchw = kp.plan_conv(params(CASES[1]), CASES[1][0], CASES[1][1], (3, 7, 4, 4), np.float64)
    assert not nchw.channels_last and nchw.padding_lo == (1, 0)
    assert kp.plan_conv(params(CASES[1]), CASES[1][0], CASES[1][1], (3, 7, 4, 4),
                        np.int32) is None                                  # integers
    assert kp.plan_conv(params(CASES[-1]), CASES[-1][0], CASES[-1][1], (2, 9, 4, 16),
                        np.float32) is None                                # depthwise: 1*1*9 < 32
    assert kp.plan_conv(params(CASES[1]), (0, 5, 7, 11), CASES[1][1], (0, 7, 4, 4),
                        np.float32) is None                                # empty
    one_d = dict(params(CASES[1]), dimension_numbers=((0, 1, 2),) * 3, window_strides=(3,),
                 padding=((0, 2),), lhs_dilation=(1,), rhs_dilation=(2,))
    p1 = kp.plan_conv(one_d, (3, 5, 7), (7, 5, 3), (3, 7, 3), np.float32)  # a unit axis 3
    assert p1.lhs_spec == (0, 1, 3, 2) and p1.window_strides == (1, 3)
    assert p1.padding_lo == (0, 0) and p1.rhs_dilation == (1, 2)
    three_d = dict(one_d, dimension_numbers=((0, 1, 2, 3, 4),) * 3)
    assert kp.plan_conv(three_d, (3, 5, 7, 7, 7), (7, 5, 3, 3, 3), (3, 7, 5, 5, 5),
                        np.float32) is None


@pytest.mark.parametrize("n, rows, row_bytes, threads, want", [
    (64, 28, 16 * 1024, 2, (28, 64)),            # whole samples
    (1, 40, 100, 2, (10, 4)),                    # one sample: 2 items per thread
    (3, 7, 100, 2, (4, 6)),                      # 3 samples, 2 threads: cut in 2
    (8, 20, 1 << 18, 2, (4, 40)),                # rows too large for COLS_BYTES: 4 per item
    (8, 5, 1 << 22, 1, (1, 40)),                 # one row over COLS_BYTES: one per item
    (0, 5, 100, 2, (1, 0)),
])
def test_work_split(n, rows, row_bytes, threads, want):
    rb, items = kp.work_split(n, rows, row_bytes, threads)
    assert (rb, items) == want
    assert rb * -(-rows // rb) >= rows and items == n * -(-rows // rb)


# -- values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_kernel_matches_numpy_reference(dtype, tol, x64, generator):
    f, args = all_cases(generator, dtype)
    src = jitnet.jit(f).lower(*args).source()
    assert src.count(f"jn_conv2d_{np.dtype(dtype).name}(") == len(CASES) - 1  # not depthwise
    got = jitnet.jit(f)(*args)
    for i, (c, g) in enumerate(zip(CASES, got)):
        want = ref_conv(args[2 * i], args[2 * i + 1], *c[2:])
        assert g.shape == want.shape and g.dtype == dtype, i
        np.testing.assert_allclose(np.asarray(g), want, rtol=tol, atol=tol * 10, err_msg=str(i))


def test_kernel_matches_generated_loops(monkeypatch, generator):
    cases = CASES[1:3] + CASES[6:7]
    f, args = all_cases(generator, np.float32, cases)
    kernel = [np.asarray(v) for v in jitnet.jit(f)(*args)]
    monkeypatch.setattr(ops_conv, "plan_conv", lambda *a: None)
    g = jitnet.jit(lambda *xs: f(*xs) + [xs[0]])   # another program: generated again
    assert "jn_conv2d" not in g.lower(*args).source()
    for a, b in zip(kernel, g(*args)[:-1]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=2e-5, atol=2e-5)


# -- gradients --------------------------------------------------------------------------------

def test_input_gradients_match_finite_differences(x64, generator):
    """<grad_x L, v> for L = sum(conv(x, w) * r) against central differences of L in float64
    (exact up to rounding: L is linear in x). The input gradient is a convolution with lhs
    dilation = the forward strides, run by the kernel. (The weight gradient is one matmul
    per kernel offset, ``prims/conv.py``, not a kernel.)"""
    cases = [CASES[2], CASES[3], CASES[8]]
    xs = [rand(generator, c[0], np.float64) for c in cases]
    ws = [rand(generator, c[1], np.float64) for c in cases]
    rs = [rand(generator, ref_conv(x, w, *c[2:]).shape, np.float64)
          for c, x, w in zip(cases, xs, ws)]

    def loss(xs):
        return sum((conv_of(c)(x, w) * r).sum() for c, x, w, r in zip(cases, xs, ws, rs))
    grad = jitnet.jit(jitnet.grad(loss))
    assert grad.lower(xs).source().count("jn_conv2d_float64(") == len(cases)  # d lhs only
    eps = 1e-3
    for i, (c, x, w, r, gx) in enumerate(zip(cases, xs, ws, rs, grad(xs))):
        v = rand(generator, x.shape, np.float64)
        fd = ((ref_conv(x + eps * v, w, *c[2:]) * r).sum()
              - (ref_conv(x - eps * v, w, *c[2:]) * r).sum()) / (2 * eps)
        np.testing.assert_allclose((np.asarray(gx) * v).sum(), fd, rtol=1e-8, err_msg=str(i))


# Windows larger than the output: the kernel's window-major algorithm (one lhs feature per
# work item). Channels-first weights (slab read in place, transposed), channels-last (in
# place), an odd layout (slab copied), feature groups, strides, dilations, negative padding.
WINDOW_CASES = [
    ((3, 4, 12, 11), (5, 4, 10, 9), (1, 1), ((1, 1), (0, 0)), (1, 1), (1, 1), NCHW, 1),
    ((2, 13, 9, 6), (11, 7, 6, 5), (2, 1), ((1, -1), (2, 0)), (1, 1), (1, 1), NHWC, 1),
    ((2, 6, 9, 7), (6, 2, 7, 5), (1, 1), ((0, 1), (1, 1)), (2, 1), (1, 2), NCHW, 3),
    ((2, 7, 9, 4), (6, 8, 2, 4), (1, 2), ((0, 0), (1, 1)), (1, 1), (1, 1),
     ("NWHC", "WHIO", "CNHW"), 2),
]


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_window_major_matches_numpy_reference(dtype, tol, x64, generator):
    for c in WINDOW_CASES:
        plan = kp.plan_conv(params(c), c[0], c[1], ref_conv(rand(generator, c[0], np.float64),
                            rand(generator, c[1], np.float64), *c[2:]).shape, dtype)
        assert plan.window_major, c
    f, args = all_cases(generator, dtype, WINDOW_CASES)
    src = jitnet.jit(f).lower(*args).source()
    assert src.count(f"jn_conv2d_{np.dtype(dtype).name}(") == len(WINDOW_CASES)
    for i, (c, g) in enumerate(zip(WINDOW_CASES, jitnet.jit(f)(*args))):
        want = ref_conv(args[2 * i], args[2 * i + 1], *c[2:])
        np.testing.assert_allclose(np.asarray(g), want, rtol=tol, atol=tol * 10, err_msg=str(i))


def _weight_grad_problem(generator, cases, dtype):
    """Inputs xs, weights ws, output weights rs of L = sum(conv(x, w) * r) per case."""
    xs = [rand(generator, c[0], dtype) for c in cases]
    ws = [rand(generator, c[1], dtype) for c in cases]
    rs = [rand(generator, ref_conv(x, w, *c[2:]).shape, dtype) for c, x, w in zip(cases, xs, ws)]
    return xs, ws, rs


def _weight_grads(cases, xs, ws, rs):
    """(generated source, d L / d ws) of one jitted program."""
    def loss(ws):
        return sum((conv_of(c)(x, w) * r).sum() for c, x, w, r in zip(cases, xs, ws, rs))
    grad = jitnet.jit(jitnet.grad(loss))
    return grad.lower(ws).source(), [np.asarray(g) for g in grad(ws)]


def test_weight_gradients_match_numpy_reference(x64, generator):
    """<grad_w L, v> for L = sum(conv(x, w) * r), linear in w, equals sum(conv(x, v) * r)
    exactly up to rounding (the NumPy reference); the weight gradient is one window-major
    kernel call per convolution (no per-offset products; the forward convolutions are dead
    code: L is linear in their outputs). CASES[0]'s gradient, 4 multiply-adds per output,
    stays in generated loops (``plan.GEMM_MIN_WORK``)."""
    cases = [c for c in CASES if c[-1] == 1]
    xs, ws, rs = _weight_grad_problem(generator, cases, np.float64)
    src, got = _weight_grads(cases, xs, ws, rs)
    assert src.count("jn_conv2d_float64(") == len(cases) - 1
    for i, (c, x, w, r, gw) in enumerate(zip(cases, xs, ws, rs, got)):
        assert gw.shape == w.shape
        for _ in range(2):
            v = rand(generator, w.shape, np.float64)
            np.testing.assert_allclose((gw * v).sum(), (ref_conv(x, v, *c[2:]) * r).sum(),
                                       rtol=1e-10, atol=1e-10, err_msg=str(i))


def test_weight_gradient_kernel_matches_per_offset_products(monkeypatch, generator):
    cases = [CASES[2]]  # strides > kernel, 4 offsets (the per-offset program compiles slowly)
    problem = _weight_grad_problem(generator, cases, np.float32)
    _, kernel = _weight_grads(cases, *problem)
    monkeypatch.setattr(prims_conv, "_rhs_grad_rule",
                        lambda *a: prims_conv._conv_rhs_grad_by_offsets)
    src, offsets = _weight_grads(cases, *problem)
    assert "jn_conv2d_float32(" not in src
    for a, b in zip(kernel, offsets):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_weight_gradient_formulation_follows_the_shape():
    """The kernel (one convolution) unless the images are small and the gradient large
    (the per-offset products measured faster: ``prims/conv.WINDOW_MIN_POSITIONS``), or the
    kernel does not take the convolution (integers, other ranks)."""
    from jitnet.core.aval import ShapedArray

    def rule(n, c, o, hw, dtype=np.float32, k=3):
        p = dict(params(CASES[1]), dimension_numbers=spec(NCHW))
        return prims_conv._rhs_grad_rule(ShapedArray((n, o, hw, hw), np.dtype(dtype)),
                                         ShapedArray((n, c, hw, hw), np.dtype(dtype)),
                                         ShapedArray((o, c, k, k), np.dtype(dtype)), p)
    assert rule(64, 16, 32, 28) is prims_conv._conv_rhs_grad_as_conv      # W4
    assert rule(32, 64, 64, 14) is prims_conv._conv_rhs_grad_as_conv
    assert rule(2, 8, 8, 7) is prims_conv._conv_rhs_grad_as_conv          # small gradient
    assert rule(32, 128, 128, 7) is prims_conv._conv_rhs_grad_by_offsets  # 7x7, 128 channels
    assert rule(64, 16, 32, 28, np.int32) is prims_conv._conv_rhs_grad_by_offsets


def test_weight_and_input_gradients_to_second_order(x64, generator):
    c = CASES[3]
    x, w = rand(generator, c[0], np.float64), rand(generator, c[1], np.float64)
    check_grads(jitnet.jit(lambda x, w: jnp.sin(conv_of(c)(x, w)).sum()), (x, w), order=2,
                modes=("rev",))


# Output-major algorithm (``plan.ConvPlan.output_major``): NCHW lhs with >= 32 features per
# group. SAME/VALID, primes, stride 2, both dilations with negative padding, feature
# groups, a non-natural channels-first output, one sample (fewer than the threads: the
# kernel falls back to im2col at run time), and two whose output rows are as long as the
# input's (the shifted sum's one-run-per-offset path), with rhs dilation, asymmetric padding.
OM_CASES = [
    ((2, 32, 7, 5), (5, 32, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), NCHW, 1),
    ((3, 33, 9, 6), (4, 33, 2, 3), (2, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), NCHW, 1),
    ((2, 32, 6, 7), (3, 32, 3, 2), (1, 2), ((2, -1), (1, 1)), (2, 1), (1, 2), NCHW, 1),
    ((2, 64, 5, 5), (6, 32, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), NCHW, 2),
    ((2, 32, 9, 8), (3, 32, 3, 3), (2, 2), ((1, 0), (0, 2)), (1, 1), (1, 1),
     ("NCHW", "OIHW", "CNHW"), 1),
    ((1, 37, 4, 4), (2, 37, 3, 1), (1, 1), ((1, 1), (0, 0)), (1, 1), (1, 1), NCHW, 1),
    ((2, 32, 6, 7), (3, 32, 3, 3), (1, 1), ((2, 2), (2, 2)), (1, 1), (2, 2), NCHW, 1),
    ((2, 32, 5, 6), (3, 32, 2, 4), (1, 1), ((0, 1), (3, 0)), (1, 1), (1, 1), NCHW, 1),
]


def test_output_major_plan(generator):
    """Taken from 32 lhs features per group (16 on images of 512 positions or more) with
    an NCHW lhs and a channels-first output; not below, not for other lhs layouts,
    channels-last outputs or large products."""
    for c in OM_CASES:
        out = ref_conv(rand(generator, c[0], np.float64), rand(generator, c[1], np.float64),
                       *c[2:]).shape
        assert kp.plan_conv(params(c), c[0], c[1], out, np.float32).output_major, c
    c = OM_CASES[0]
    p = params(c)
    assert not kp.plan_conv(p, (2, 16, 7, 5), (5, 16, 3, 3), (2, 5, 7, 5),
                            np.float32).output_major                   # 16 lhs features
    assert kp.plan_conv(p, (2, 16, 28, 28), (5, 16, 3, 3), (2, 5, 28, 28),
                        np.float32).output_major                       # on 28x28: yes
    assert not kp.plan_conv(p, (2, 8, 28, 28), (5, 8, 3, 3), (2, 5, 28, 28),
                            np.float32).output_major
    assert not kp.plan_conv(dict(p, dimension_numbers=spec(NHWC)), (2, 7, 5, 32),
                            (3, 3, 32, 5), (2, 7, 5, 5), np.float32).output_major
    assert not kp.plan_conv(p, (2, 32, 224, 224), (64, 32, 3, 3), (2, 64, 224, 224),
                            np.float32).output_major                   # product > ZBUF_BYTES
    assert kp.plan_conv(p, (2, 32, 224, 224), (1, 32, 3, 3), (2, 1, 224, 224),
                        np.float32).output_major


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_output_major_matches_numpy_reference(dtype, tol, x64, generator):
    f, args = all_cases(generator, dtype, OM_CASES)
    calls = [ln for ln in jitnet.jit(f).lower(*args).source().splitlines() if "jn_conv2d_" in ln
             and "import" not in ln]
    assert len(calls) == len(OM_CASES) and all(ln.endswith(", 1))") for ln in calls)
    for i, (c, g) in enumerate(zip(OM_CASES, jitnet.jit(f)(*args))):
        want = ref_conv(args[2 * i], args[2 * i + 1], *c[2:])
        assert g.shape == want.shape and g.dtype == dtype, i
        np.testing.assert_allclose(np.asarray(g), want, rtol=tol, atol=tol * 20,
                                   err_msg=str(i))


def test_output_major_matches_im2col(monkeypatch, generator):
    f, args = all_cases(generator, np.float32, OM_CASES[:3])
    om = [np.asarray(v) for v in jitnet.jit(f)(*args)]
    monkeypatch.setattr(kp, "output_major", lambda *a: False)
    g = jitnet.jit(lambda *xs: f(*xs) + [xs[0]])   # another program: generated again
    for a, b in zip(om, g(*args)[:-1]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-4)


def test_output_major_gradients(x64, generator):
    """Forward and input gradient both output-major (32 features each way)."""
    c = OM_CASES[2]
    x, w = rand(generator, c[0], np.float64), rand(generator, (32, 32, 3, 2), np.float64)
    check_grads(jitnet.jit(lambda x, w: jnp.sin(conv_of(c)(x, w)).sum()), (x, w), order=1,
                modes=("rev",))


# -- the disk cache ---------------------------------------------------------------------------

def test_cache_key_follows_the_kernel_sources(tmp_path, monkeypatch):
    names = {os.path.basename(p) for p in disk_cache.helper_sources()}
    assert {"numba_math.py", "conv.py", "kernel_plan.py", "c_kernel.py"} <= names
    src = tmp_path / "conv.py"
    src.write_text("a = 1\n")
    monkeypatch.setattr(disk_cache, "helper_sources", lambda: [str(src)])
    before = disk_cache.environment_tag.__wrapped__()
    src.write_text("a = 2\n")
    assert disk_cache.environment_tag.__wrapped__() != before


def test_a_second_process_loads_kernel_and_program_without_compiling():
    code = textwrap.dedent("""
        import numpy as np, jitnet
        from jitnet import lax
        from jitnet.runtime import compile_log
        f = jitnet.jit(lambda x, w: lax.conv_general_dilated(x, w, (1, 2), "SAME"))
        y = f(np.ones((2, 3, 6, 5), np.float32), np.ones((8, 3, 3, 3), np.float32))
        assert float(np.asarray(y)[0, 0, 2, 1]) == 27.0
        print(compile_log.counts["compile"], compile_log.counts["cache_load"])
    """)
    exec(code, {})  # this process compiles (or loads) both into the suite's disk cache
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    compiled, loaded = map(int, second.stdout.split())
    assert compiled == 0 and loaded == 2  # the program and the float32 kernel

"""conv_general_dilated, patches and patches_transpose: impl, jvp, transposes, batching, errors.

Every check uses an independent reference: a nested-loop convolution written from
the definition, scipy.signal.correlate, values pinned from JAX 0.10.2, central
finite differences, the dot-product test for adjoints and a Python loop for vmap.
"""
import numpy as np
import pytest
import scipy.signal

import jitnet
from jitnet import lax
from jitnet.core.adtypes import UndefinedPrimal, Zero
from jitnet.core.aval import ShapedArray
from jitnet.core.ir import Literal
from jitnet.prims import conv as pc
from jitnet.prims import window as pw
from jitnet.prims.util import tangent_aval
from jitnet.trace.make_ir import literal_value, make_ir
from jitnet.trace.tracer import bind

conv_p = pc.conv_general_dilated_p


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def rand(generator, shape, dtype=np.float64):
    return generator.standard_normal(shape).astype(dtype)


# -- independent references -------------------------------------------------------

def same_pads(sizes, kernel, strides, rhs_dilation, lower=False):
    """The documented SAME rule: ceil(n / s) outputs, the odd pad at the end (start if lower)."""
    pads = []
    for n, k, s, r in zip(sizes, kernel, strides, rhs_dilation):
        total = max((-(-n // s) - 1) * s + (k - 1) * r + 1 - n, 0)
        pads.append((total - total // 2, total // 2) if lower else (total // 2, total - total // 2))
    return pads


def naive_conv(x, w, strides, padding, lhs_dilation, rhs_dilation, groups):
    """out[n,o,p] = sum_{i,k} xd[n, g*I+i, p*s + k*r - lo] * w[o,i,k] on NC.../OI... arrays."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    (nb, nc), (no, ni) = x.shape[:2], w.shape[:2]
    sizes, ks = x.shape[2:], w.shape[2:]
    dil = [(s - 1) * d + 1 if s else 0 for s, d in zip(sizes, lhs_dilation)]
    xd = np.zeros((nb, nc) + tuple(dil))
    for idx in np.ndindex(*sizes):
        xd[(slice(None), slice(None)) + tuple(i * d for i, d in zip(idx, lhs_dilation))] = \
            x[(slice(None), slice(None)) + idx]
    eff = [(k - 1) * r + 1 for k, r in zip(ks, rhs_dilation)]
    out_sp = [(d + lo + hi - e) // s + 1 if d + lo + hi >= e else 0
              for d, (lo, hi), e, s in zip(dil, padding, eff, strides)]
    out = np.zeros((nb, no) + tuple(out_sp))
    og = no // groups
    for n, o in np.ndindex(nb, no):
        g = o // og
        for p in np.ndindex(*out_sp):
            acc = 0.0
            for i in range(ni):
                for k in np.ndindex(*ks):
                    q = [pp * s + kk * r - lo for pp, s, kk, r, (lo, _)
                         in zip(p, strides, k, rhs_dilation, padding)]
                    if all(0 <= qq < d for qq, d in zip(q, dil)):
                        acc += xd[(n, g * ni + i) + tuple(q)] * w[(o, i) + k]
            out[(n, o) + p] = acc
    return out


def naive_patches(x, window_dimensions, window_strides, padding, base_dilation,
                  window_dilation, pad_value):
    """out[o..., k...] = padded-dilated x at o*s + k*r - lo (pad_value in padding and holes)."""
    window, strides = window_dimensions, window_strides
    out_sp = []
    for d, w, s, (lo, hi), b, r in zip(x.shape, window, strides, padding, base_dilation,
                                       window_dilation):
        size, eff = ((d - 1) * b + 1 if d else 0) + lo + hi, (w - 1) * r + 1
        out_sp.append((size - eff) // s + 1 if size >= eff else 0)
    out = np.full(tuple(out_sp) + tuple(window), pad_value, x.dtype)
    for o in np.ndindex(*out_sp):
        for k in np.ndindex(*window):
            q = [oo * s + kk * r - lo for oo, s, kk, r, (lo, _)
                 in zip(o, strides, k, window_dilation, padding)]
            if all(qq % b == 0 and 0 <= qq // b < d
                   for qq, b, d in zip(q, base_dilation, x.shape)):
                out[o + k] = x[tuple(qq // b for qq, b in zip(q, base_dilation))]
    return out


def params(nd, strides, padding, lhs_dilation=None, rhs_dilation=None, groups=1, dn=None,
           pet=None):
    """The primitive's normalized params (what the lax wrapper binds)."""
    ns, canon = nd - 2, tuple(range(nd))
    return dict(window_strides=tuple(strides), padding=tuple(tuple(p) for p in padding),
                lhs_dilation=tuple(lhs_dilation or (1,) * ns),
                rhs_dilation=tuple(rhs_dilation or (1,) * ns),
                dimension_numbers=dn or (canon, canon, canon), feature_group_count=groups,
                batch_group_count=1, precision=None, preferred_element_type=pet)


# (lhs shape NC..., rhs shape OI..., strides, padding, lhs_dilation, rhs_dilation, groups)
CASES = {
    "1d-valid": ((2, 3, 7), (4, 3, 3), (1,), "VALID", (1,), (1,), 1),
    "1d-same-stride2": ((2, 2, 7), (3, 2, 3), (2,), "SAME", (1,), (1,), 1),
    "1d-same-lower-even-k": ((1, 2, 6), (2, 2, 4), (1,), "SAME_LOWER", (1,), (1,), 1),
    "1d-explicit-negative": ((2, 2, 8), (2, 2, 3), (3,), [(2, -1)], (1,), (1,), 1),
    "1d-lhs-dilation": ((1, 2, 5), (3, 2, 3), (1,), [(1, 2)], (2,), (1,), 1),
    "1d-rhs-dilation-same": ((2, 1, 9), (2, 1, 3), (1,), "SAME", (1,), (3,), 1),
    "1d-groups": ((2, 4, 6), (6, 2, 3), (1,), [(1, 1)], (1,), (1,), 2),
    "1d-depthwise-stride": ((1, 3, 8), (3, 1, 2), (2,), "VALID", (1,), (1,), 3),
    "2d-valid": ((2, 3, 5, 6), (4, 3, 3, 2), (1, 1), "VALID", (1, 1), (1, 1), 1),
    "2d-same-stride": ((1, 2, 6, 5), (3, 2, 3, 3), (2, 1), "SAME", (1, 1), (1, 1), 1),
    "2d-dilations": ((1, 2, 4, 5), (2, 2, 2, 3), (1, 2), [(1, 0), (2, 1)], (2, 1), (1, 2), 1),
    "2d-groups-rhs-dil": ((2, 4, 6, 6), (4, 2, 2, 2), (2, 2), "SAME", (1, 1), (2, 2), 2),
    "2d-everything": ((1, 3, 5, 6), (6, 1, 2, 3), (2, 3), [(0, 1), (-1, 2)], (1, 2), (2, 1), 3),
    "2d-empty-output": ((1, 1, 2, 3), (1, 1, 3, 3), (1, 1), "VALID", (1, 1), (1, 1), 1),
    "3d": ((1, 2, 4, 3, 4), (2, 1, 2, 2, 3), (1, 2, 1), [(1, 0), (0, 1), (1, 1)],
           (1, 1, 2), (2, 1, 1), 2),
}


def explicit_padding(case):
    xs, ws, strides, padding, _, rd, _ = case
    if isinstance(padding, str):
        if padding == "VALID":
            return [(0, 0)] * len(strides)
        return same_pads(xs[2:], ws[2:], strides, rd, lower=padding == "SAME_LOWER")
    return padding


def case_arrays(generator, case, dtype):
    return rand(generator, case[0], dtype), rand(generator, case[1], dtype)


# -- impl -------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_impl_matches_naive_loops(name, dtype, generator):
    case = CASES[name]
    _, _, strides, padding, ld, rd, groups = case
    x, w = case_arrays(generator, case, dtype)
    out = lax.conv_general_dilated(x, w, strides, padding, lhs_dilation=ld, rhs_dilation=rd,
                                   feature_group_count=groups)
    ref = naive_conv(x, w, strides, explicit_padding(case), ld, rd, groups)
    assert out.dtype == dtype and out.shape == ref.shape
    np.testing.assert_allclose(np.asarray(out), ref, **tol(dtype))


def test_same_output_size_is_ceil_of_input_over_stride(generator):
    x = rand(generator, (1, 1, 11, 10), np.float32)
    for s in (1, 2, 3, 4):
        for k in (1, 2, 3, 4):
            out = lax.conv(x, rand(generator, (1, 1, k, k), np.float32), (s, s), "SAME")
            assert out.shape == (1, 1, -(-11 // s), -(-10 // s))


def test_nhwc_hwio_layout(dtype, generator):
    # canonical NCHW / OIHW
    x, w = rand(generator, (2, 3, 6, 5), dtype), rand(generator, (4, 3, 3, 2), dtype)
    strides, pads = (2, 1), [(1, 1), (0, 2)]
    ref = naive_conv(x, w, strides, pads, (1, 1), (1, 1), 1)
    out = lax.conv_general_dilated(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), strides,
                                   pads, dimension_numbers=("NHWC", "HWIO", "NHWC"))
    np.testing.assert_allclose(np.asarray(out).transpose(0, 3, 1, 2), ref, **tol(dtype))


def test_mixed_layout_strides_follow_rhs_spatial_order(dtype, generator):
    """With rhs 'WHIO', window_strides[0] belongs to W (JAX's rule)."""
    x, w = rand(generator, (2, 2, 5, 7), dtype), rand(generator, (4, 1, 2, 3), dtype)  # NCHW / OIHW
    ref = naive_conv(x, w, (1, 2), [(0, 1), (2, 0)], (1, 1), (1, 1), 2)  # strides (H, W)
    out = lax.conv_general_dilated(x.transpose(0, 3, 2, 1), w.transpose(3, 2, 1, 0), (2, 1),
                                   [(2, 0), (0, 1)], feature_group_count=2,
                                   dimension_numbers=("NWHC", "WHIO", "CNHW"))
    np.testing.assert_allclose(np.asarray(out).transpose(1, 0, 2, 3), ref, **tol(dtype))


def test_matches_scipy_correlate(dtype, generator):
    x, w = rand(generator, (8, 9), dtype), rand(generator, (3, 4), dtype)
    out = lax.conv(x[None, None], w[None, None], (1, 1), "VALID")
    np.testing.assert_allclose(np.asarray(out)[0, 0], scipy.signal.correlate(x, w, "valid"),
                               **tol(dtype))
    x1, w1 = rand(generator, (10,), dtype), rand(generator, (4,), dtype)
    full = lax.conv_with_general_padding(x1[None, None], w1[None, None], (1,), [(3, 3)],
                                         None, None)
    np.testing.assert_allclose(np.asarray(full)[0, 0], scipy.signal.correlate(x1, w1, "full"),
                               **tol(dtype))


def test_same_padding_values_pinned_from_jax():
    x, w = np.arange(5.0, dtype=np.float32)[None, None], np.float32([[[1, 10, 100, 1000]]])
    np.testing.assert_array_equal(lax.conv(x, w, (1,), "SAME")[0, 0], [2100, 3210, 4321, 432, 43])
    np.testing.assert_array_equal(lax.conv(x, w, (1,), "same_lower")[0, 0],
                                  [1000, 2100, 3210, 4321, 432])
    w2 = np.float32([[[1, 10]]])
    out = lax.conv_with_general_padding(x, w2, (1,), "SAME", None, (2,))
    np.testing.assert_array_equal(out[0, 0], [10, 20, 31, 42, 3])
    assert lax.padtype_to_pads((5,), (4,), (1,), "SAME") == [(1, 2)]
    assert lax.padtype_to_pads((5,), (4,), (1,), "SAME_LOWER") == [(2, 1)]


def test_integer_inputs_and_preferred_element_type(generator):
    x = generator.integers(-3, 4, (1, 2, 5)).astype(np.int32)
    w = generator.integers(-3, 4, (2, 2, 2)).astype(np.int32)
    ref = naive_conv(x, w, (1,), [(0, 0)], (1,), (1,), 1)
    out = lax.conv(x, w, (1,), "VALID")
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ref)
    outf = lax.conv(x, w, (1,), "VALID", preferred_element_type=np.float32)
    assert outf.dtype == np.float32
    np.testing.assert_array_equal(outf, ref)


def test_conv_dimension_numbers_pinned_from_jax():
    cdn = lax.conv_dimension_numbers
    s4 = (1, 2, 3, 4)
    assert cdn(s4, s4, None) == ((0, 1, 2, 3),) * 3
    assert cdn(s4, s4, ("NHWC", "HWIO", "NHWC")) == ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    assert cdn(s4, s4, ("NWHC", "HWIO", "CWNH")) == ((0, 3, 2, 1), (3, 2, 0, 1), (2, 0, 3, 1))
    assert cdn(s4, s4, ("NCHW", "OIHW", "NCWH")).out_spec == (0, 1, 3, 2)
    given = lax.ConvDimensionNumbers((0, 1, 2), (1, 0, 2), (0, 1, 2))
    assert cdn((1, 2, 3), (1, 2, 3), given) == given


@pytest.mark.parametrize("dn, match", [
    (("NCHW", "OIHW"), "length 3"),
    (("NCHW", "OIHW", "NCH"), "len equal to the ndim"),
    (("NCHW", "OIHX", "NCHW"), "same set of spatial"),
    (("NCHH", "OIHH", "NCHH"), "duplicate"),
    (("XCHW", "OIHW", "NCHW"), "'N' and 'C'"),
    (((0, 1, 2, 3),) * 3, "must be strings"),
])
def test_bad_dimension_numbers(dn, match):
    with pytest.raises(TypeError, match=match):
        lax.conv_dimension_numbers((1, 2, 3, 4), (1, 2, 3, 4), dn)


# -- conv_transpose ---------------------------------------------------------------

def test_conv_transpose_pinned_from_jax():
    x, w = np.float32([1, 2, 3]).reshape(1, 3, 1), np.float32([1, 10, 100]).reshape(3, 1, 1)
    ct = lax.conv_transpose

    def run(*a, **k):
        return np.asarray(ct(x, w, (2,), *a, **k)).ravel()

    np.testing.assert_array_equal(run("SAME"), [100, 10, 201, 20, 302, 30])
    np.testing.assert_array_equal(run("SAME", transpose_kernel=True), [1, 10, 102, 20, 203, 30])
    np.testing.assert_array_equal(run("VALID"), [100, 10, 201, 20, 302, 30, 3])
    np.testing.assert_array_equal(run("VALID", transpose_kernel=True),
                                  [1, 10, 102, 20, 203, 30, 300])
    np.testing.assert_array_equal(run([(1, 0)]), [10, 201, 20, 302])
    np.testing.assert_array_equal(run([(1, 0)], use_consistent_padding=True),
                                  [10, 201, 20, 302, 30, 3])


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_conv_transpose_with_transposed_kernel_is_the_conv_gradient(padding, x64, generator):
    """transpose_kernel=True makes conv_transpose the lhs-cotangent of the forward conv."""
    strides, rd = (2, 1), (1, 2)
    # NHWC cotangent, HWIO kernel (I=2, O=5)
    ct, w = rand(generator, (2, 3, 4, 5)), rand(generator, (3, 2, 2, 5))
    dn = ("NHWC", "HWIO", "NHWC")
    out = lax.conv_transpose(ct, w, strides, padding, rhs_dilation=rd, dimension_numbers=dn,
                             transpose_kernel=True)
    x_aval = ShapedArray(out.shape, np.float64)
    fwd = lax.conv_general_dilated(np.zeros(out.shape), w, strides, padding, rhs_dilation=rd,
                                   dimension_numbers=dn)
    assert fwd.shape == ct.shape
    p = params(4, strides, same_pads(out.shape[1:3], w.shape[:2], strides, rd)
               if padding == "SAME" else [(0, 0)] * 2, rhs_dilation=rd,
               dn=tuple(lax.conv_dimension_numbers(out.shape, w.shape, dn)))
    grad, _ = conv_p.transpose(ct, UndefinedPrimal(x_aval), w, **p)
    np.testing.assert_allclose(np.asarray(out), np.asarray(grad), rtol=1e-10, atol=1e-10)


# -- jvp ----------------------------------------------------------------------------

JVP_CASES = ["1d-same-stride2", "1d-lhs-dilation", "2d-dilations", "2d-groups-rhs-dil",
             "2d-everything", "3d"]


def case_params(case, dn=None):
    xs, _, strides, _, ld, rd, groups = case
    return params(len(xs), strides, explicit_padding(case), ld, rd, groups, dn)


@pytest.mark.parametrize("name", JVP_CASES)
def test_jvp_matches_central_differences(name, x64, generator):
    case = CASES[name]
    p = case_params(case)
    x, w = case_arrays(generator, case, np.float64)
    tx, tw = case_arrays(generator, case, np.float64)
    out, tout = conv_p.jvp((x, w), (tx, tw), **p)
    f = lambda a, b: np.asarray(bind(conv_p, a, b, **p))  # noqa: E731
    eps = 1e-3  # bilinear: the central difference is exact up to rounding
    fd = (f(x + eps * tx, w + eps * tw) - f(x - eps * tx, w - eps * tw)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(out), f(x, w), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(tout), fd, rtol=1e-8, atol=1e-8)


def test_jvp_with_symbolic_zero_tangents(x64, generator):
    case = CASES["2d-dilations"]
    p = case_params(case)
    x, w = case_arrays(generator, case, np.float64)
    tx, tw = case_arrays(generator, case, np.float64)
    f = lambda a, b: np.asarray(bind(conv_p, a, b, **p))  # noqa: E731
    _, t = conv_p.jvp((x, w), (Zero(ShapedArray(x.shape, x.dtype)), tw), **p)
    np.testing.assert_allclose(np.asarray(t), f(x, tw), rtol=1e-12)
    _, t = conv_p.jvp((x, w), (tx, Zero(ShapedArray(w.shape, w.dtype))), **p)
    np.testing.assert_allclose(np.asarray(t), f(tx, w), rtol=1e-12)
    _, t = conv_p.jvp((x, w), (Zero(ShapedArray(x.shape, x.dtype)),
                               Zero(ShapedArray(w.shape, w.dtype))), **p)
    assert type(t) is Zero and t.aval.shape == f(x, w).shape


# -- transposes: <ct, f(x)> == <f^T(ct), x> -------------------------------------------

LAYOUTS = {
    "nchw": None,
    "nhwc": ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)),  # NHWC, HWIO, NHWC
    "mixed": ((0, 3, 2, 1), (3, 2, 1, 0), (1, 0, 2, 3)),
}


def to_layout(a, spec):
    """A canonical (batch/out, feature/in, spatial...) array laid out as ``spec`` says."""
    return a if spec is None else np.transpose(a, np.argsort(spec))


def dot(a, b):
    return float(np.vdot(np.asarray(a, np.float64), np.asarray(b, np.float64)))


def check_transposes(generator, x, w, p, rtol):
    out = np.asarray(bind(conv_p, x, w, **p))
    ct = rand(generator, out.shape, out.dtype)
    gx, none = conv_p.transpose(ct, UndefinedPrimal(ShapedArray(x.shape, x.dtype)), w, **p)
    none2, gw = conv_p.transpose(ct, x, UndefinedPrimal(ShapedArray(w.shape, w.dtype)), **p)
    assert none is None and none2 is None
    assert gx.shape == x.shape and gx.dtype == x.dtype
    assert gw.shape == w.shape and gw.dtype == w.dtype
    np.testing.assert_allclose(dot(ct, out), dot(gx, x), rtol=rtol)
    np.testing.assert_allclose(dot(ct, out), dot(gw, w), rtol=rtol)


@pytest.mark.parametrize("name", [n for n in CASES if n != "2d-empty-output"])
def test_transposes_dot_product(name, dtype, generator):
    case = CASES[name]
    x, w = case_arrays(generator, case, dtype)
    check_transposes(generator, x, w, case_params(case), 1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("layout", ["nhwc", "mixed"])
@pytest.mark.parametrize("name", ["2d-dilations", "2d-same-stride", "2d-everything"])
def test_transposes_dot_product_layouts(name, layout, x64, generator):
    case, dn = CASES[name], LAYOUTS[layout]
    x, w = case_arrays(generator, case, np.float64)
    x, w = to_layout(x, dn[0]), to_layout(w, dn[1])
    check_transposes(generator, x, w, case_params(case, dn), 1e-10)


@pytest.mark.parametrize("name", ["2d-groups-rhs-dil", "2d-dilations"])
def test_transposes_with_preferred_element_type(name, x64, generator):
    """Grouped convolutions transpose through patches, plain ones through convolutions and
    per-offset products: both must honour a wider cotangent dtype."""
    case = CASES[name]
    x, w = case_arrays(generator, case, np.float32)
    p = dict(case_params(case), preferred_element_type=np.dtype(np.float64))
    assert bind(conv_p, x, w, **p).dtype == np.float64
    check_transposes(generator, x, w, p, 1e-5)


def test_transposes_of_an_empty_output_are_zero(generator):
    case = CASES["2d-empty-output"]
    x, w = case_arrays(generator, case, np.float32)
    p = case_params(case)
    ct = np.zeros(bind(conv_p, x, w, **p).shape, np.float32)
    gx, _ = conv_p.transpose(ct, UndefinedPrimal(ShapedArray(x.shape, x.dtype)), w, **p)
    _, gw = conv_p.transpose(ct, x, UndefinedPrimal(ShapedArray(w.shape, w.dtype)), **p)
    np.testing.assert_array_equal(gx, np.zeros_like(x))
    np.testing.assert_array_equal(gw, np.zeros_like(w))


def test_transpose_of_zero_cotangent_is_zero(generator):
    case = CASES["1d-groups"]
    x, w = case_arrays(generator, case, np.float32)
    p = case_params(case)
    out_aval = ShapedArray(bind(conv_p, x, w, **p).shape, np.float32)
    gx, _ = conv_p.transpose(Zero(out_aval), UndefinedPrimal(ShapedArray(x.shape, x.dtype)), w,
                             **p)
    assert type(gx) is Zero and gx.aval.shape == x.shape


# -- batching -----------------------------------------------------------------------

def loop_batch(prim, args, dims, **p):
    """Reference vmap: apply ``prim`` per example and stack along axis 0."""
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    outs = [np.asarray(bind(prim, *[a if d is None else np.take(a, i, d)
                                    for a, d in zip(args, dims)], **p)) for i in range(size)]
    return np.stack(outs)


@pytest.mark.parametrize("dims", [(0, None), (2, None), (None, 0), (None, 3), (1, 2), (0, 0)],
                         ids=lambda d: f"{d}")
@pytest.mark.parametrize("name, layout", [("2d-everything", "nchw"), ("1d-groups", "nchw"),
                                          ("2d-groups-rhs-dil", "nhwc"),
                                          ("2d-dilations", "mixed")])
def test_batch_rule_matches_loop(name, layout, dims, dtype, generator):
    case, dn = CASES[name], LAYOUTS[layout]
    p = case_params(case, dn)
    xs, ws = list(case[0]), list(case[1])
    nd = len(xs)
    if dn is not None:
        xs, ws = [xs[i] for i in np.argsort(dn[0])], [ws[i] for i in np.argsort(dn[1])]
    args = []
    for shape, d in zip((xs, ws), dims):
        d = None if d is None else min(d, nd)
        args.append(rand(generator, shape if d is None else shape[:d] + [3] + shape[d:], dtype))
    dims = tuple(None if d is None else min(d, nd) for d in dims)
    out, out_dim = conv_p.batch(args, dims, **p)
    ref = loop_batch(conv_p, args, dims, **p)
    np.testing.assert_allclose(np.moveaxis(np.asarray(out), out_dim, 0), ref, **tol(dtype))


# -- patches and patches_transpose ------------------------------------------------------

WIN = dict(window_dimensions=(2, 3, 1), window_strides=(1, 2, 2),
           padding=((1, 0), (2, -1), (0, 1)), base_dilation=(2, 1, 1), window_dilation=(1, 2, 1))


def test_patches_impl_matches_naive(dtype, generator):
    x = rand(generator, (3, 5, 4), dtype)
    out = pw.patches(x, pad_value=7.5, **WIN)
    np.testing.assert_array_equal(np.asarray(out), naive_patches(x, pad_value=7.5, **WIN))


def test_patches_dot_product_and_rules(x64, generator):
    x = rand(generator, (3, 5, 4))
    px = np.asarray(pw.patches(x, **WIN))
    y = rand(generator, px.shape)
    back = pw.patches_transpose(y, x.shape, **WIN)
    np.testing.assert_allclose(dot(y, px), dot(back, x), rtol=1e-12)
    win = pw.normalize_window(3, **WIN)
    (rule,) = pw.patches_p.transpose(y, UndefinedPrimal(ShapedArray(x.shape, x.dtype)),
                                     pad_value=0, **win)
    np.testing.assert_array_equal(np.asarray(rule), np.asarray(back))
    (rule2,) = pw.patches_transpose_p.transpose(
        x, UndefinedPrimal(ShapedArray(px.shape, px.dtype)), operand_shape=x.shape, **win)
    np.testing.assert_array_equal(np.asarray(rule2), px)


def test_patches_tangent_ignores_the_pad_value(x64, generator):
    x, t = rand(generator, (5, 4)), rand(generator, (5, 4))
    win = pw.normalize_window(2, (2, 2), (1, 1), ((1, 1), (1, 1)))
    out, tout = pw.patches_p.jvp((x,), (t,), pad_value=float("-inf"), **win)
    assert np.isneginf(np.asarray(out)).any()
    np.testing.assert_array_equal(np.asarray(tout),
                                  naive_patches(t, pad_value=0, base_dilation=(1, 1),
                                                window_dilation=(1, 1), window_dimensions=(2, 2),
                                                window_strides=(1, 1),
                                                padding=((1, 1), (1, 1))))


@pytest.mark.parametrize("d", [0, 1, 3])
def test_patches_batch_rules(d, dtype, generator):
    win = pw.normalize_window(3, **WIN)
    x = rand(generator, (3, 5, 4)[:d] + (2,) + (3, 5, 4)[d:], dtype)
    out, od = pw.patches_p.batch([x], [d], pad_value=1.5, **win)
    ref = loop_batch(pw.patches_p, [x], [d], pad_value=1.5, **win)
    np.testing.assert_array_equal(np.moveaxis(np.asarray(out), od, 0), ref)
    y = np.moveaxis(np.asarray(out), od, 0)
    y = np.moveaxis(y, 0, d)
    back, bd = pw.patches_transpose_p.batch([y], [d], operand_shape=(3, 5, 4), **win)
    ref = loop_batch(pw.patches_transpose_p, [y], [d], operand_shape=(3, 5, 4), **win)
    np.testing.assert_allclose(np.moveaxis(np.asarray(back), bd, 0), ref, **tol(dtype))


# -- composing the rules: second order and vmap of the cotangent rules -----------------

def jvp_by_rules(f, primals, tangents):
    """Forward mode by walking f's IR with each primitive's jvp rule (stands in for jvp)."""
    ir, consts, _ = make_ir(f, *primals)
    env = {}

    def read(a):
        if isinstance(a, Literal):
            return literal_value(a), Zero(tangent_aval(a.aval))
        return env[id(a)]

    zeros = [Zero(tangent_aval(ShapedArray(np.shape(c), c.dtype))) for c in consts]
    for v, x, t in zip(ir.invars, list(consts) + list(primals), zeros + list(tangents)):
        env[id(v)] = (x, t)
    for e in ir.eqns:
        ps, ts = zip(*[read(a) for a in e.inputs])
        env[id(e.outputs[0])] = e.prim.jvp(list(ps), list(ts), **e.params)
    return [read(a) for a in ir.outvars]


def vmap_by_rules(f, args, dims):
    """Batching by walking f's IR with each primitive's batch rule (stands in for vmap)."""
    ir, consts, _ = make_ir(f, *[a if d is None else np.take(a, 0, d)
                                 for a, d in zip(args, dims)])
    env = {}

    def read(a):
        return (literal_value(a), None) if isinstance(a, Literal) else env[id(a)]

    for v, x, d in zip(ir.invars, list(consts) + list(args), [None] * len(consts) + list(dims)):
        env[id(v)] = (x, d)
    for e in ir.eqns:
        vals, ds = zip(*[read(a) for a in e.inputs])
        if all(d is None for d in ds):
            env[id(e.outputs[0])] = (bind(e.prim, *vals, **e.params), None)
        else:
            env[id(e.outputs[0])] = e.prim.batch(list(vals), list(ds), **e.params)
    return [np.moveaxis(np.asarray(x), d, 0) for x, d in map(read, ir.outvars)]


def loss_grads(p, x_aval, w_aval):
    """Gradients of 0.5 * |conv(x, w)|^2 from the transpose rules (cubic in (x, w))."""
    def grad_w(x, w):
        ct = bind(conv_p, x, w, **p)
        return conv_p.transpose(ct, x, UndefinedPrimal(w_aval), **p)[1]

    def grad_x(x, w):
        ct = bind(conv_p, x, w, **p)
        return conv_p.transpose(ct, UndefinedPrimal(x_aval), w, **p)[0]
    return grad_x, grad_w


@pytest.mark.parametrize("name", ["2d-everything", "1d-lhs-dilation"])
def test_second_order_through_the_transpose_rules(name, x64, generator):
    case = CASES[name]
    p = case_params(case)
    x, w = case_arrays(generator, case, np.float64)
    tx, tw = case_arrays(generator, case, np.float64)
    for g in loss_grads(p, ShapedArray(x.shape, x.dtype), ShapedArray(w.shape, w.dtype)):
        [(_, t)] = jvp_by_rules(g, (x, w), (tx, tw))
        eps = 1e-5  # g is cubic in (x, w): the central difference is O(eps^2) off
        fd = (np.asarray(g(x + eps * tx, w + eps * tw))
              - np.asarray(g(x - eps * tx, w - eps * tw))) / (2 * eps)
        np.testing.assert_allclose(np.asarray(t), fd, rtol=1e-7, atol=1e-7)


def test_vmap_of_the_transpose_rules(x64, generator):
    case = CASES["2d-groups-rhs-dil"]
    p = case_params(case)
    x = rand(generator, (2,) + case[0])
    w = rand(generator, case[1][:2] + (2,) + case[1][2:])
    for g in loss_grads(p, ShapedArray(case[0], np.float64), ShapedArray(case[1], np.float64)):
        [out] = vmap_by_rules(g, [x, w], [0, 2])
        ref = np.stack([np.asarray(g(x[i], w[:, :, i])) for i in range(2)])
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)


def test_traced_conv_records_one_equation_and_evaluates_like_eager(generator):
    x, w = rand(generator, (1, 2, 5, 5), np.float32), rand(generator, (3, 2, 3, 3), np.float32)
    jaxpr = jitnet.make_jaxpr(lambda a, b: lax.conv(a, b, (1, 1), "SAME"))(x, w)
    assert [e.prim.name for e in jaxpr.eqns] == ["conv_general_dilated"]
    np.testing.assert_allclose(np.asarray(jaxpr(x, w)[0]),
                               np.asarray(lax.conv(x, w, (1, 1), "SAME")), rtol=1e-6)


# -- errors -------------------------------------------------------------------------

def conv_error(exc, match, lhs_shape, rhs_shape, *, lhs_dtype=np.float32, rhs_dtype=np.float32,
               **kw):
    x, w = np.zeros(lhs_shape, lhs_dtype), np.zeros(rhs_shape, rhs_dtype)
    kw.setdefault("window_strides", (1,) * (len(lhs_shape) - 2))
    kw.setdefault("padding", [(0, 0)] * (len(lhs_shape) - 2))
    with pytest.raises(exc, match=match) as info:
        pc.conv_general_dilated(x, w, **kw)
    return str(info.value)


def test_error_mismatched_ranks():
    msg = conv_error(ValueError, "same rank", (1, 2, 5), (3, 2, 3, 3))
    assert "conv_general_dilated" in msg and "(1, 2, 5)" in msg and "(3, 2, 3, 3)" in msg
    assert "test_conv.py" in msg  # the user's line
    with pytest.raises(TypeError, match="ndim to be equal"):
        lax.conv(np.zeros((1, 2, 5)), np.zeros((3, 2, 3, 3)), (1,), "VALID")


def test_error_in_feature_mismatch():
    msg = conv_error(ValueError, r"lhs feature dimension \(3\) must equal rhs in-feature "
                     r"dimension \(2\) times feature_group_count \(1\)", (2, 3, 5, 5),
                     (4, 2, 3, 3))
    assert "(2, 3, 5, 5)" in msg and "(4, 2, 3, 3)" in msg


def test_error_groups_must_divide_out_features():
    msg = conv_error(ValueError, r"out-feature dimension \(3\) must be a multiple of "
                     r"feature_group_count \(2\)", (1, 4, 5), (3, 2, 3), feature_group_count=2)
    assert "(1, 4, 5)" in msg


def test_error_negative_padded_size():
    conv_error(ValueError, "negative padding", (1, 1, 3), (1, 1, 1), padding=[(0, -4)])


def test_error_dtype_mismatch():
    msg = conv_error(TypeError, "same dtype", (1, 1, 3), (1, 1, 1), rhs_dtype=np.int32)
    assert "float32" in msg and "int32" in msg


def test_error_wrong_number_of_strides():
    conv_error(ValueError, "per spatial dimension", (1, 1, 5, 5), (1, 1, 2, 2),
               window_strides=(1,))


def test_error_batch_group_count_is_not_supported():
    conv_error(NotImplementedError, "batch_group_count", (2, 1, 5), (2, 1, 2),
               batch_group_count=2)


def test_error_traced_matches_eager():
    x, w = np.zeros((2, 3, 5), np.float32), np.zeros((4, 2, 3), np.float32)
    with pytest.raises(ValueError, match="in-feature"):
        jitnet.make_jaxpr(lambda a, b: lax.conv(a, b, (1,), "VALID"))(x, w)


def test_error_bad_padding_strings():
    x, w = np.zeros((1, 1, 5), np.float32), np.zeros((1, 1, 2), np.float32)
    with pytest.raises(ValueError, match="Unrecognized padding"):
        lax.conv(x, w, (1,), "FULL")
    with pytest.raises(ValueError, match="lhs_dilation"):
        lax.conv_general_dilated(x, w, (1,), "SAME", lhs_dilation=(2,))


def test_patches_errors():
    with pytest.raises(TypeError, match="not representable"):
        pw.patches(np.zeros(4, np.int32), (2,), pad_value=float("-inf"))
    with pytest.raises(ValueError, match=r"patches_transpose: cotangent of shape \(2, 2\)"):
        pw.patches_transpose(np.zeros((2, 2), np.float32), (4,), (2,))

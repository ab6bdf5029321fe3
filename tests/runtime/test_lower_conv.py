"""The Numba lowering of the window family equals the NumPy reference (eager execution).

The cases are chosen to reach every code path of ``jitnet/codegen/cpu/conv.py``: clipped
loops for padding (positive, negative), base and window dilation, strides, all layouts,
feature groups, the direct conv loop nests and the convolution kernel (1-D and 2-D float
convs: jitnet/kernels/conv.py, whose own tests are in tests/kernels), integer, float64 and
complex dtypes, preferred element types; then grad and vmap under jit.
"""
import numpy as np
import pytest

import jitnet
from jitnet import lax
from jitnet.prims import window as pw


def rand(generator, shape, dtype=np.float32):
    if np.dtype(dtype).kind in "iu":
        return generator.integers(-5, 6, shape).astype(dtype)
    if np.dtype(dtype) == np.bool_:
        return generator.random(shape) > 0.5
    return generator.standard_normal(shape).astype(dtype)


def assert_jit_matches_eager(f, *args, tol=1e-4):
    want = f(*args)
    got = jitnet.jit(f)(*args)
    want, got = jitnet.tree_leaves(want), jitnet.tree_leaves(got)
    assert len(want) == len(got)
    for i, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        assert (g.shape, g.dtype) == (w.shape, w.dtype), (i, g.shape, g.dtype, w.shape, w.dtype)
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"case {i}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"case {i}")


def _case_id(case):
    return f"{case[0]}*{case[1]}".replace(" ", "")


def run_conv(generator, case, dtype, tol):
    """case: (lhs shape, rhs shape, strides, padding, kwargs of conv_general_dilated).

    One program per case: Numba's compile time grows faster than linearly with the size
    of a function, so several small programs compile sooner than one big one."""
    lhs, rhs, strides, padding, kw = case

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, **kw)
    assert_jit_matches_eager(f, rand(generator, lhs, dtype), rand(generator, rhs, dtype), tol=tol)


# -- conv_general_dilated ---------------------------------------------------------------------

NCHW_CASES = [
    ((2, 3, 7, 6), (8, 3, 3, 3), (1, 1), "VALID", {}),
    ((2, 3, 7, 6), (8, 3, 3, 3), (2, 2), "SAME", {}),
    ((2, 4, 9, 8), (6, 4, 3, 2), (2, 1), ((2, 1), (-1, 3)), {}),          # +/- padding
    ((2, 4, 9, 8), (6, 4, 3, 3), (1, 1), ((1, 1), (1, 1)), dict(rhs_dilation=(2, 1))),
    ((2, 4, 5, 4), (6, 4, 3, 3), (1, 2), ((2, 2), (1, 2)), dict(lhs_dilation=(2, 3))),
    ((2, 6, 7, 7), (6, 2, 3, 3), (1, 2), "SAME", dict(feature_group_count=3)),
    ((2, 6, 7, 7), (6, 1, 3, 3), (1, 2), "SAME", dict(feature_group_count=6)),  # depthwise: direct
    ((2, 8, 7, 7), (16, 2, 3, 3), (1, 1), "SAME", dict(feature_group_count=4)),  # kernel
    ((2, 5, 6, 6), (7, 5, 1, 1), (1, 1), "VALID", {}),                      # 1x1
    ((2, 64, 6, 6), (32, 64, 3, 3), (1, 1), "SAME", {}),     # output rows split per product
    ((2, 256, 5, 4), (32, 128, 3, 3), (1, 1), "SAME", dict(feature_group_count=2)),  # K split
    ((2, 64, 6, 5), (128, 64, 3, 3), (1, 1), "SAME", {}),     # big weights: by block, K split
    ((5, 64, 4, 4), (1040, 64, 1, 1), (1, 1), "VALID", {}),   # big weights: by block
    ((1, 3, 40, 33), (8, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), {}),   # one sample: row blocks
    ((1, 2, 20, 10), (8, 2, 3, 3), (1, 1), ((2, 2), (1, 1)), dict(lhs_dilation=(2, 1))),
    ((37, 4, 3, 3), (5, 4, 2, 2), (1, 1), "VALID", {}),  # many samples per block, partial
    ((1, 4, 5, 70), (8, 4, 3, 3), (1, 1), ((1, 1), (2, 3)), dict(lhs_dilation=(1, 2))),  # long rows
    ((2, 3, 2, 2), (4, 3, 3, 3), (1, 1), "VALID", {}),                      # empty output
]


@pytest.mark.parametrize("case", NCHW_CASES, ids=_case_id)
def test_conv_nchw_float32(case, generator):
    run_conv(generator, case, np.float32, 1e-4)


LAYOUT_CASES = [
    ((2, 7, 6, 5), (3, 3, 5, 8), (2, 1), "SAME", dict(dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    ((2, 7, 6, 8), (3, 3, 4, 8), (1, 1), ((1, 0), (0, 2)),
     dict(dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=2)),
    ((2, 5, 7, 6), (3, 2, 5, 8), (1, 1), "VALID", dict(dimension_numbers=("NCHW", "HWIO", "NHWC"))),
    ((2, 7, 6, 5), (8, 5, 3, 2), (1, 2), "SAME", dict(dimension_numbers=("NHWC", "OIHW", "NCHW"))),
    ((2, 7, 5, 8), (3, 2, 4, 8), (2, 1), ((2, 0), (0, 1)),
     dict(dimension_numbers=("NWHC", "WHIO", "CNHW"), feature_group_count=2)),
    ((2, 6, 5, 6), (2, 3, 6, 8), (1, 1), "SAME", dict(dimension_numbers=("NHWC", "HWIO", "NWHC"))),
    ((2, 7, 6, 6), (3, 3, 1, 6), (2, 1), ((1, 2), (-1, 1)),                 # depthwise: direct
     dict(dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=6, rhs_dilation=(1, 2))),
    ((2, 6, 7, 6), (3, 3, 1, 12), (1, 1), "SAME",                           # direct, Og = 2
     dict(dimension_numbers=("NCHW", "HWIO", "NHWC"), feature_group_count=6)),
    ((1, 30, 20, 4), (3, 3, 4, 8), (1, 1), "SAME",                          # one sample
     dict(dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    ((2, 5, 4, 130), (3, 3, 130, 20), (1, 1), "SAME",                      # contraction split
     dict(dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    ((2, 6, 5, 64), (3, 3, 64, 128), (1, 1), "SAME",                         # big weights
     dict(dimension_numbers=("NHWC", "HWIO", "NHWC"))),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", LAYOUT_CASES, ids=_case_id)
def test_conv_layouts_float32(case, generator):
    run_conv(generator, case, np.float32, 1e-4)


ND_CASES = [
    ((3, 4, 11), (6, 4, 3), (2,), ((1, 2),), dict(rhs_dilation=(2,))),           # kernel
    ((3, 8, 11), (6, 8, 3), (1,), "SAME", {}),
    ((3, 8, 11), (6, 8, 3), (1,), ((3, 1),), dict(lhs_dilation=(3,))),
    ((2, 8, 150), (6, 8, 3), (1,), ((2, 1),), dict(lhs_dilation=(2,))),          # long rows
    ((2, 3, 5, 6, 4), (4, 3, 2, 3, 2), (1, 2, 1), ((1, 0), (1, 1), (0, 1)), {}),
    ((2, 5, 4, 6, 3), (2, 2, 3, 3, 8), (1, 1, 2), "SAME",
     dict(dimension_numbers=("NDHWC", "DHWIO", "NDHWC"))),
    ((2, 6, 9, 8), (6, 3, 3, 3), (2, 1), ((1, 1), (2, 2)),
     dict(lhs_dilation=(1, 2), rhs_dilation=(2, 1), feature_group_count=2)),
]


@pytest.mark.parametrize("case", ND_CASES, ids=_case_id)
def test_conv_1d_3d_float64(case, x64, generator):
    run_conv(generator, case, np.float64, 1e-10)


INT_CASES = [
    ((2, 4, 6, 5), (6, 2, 3, 3), (1, 2), "SAME", dict(feature_group_count=2)),
    ((2, 6, 5, 4), (3, 2, 4, 6), (1, 1), ((1, 2), (0, 1)),
     dict(dimension_numbers=("NHWC", "HWIO", "NHWC"), lhs_dilation=(2, 1))),
    ((2, 8, 5, 5), (8, 8, 3, 3), (1, 1), "VALID", {}),   # large enough for im2col if float
]


@pytest.mark.parametrize("case", INT_CASES, ids=_case_id)
def test_conv_int32(case, generator):
    run_conv(generator, case, np.int32, 0)


@pytest.mark.slow
def test_conv_preferred_element_type(x64, generator):
    x, w = rand(generator, (2, 8, 6, 6), np.int8), rand(generator, (16, 8, 3, 3), np.int8)
    xf, wf = rand(generator, (2, 8, 6, 6)), rand(generator, (16, 8, 3, 3))

    def f(x, w, xf, wf):
        return (lax.conv_general_dilated(x, w, (1, 1), "SAME", preferred_element_type=np.int32),
                lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                         preferred_element_type=np.float32),
                lax.conv_general_dilated(xf, wf, (2, 2), "SAME",
                                         preferred_element_type=np.float64))
    assert_jit_matches_eager(f, x, w, xf, wf, tol=1e-5)


def test_complex64(x64, generator):
    """Complex operands take the direct conv loop and the generic window loops."""
    def c64(shape):
        return (rand(generator, shape) + 1j * rand(generator, shape)).astype(np.complex64)
    win = dict(window_dimensions=(1, 1, 2, 2), padding=((0, 0), (0, 0), (1, 0), (0, 1)))

    def f(x, w, ct):
        return (lax.conv_general_dilated(x, w, (1, 2), "SAME"),
                pw.reduce_window(x, "add", **win),
                pw.patches(x, pad_value=1 + 2j, **win),
                pw.patches_transpose(ct, x.shape, **win))
    assert_jit_matches_eager(f, c64((2, 3, 6, 5)), c64((4, 3, 3, 3)), c64((2, 3, 6, 5, 1, 1, 2, 2)))


def test_conv_strategy_follows_the_shape():
    """1-D and 2-D float convs call the shape-generic kernel (jitnet/kernels/conv.py; W4's
    convs, even 1 -> 16 channels; 1-D ones through a unit axis); a depthwise conv, whose
    products would be tiny, and other ranks keep the generated loop nests."""
    def f(x, w):
        return lax.conv_general_dilated(x, w, (1,) * (x.ndim - 2), "VALID",
                                        feature_group_count=x.shape[1] // w.shape[1])

    def source(x_shape, w_shape):
        return jitnet.jit(f).lower(np.zeros(x_shape, np.float32),
                                   np.zeros(w_shape, np.float32)).source()
    for kernel in (source((64, 16, 26, 26), (32, 16, 3, 3)), source((64, 1, 28, 28), (16, 1, 3, 3)),
                   source((64, 16, 26), (32, 16, 3))):
        assert "jn_conv2d_float32(" in kernel and "prange(" not in kernel
    depthwise = source((64, 32, 26, 26), (32, 1, 3, 3))
    three_d = source((8, 4, 6, 6, 6), (8, 4, 3, 3, 3))
    for direct in (depthwise, three_d):
        assert "jn_conv2d_float32(" not in direct and "np.dot(" not in direct
    assert "prange(" in depthwise


# -- patches and patches_transpose ------------------------------------------------------------

PATCH_CASES = [  # (operand shape, window params, pad_value)
    ((2, 3, 7, 6), dict(window_dimensions=(1, 2, 3, 2), window_strides=(1, 1, 2, 1),
                        padding=((0, 0), (1, 0), (2, 1), (-1, 2)), base_dilation=(1, 1, 2, 1),
                        window_dilation=(1, 1, 1, 2)), -1.5),
    ((8, 16, 26, 26), dict(window_dimensions=(1, 1, 3, 3)), 0),       # parallel, no padding
    ((10,), dict(window_dimensions=(3,), window_strides=(2,), padding=((2, 3),),
                 base_dilation=(3,), window_dilation=(2,)), float("inf")),
    ((3, 4, 5), dict(window_dimensions=(2, 2, 2), window_strides=(2, 1, 3),
                     padding=((1, 1), (0, -1), (2, 0))), 0),
    ((4, 32, 12, 12), dict(window_dimensions=(1, 1, 2, 2), window_strides=(1, 1, 2, 2)), 0),
    ((2, 2), dict(window_dimensions=(3, 1), window_strides=(1, 1), padding=((4, 4), (0, 0))), 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@pytest.mark.parametrize("case", range(len(PATCH_CASES)))
def test_patches_and_transpose(case, dtype, generator):
    shape, win, pv = PATCH_CASES[case]
    ct_shape = pw.patches(np.zeros(shape, np.float32), **win).shape

    def f(x, ct):
        return (pw.patches(x, pad_value=pv if dtype == np.float32 else 7, **win),
                pw.patches_transpose(ct, shape, **win))
    assert_jit_matches_eager(f, rand(generator, shape, dtype), rand(generator, ct_shape, dtype))


def test_window_ops_on_scalars():
    """A 0-d operand has one empty window: each op is the identity (checked against the
    definition: the NumPy reference cannot pad a 0-d array)."""
    def f(x, c):
        return (pw.patches(x, ()), pw.reduce_window(x, "max", ()), pw.reduce_window(x, "add", ()),
                pw.patches_transpose(c, (), ()), pw.patches(np.float32(2.5), ()))
    got = jitnet.jit(f)(np.float32(3.0), np.float32(-1.0))
    assert [(np.asarray(g).shape, np.asarray(g).dtype) for g in got] == [((), np.float32)] * 5
    assert [float(g) for g in got] == [3.0, 3.0, 3.0, -1.0, 2.5]


# -- reduce_window ----------------------------------------------------------------------------

WINDOW_CASES = [  # (operand shape, window params)
    ((2, 3, 7, 6), dict(window_dimensions=(1, 1, 3, 2), window_strides=(1, 1, 2, 1),
                        padding=((0, 0), (0, 0), (2, 1), (-1, 2)), base_dilation=(1, 1, 2, 1),
                        window_dilation=(1, 1, 1, 2))),
    ((8, 32, 24, 24), dict(window_dimensions=(1, 1, 2, 2), window_strides=(1, 1, 2, 2))),
    ((11,), dict(window_dimensions=(4,), window_strides=(3,), padding=((3, 2),),
                 base_dilation=(2,), window_dilation=(3,))),
    ((3, 4, 5), dict(window_dimensions=(2, 3, 2), padding=((1, 1), (1, -1), (0, 3)))),
    ((4, 5), dict(window_dimensions=(7, 1), padding=((3, 3), (0, 0)))),       # whole column
]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@pytest.mark.parametrize("case", range(len(WINDOW_CASES)))
def test_reduce_window(case, dtype, generator):
    shape, win = WINDOW_CASES[case]
    x = rand(generator, shape, dtype)
    if dtype == np.float32:
        x.reshape(-1)[x.size // 3] = np.nan  # max/min propagate NaN like the reference

    def f(x):
        return [pw.reduce_window(x, comp, **win) for comp in ("max", "min", "add")]
    assert_jit_matches_eager(f, x)


def test_reduce_window_bool_and_lax_pools(generator):
    b = rand(generator, (3, 6, 5), np.bool_)
    x = rand(generator, (2, 9, 8, 3))

    def f(b, x):
        return (pw.reduce_window(b, "max", (1, 2, 2), (1, 2, 1), ((0, 0), (1, 0), (0, 1))),
                pw.reduce_window(b, "min", (1, 3, 2), base_dilation=(1, 2, 1)),
                lax.reduce_window(x, 0.0, lax.add, (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
                lax.reduce_window(x, -np.inf, lax.max, (1, 3, 3, 1), (1, 1, 1, 1), "SAME"),
                lax.reduce_window(x, 1.0, lax.min, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"))
    assert_jit_matches_eager(f, b, x)


# -- grad and vmap under jit -------------------------------------------------------------------

@pytest.mark.slow
def test_grad_of_conv_under_jit(generator):
    """Conv cotangents of a strided, padded, dilated, grouped conv in mixed layouts: two
    grouped convolutions (``prims/conv.py``; the weight gradient's on the regrouped input)."""
    x, w = rand(generator, (4, 4, 12, 11)), rand(generator, (3, 3, 2, 6))

    def loss(x, w):
        y = lax.conv_general_dilated(x, w, (2, 2), ((1, 1), (0, 1)), rhs_dilation=(1, 2),
                                     dimension_numbers=("NCHW", "HWIO", "NHWC"),
                                     feature_group_count=2)
        return jitnet.numpy.sum(jitnet.numpy.sin(y))

    assert_jit_matches_eager(jitnet.grad(loss, argnums=(0, 1)), x, w, tol=2e-4)


@pytest.mark.parametrize("strides, padding, lhs_dilation", [
    ((2, 2), ((1, 1), (0, 1)), (1, 1)),   # strides leave trailing rows unused
    ((1, 3), ((2, -1), (1, 0)), (2, 1)),  # negative padding, lhs dilation
])
@pytest.mark.slow
def test_grad_of_ungrouped_conv_under_jit(strides, padding, lhs_dilation, generator):
    """Ungrouped conv cotangents: two convolutions (lhs: cotangent * flipped kernel; rhs:
    lhs * cotangent, window-major)."""
    x, w = rand(generator, (3, 4, 11, 10)), rand(generator, (3, 2, 4, 5))

    def loss(x, w):
        y = lax.conv_general_dilated(x, w, strides, padding, lhs_dilation=lhs_dilation,
                                     rhs_dilation=(1, 2),
                                     dimension_numbers=("NCHW", "HWIO", "NHWC"))
        return jitnet.numpy.sum(jitnet.numpy.sin(y))

    assert_jit_matches_eager(jitnet.grad(loss, argnums=(0, 1)), x, w, tol=2e-4)


def test_grad_of_pools_under_jit(generator):
    """Max-pool's tangent (patches of the operand, ties shared) and the add transpose."""
    x = rand(generator, (4, 3, 12, 11))
    x[0, 0, :2, :2] = 5.0  # a tie for the maximum of the first window

    def loss(x):
        y = lax.reduce_window(x, -np.inf, lax.max, (1, 1, 3, 3), (1, 1, 2, 2), "SAME")
        y = lax.reduce_window(y, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 1, 1), "SAME")
        return jitnet.numpy.sum(jitnet.numpy.sin(y))

    assert_jit_matches_eager(jitnet.grad(loss), x)


@pytest.mark.slow
def test_vmap_under_jit(generator):
    x, w = rand(generator, (3, 2, 4, 9, 8)), rand(generator, (3, 6, 4, 3, 3))
    y = rand(generator, (5, 2, 6, 7))

    def f(x, w, y):
        def conv(a, b):
            return lax.conv_general_dilated(a, b, (1, 2), "SAME")

        def pool(a):
            return lax.reduce_window(a, -np.inf, lax.max, (1, 2, 2), (1, 2, 2), "VALID")
        return (jitnet.vmap(conv)(x, w),                       # both operands batched
                jitnet.vmap(conv, in_axes=(None, 0))(x[0], w),  # weights batched
                jitnet.vmap(jitnet.grad(lambda a: jitnet.numpy.sum(pool(a) ** 2)))(y))
    assert_jit_matches_eager(f, x, w, y)

"""lax's shape helpers against the shapes the operations themselves produce (eval_shape)."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax

SPECS = [None, ("NCHW", "OIHW", "NCHW"), ("NHWC", "HWIO", "NHWC"), ("NHWC", "OIHW", "NCHW")]


def _shapes(spec, n=2, c=3, hw=(9, 8), o=5, k=(3, 2)):
    lhs_spec, rhs_spec, _ = spec or ("NCHW", "OIHW", "NCHW")
    lhs = {"N": n, "C": c, "H": hw[0], "W": hw[1]}
    rhs = {"O": o, "I": c, "H": k[0], "W": k[1]}
    return tuple(lhs[ch] for ch in lhs_spec), tuple(rhs[ch] for ch in rhs_spec)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("padding", ["SAME", "VALID", [(1, 2), (0, 1)]])
@pytest.mark.parametrize("strides", [(1, 1), (2, 3)])
def test_conv_general_shape_tuple(spec, padding, strides):
    lhs, rhs = _shapes(spec)
    out = jitnet.eval_shape(lambda a, b: lax.conv_general_dilated(
        a, b, strides, padding, dimension_numbers=spec),
        jnp.zeros(lhs), jnp.zeros(rhs))
    assert lax.conv_general_shape_tuple(lhs, rhs, strides, padding, spec) == out.shape


@pytest.mark.parametrize("padding", ["SAME", "VALID", [(1, 2), (0, 1)]])
@pytest.mark.parametrize("strides", [(1, 1), (2, 3)])
def test_conv_transpose_shape_tuple(padding, strides):
    spec = ("NHWC", "HWIO", "NHWC")
    lhs, rhs = _shapes(spec, hw=(4, 5))
    out = jitnet.eval_shape(lambda a, b: lax.conv_transpose(a, b, strides, padding,
                                                            dimension_numbers=spec),
                            jnp.zeros(lhs), jnp.zeros(rhs))
    assert lax.conv_transpose_shape_tuple(lhs, rhs, strides, padding, spec) == out.shape


def test_conv_shape_tuple_and_permutations():
    assert lax.conv_shape_tuple((4, 3, 10, 10), (6, 3, 3, 3), (1, 2), "VALID") == (4, 6, 8, 4)
    assert lax.conv_shape_tuple((4, 3, 10), (6, 3, 3), (1,), [(1, 1)]) == (4, 6, 10)
    assert lax.conv_general_permutations(("NHWC", "HWIO", "NHWC")) == (
        (0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    with pytest.raises(ValueError, match="conv_shape_tuple.*strides"):
        lax.conv_shape_tuple((4, 3, 10, 10), (6, 3, 3, 3), (1,), "VALID")


@pytest.mark.parametrize("window,strides,padding", [((2, 2), (2, 2), ((0, 0), (0, 0))),
                                                    ((3, 1), (1, 2), ((1, 1), (0, 1)))])
def test_reduce_window_shape_tuple(window, strides, padding):
    x = jnp.zeros((7, 6))
    out = jitnet.eval_shape(lambda a: lax.reduce_window(a, -jnp.inf, lax.max, window, strides,
                                                        padding), x)
    assert lax.reduce_window_shape_tuple(x.shape, window, strides, padding) == out.shape


def test_precision():
    assert lax.Precision("highest") is lax.Precision.HIGHEST
    assert lax.Precision("bfloat16") is lax.Precision.DEFAULT
    with pytest.raises(ValueError):
        lax.Precision("ultra")
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    for p in (lax.Precision.HIGHEST, "highest", (lax.Precision.HIGH, lax.Precision.HIGH)):
        np.testing.assert_allclose(np.asarray(jnp.dot(a, a.T, precision=p)), a @ a.T)
    out = jitnet.jit(lambda x: lax.dot(x, x.T, precision=lax.Precision.HIGHEST))(a)
    np.testing.assert_allclose(np.asarray(out), a @ a.T)

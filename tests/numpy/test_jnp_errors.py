"""Error behaviour of jitnet.numpy: messages name the operation and every shape involved,
eagerly and under a trace; wrong argument kinds raise TypeError."""
from __future__ import annotations

import re

import numpy as np
import pytest

import jitnet.numpy as jnp
from jnp_testutil import traced

BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "fmod",
          "power", "maximum", "minimum", "arctan2", "hypot", "logaddexp", "logaddexp2",
          "copysign", "nextafter", "heaviside", "float_power", "equal", "not_equal", "less",
          "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_xor",
          "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "isclose"]
ALIASES = {"divide": "true_divide", "mod": "remainder"}


def _operand(op, shape):
    if op in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
        return np.ones(shape, np.int32)
    return np.ones(shape, np.float32)


@pytest.mark.parametrize("mode", ["eager", "traced"])
@pytest.mark.parametrize("op", BINARY + list(ALIASES))
def test_binary_shape_mismatch_names_op_and_shapes(op, mode):
    name = ALIASES.get(op, op)
    fn = getattr(jnp, op)
    for sa, sb in [((3,), (4,)), ((2, 3), (3, 2)), ((5, 1, 2), (4, 3))]:
        x, y = _operand(op, sa), _operand(op, sb)
        msg = re.escape(f"{name}: incompatible shapes for broadcasting: {sa} and {sb}")
        with pytest.raises(ValueError, match=msg):
            fn(x, y) if mode == "eager" else traced(fn)(x, y)


def test_operator_shape_mismatch():
    x, y = jnp.ones(3), jnp.ones(4)
    for f, name in [(lambda: x + y, "add"), (lambda: x - y, "subtract"),
                    (lambda: x * y, "multiply"), (lambda: x / y, "true_divide"),
                    (lambda: x < y, "less"), (lambda: x ** y, "power"),
                    (lambda: x == y, "equal")]:
        with pytest.raises(ValueError, match=re.escape(f"{name}: incompatible shapes for "
                                                       f"broadcasting: (3,) and (4,)")):
            f()


@pytest.mark.parametrize("fn,args,pattern", [
    (jnp.where, (np.ones(3) > 0, np.ones(4), 0.0), r"where: .*\(3,\) and \(4,\)"),
    (jnp.clip, (np.ones(3), np.ones(4)), r"clip: .*\(3,\) and \(4,\)"),
    (jnp.broadcast_to, (np.ones(3), (4,)), r"broadcast_to: .*\(3,\) and \(4,\)"),
    (jnp.broadcast_arrays, (np.ones(3), np.ones(4)), r"broadcast_arrays: .*\(3,\) and \(4,\)"),
    (jnp.matmul, (np.ones((2, 3)), np.ones((2, 3))), r"matmul: .*\(2, 3\) and \(2, 3\)"),
    (jnp.dot, (np.ones((2, 3)), np.ones((2, 3))), r"dot: .*\(2, 3\) and \(2, 3\)"),
    (jnp.concatenate, ([np.ones((2, 3)), np.ones((3, 4))],), r"concatenate: .*\(2, 3\).*\(3, 4\)"),
    (jnp.stack, ([np.ones(2), np.ones(3)],), r"stack: .*\(2,\).*\(3,\)"),
    (jnp.reshape, (np.ones((2, 3)), (4,)), r"reshape: .*\(2, 3\).*\(4,\)"),
    (jnp.reshape, (np.ones((2, 3)), (4, -1)), r"reshape: .*\(2, 3\).*\(4, -1\)"),
    (jnp.linspace, (np.ones(3), np.ones(4)), r"linspace: .*\(3,\) and \(4,\)"),
    (jnp.take_along_axis, (np.ones((2, 3)), np.zeros((4, 3), np.int32), 1),
     r"take_along_axis: .*\(2, 1\) and \(4, 1\)"),
])
def test_shape_errors_name_op_and_shapes(fn, args, pattern):
    with pytest.raises(ValueError, match=pattern):
        fn(*args)


def test_scatter_update_shape_error():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        jnp.ones(5).at[:3].set(np.ones(2))


@pytest.mark.parametrize("mode", ["eager", "traced"])
def test_too_many_indices_is_index_error(mode):
    def f(x):
        return x[0, 0, 0]
    with pytest.raises(IndexError, match="too many indices.*2-dimensional.*3"):
        f(jnp.ones((2, 3))) if mode == "eager" else traced(f)(np.ones((2, 3), np.float32))


@pytest.mark.parametrize("fn", ["sin", "exp", "negative", "abs", "isnan", "sum", "mean",
                                "argmax", "sort", "cumsum", "reshape", "transpose", "ravel",
                                "nonzero", "take"])
def test_list_argument_is_type_error(fn):
    f = getattr(jnp, fn)
    args = {"reshape": ((1, 2),), "take": (np.array([0]),)}.get(fn, ())
    with pytest.raises(TypeError, match=f"{fn}.*list"):
        f([1.0, 2.0], *args)


@pytest.mark.parametrize("fn", ["add", "multiply", "maximum", "equal", "logical_and",
                                "arctan2", "where", "matmul", "dot", "isclose"])
def test_list_in_binary_is_type_error(fn):
    f = getattr(jnp, fn)
    args = ([True, False], np.ones(2), np.ones(2)) if fn == "where" else ([1.0, 2.0],
                                                                          np.ones(2))
    with pytest.raises(TypeError):
        f(*args)
    args2 = (np.ones(2) > 0, np.ones(2), [1.0, 2.0]) if fn == "where" else (np.ones(2),
                                                                            (1.0, 2.0))
    with pytest.raises(TypeError):
        f(*args2)


@pytest.mark.parametrize("bad", ["abc", None, object(), {1: 2}])
def test_non_array_arguments_are_type_errors(bad):
    with pytest.raises(TypeError):
        jnp.add(np.ones(2), bad)
    with pytest.raises(TypeError):
        jnp.sin(bad)


def test_operators_with_unsupported_types_return_not_implemented():
    x = jnp.ones(3)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        x + [1, 2, 3]
    with pytest.raises(TypeError):
        None * x


def test_dtype_errors():
    with pytest.raises(TypeError):
        jnp.bitwise_and(np.ones(2, np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError):
        jnp.left_shift(np.ones(2, np.float32), 1)
    with pytest.raises(TypeError):
        jnp.invert(np.ones(2, np.float32))
    with pytest.raises(TypeError):
        jnp.subtract(np.ones(2, bool), np.ones(2, bool))
    with pytest.raises(TypeError):
        jnp.negative(np.ones(2, bool))
    with pytest.raises(TypeError):
        jnp.zeros(3, dtype=np.object_)
    with pytest.raises(TypeError):
        jnp.asarray(np.array(["a", "b"]))

"""The same NumPy comparisons with ``jax_enable_x64`` on: 64-bit dtypes exist, Python scalars
and defaults are 64-bit, and the promotion table is the x64 one."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
import test_jnp_creation as C
import test_jnp_reductions as R
import test_jnp_ufuncs as U
from jnp_testutil import check, enable_x64

f32, f64, i32, i64, u32, u64, i8, u8, b1, f16 = (np.float32, np.float64, np.int32, np.int64,
                                                 np.uint32, np.uint64, np.int8, np.uint8,
                                                 np.bool_, np.float16)


@pytest.fixture(autouse=True)
def x64():
    with enable_x64():
        yield


PAIRS = [(f64, f64), (f32, f64), (i64, i64), (i64, f32), (u64, i64), (u32, i32), (i8, u64),
         (i32, float), (i64, int), (b1, int), (int, int), (int, float), (f16, float),
         (u8, int), (f32, float)]
OPS = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power",
       "maximum", "arctan2", "logaddexp", "equal", "less", "logical_or", "bitwise_and",
       "left_shift", "right_shift", "hypot", "copysign"]


@pytest.mark.parametrize("ta,tb", PAIRS, ids=[f"{U._name(a)}-{U._name(b)}" for a, b in PAIRS])
@pytest.mark.parametrize("op", OPS)
def test_binary_x64(op, ta, tb):
    U.test_binary(op, ta, tb, "eager")


@pytest.mark.parametrize("dt", [i64, u64, f64, i32, b1, u8], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", ["sin", "exp", "log", "sqrt", "negative", "square", "floor",
                                "rint", "isnan", "reciprocal", "abs", "sign", "invert"])
def test_unary_x64(op, dt):
    U.test_unary(op, dt, "eager")


@pytest.mark.parametrize("dt", [b1, i8, u8, i32, u32, i64, f32, f64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape,axis", [((3, 4, 5), None), ((3, 4, 5), (0, 2)), ((6,), 0)],
                         ids=str)
def test_reductions_x64(dt, shape, axis):
    R.test_sum_prod(dt, shape, axis, False)
    if dt not in (u32,):
        R.test_cumsum_cumprod(dt, shape, axis if not isinstance(axis, tuple) else 0)
    if dt in (b1, i8, i32, i64, f32, f64):
        R.test_mean_var_std(dt, shape, axis, True)


def test_mean_var_dtypes_x64():
    check(jnp.mean(np.arange(4, dtype=np.int64)), np.float64(1.5), dtype=np.float64)
    check(jnp.mean(np.arange(4, dtype=np.int32)), np.float32(1.5), dtype=np.float32)
    check(jnp.var(np.arange(4, dtype=np.int64)), np.var(np.arange(4)), dtype=np.float64)
    check(jnp.argmax(np.arange(4.0)), np.int64(3), dtype=np.int64)
    check(jnp.searchsorted(np.arange(4.0), 2.5), np.int32(3), dtype=np.int32)
    check(jnp.nonzero(np.arange(3))[0], np.array([1, 2]), dtype=np.int64)


@pytest.mark.parametrize("obj,dtype,weak", [
    (3, np.int64, True), (3.5, np.float64, True), (2 ** 40, np.int64, True),
    ([1, 2], np.int64, False), ([1.5], np.float64, False), (np.arange(3), np.int64, False),
    (np.ones(2, np.float32), np.float32, False), (np.uint64(3), np.uint64, False)])
def test_array_x64(obj, dtype, weak):
    C.test_array_from_python_and_numpy(obj, dtype, weak)


def test_creation_defaults_x64():
    check(jnp.zeros(2), np.zeros(2), dtype=np.float64)
    check(jnp.arange(3), np.arange(3), dtype=np.int64)
    check(jnp.arange(0.5, 2.0, 0.5), np.arange(0.5, 2.0, 0.5), dtype=np.float64)
    check(jnp.linspace(0, 1, 5), np.linspace(0, 1, 5), dtype=np.float64)
    check(jnp.linspace(np.float32(0), 1, 5), np.linspace(0, 1, 5), dtype=np.float32)
    check(jnp.eye(2), np.eye(2), dtype=np.float64)
    check(jnp.full(2, 3), np.full(2, 3), dtype=np.int64, weak=True)


def test_precision_x64():
    x = np.linspace(0.1, 10, 50)
    check(jnp.log(x), np.log(x), dtype=np.float64)
    check(jnp.sum(x), np.sum(x), dtype=np.float64)
    check(jnp.asarray(x) @ jnp.asarray(x), x @ x, dtype=np.float64)
    big = np.array([2 ** 40 + 1, -(2 ** 50)], np.int64)
    check(jnp.asarray(big) * 3, big * 3, dtype=np.int64)
    check(jnp.asarray(big) // 7, big // 7, dtype=np.int64)
    check(jnp.asarray(big)[jnp.asarray(np.array([1, 0]))], big[[1, 0]], dtype=np.int64)

"""Edge values of elementwise primitives: eager (NumPy impls) and compiled code agree, with
XLA's (JAX's) semantics where NumPy's differ or are undefined."""
import math

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax

SPECIALS = [math.nan, math.inf, -math.inf, 3e10, -3e10, 2.5, -2.5, 0.0, -0.0, 127.9, -128.9,
            2147483520.0, 2147483648.0, -2147483648.0, 4294967040.0, 4294967296.0]


def _saturate(v: float, dt) -> int:
    """XLA's float -> integer conversion: NaN -> 0, out-of-range saturates, else truncate."""
    info = np.iinfo(dt)
    if v != v:
        return 0
    if v >= info.max:
        return int(info.max)
    if v <= info.min:
        return int(info.min)
    return int(v)  # truncates toward zero


@pytest.mark.parametrize("src", [np.float32, np.float64])
@pytest.mark.parametrize("dst", [np.int8, np.int16, np.int32, np.uint8, np.uint32, np.int64,
                                 np.uint64])
def test_float_to_int_saturates_eager_and_jit(src, dst, x64):
    x = np.array(SPECIALS, src)
    want = np.array([_saturate(float(v), dst) for v in x], dst)
    conv = lambda a: lax.convert_element_type(a, dst)  # noqa: E731
    np.testing.assert_array_equal(np.asarray(conv(x)), want)
    np.testing.assert_array_equal(np.asarray(jitnet.jit(conv)(x)), want)


def test_astype_int32_of_nan_and_inf_without_x64():
    x = jnp.array([np.nan, np.inf, -np.inf, 1e10, -1e10, -1.5], jnp.float32)
    want = np.array([0, 2**31 - 1, -2**31, 2**31 - 1, -2**31, -1], np.int32)
    np.testing.assert_array_equal(np.asarray(x.astype(jnp.int32)), want)
    np.testing.assert_array_equal(np.asarray(jitnet.jit(lambda a: a.astype(jnp.int32))(x)), want)


@pytest.mark.parametrize("dt", [np.int8, np.int32, np.uint8, np.uint32])
def test_lax_div_rem_by_zero_eager_and_jit(dt):
    # XLA: x / 0 is all ones (-1, or the unsigned max), x % 0 is x
    info = np.iinfo(dt)
    x = np.array([0, 1, 5, int(info.max)] + ([-5, int(info.min)] if info.min else []), dt)
    y = np.zeros_like(x)
    all_ones = np.full_like(x, -1 if info.min else info.max)
    for f, want in ((lax.div, all_ones), (lax.rem, x)):
        np.testing.assert_array_equal(np.asarray(f(x, y)), want)
        np.testing.assert_array_equal(np.asarray(jitnet.jit(f)(x, y)), want)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint64])
def test_population_count_counts_twos_complement_bits(dtype, x64):
    """Eager, jit and vmap against Python's count of the bits of each value's two's
    complement (the extreme values of each width included)."""
    info = np.iinfo(dtype)
    x = np.array([0, 1, 7, info.max, info.min, info.max // 3, info.min + 1], dtype)
    width = np.dtype(dtype).itemsize * 8
    ref = np.array([bin(int(v) & ((1 << width) - 1)).count("1") for v in x], dtype)
    for got in (lax.population_count(x), jitnet.jit(lax.population_count)(x),
                jitnet.vmap(lax.population_count)(x)):
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), ref)
    with pytest.raises(TypeError, match="population_count"):
        lax.population_count(np.ones(2, np.float32))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint32, np.int64, np.uint64])
def test_shift_right_logical_every_width(dtype, x64):
    """Eager and jit against Python's logical shift of each value's two's-complement bits:
    a shift by >= the bit width (or a negative one) gives 0, as XLA (jitted 64-bit values
    were shifted arithmetically, or masked to nothing, before)."""
    rng = np.random.default_rng(14)
    info = np.iinfo(dtype)
    width = np.dtype(dtype).itemsize * 8
    x = np.concatenate([np.array([info.min, info.max, -1 if info.min else 1, 0], dtype),
                        rng.integers(info.min, info.max, 9, dtype=dtype, endpoint=True)])
    s = np.array([1, 0, width - 1, width, width + 3, 1, 7, width // 2, 2, 3, 31 % width,
                  width - 2, 5], dtype)
    if info.min:
        s[-1] = -1
    mask = (1 << width) - 1
    ref = np.array([((int(v) & mask) >> int(k)) if 0 <= k < width else 0
                    for v, k in zip(x, s)], np.uint64 if width == 64 else np.int64)
    ref = ref.astype(np.dtype(f"u{width // 8}")).view(dtype)
    for got in (lax.shift_right_logical(x, s), jitnet.jit(lax.shift_right_logical)(x, s)):
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), ref)

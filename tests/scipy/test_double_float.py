"""jitnet.scipy.special.double_float: the error-free transformations are exact and the pair
arithmetic carries ~48 bits, eagerly and compiled (which needs code generated without
reassociation or FMA contraction), against float64 arithmetic on the same values."""
import numpy as np
import pytest

import jitnet
from jitnet.scipy.special import double_float as df

U2 = 2.0 ** -48  # a pair's unit roundoff squared, about (float32's eps / 2)^2


def _floats(generator, n, lo=-20, hi=20):
    """float32 values of random sign with exponents in [lo, hi): sums and products of two
    are exact in float64."""
    m = generator.uniform(1, 2, n) * generator.choice([-1.0, 1.0], n)
    return (m * 2.0 ** generator.integers(lo, hi, n)).astype(np.float32)


def _pairs(v):
    hi = v.astype(np.float32)
    return hi, (v - hi).astype(np.float32)


def _value(pair):
    return np.asarray(pair[0], np.float64) + np.asarray(pair[1], np.float64)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("n", [1, 7, 1000])
def test_two_sum_and_two_prod_are_exact(generator, compiled, n):
    a, b = _floats(generator, n), _floats(generator, n)
    a[0], b[0] = 1.0, np.float32(2.0 ** -30)  # b entirely below a's last bit
    wrap = jitnet.jit if compiled else (lambda f: f)
    s, e = (np.asarray(v) for v in wrap(df.two_sum)(a, b))
    exact = a.astype(np.float64) + b.astype(np.float64)
    np.testing.assert_array_equal(s, exact.astype(np.float32))
    np.testing.assert_array_equal(s.astype(np.float64) + e, exact)
    p, e = (np.asarray(v) for v in wrap(df.two_prod)(a, b))
    exact = a.astype(np.float64) * b.astype(np.float64)
    np.testing.assert_array_equal(p, exact.astype(np.float32))
    np.testing.assert_array_equal(p.astype(np.float64) + e, exact)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
def test_two_prod_is_exact_up_to_the_top_of_the_range(generator, compiled):
    """Dekker's split multiplies by 4097, which overflows above max / 4097 (8e34): a product
    of a large float32 with a small one (hyp1f1's series terms near 1e36) was NaN."""
    a = _floats(generator, 200, 100, 127)  # 1.3e30 to 3.4e38
    b = _floats(generator, 200, -40, -1)
    # near the top (the split's high part of the largest float itself rounds to infinity),
    # and around the scaled split's switch
    a[:4] = [2.0 ** 127 * 1.99, -8.5e34, 2.0 ** 96, -(2.0 ** 96) * 1.0000001]
    wrap = jitnet.jit if compiled else (lambda f: f)
    for x, y in ((a, b), (b, a)):
        p, e = (np.asarray(v) for v in wrap(df.two_prod)(x, y))
        exact = x.astype(np.float64) * y.astype(np.float64)
        np.testing.assert_array_equal(p, exact.astype(np.float32))
        np.testing.assert_array_equal(p.astype(np.float64) + e, exact)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
def test_pair_arithmetic_carries_48_bits(generator, compiled):
    n = 501
    x = generator.uniform(1, 2, n) * 2.0 ** generator.integers(-10, 10, n)
    y = generator.uniform(-2, 2, n) * 2.0 ** generator.integers(-10, 10, n)
    y[:100] = -x[:100] * (1 + generator.uniform(-1e-6, 1e-6, 100))  # cancelling sums
    xp, yp = _pairs(x), _pairs(y)
    x, y = _value(xp), _value(yp)
    wrap = jitnet.jit if compiled else (lambda f: f)
    ops = {"add": (df.add, x + y), "mul": (df.mul, x * y), "div": (df.div, x / y)}
    for name, (op, exact) in ops.items():
        got = _value(wrap(op)(xp, yp))
        np.testing.assert_allclose(got, exact, rtol=16 * U2, atol=0, err_msg=name)
    got = _value(wrap(df.add_float)(xp, yp[0]))
    np.testing.assert_allclose(got, x + yp[0], rtol=16 * U2, atol=0)
    got = _value(wrap(df.mul_float)(xp, yp[0]))
    np.testing.assert_allclose(got, x * yp[0], rtol=16 * U2, atol=0)

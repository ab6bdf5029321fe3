"""The rest of NumPy's API in jitnet.numpy (issue 18, item 4): statistics, polynomials,
windows, set operations, index tricks, elementwise extras, functional helpers and I/O.

Each function is compared with NumPy (the reference) eagerly and, where it traces, under
``jit``; differentiable ones get ``check_grads`` (finite differences, to second order)."""
import io

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.test_util import check_grads

_IMPORT_RNG = np.random.RandomState(0)
A = _IMPORT_RNG.randn(4, 5).astype(np.float32)
V = _IMPORT_RNG.randn(7).astype(np.float32)


def close(x, y, **kw):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), **{"rtol": 1e-5, "atol": 1e-5,
                                                                 **kw})


# -- statistics ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_quantile_methods_and_axes(method, axis):
    q = np.array([0.0, 0.1, 0.5, 0.77, 1.0], np.float32)
    close(jnp.quantile(A, q, axis=axis, method=method), np.quantile(A, q, axis=axis,
                                                                     method=method))
    close(jnp.percentile(A, 30, axis=axis, method=method, keepdims=True),
          np.percentile(A, 30, axis=axis, method=method, keepdims=True))


def test_median_and_nan_variants():
    a = A.copy()
    a[1, 2] = a[3, 0] = np.nan
    close(jnp.median(A, axis=1), np.median(A, axis=1))
    close(jnp.median(a, axis=1), np.median(a, axis=1))  # nan propagates
    close(jnp.nanmedian(a, axis=1), np.nanmedian(a, axis=1))
    close(jnp.nanquantile(a, np.array([0.25, 0.9]), axis=0), np.nanquantile(a, [0.25, 0.9], axis=0))
    close(jnp.nanpercentile(a, 60), np.nanpercentile(a, 60))
    for ddof in (0, 1):
        close(jnp.nanvar(a, axis=0, ddof=ddof), np.nanvar(a, axis=0, ddof=ddof))
        close(jnp.nanstd(a, axis=1, ddof=ddof, keepdims=True),
              np.nanstd(a, axis=1, ddof=ddof, keepdims=True))
    close(jnp.nanargmax(a, axis=0), np.nanargmax(a, axis=0))
    close(jnp.nanargmin(a), np.nanargmin(a))
    close(jnp.nancumsum(a, axis=1), np.nancumsum(a, axis=1))
    close(jnp.nancumprod(a, axis=0), np.nancumprod(a, axis=0))
    allnan = np.full((2, 3), np.nan, np.float32)
    assert np.isnan(np.asarray(jnp.nanmedian(allnan))).all()
    assert (np.asarray(jnp.nanargmax(allnan, axis=0)) == -1).all()  # JAX's answer


@pytest.mark.slow
def test_quantile_jit_and_gradients(x64):
    f = jax.jit(lambda x: jnp.quantile(x, np.array([0.3, 0.5]), axis=1, method="midpoint"))
    close(f(A), np.quantile(A, np.array([0.3, 0.5]), axis=1, method="midpoint"))
    x = np.array([0.3, -1.2, 2.5, 0.7, 1.9], np.float64)
    check_grads(lambda x: jnp.quantile(x, 0.6), (x,), order=2, modes=("rev",))
    # gradient of the linear interpolation: weights (1 - w, w) on the two order statistics
    g = jax.grad(lambda x: jnp.quantile(x, 0.6))(x)
    s = np.argsort(x)
    pos = 0.6 * 4
    expected = np.zeros(5)
    expected[s[2]], expected[s[3]] = 1 - (pos - 2), pos - 2
    close(g, expected, atol=1e-12)


@pytest.mark.parametrize("rowvar", [True, False])
def test_cov_corrcoef(rowvar, x64, generator):
    x = generator.standard_normal((3, 6))
    y = generator.standard_normal((3, 6))
    close(jnp.cov(x, rowvar=rowvar), np.cov(x, rowvar=rowvar))
    close(jnp.cov(x, y, rowvar=rowvar), np.cov(x, y, rowvar=rowvar))
    close(jnp.cov(x, bias=True), np.cov(x, bias=True))
    fw, aw = np.array([1, 2, 1, 3, 1, 1]), generator.random(6)
    close(jnp.cov(x, fweights=fw, aweights=aw), np.cov(x, fweights=fw, aweights=aw))
    close(jnp.cov(x, ddof=0, aweights=aw), np.cov(x, ddof=0, aweights=aw))
    close(jnp.corrcoef(x, rowvar=rowvar), np.corrcoef(x, rowvar=rowvar))
    close(jnp.cov(x[0]), np.cov(x[0]))
    check_grads(lambda x: jnp.sum(jnp.corrcoef(x) ** 2), (x,), order=2, modes=("rev",))


def test_histograms_bincount_digitize(generator):
    x = generator.standard_normal(50)
    for bins, rng_ in ((10, None), (5, (-1, 1)), (np.array([-2, -0.5, 0, 0.3, 2.0]), None)):
        c, e = jnp.histogram(x, bins, rng_)
        cn, en = np.histogram(x, bins, rng_)
        close(c, cn)
        close(e, en)
        close(jnp.histogram_bin_edges(x, bins, rng_), np.histogram_bin_edges(x, bins, rng_))
    w = generator.random(50)
    close(jnp.histogram(x, 7, weights=w, density=True)[0],
          np.histogram(x, 7, weights=w, density=True)[0])
    y = generator.standard_normal(50)
    c, ex, ey = jnp.histogram2d(x, y, bins=(3, 4))
    cn, exn, eyn = np.histogram2d(x, y, bins=(3, 4))
    close(c, cn)
    close(ex, exn)
    s = generator.standard_normal((40, 3))
    c, edges = jnp.histogramdd(s, bins=(2, 3, 4), density=True)
    cn, edges_n = np.histogramdd(s, bins=(2, 3, 4), density=True)
    close(c, cn)
    ints = np.array([0, 3, 1, 3, 7, 0])
    close(jnp.bincount(ints), np.bincount(ints))
    close(jnp.bincount(ints, weights=np.arange(6.0), minlength=10),
          np.bincount(ints, weights=np.arange(6.0), minlength=10))
    close(jax.jit(lambda i: jnp.bincount(i, length=9))(ints), np.bincount(ints, minlength=9))
    with pytest.raises(jax.ConcretizationTypeError, match="length"):
        jax.jit(jnp.bincount)(ints)
    bins = np.array([-1.0, 0.0, 0.5, 2.0])
    for b in (bins, bins[::-1]):
        for right in (False, True):
            pts = np.array([-3.0, -1.0, 0.0, 0.2, 0.5, 1.0, 2.0, 5.0])
            close(jnp.digitize(pts, b, right), np.digitize(pts, b, right))
            close(jax.jit(lambda p, b: jnp.digitize(p, b, right))(pts, b),
                  np.digitize(pts, b, right))


def test_interp(x64):
    xp = np.array([0.0, 1.0, 1.5, 4.0])
    fp = np.array([1.0, -1.0, 2.0, 0.5])
    x = np.linspace(-1, 5, 25)
    close(jnp.interp(x, xp, fp), np.interp(x, xp, fp))
    close(jnp.interp(x, xp, fp, left=-9, right=9), np.interp(x, xp, fp, left=-9, right=9))
    close(jnp.interp(x, xp, fp, period=3.0), np.interp(x, xp, fp, period=3.0))
    check_grads(lambda fp: jnp.sum(jnp.interp(x, xp, fp)), (fp,), order=2)


# -- polynomials and convolution ------------------------------------------------------------

@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", [(7, 3), (3, 7), (4, 4), (1, 5)])
def test_convolve_correlate(mode, n, m, generator):
    a, v = generator.standard_normal(n), generator.standard_normal(m)
    close(jnp.convolve(a, v, mode), np.convolve(a, v, mode))
    close(jnp.correlate(a, v, mode), np.correlate(a, v, mode))
    ai = np.arange(n)
    close(jnp.convolve(ai, np.arange(m), mode), np.convolve(ai, np.arange(m), mode))


def test_polynomial_arithmetic(x64):
    p, q = np.array([2.0, -1.0, 3.0, 0.5]), np.array([1.0, 4.0])
    close(jnp.polyadd(p, q), np.polyadd(p, q))
    close(jnp.polysub(q, p), np.polysub(q, p))
    close(jnp.polymul(p, q), np.polymul(p, q))
    qu, re = jnp.polydiv(p, q)
    qn, rn = np.polydiv(p, q)
    close(qu, qn)
    close(np.trim_zeros(np.asarray(re), "f") if np.any(np.asarray(re)) else [0.0], rn,
          atol=1e-10)
    close(jnp.polydiv(p, q, trim_leading_zeros=True)[1], rn, atol=1e-10)
    for m in (0, 1, 2, 5):
        close(jnp.polyder(p, m), np.polyder(p, m))
    close(jnp.polyint(p), np.polyint(p))
    close(jnp.polyint(p, 2, k=[1.0, 2.0]), np.polyint(p, 2, k=[1.0, 2.0]))
    x = np.linspace(-2, 2, 9)
    close(jnp.polyval(p, x), np.polyval(p, x))
    close(jax.jit(jnp.polyval)(p, x), np.polyval(p, x))
    close(jnp.vander(x[:4]), np.vander(x[:4]))
    close(jnp.vander(x[:4], 6, increasing=True), np.vander(x[:4], 6, increasing=True))
    r = np.array([1.0, -2.0, 0.5])
    close(jnp.poly(r), np.poly(r))
    close(np.sort_complex(np.asarray(jnp.roots(np.poly(r)))), np.sort_complex(r + 0j),
          atol=1e-5)
    close(jnp.trim_zeros(np.array([0, 0, 1, 2, 0])), [1, 2])
    close(jnp.trim_zeros(np.array([0, 0, 1, 2, 0]), "b"), [0, 0, 1, 2])
    with pytest.raises(jax.ConcretizationTypeError, match="trim_zeros"):
        jax.jit(jnp.trim_zeros)(np.array([0.0, 1.0]))
    check_grads(lambda p: jnp.sum(jnp.polyval(p, x) ** 2), (p,), order=2)
    check_grads(lambda a: jnp.sum(jnp.convolve(a, q) ** 2), (p,), order=2)


def test_polyfit(generator):
    x = np.linspace(-1, 1, 20)
    y = 3 * x ** 3 - x + 0.5 + 0.01 * generator.standard_normal(20)
    close(jnp.polyfit(x, y, 3), np.polyfit(x, y, 3), atol=1e-6)
    w = generator.random(20) + 0.5
    close(jnp.polyfit(x, y, 2, w=w), np.polyfit(x, y, 2, w=w), atol=1e-6)
    y2 = np.stack([y, 2 * y], axis=1)
    close(jnp.polyfit(x, y2, 3), np.polyfit(x, y2, 3), atol=1e-6)


# -- windows and i0 -----------------------------------------------------------------------------

@pytest.mark.parametrize("M", [0, 1, 2, 7, 12])
def test_windows(M):
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        close(getattr(jnp, name)(M), getattr(np, name)(M), atol=1e-6)
    close(jnp.kaiser(M, 8.6), np.kaiser(M, 8.6), rtol=1e-6, atol=1e-7)


def test_i0_accuracy_both_regimes_and_derivative(x64):
    x = np.concatenate([np.linspace(-30, 30, 121), [0.0, 14.99, 15.0, 15.01, 100.0, -200.0]])
    close(jnp.i0(x), np.i0(x), rtol=2e-13, atol=0)
    # d/dx i0 = i1 (SciPy as the reference), smooth across the switch at |x| = 15
    from scipy.special import i1
    pts = np.array([-16.0, -3.0, 0.0, 0.5, 14.99, 15.01, 40.0])
    close(jax.vmap(jax.grad(jnp.i0))(pts), i1(pts), rtol=1e-12, atol=1e-14)


# -- set operations --------------------------------------------------------------------------------

def test_unique_family_eager():
    x = np.array([[3, 1, 2], [3, 5, 1]])
    close(jnp.unique(x), np.unique(x))
    v, i, inv, c = jnp.unique(x, return_index=True, return_inverse=True, return_counts=True)
    vn, i_n, invn, cn = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for a, b in ((v, vn), (i, i_n), (inv, invn.reshape(x.shape)), (c, cn)):
        close(a, b)
    ua = jnp.unique_all(x)
    una = np.unique_all(x)
    close(ua.values, una.values)
    close(ua.indices, una.indices)
    close(ua.inverse_indices, una.inverse_indices)
    close(ua.counts, una.counts)
    close(jnp.unique_counts(x).counts, np.unique(x, return_counts=True)[1])
    close(jnp.unique_inverse(x).inverse_indices, np.unique_inverse(x).inverse_indices)
    close(jnp.unique_values(x), np.sort(np.unique_values(x)))  # NumPy 2.3+: any order
    f = np.array([np.nan, 1.0, np.nan, 0.5])
    close(jnp.unique(f), np.unique(f))  # NaNs merged (equal_nan=True)
    close(jnp.unique(f, equal_nan=False), np.unique(f, equal_nan=False))
    m = np.array([[1, 2], [1, 2], [0, 3]])
    close(jnp.unique(m, axis=0), np.unique(m, axis=0))


@pytest.mark.slow
def test_unique_and_set_ops_under_jit_with_size():
    x = np.array([4, 1, 4, 2, 1, 7])
    a, b = np.array([5, 1, 3, 3, 9]), np.array([3, 4, 5, 5, 0])
    # one compiled program (compiles are the cost here): every set op is _unique_of
    f = jax.jit(lambda x, a, b: (jnp.unique(x, size=6, fill_value=-1, return_counts=True,
                                            return_index=True, return_inverse=True),
                                 jnp.setxor1d(a, b, size=8, fill_value=0)))
    (v, i, inv, c), xor = f(x, a, b)
    close(v, [1, 2, 4, 7, -1, -1])
    close(i, [1, 3, 0, 5, 0, 0])
    close(c, [2, 1, 2, 1, 0, 0])
    close(np.asarray(v)[np.asarray(inv)], x)  # the inverse rebuilds x
    expected = np.setxor1d(a, b)
    close(np.asarray(xor)[:expected.size], expected)
    close(np.asarray(xor)[expected.size:], 0)
    with pytest.raises(jax.ConcretizationTypeError, match="size="):
        jax.jit(jnp.unique)(x)
    for name in ("union1d", "intersect1d", "setdiff1d", "setxor1d"):
        close(getattr(jnp, name)(a, b), getattr(np, name)(a, b))
        close(getattr(jnp, name)(a, b, size=7, fill_value=-3)[:getattr(np, name)(a, b).size],
              getattr(np, name)(a, b))
    close(jnp.unique(x, size=2), [1, 2])  # truncated to size
    v, ia, ib = jnp.intersect1d(a, b, return_indices=True)
    vn, ian, ibn = np.intersect1d(a, b, return_indices=True)
    close(v, vn)
    close(ia, ian)
    close(ib, ibn)
    close(jnp.isin(a, b), np.isin(a, b))
    close(jnp.isin(a.reshape(5, 1), b, invert=True), np.isin(a.reshape(5, 1), b, invert=True))


# -- index tricks --------------------------------------------------------------------------------

def test_index_construction():
    close(jnp.indices((2, 3)), np.indices((2, 3)))
    for a, b in zip(jnp.indices((2, 3), sparse=True), np.indices((2, 3), sparse=True)):
        close(a, b)
    arr = np.arange(20).reshape(4, 5)
    close(jnp.asarray(arr)[jnp.ix_(np.array([0, 2]), np.array([1, 3, 4]))],
          arr[np.ix_([0, 2], [1, 3, 4])])
    idx = (np.array([0, 1, 3]), np.array([4, 0, 2]))
    close(jnp.ravel_multi_index(idx, (4, 5)), np.ravel_multi_index(idx, (4, 5)))
    close(jnp.ravel_multi_index(idx, (4, 5), order="F"),
          np.ravel_multi_index(idx, (4, 5), order="F"))
    close(jnp.ravel_multi_index((np.array([5]), np.array([-1])), (4, 5), mode="clip"),
          np.ravel_multi_index((np.array([5]), np.array([-1])), (4, 5), mode="clip"))
    with pytest.raises(ValueError):
        jnp.ravel_multi_index((np.array([9]), np.array([0])), (4, 5))
    flat = np.array([0, 7, 19])
    for a, b in zip(jnp.unravel_index(flat, (4, 5)), np.unravel_index(flat, (4, 5))):
        close(a, b)
    for a, b in zip(jnp.mask_indices(4, jnp.triu, 1), np.mask_indices(4, np.triu, 1)):
        close(a, b)
    close(jnp.diagflat(np.array([[1, 2], [3, 4]]), 1), np.diagflat([[1, 2], [3, 4]], 1))


def test_functional_updates():
    a = np.zeros((4, 3))
    expected = a.copy()
    np.fill_diagonal(expected, [5, 6])
    close(jnp.fill_diagonal(a, np.array([5, 6]), inplace=False), expected)
    tall = np.zeros((7, 3))
    expected = tall.copy()
    np.fill_diagonal(expected, 2, wrap=True)
    close(jnp.fill_diagonal(tall, 2, wrap=True, inplace=False), expected)
    with pytest.raises(ValueError, match="inplace=False"):
        jnp.fill_diagonal(a, 1)
    arr = np.arange(6.0).reshape(2, 3)
    expected = arr.copy()
    np.place(expected, arr > 2, [10, 20])
    close(jnp.place(arr, arr > 2, np.array([10, 20]), inplace=False), expected)
    expected = arr.copy()
    np.put(expected, [0, 5, -1], [7, 8, 9])
    close(jnp.put(arr, np.array([0, 5, -1]), np.array([7, 8, 9]), inplace=False)[0, 0], 7)
    expected = arr.copy()
    np.put(expected, [0, 4], [7, 8])
    close(jnp.put(arr, np.array([0, 4]), np.array([7, 8]), inplace=False), expected)
    idx = np.array([[2], [0]])
    expected = arr.copy()
    np.put_along_axis(expected, idx, 99, axis=1)
    close(jnp.put_along_axis(arr, idx, 99, axis=1, inplace=False), expected)


def test_choose_compress_extract_delete_insert():
    choices = [np.arange(4), np.arange(4) * 10, np.arange(4) * 100]
    sel = np.array([2, 0, 1, 2])
    close(jnp.choose(sel, choices), np.choose(sel, choices))
    close(jnp.choose(np.array([3, -1, 1, 5]), choices, mode="wrap"),
          np.choose(np.array([3, -1, 1, 5]), choices, mode="wrap"))
    close(jnp.choose(np.array([3, -1, 1, 5]), choices, mode="clip"),
          np.choose(np.array([3, -1, 1, 5]), choices, mode="clip"))
    arr = np.arange(12).reshape(3, 4)
    cond = np.array([True, False, True])
    close(jnp.compress(cond, arr, axis=0), np.compress(cond, arr, axis=0))
    close(jnp.compress(np.array([0, 1]), arr), np.compress([0, 1], arr))
    close(jax.jit(lambda c, a: jnp.compress(c, a, axis=0, size=3, fill_value=-1))(cond, arr),
          np.concatenate([np.compress(cond, arr, axis=0), -np.ones((1, 4), int)]))
    close(jnp.extract(arr % 3 == 0, arr), np.extract(arr % 3 == 0, arr))
    for obj, axis in ((1, 0), ([0, 2], 1), (slice(0, 3, 2), 1), (-1, None)):
        close(jnp.delete(arr, obj, axis), np.delete(arr, obj, axis))
    for obj, vals, axis in ((1, 9, 0), (2, [1, 2, 3], 1), ([0, 2, 2], [7, 8, 9], 1),
                            (3, [5, 6], None), (-1, 0, 1), (slice(1, 3), 0, 1)):
        close(jnp.insert(arr, obj, vals, axis), np.insert(arr, obj, vals, axis))


# -- elementwise extras ------------------------------------------------------------------------

def test_integer_functions():
    a = np.array([12, -18, 0, 7, 0, 48])
    b = np.array([8, 12, 5, 0, 0, -36])
    close(jnp.gcd(a, b), np.gcd(a, b))
    close(jnp.lcm(a, b), np.lcm(a, b))
    close(jax.jit(jnp.gcd)(a, b), np.gcd(a, b))
    close(jnp.bitwise_count(np.array([0, 1, 255, -7, 1023])),
          np.bitwise_count(np.array([0, 1, 255, -7, 1023])))
    with pytest.raises(TypeError, match="gcd"):
        jnp.gcd(1.5, 2.0)


def test_float_functions(x64):
    x = np.array([0.0, 1.0, -3.5, 1e-300, 5e-324, 1e300, np.inf, -np.inf, np.nan, 0.75])
    m, e = jnp.frexp(x)
    mn, en = np.frexp(x)
    close(m, mn, rtol=0, atol=0, equal_nan=True)
    close(e, en)
    close(jnp.ldexp(mn, en), x, equal_nan=True, rtol=0)
    close(jnp.ldexp(np.array([1.0, 3.0]), np.array([1020, -1070])),
          np.ldexp([1.0, 3.0], [1020, -1070]), rtol=0)
    s = np.array([1.0, -1.0, 0.0, 1e10, -2.5])
    close(jnp.spacing(s), np.spacing(s), rtol=0, atol=0)
    # (complex inputs: tests/numpy/test_jnp_misc.py)
    r = np.array([-1.0, 2.0, 0.0, -0.0])
    close(jnp.angle(r), np.angle(r))
    close(jnp.angle(r, deg=True), np.angle(r, deg=True))
    close(jnp.iscomplex(r), np.iscomplex(r))
    close(jnp.isreal(r), np.isreal(r))
    close(jnp.pow(np.array([2.0, 3.0]), 3), np.pow(np.array([2.0, 3.0]), 3))
    close(jnp.sort_complex(np.array([3, 1, 2])), np.sort_complex(np.array([3, 1, 2])))


def test_unwrap_gradient_geomspace(generator):
    p = np.cumsum(generator.random(12) * 2.5)
    wrapped = np.angle(np.exp(1j * p))
    close(jnp.unwrap(wrapped), np.unwrap(wrapped))
    close(jnp.unwrap(wrapped, discont=4.0), np.unwrap(wrapped, discont=4.0))
    close(jnp.unwrap(np.arange(10) % 4, period=4), np.unwrap(np.arange(10) % 4, period=4))
    f = generator.standard_normal((5, 6))
    for got, want in zip(jnp.gradient(f), np.gradient(f)):
        close(got, want)
    close(jnp.gradient(f, 0.5, axis=1), np.gradient(f, 0.5, axis=1))
    xs = np.cumsum(generator.random(6)) + 0.1
    close(jnp.gradient(f, xs, axis=1), np.gradient(f, xs, axis=1))
    close(jnp.geomspace(1, 1000, 4), np.geomspace(1, 1000, 4))
    close(jnp.geomspace(-1, -256, 9, endpoint=False), np.geomspace(-1, -256, 9, endpoint=False))


def test_packbits_unpackbits(generator):
    bits = (generator.random((3, 11)) > 0.5)
    for axis in (None, 0, 1):
        for order in ("big", "little"):
            p = jnp.packbits(bits, axis=axis, bitorder=order)
            close(p, np.packbits(bits, axis=axis, bitorder=order))
            close(jnp.unpackbits(p, axis=axis, bitorder=order),
                  np.unpackbits(np.asarray(p), axis=axis, bitorder=order))
    p = np.packbits(bits, axis=1)
    close(jnp.unpackbits(p, axis=1, count=11), np.unpackbits(p, axis=1, count=11))


# -- manipulation, products, functional, io ------------------------------------------------

def test_manipulation_extras(generator):
    a, b = np.ones((2, 2)), np.zeros((2, 3))
    c, d = np.full((1, 2), 2.0), np.full((1, 3), 3.0)
    close(jnp.block([[a, b], [c, d]]), np.block([[a, b], [c, d]]))
    close(jnp.block([np.arange(2), np.arange(3)]), np.block([np.arange(2), np.arange(3)]))
    close(jnp.concat([a, a], axis=1), np.concatenate([a, a], axis=1))
    close(jnp.concat([a, b], axis=None), np.concatenate([a, b], axis=None))
    x = np.arange(24).reshape(2, 3, 4)
    for got, want in zip(jnp.unstack(x, axis=1), [x[:, i] for i in range(3)]):
        close(got, want)
    for got, want in zip(jnp.dsplit(x, 2), np.dsplit(x, 2)):
        close(got, want)
    for axis, start in ((2, 0), (0, 3), (1, -1), (2, 1)):
        close(jnp.rollaxis(x, axis, start), np.rollaxis(x, axis, start))
    close(jnp.resize(np.arange(5), (3, 4)), np.resize(np.arange(5), (3, 4)))
    assert jnp.astype(np.arange(3), jnp.float32).dtype == np.float32
    m, v = generator.standard_normal((2, 3, 4)), generator.standard_normal((2, 4))
    close(jnp.matvec(m, v), np.einsum("bij,bj->bi", m, v))
    u, w = generator.standard_normal(3), generator.standard_normal((3, 5))
    close(jnp.vecmat(u, w), u @ w)


def test_functional_helpers(x64):
    x = np.arange(12.0).reshape(3, 4)
    close(jnp.apply_along_axis(lambda r: jnp.sum(r ** 2), 1, x),
          np.apply_along_axis(lambda r: np.sum(r ** 2), 1, x))
    close(jnp.apply_along_axis(lambda r: r[::-1] * 2, 0, x),
          np.apply_along_axis(lambda r: r[::-1] * 2, 0, x))
    close(jnp.apply_over_axes(jnp.sum, x, [0, 1]), np.apply_over_axes(np.sum, x, [0, 1]))
    t = np.linspace(-2, 2, 9)
    got = jnp.piecewise(t, [t < 0, t >= 1], [lambda t: -t, lambda t: t ** 2, 0.5])
    want = np.piecewise(t, [t < 0, t >= 1], [lambda t: -t, lambda t: t ** 2, 0.5])
    close(got, want)
    close(jnp.fromfunction(lambda i, j: i * 10 + j, (2, 3)),
          np.fromfunction(lambda i, j: i * 10 + j, (2, 3)))
    add3 = jnp.frompyfunc(lambda a, b: a * 3 + b, 2, 1)
    close(add3(np.arange(3.0), 1.0), np.arange(3.0) * 3 + 1)
    check_grads(lambda t: jnp.sum(jnp.piecewise(t, [t < 0], [jnp.sin, jnp.cos])),
                (np.array([-1.0, 0.5, 2.0]),), order=2)


def test_io_and_printing(tmp_path):
    x = jnp.arange(6.0).reshape(2, 3)
    jnp.save(tmp_path / "x.npy", x)
    close(jnp.load(tmp_path / "x.npy"), np.asarray(x))
    jnp.savez(tmp_path / "xs.npz", a=x, b=jnp.ones(2))
    loaded = jnp.load(tmp_path / "xs.npz")
    close(loaded["a"], np.asarray(x))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):  # never unpickle
        jnp.load(tmp_path / "obj.npy")
    with pytest.raises(ValueError, match="pickle"):
        jnp.save(tmp_path / "y.npy", x, allow_pickle=True)
    buf = io.BytesIO()
    np.save(buf, np.arange(3))
    close(jnp.frombuffer(np.arange(4, dtype=np.int32).tobytes(), np.int32), np.arange(4))
    close(jnp.fromiter(iter(range(5)), np.float32), np.arange(5))
    close(jnp.fromstring("1 2 3", np.float32, sep=" "), [1, 2, 3])
    close(jnp.from_dlpack(np.arange(3.0)), np.arange(3.0))
    assert jnp.array_str(x) == np.array_str(np.asarray(x))
    assert jnp.array_repr(x) == np.array_repr(np.asarray(x))
    with jnp.printoptions(precision=2):
        assert jnp.get_printoptions()["precision"] == 2
    assert jnp.iterable([1]) and not jnp.iterable(3)
    assert jnp.isdtype(jnp.float32, "real floating") and not jnp.isdtype(np.int8, "bool")
    assert jnp.isdtype(np.uint8, ("bool", "integral"))
    path, _ = jnp.einsum_path("ij,jk,kl->il", np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5)))
    assert path[0] == "einsum_path"

"""jitnet.scipy.special against scipy.special (float64 references) in float32 and float64."""
import inspect

import numpy as np
import pytest
import scipy.special as sp

import jitnet
from jitnet.scipy import special as js

RTOL = {np.float32: 2e-6, np.float64: 1e-13}


def _int_for(dtype):
    """The default int paired with ``dtype``: JAX promotes int32 to float32 even with x64,
    and int64 to float64."""
    return np.int64 if np.dtype(dtype) == np.float64 else np.int32


def check(actual, expected, dtype, rtol=None, atol=0.0):
    """``actual`` has ``dtype`` and matches the float64 reference (nan where it is nan)."""
    assert isinstance(actual, jitnet.Array)
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    a = np.asarray(actual).astype(np.float64)
    e = np.asarray(expected, np.float64)
    assert a.shape == e.shape
    np.testing.assert_allclose(a, e, rtol=RTOL[dtype] if rtol is None else rtol, atol=atol,
                               equal_nan=True)


def sample(rng, lo, hi, n=200):
    return rng.uniform(lo, hi, n)


def run_traced(f, *args):
    """Run ``f`` through ``make_jaxpr`` and the IR interpreter: it must trace."""
    closed = jitnet.make_jaxpr(f)(*args)
    out = closed(*args)
    return jitnet.tree_util.tree_unflatten(closed.out_tree, out)


# (function, reference, sampling range) for the unary functions; references are float64.
UNARY = {
    "erf": (js.erf, sp.erf, (-4, 4)),
    "erfc": (js.erfc, sp.erfc, (-3, 9)),
    "erfinv": (js.erfinv, sp.erfinv, (-0.999, 0.999)),
    "expit": (js.expit, sp.expit, (-40, 40)),
    "logit": (js.logit, sp.logit, (0.001, 0.999)),
    "gammaln": (js.gammaln, sp.gammaln, (-9.5, 40)),
    "digamma": (js.digamma, sp.psi, (-9.5, 30)),
    "ndtr": (js.ndtr, sp.ndtr, (-12, 12)),
    "ndtri": (js.ndtri, sp.ndtri, (0.0001, 0.9999)),
    "log_ndtr": (js.log_ndtr, sp.log_ndtr, (-60, 30)),
    "entr": (js.entr, sp.entr, (0, 6)),
}

# erfinv, digamma and gammaln lose relative accuracy near their zeros and poles in float32
# (the condition number, not the implementation); the normal tails have relative condition
# number ~x^2, so rounding x / sqrt(2) to float32 costs ~x^2 * eps.
LOOSE = {("erfinv", np.float32): 1e-5, ("digamma", np.float32): 1e-4,
         ("gammaln", np.float32): 1e-4, ("ndtr", np.float32): 2e-5,
         ("log_ndtr", np.float32): 2e-5}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_random(name, dtype):
    f, ref, (lo, hi) = UNARY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = sample(rng, lo, hi).astype(dtype)
    expected = ref(x.astype(np.float64))
    rtol = LOOSE.get((name, dtype), RTOL[dtype])
    check(f(x), expected, dtype, rtol=rtol, atol=1e-30 if dtype == np.float64 else 1e-37)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_scalar_int_and_traced(name, dtype):
    """0-d and Python-scalar inputs stay 0-d; ints promote to the default float; the
    function traces to IR that computes the same values."""
    f, ref, _ = UNARY[name]
    arg = 0.25 if name in ("ndtri", "logit", "erfinv", "entr") else 1.5
    out = f(dtype(arg))
    assert out.shape == ()
    check(out, ref(arg), dtype, rtol=RTOL[dtype] * 4)
    assert f(arg).shape == () and f(arg).dtype == np.dtype(dtype)  # weak scalar -> default
    ints = np.array([1, 2, 3, 4], _int_for(dtype))
    check(f(ints), ref(ints.astype(np.float64)), dtype, rtol=RTOL[dtype] * 4)
    x = np.linspace(0.1, 0.9, 7).astype(dtype)
    np.testing.assert_array_equal(np.asarray(run_traced(f, x)), np.asarray(f(x)))


SPECIAL_POINTS = np.array([-np.inf, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan])


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"digamma", "gammaln"}))
def test_unary_special_values(name, dtype):
    """inf, nan, 0 and domain boundaries give scipy's values (which JAX shares here)."""
    f, ref, _ = UNARY[name]
    with np.errstate(all="ignore"):
        expected = ref(SPECIAL_POINTS)
    check(f(SPECIAL_POINTS.astype(dtype)), expected, dtype)


def test_gammaln_digamma_poles_follow_jax(dtype):
    """JAX's conventions where scipy differs: gammaln(-inf) = inf, digamma = nan at poles."""
    x = np.array([-np.inf, -3.0, -1.0, -0.0, 0.0, 1.0, np.inf, np.nan], dtype)
    check(js.gammaln(x), [np.inf, np.inf, np.inf, np.inf, np.inf, 0.0, np.inf, np.nan], dtype)
    check(js.digamma(x), [np.nan, np.nan, np.nan, np.nan, np.nan, -np.euler_gamma, np.inf,
                          np.nan], dtype)


# -- ndtr / ndtri / log_ndtr tails -------------------------------------------------------

def test_ndtri_tails_match_scipy(dtype):
    tiny = np.finfo(dtype).tiny
    p = np.concatenate([np.geomspace(tiny, 0.1, 300), 1 - np.geomspace(np.finfo(dtype).eps,
                                                                        0.1, 50)]).astype(dtype)
    expected = sp.ndtri(p.astype(np.float64))
    check(js.ndtri(p), expected, dtype, rtol={np.float32: 1e-6, np.float64: 2e-15}[dtype])


def test_ndtri_inverts_ndtr(dtype):
    """Away from p ~ 1, where rounding ndtr(x) to the float's spacing near 1 loses x."""
    x = np.linspace(-8, 5, 131) if dtype == np.float64 else np.linspace(-5, 2, 71)
    x = x.astype(dtype)
    check(js.ndtri(js.ndtr(x)), x, dtype, rtol=0,
          atol={np.float32: 1e-5, np.float64: 1e-9}[dtype])


def test_ndtr_left_tail_keeps_relative_accuracy(dtype):
    """0.5 * erfc instead of 0.5 + 0.5 * erf: ndtr(-30) = 4.9e-198 in float64, not 0."""
    x = -np.linspace(1, 37 if dtype == np.float64 else 13, 50).astype(dtype)
    check(js.ndtr(x), sp.ndtr(x.astype(np.float64)), dtype, rtol=RTOL[dtype] * 50)


def test_log_ndtr_far_left_tail(dtype):
    """The asymptotic series takes over where ndtr underflows; it stays finite and accurate."""
    x = -np.geomspace(5, 1e5, 200).astype(dtype)
    out = js.log_ndtr(x)
    assert np.all(np.isfinite(np.asarray(out)))
    check(out, sp.log_ndtr(x.astype(np.float64)), dtype, rtol=RTOL[dtype] * 10)


def test_log_ndtr_right_tail(dtype):
    x = np.linspace(0.5, 8, 60).astype(dtype)
    check(js.log_ndtr(x), sp.log_ndtr(x.astype(np.float64)), dtype, rtol=RTOL[dtype] * 10,
          atol=1e-38)


@pytest.mark.parametrize("order", [0, 1, 5, 30])
def test_log_ndtr_series_order(order, x64):
    """Below the switch point (-37 in float64) the error is the series' truncation error: of
    the size of its first omitted term (an alternating asymptotic series)."""
    x = np.array([-37.5, -40.0, -100.0, -1e3])
    expected = sp.log_ndtr(x)
    term = np.prod(np.arange(1, 2 * order + 2, 2, dtype=np.float64)) / x ** (2 * order + 2)
    err = np.abs(np.asarray(js.log_ndtr(x, series_order=order)) - expected)
    roundoff = 1e-15 * np.abs(expected)
    assert np.all(err <= term * 1.01 + roundoff)
    visible = term > 100 * roundoff
    assert np.all(err[visible] >= 0.5 * term[visible])


def test_log_ndtr_series_order_validation():
    with pytest.raises(ValueError, match="non-negative"):
        js.log_ndtr(1.0, series_order=-1)
    with pytest.raises(ValueError, match="<= 30"):
        js.log_ndtr(1.0, series_order=31)
    with pytest.raises(TypeError, match="integer"):
        js.log_ndtr(1.0, series_order=2.5)


# -- xlogy, xlog1py ----------------------------------------------------------------------

XY = np.array([(0, 0), (0, -1), (0, np.inf), (0, np.nan), (0, 2), (1, 0), (2, -1), (np.nan, 0),
               (-1.5, 3.0), (3, 1e-30), (0, -np.inf), (1, np.inf)], np.float64)


@pytest.mark.parametrize("f, ref", [(js.xlogy, sp.xlogy), (js.xlog1py, sp.xlog1py)],
                         ids=["xlogy", "xlog1py"])
def test_xlogy_family(f, ref, dtype):
    x, y = XY[:, 0].astype(dtype), XY[:, 1].astype(dtype)
    with np.errstate(all="ignore"):
        expected = ref(x.astype(np.float64), y.astype(np.float64))
    check(f(x, y), expected, dtype)
    rng = np.random.default_rng(0)
    a = rng.uniform(-3, 3, (4, 1)).astype(dtype)
    b = rng.uniform(0.01, 5, (1, 5)).astype(dtype)
    check(f(a, b), ref(a.astype(np.float64), b.astype(np.float64)), dtype)  # broadcasting
    check(f(0, 0), 0.0, dtype)  # Python ints -> default float
    np.testing.assert_array_equal(np.asarray(run_traced(f, a, b)), np.asarray(f(a, b)))


def test_xlogy_zero_x_keeps_gradient_path_finite():
    """At x == 0 only non-finite logs are replaced, so the product itself is finite."""
    ir = str(jitnet.make_jaxpr(js.xlogy)(np.zeros(3, np.float32), np.ones(3, np.float32)))
    assert "log" in ir
    np.testing.assert_array_equal(js.xlogy(np.float32(0), np.float32(0.5)), 0.0)


# -- logsumexp --------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (2, 0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axes(axis, keepdims, dtype):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((3, 4, 5)) * 30).astype(dtype)
    out = js.logsumexp(a, axis=axis, keepdims=keepdims)
    check(out, sp.logsumexp(a.astype(np.float64), axis=axis, keepdims=keepdims), dtype,
          rtol=RTOL[dtype] * 4)


def test_logsumexp_no_overflow_and_inf_handling(dtype):
    a = np.array([[1000.0, 1000.0, -np.inf],   # would overflow without the shift
                  [-np.inf, -np.inf, -np.inf],  # all -inf: -inf, not nan
                  [np.inf, 0.0, -np.inf],       # +inf wins
                  [np.nan, 0.0, 1.0],           # nan propagates
                  [-1000.0, -1001.0, -1002.0]], dtype)
    expected = [1000 + np.log(2), -np.inf, np.inf, np.nan, sp.logsumexp([-1000., -1001, -1002])]
    check(js.logsumexp(a, axis=1), expected, dtype)


def test_logsumexp_b_and_return_sign(dtype):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 6)).astype(dtype)
    b = rng.standard_normal((4, 6)).astype(dtype)
    for axis in (None, 0, 1):
        out, sign = js.logsumexp(a, axis=axis, b=b, return_sign=True)
        e_out, e_sign = sp.logsumexp(a.astype(np.float64), axis=axis, b=b.astype(np.float64),
                                     return_sign=True)
        check(out, e_out, dtype, rtol=RTOL[dtype] * 50)  # cancellation in the signed sum
        check(sign, e_sign, dtype)
    # a negative sum without return_sign is nan, as in scipy and JAX
    check(js.logsumexp(np.array([1.0, 2.0], dtype), b=np.array([1.0, -1.0], dtype)), np.nan,
          dtype)
    # b == 0 drops the term, even an infinite or nan one
    check(js.logsumexp(np.array([np.inf, np.nan, 1.0], dtype), b=np.array([0.0, 0.0, 2.0], dtype)),
          1 + np.log(2), dtype)
    out, sign = js.logsumexp(np.array([1.0, 1.0], dtype), b=np.array([1.0, -1.0], dtype),
                             return_sign=True)
    check(out, -np.inf, dtype)
    check(sign, 0.0, dtype)


def test_logsumexp_b_broadcasts(dtype):
    a = np.arange(6, dtype=dtype).reshape(2, 3)
    b = np.array([1.0, 2.0, 3.0], dtype)
    check(js.logsumexp(a, axis=1, b=b), sp.logsumexp(a.astype(np.float64), axis=1, b=b), dtype)
    check(js.logsumexp(a, b=2), sp.logsumexp(a.astype(np.float64), b=2), dtype)


def test_logsumexp_where(dtype):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype)
    mask = np.array([[True, False, True], [False, False, False]])
    expected = [np.log(np.exp(1.0) + np.exp(3.0)), -np.inf]
    check(js.logsumexp(a, axis=1, where=mask), expected, dtype)


def test_logsumexp_edge_shapes_and_ints(dtype):
    check(js.logsumexp(np.zeros((0,), dtype)), -np.inf, dtype)
    check(js.logsumexp(np.zeros((2, 0), dtype), axis=1), [-np.inf, -np.inf], dtype)
    check(js.logsumexp(dtype(3.0)), 3.0, dtype)
    check(js.logsumexp(3), 3.0, dtype)
    ints = np.array([1, 2, 3], _int_for(dtype))
    check(js.logsumexp(ints), sp.logsumexp([1.0, 2.0, 3.0]), dtype)
    with pytest.raises(ValueError):
        js.logsumexp(np.ones((2, 2), dtype), axis=2)


def test_logsumexp_shift_is_stop_gradient_and_traces():
    a = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    closed = jitnet.make_jaxpr(lambda a: js.logsumexp(a, axis=1))(a)
    assert "stop_gradient" in str(closed)
    np.testing.assert_array_equal(np.asarray(run_traced(lambda a: js.logsumexp(a, axis=1), a)),
                                  np.asarray(js.logsumexp(a, axis=1)))


def test_signatures_match_jax():
    """Parameter names and defaults of jax.scipy.special (as of JAX 0.10)."""
    expected = {
        "logsumexp": "(a, axis=None, b=None, keepdims=False, return_sign=False, where=None)",
        "log_ndtr": "(x, series_order=3)", "ndtri": "(p)", "xlogy": "(x, y)",
        "xlog1py": "(x, y)",
        # added with issue 18's coverage (JAX 0.10.2's parameter names and kinds)
        "bessel_jn": "(z, *, v: 'int', n_iter: 'int' = 50)",
        "comb": "(N, k, *, repetition: 'bool' = False)",
        "factorial": "(n, exact: 'bool' = False)", "zeta": "(x, q=None)",
        "polygamma": "(n, x)", "expn": "(n, x)", "poch": "(z, m)", "owens_t": "(h, a)",
        "hyp1f1": "(a, b, x)", "hyp2f1": "(a, b, c, x)", "boxcox": "(x, lmbda)",
        "boxcox1p": "(x, lmbda)", "rel_entr": "(p, q)", "kl_div": "(p, q)",
        "softmax": "(x, /, *, axis=None)", "log_softmax": "(x, /, *, axis=None)",
    }
    for name in ("erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "ndtr", "entr"):
        expected[name] = "(x)"
    for name, sig in expected.items():
        assert str(inspect.signature(getattr(js, name))) == sig, name
    assert jitnet.scipy.special is js


def test_logit_near_half_keeps_relative_accuracy(dtype):
    """log(x / (1 - x)) would round to 0 or lose digits as x -> 1/2; the log1p form does not."""
    x = (0.5 + np.geomspace(1e-7 if dtype == np.float32 else 1e-15, 0.2, 40)).astype(dtype)
    x = np.concatenate([x, 1 - x])
    check(js.logit(x), sp.logit(x.astype(np.float64)), dtype, rtol=RTOL[dtype] * 2)


def test_log_ndtr_branch_clamps_are_selects():
    """Each region's input is clamped with select, not min/max/clip: those split the
    derivative at ties, which would halve d/dx log_ndtr at x == 0."""
    closed = jitnet.make_jaxpr(js.log_ndtr)(np.zeros(3, np.float32))
    prims = {e.prim.name for e in closed.eqns}
    assert "select_n" in prims and not prims & {"max", "min", "clamp"}, prims


@pytest.mark.parametrize("fname", ["gammainc", "gammaincc"])
def test_incomplete_gamma(fname, dtype):
    # both expansions (x < a + 1 and x >= a + 1), small and large a, the edges x = 0, inf
    a = np.array([0.3, 1.0, 2.5, 10.0, 50.0, 200.0, 3.0, 0.5, 4.0, 2.0])
    x = np.array([0.1, 1.0, 4.0, 9.0, 60.0, 180.0, 0.0, 30.0, np.inf, 2.5])
    out = getattr(js, fname)(a.astype(dtype), x.astype(dtype))
    ref = getattr(sp, fname)(a, x)
    # the prefactor exp(a log x - x - gammaln(a)) cancels terms of size ~a: float32 keeps
    # ~a * eps relative accuracy (5e-5 at a = 200)
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    check(out, ref, dtype, rtol=rtol, atol=1e-37 if dtype == np.float32 else 1e-300)
    bad = getattr(js, fname)(np.array([-1.0, 2.0], dtype), np.array([1.0, -1.0], dtype))
    assert np.isnan(np.asarray(bad)).all()


def test_incomplete_gamma_grads(x64):
    from jitnet.testing import check_grads
    a = np.array([0.7, 2.5, 6.0, 3.0])
    x = np.array([0.4, 2.0, 9.0, 5.5])  # two points per expansion
    check_grads(js.gammainc, (a, x), order=1, modes=("rev",))
    check_grads(js.gammaincc, (a, x), order=1, modes=("rev",))
    # d/dx P(a, x) is the gamma density
    g = jitnet.grad(lambda x: js.gammainc(2.5, x))(1.5)
    np.testing.assert_allclose(float(g), np.exp(1.5 * np.log(1.5) - 1.5 - sp.gammaln(2.5)),
                               rtol=1e-12)


def test_betainc(dtype):
    # both sides of the swap point (a + 1) / (a + b + 2), small and large a, b, the edges
    a = np.array([0.5, 2.0, 5.0, 30.0, 1.0, 0.3, 100.0, 2.0, 3.0])
    b = np.array([0.5, 3.0, 1.0, 20.0, 1.0, 4.0, 80.0, 2.0, 2.0])
    x = np.array([0.3, 0.2, 0.9, 0.6, 0.5, 0.01, 0.56, 1.0, 0.0])
    out = js.betainc(a.astype(dtype), b.astype(dtype), x.astype(dtype))
    # float32: the prefactor's exponent cancels terms of size ~a + b (as for gammainc)
    check(out, sp.betainc(a, b, x), dtype, rtol=1e-4 if dtype == np.float32 else 1e-12)
    bad = js.betainc(np.array([-1.0, 1.0, 1.0], dtype), np.array([1.0, 0.0, 1.0], dtype),
                     np.array([0.5, 0.5, 1.5], dtype))
    assert np.isnan(np.asarray(bad)).all()


def test_betainc_grads(x64):
    from jitnet.testing import check_grads
    a, b = np.array([0.7, 2.5, 6.0]), np.array([1.5, 3.0, 2.0])
    x = np.array([0.2, 0.6, 0.9])
    check_grads(js.betainc, (a, b, x), order=1, modes=("rev",))
    # d/dx I_x(a, b) is the beta density
    g = jitnet.grad(lambda x: js.betainc(2.5, 3.0, x))(0.3)
    expected = np.exp(1.5 * np.log(0.3) + 2.0 * np.log(0.7) - sp.betaln(2.5, 3.0))
    np.testing.assert_allclose(float(g), expected, rtol=1e-12)

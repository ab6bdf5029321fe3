"""jitnet.nn against NumPy/SciPy float64 references, in float32 and float64."""
import inspect

import numpy as np
import pytest
import scipy.special as sp

import jitnet
import jitnet.numpy as jnp
from jitnet import nn
from jitnet.scipy import special as js

RTOL = {np.float32: 3e-6, np.float64: 1e-13}
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _int_for(dtype):
    """The default int paired with ``dtype``: JAX promotes int32 to float32 even with x64,
    and int64 to float64."""
    return np.int64 if np.dtype(dtype) == np.float64 else np.int32


def check(actual, expected, dtype, rtol=None, atol=0.0):
    """``actual`` is a jitnet array of ``dtype`` matching the reference (nan where nan)."""
    assert isinstance(actual, jitnet.Array)
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    e = np.asarray(expected, np.float64)
    assert actual.shape == e.shape
    np.testing.assert_allclose(np.asarray(actual).astype(np.float64), e, equal_nan=True,
                               rtol=RTOL[dtype] if rtol is None else rtol, atol=atol)


def run_traced(f, *args):
    """Evaluate ``f`` through ``make_jaxpr`` and the IR interpreter: it must trace."""
    closed = jitnet.make_jaxpr(f)(*args)
    return jitnet.tree_util.tree_unflatten(closed.out_tree, closed(*args))


def _elu(x, a=1.0):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


def _tanh_cdf(x):
    """(1 + tanh(u)) / 2 for gelu's u, as expit(2u): the identity avoids tanh's cancellation
    against 1 in float64 too (test_gelu_tanh_identity checks it where both are accurate)."""
    return sp.expit(2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))


def _squareplus(x, b=4.0):
    root = np.sqrt(x * x + b)
    return np.where(x >= 0, (x + root) / 2, b / (2 * (root - x)))


def _log1mexp(x):
    return np.where(x < 1.0, np.log(-np.expm1(-x)), np.log1p(-np.exp(-np.maximum(x, 1.0))))


# name -> (jitnet function, float64 NumPy reference). The references are written from the
# definitions (JAX's formulas where those define the value at +-inf, e.g. silu(-inf) = nan).
ELEMENTWISE = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "relu6": (nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "leaky_relu": (nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    "elu": (nn.elu, _elu),
    "celu": (nn.celu, lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0))),
    "selu": (nn.selu, lambda x: SELU_SCALE * _elu(x, SELU_ALPHA)),
    "gelu": (nn.gelu, lambda x: x * _tanh_cdf(x)),
    "sigmoid": (nn.sigmoid, sp.expit),
    "log_sigmoid": (nn.log_sigmoid, lambda x: -np.logaddexp(0, -x)),
    "softplus": (nn.softplus, lambda x: np.logaddexp(x, 0)),
    "soft_sign": (nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    "silu": (nn.silu, lambda x: x * sp.expit(x)),
    "swish": (nn.swish, lambda x: x * sp.expit(x)),
    "hard_tanh": (nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hard_silu": (nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hard_swish": (nn.hard_swish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "mish": (nn.mish, lambda x: x * np.tanh(np.logaddexp(x, 0))),
    "identity": (nn.identity, lambda x: x),
    "tanh": (nn.tanh, np.tanh),
    "squareplus": (nn.squareplus, _squareplus),
    "sparse_plus": (nn.sparse_plus, lambda x: np.where(x <= -1, 0, np.where(x >= 1, x,
                                                                             (x + 1) ** 2 / 4))),
    "sparse_sigmoid": (nn.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1)),
}
SPECIAL = np.array([-np.inf, -1e4, -30.0, -6.0, -3.0, -1.0, -0.0, 0.0, 1.0, 3.0, 6.0, 30.0,
                    1e4, np.inf, np.nan])
# relative condition number of silu/gelu/mish near their zero crossings in the negative range
LOOSE = {"gelu": 2e-5, "mish": 2e-5, "silu": 2e-5, "swish": 2e-5}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(name, dtype):
    f, ref = ELEMENTWISE[name]
    rng = np.random.default_rng(len(name))
    x = np.concatenate([rng.standard_normal(100) * 4, SPECIAL]).astype(dtype)
    with np.errstate(all="ignore"):
        expected = ref(x.astype(np.float64))
    rtol = RTOL[dtype] if dtype == np.float64 else LOOSE.get(name, RTOL[dtype])
    check(f(x), expected, dtype, rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_scalars_ints_and_tracing(name, dtype):
    f, ref = ELEMENTWISE[name]
    out = f(dtype(-0.5))
    check(out, ref(np.float64(dtype(-0.5))), dtype)
    assert f(-0.5).shape == () and f(-0.5).dtype == np.dtype(dtype)  # weak Python scalar
    ints = np.array([-7, -2, 0, 1, 5, 8], _int_for(dtype))
    keeps_int = name in ("relu", "hard_tanh", "identity")  # as in JAX
    out = f(ints)
    expected_dtype = ints.dtype if keeps_int else dtype
    assert out.dtype == np.dtype(expected_dtype)
    np.testing.assert_allclose(np.asarray(out, np.float64), ref(ints.astype(np.float64)),
                               rtol=RTOL[dtype])
    x = np.linspace(-4, 4, 9).astype(dtype)
    np.testing.assert_array_equal(np.asarray(run_traced(f, x)), np.asarray(f(x)))


def test_parameters(dtype):
    x = np.linspace(-3, 3, 13).astype(dtype)
    xd = x.astype(np.float64)
    check(nn.leaky_relu(x, negative_slope=0.2), np.where(xd >= 0, xd, 0.2 * xd), dtype)
    check(nn.elu(x, alpha=0.5), _elu(xd, 0.5), dtype)
    check(nn.celu(x, alpha=2.0), np.maximum(xd, 0) + 2 * np.expm1(np.minimum(xd, 0) / 2), dtype)
    check(nn.gelu(x, approximate=False), xd * sp.ndtr(xd), dtype, rtol=RTOL[dtype] * 4)
    check(nn.gelu(x, False), xd * sp.ndtr(xd), dtype, rtol=RTOL[dtype] * 4)
    check(nn.squareplus(x, b=1.0), _squareplus(xd, 1.0), dtype)
    # int input with int slope stays int, as jnp.where(x >= 0, x, slope * x) does in JAX
    assert nn.leaky_relu(np.array([-2, 3], np.int32), negative_slope=2).dtype == np.int32
    assert nn.leaky_relu(np.array([-2, 3], _int_for(dtype))).dtype == np.dtype(dtype)


def test_gelu_tanh_identity(dtype):
    x = np.linspace(-3, 3, 61).astype(dtype)
    xd = x.astype(np.float64)
    literal = 0.5 * xd * (1 + np.tanh(np.sqrt(2 / np.pi) * (xd + 0.044715 * xd ** 3)))
    check(nn.gelu(x), literal, dtype, rtol=RTOL[dtype] * 10)
    check(nn.gelu(x, approximate=True), literal, dtype, rtol=RTOL[dtype] * 10)


def test_piecewise_edges(dtype):
    """Exact values at the kinks; nan passes through relu-like functions."""
    x = np.array([-1.0, -0.0, 0.0, 1.0, 6.0, 7.0, np.nan], dtype)
    check(nn.relu(x), [0, 0, 0, 1, 6, 7, np.nan], dtype, rtol=0)
    check(nn.relu6(x), [0, 0, 0, 1, 6, 6, np.nan], dtype, rtol=0)
    check(nn.hard_tanh(x), [-1, 0, 0, 1, 1, 1, np.nan], dtype, rtol=0)
    check(nn.sparse_plus(x), [0, 0.25, 0.25, 1, 6, 7, np.nan], dtype, rtol=0)
    check(nn.hard_sigmoid(np.array([-3, 0, 3], dtype)), [0, 0.5, 1], dtype)


@pytest.mark.parametrize("f", [nn.relu, nn.relu6, nn.hard_tanh, nn.hard_sigmoid])
def test_kinks_use_select_not_max_min(f):
    """Clipping is a select on strict comparisons (JAX's relu'(0) = 0, relu6'(6) = 0), not
    max/min, whose jvp rule splits ties; the traced gradient shows which rule
    differentiation saw (relu's own rule is a select, as JAX's)."""
    g = jitnet.grad(lambda x: f(x).sum())
    prims = {e.prim.name for e in jitnet.make_jaxpr(g)(np.zeros(3, np.float32)).eqns}
    assert "select_n" in prims and not prims & {"max", "min"}, prims


def test_large_magnitudes_stay_finite(dtype):
    big = np.array([-1e4, 1e4], dtype)
    check(nn.softplus(big), [0.0, 1e4], dtype)
    check(nn.log_sigmoid(big), [-1e4, 0.0], dtype)
    check(nn.sigmoid(big), [0.0, 1.0], dtype)
    check(nn.elu(big), [-1.0, 1e4], dtype)
    check(nn.mish(big), [0.0, 1e4], dtype)
    tiny_tail = np.array([-20.0, -80.0], dtype)
    check(nn.softplus(tiny_tail), np.log1p(np.exp([-20.0, -80.0])), dtype)


def test_squareplus_negative_tail_has_no_cancellation(dtype):
    x = np.array([-1e3, -1e5], dtype)
    check(nn.squareplus(x), _squareplus(x.astype(np.float64)), dtype)


def test_log1mexp(dtype):
    x = np.concatenate([np.geomspace(1e-7, 50, 60), [0.0, np.inf, -1.0, np.nan]]).astype(dtype)
    with np.errstate(all="ignore"):
        expected = _log1mexp(x.astype(np.float64))
    check(nn.log1mexp(x), expected, dtype, atol=1e-300)


# -- glu -------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_glu(axis, dtype):
    x = np.random.default_rng(4).standard_normal((4, 6)).astype(dtype)
    a, b = np.split(x.astype(np.float64), 2, axis=axis)
    check(nn.glu(x, axis=axis), a * sp.expit(b), dtype)


def test_glu_odd_axis_raises():
    with pytest.raises(ValueError, match="divisible by 2"):
        nn.glu(np.ones((3, 4), np.float32), axis=0)


# -- softmax / log_softmax --------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, 0, 1, None, (0, 2), (-1, 0)])
def test_softmax_axes(axis, dtype):
    x = (np.random.default_rng(5).standard_normal((3, 4, 5)) * 20).astype(dtype)
    xd = x.astype(np.float64)
    check(nn.softmax(x, axis=axis), sp.softmax(xd, axis=axis), dtype, rtol=RTOL[dtype] * 4,
          atol=1e-300)
    check(nn.log_softmax(x, axis=axis), sp.log_softmax(xd, axis=axis), dtype,
          rtol=RTOL[dtype] * 4, atol=RTOL[dtype] * 16)


def test_softmax_default_axis_and_sum(dtype):
    x = np.random.default_rng(6).standard_normal((5, 7)).astype(dtype)
    out = nn.softmax(x)
    check(out, sp.softmax(x.astype(np.float64), axis=-1), dtype, rtol=RTOL[dtype] * 4)
    np.testing.assert_allclose(np.asarray(out).sum(-1), 1.0, rtol=RTOL[dtype] * 10)


def test_softmax_no_overflow(dtype):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]], dtype)
    expected = sp.softmax(np.array([0.0, 1.0, 2.0]))
    check(nn.softmax(x), [expected, expected[::-1]], dtype, rtol=RTOL[dtype] * 4)
    check(nn.log_softmax(x), np.log([expected, expected[::-1]]), dtype, rtol=RTOL[dtype] * 4)


def test_softmax_infinities_follow_jax(dtype):
    """-inf entries get probability 0 (log-probability -inf); an all -inf row, or a row with
    +inf, is nan (0/0 and inf/inf), as in JAX."""
    x = np.array([[-np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf],
                  [np.inf, 0.0, 1.0],
                  [np.nan, 0.0, 1.0]], dtype)
    p = sp.softmax([0.0, 1.0])
    nan3 = [np.nan] * 3
    check(nn.softmax(x), [[0.0, *p], nan3, nan3, nan3], dtype)
    check(nn.log_softmax(x), [[-np.inf, *np.log(p)], nan3, nan3, nan3], dtype)


def test_softmax_where(dtype):
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], dtype)
    mask = np.array([[True, False, True], [False, False, False], [True, True, True]])
    p13 = sp.softmax([1.0, 3.0])
    p3 = sp.softmax([7.0, 8.0, 9.0])
    check(nn.softmax(x, where=mask), [[p13[0], 0, p13[1]], [0, 0, 0], p3], dtype,
          rtol=RTOL[dtype] * 4)
    ninf = -np.inf
    check(nn.log_softmax(x, where=mask),
          [[np.log(p13[0]), ninf, np.log(p13[1])], [ninf] * 3, np.log(p3)], dtype,
          rtol=RTOL[dtype] * 4)
    # a mask that broadcasts along the rows
    col = np.array([True, False, True])
    check(nn.softmax(x, where=col)[0], [p13[0], 0, p13[1]], dtype, rtol=RTOL[dtype] * 4)


def test_softmax_scalar_int_and_tracing(dtype):
    check(nn.softmax(dtype(3.0), axis=None), 1.0, dtype)
    check(nn.log_softmax(np.array([1, 2, 3], _int_for(dtype))), sp.log_softmax([1.0, 2.0, 3.0]), dtype,
          rtol=RTOL[dtype] * 4)
    x = np.random.default_rng(7).standard_normal((2, 5)).astype(dtype)
    for f in (nn.softmax, nn.log_softmax):
        closed = jitnet.make_jaxpr(f)(x)
        assert "stop_gradient" in str(closed)  # the max shift does not enter gradients
        np.testing.assert_array_equal(np.asarray(run_traced(f, x)), np.asarray(f(x)))


def test_logsumexp_is_reexported():
    assert nn.logsumexp is js.logsumexp
    check(nn.logsumexp(np.array([0.0, 0.0], np.float32)), np.log(2), np.float32)


# -- one_hot ----------------------------------------------------------------------------

def _one_hot_ref(x, n, axis=-1):
    out = (np.asarray(x)[..., None] == np.arange(n)).astype(np.float64)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("axis", [-1, 0, 1, -2])
def test_one_hot_axes(axis, dtype):
    x = np.array([[0, 3, 1], [2, 2, 4]], _int_for(dtype))
    check(nn.one_hot(x, 5, axis=axis), _one_hot_ref(x, 5, axis), dtype, rtol=0)


def test_one_hot_values_and_dtypes(dtype):
    check(nn.one_hot(np.array([0, 2, -1, 3, 7]), 3), _one_hot_ref([0, 2, -1, 3, 7], 3), dtype,
          rtol=0)  # out of range -> zero rows (no negative wrap-around)
    check(nn.one_hot(np.array([0.0, 1.7, 2.0], np.float32), 3), _one_hot_ref([0, 1.7, 2], 3),
          dtype, rtol=0)  # non-integral indices match nothing
    check(nn.one_hot(2, 4), [0, 0, 1, 0], dtype, rtol=0)  # scalar index: 1-d result
    out = nn.one_hot(np.array([1, 0]), 2, dtype=jnp.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(out), [[0, 1], [1, 0]])
    assert nn.one_hot(np.array([1]), 2, dtype=np.bool_).dtype == np.bool_
    assert nn.one_hot(np.zeros((0,), np.int32), 3).shape == (0, 3)


def test_one_hot_errors():
    with pytest.raises(TypeError, match="num_classes"):
        nn.one_hot(np.array([1]), 2.5)
    with pytest.raises(ValueError):
        nn.one_hot(np.array([1, 2]), 3, axis=2)
    with pytest.raises(TypeError):
        nn.one_hot(np.array([1]), 2, jnp.float32)  # dtype is keyword-only


def test_one_hot_traces():
    x = np.array([0, 2, 1], np.int32)
    np.testing.assert_array_equal(np.asarray(run_traced(lambda x: nn.one_hot(x, 4), x)),
                                  np.asarray(nn.one_hot(x, 4)))


# -- standardize --------------------------------------------------------------------------

def _standardize_ref(x, axis=-1, mean=None, variance=None, eps=1e-5, where=True):
    if mean is None:
        mean = np.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        variance = np.mean((x - mean) ** 2, axis, keepdims=True, where=where)
    return (x - mean) / np.sqrt(variance + eps)


@pytest.mark.parametrize("algorithm", ["fast", "stable"])
@pytest.mark.parametrize("axis", [-1, 0, None, (0, 2)])
def test_standardize_axes(axis, algorithm, dtype):
    x = (np.random.default_rng(8).standard_normal((3, 4, 5)) * 2 + 1).astype(dtype)
    xd = x.astype(np.float64)
    check(nn.standardize(x, axis=axis, algorithm=algorithm), _standardize_ref(xd, axis), dtype,
          rtol=RTOL[dtype] * 20, atol=RTOL[dtype] * 20)


def test_standardize_options(dtype):
    x = np.random.default_rng(9).standard_normal((4, 6)).astype(dtype)
    xd = x.astype(np.float64)
    tol = dict(rtol=RTOL[dtype] * 20, atol=RTOL[dtype] * 20)
    check(nn.standardize(x, epsilon=0.5), _standardize_ref(xd, eps=0.5), dtype, **tol)
    # given statistics are used as they are (with "fast", a given mean also enters the
    # variance as mean(x^2) - mean^2, as in JAX)
    check(nn.standardize(x, mean=0.0, variance=4.0), xd / np.sqrt(4.0 + 1e-5), dtype, **tol)
    mu = xd.mean(-1, keepdims=True)
    check(nn.standardize(x, mean=mu.astype(dtype)), _standardize_ref(xd, mean=mu), dtype, **tol)
    check(nn.standardize(x, mean=0.0),
          xd / np.sqrt(np.mean(xd ** 2, -1, keepdims=True) + 1e-5), dtype, **tol)
    check(nn.standardize(x, mean=0.0, algorithm="stable"),
          xd / np.sqrt(np.mean(xd ** 2, -1, keepdims=True) + 1e-5), dtype, **tol)
    mask = np.array([True, False, True, True, False, True])
    check(nn.standardize(x, where=mask), _standardize_ref(xd, where=mask), dtype, **tol)
    ints = np.array([[1, 2], [3, 5]], _int_for(dtype))
    check(nn.standardize(ints), _standardize_ref(ints.astype(np.float64)), dtype, **tol)
    with pytest.raises(ValueError, match="algorithm"):
        nn.standardize(x, algorithm="exact")


def test_standardize_stable_algorithm_is_accurate_for_large_means(dtype):
    """'fast' (JAX's default) cancels when |mean| >> std (mean(x^2) - mean^2 loses all
    digits here); 'stable' keeps the accuracy the mean itself has."""
    offset = 1e3 if dtype == np.float32 else 1e8
    x = (offset + np.array([0.1, 0.2, 0.3, 0.3])).astype(dtype)
    expected = _standardize_ref(x.astype(np.float64), eps=0.0)
    check(nn.standardize(x, algorithm="stable", epsilon=0.0), expected, dtype, rtol=2e-3)


def test_standardize_traces(dtype):
    x = np.random.default_rng(10).standard_normal((3, 4)).astype(dtype)
    f = lambda x: nn.standardize(x, axis=0)  # noqa: E731
    np.testing.assert_array_equal(np.asarray(run_traced(f, x)), np.asarray(f(x)))


# -- API ------------------------------------------------------------------------------------

def _sig(f):
    sig = inspect.signature(f)
    return str(sig.replace(parameters=[p.replace(annotation=p.empty)
                                       for p in sig.parameters.values()],
                           return_annotation=sig.empty))


def test_signatures_match_jax():
    """Parameter names, kinds and defaults of jax.nn (as of JAX 0.10)."""
    expected = {
        "leaky_relu": "(x, negative_slope=0.01)", "elu": "(x, alpha=1.0)",
        "celu": "(x, alpha=1.0)", "gelu": "(x, approximate=True)", "glu": "(x, axis=-1)",
        "softmax": "(x, axis=-1, where=None)", "log_softmax": "(x, axis=-1, where=None)",
        "one_hot": "(x, num_classes, *, dtype=None, axis=-1)",
        "standardize": "(x, axis=-1, mean=None, variance=None, epsilon=1e-05, where=None, *, "
                       "algorithm='fast')",
        "logsumexp": "(a, axis=None, b=None, keepdims=False, return_sign=False, where=None)",
        "squareplus": "(x, b=4)", "tanh": "(x, /)",
    }
    for name in ("relu", "relu6", "selu", "sigmoid", "log_sigmoid", "softplus", "soft_sign",
                 "silu", "swish", "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish", "mish",
                 "identity", "sparse_plus", "sparse_sigmoid", "log1mexp"):
        expected[name] = "(x)"
    for name, sig in expected.items():
        assert _sig(getattr(nn, name)) == sig, name
    assert nn.swish is nn.silu and nn.hard_swish is nn.hard_silu
    assert jitnet.nn is nn


def test_non_arrays_are_rejected():
    with pytest.raises(TypeError):
        nn.relu([1.0, 2.0])
    with pytest.raises(TypeError):
        nn.softmax((1.0, 2.0))

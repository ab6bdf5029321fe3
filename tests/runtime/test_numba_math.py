"""The vectorizable float32 transcendentals against float64 NumPy over their whole range,
including tails, NaN, Inf and denormals (error in units in the last place)."""
import numba
import numpy as np
import pytest
import scipy.special

from jitnet.runtime import numba_math as m
from jitnet.runtime.numba_backend import FASTMATH


def _apply(f):
    @numba.njit(fastmath=FASTMATH, error_model="numpy")
    def g(x, out):
        for i in range(x.shape[0]):
            out[i] = f(x[i])
        return out
    return g


def _ulps(got, ref64):
    with np.errstate(all="ignore"):
        ref = ref64.astype(np.float32)
        spacing = np.spacing(np.abs(ref)).astype(np.float64)
        spacing = np.maximum(spacing, float(np.finfo(np.float32).smallest_subnormal))
        d = np.abs(got.astype(np.float64) - ref64) / spacing
    exact = (np.isnan(got) & np.isnan(ref)) | (np.isinf(ref) & (got == ref))
    d[exact] = 0
    d[np.isnan(d)] = np.inf
    return d


_SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40],
                    np.float32)
_RNG = np.random.default_rng(0)
CASES = {
    "exp": (m.jn_exp_f32, np.exp, np.linspace(-110, 90, 100001)),
    "log": (m.jn_log_f32, np.log, np.exp(np.linspace(-103.9, 88.7, 100001))),
    "tanh": (m.jn_tanh_f32, np.tanh, np.linspace(-12, 12, 100001)),
    "logistic": (m.jn_logistic_f32, scipy.special.expit,
                 np.linspace(-100, 100, 100001)),
    "log1p": (m.jn_log1p_f32, np.log1p,
              np.concatenate([np.linspace(-0.999, 10, 50001), -np.exp(np.linspace(-40, -1, 5000)),
                              np.exp(np.linspace(-40, 80, 5000))])),
    "expm1": (m.jn_expm1_f32, np.expm1,
              np.concatenate([np.linspace(-30, 88, 50001), np.exp(np.linspace(-40, 0, 5000)),
                              -np.exp(np.linspace(-40, 0, 5000))])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_accuracy(name):
    f, ref, xs = CASES[name]
    x = np.concatenate([xs.astype(np.float32), _RNG.uniform(-2, 2, 5000).astype(np.float32),
                        _SPECIAL])
    got = _apply(f)(x, np.empty_like(x))
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    d = _ulps(got, want)
    assert d.max() <= 3.0, f"{name}: {d.max():.2f} ulp at x={x[np.argmax(d)]!r}"


def test_f32_stays_f32_and_semantics():
    f = numba.njit(lambda x: m.jn_exp_f32(x))
    f(np.float32(1.0))
    assert f.nopython_signatures[0].return_type == numba.float32
    assert np.isnan(numba.njit(lambda a, b: m.jn_max(a, b))(np.nan, 1.0))
    assert np.isnan(numba.njit(lambda a, b: m.jn_min(a, b))(1.0, np.nan))
    assert numba.njit(lambda a, b: m.jn_idiv(a, b))(-7, 2) == -3      # toward zero
    assert numba.njit(lambda a, b: m.jn_irem(a, b))(-7, 2) == -1
    assert numba.njit(lambda x: m.jn_f2i_int32(x))(np.float32(1e20)) == 2**31 - 1
    assert numba.njit(lambda x: m.jn_f2i_int32(x))(np.float32(np.nan)) == 0

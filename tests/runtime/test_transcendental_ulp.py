"""The vectorizable float32 transcendentals (runtime/numba_transcendental.py) against float64
NumPy/SciPy over the whole float32 range: every 4096th bit pattern (2**20 points, all
exponents of both signs, denormals included), dense grids where each function bends or
saturates, and the specials (NaN, +-Inf, +-0, the largest and smallest values). Errors are
in units in the last place of the correctly rounded float32 result; the bounds are the ones
the kernels' docstrings state. Compiled with the generated code's fast-math flags."""
import numba
import numpy as np
import pytest
import scipy.special

from jitnet.runtime import numba_math as m
from jitnet.runtime.numba_backend import FASTMATH

F32 = np.finfo(np.float32)
SPECIAL = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, F32.smallest_subnormal,
                    -F32.smallest_subnormal, 1e-40, -1e-40, F32.tiny, -F32.tiny, F32.max,
                    -F32.max, 1.0, -1.0], np.float32)


def every_exponent() -> np.ndarray:
    """Every 4096th float32 bit pattern (2**20 values, NaN payloads included) and SPECIAL."""
    bits = np.arange(0, 1 << 32, 1 << 12, dtype=np.uint64).astype(np.uint32)
    return np.concatenate([bits.view(np.float32), SPECIAL])


def ulps(got: np.ndarray, ref64: np.ndarray) -> np.ndarray:
    """|got - ref| in float32 ulps of the rounded reference (denormal spacing below tiny);
    0 where both are the same NaN/Inf, inf where only one is."""
    with np.errstate(all="ignore"):
        ref = ref64.astype(np.float32)
        spacing = np.maximum(np.spacing(np.abs(ref)).astype(np.float64),
                             float(F32.smallest_subnormal))
        d = np.abs(got.astype(np.float64) - ref64) / spacing
    exact = (np.isnan(got) & np.isnan(ref)) | (np.isinf(ref) & (got == ref))
    d[exact] = 0
    d[np.isnan(d)] = np.inf
    return d


_COMPILED = {}


def run(f, x: np.ndarray) -> np.ndarray:
    """f over x in a loop compiled like the generated code (one compile per kernel)."""
    if f not in _COMPILED:
        @numba.njit(fastmath=FASTMATH, error_model="numpy")
        def loop(x, out):
            for i in range(x.shape[0]):
                out[i] = f(x[i])
            return out
        _COMPILED[f] = loop
    return _COMPILED[f](x, np.empty_like(x))


def _grid(*parts) -> np.ndarray:
    return np.concatenate([np.asarray(p, np.float64) for p in parts]).astype(np.float32)


# name: (kernel, float64 reference, extra points, max ulp as the docstring states)
CASES = {
    "exp": (m.jn_exp_f32, np.exp, _grid(np.linspace(-104.5, 89, 200001)), 1.0),
    "log": (m.jn_log_f32, np.log, _grid(np.linspace(0.5, 2, 100001)), 1.0),
    "log1p": (m.jn_log1p_f32, np.log1p,
              _grid(np.linspace(-0.999, 2, 100001), -np.geomspace(1e-30, 1, 5001)), 2.5),
    "expm1": (m.jn_expm1_f32, np.expm1,
              _grid(np.linspace(-20, 89, 100001), np.geomspace(1e-30, 1, 5001),
                    -np.geomspace(1e-30, 1, 5001)), 1.5),
    "tanh": (m.jn_tanh_f32, np.tanh,
             _grid(np.linspace(-9.5, 9.5, 400001), np.geomspace(1e-6, 10, 100001)), 4.8),
    "erf": (m.jn_erf_f32, scipy.special.erf,
            _grid(np.linspace(-4.5, 4.5, 400001), np.geomspace(1e-6, 4, 100001)), 5.3),
    "logistic": (m.jn_logistic_f32, scipy.special.expit,
                 _grid(np.linspace(-105, 20, 200001)), 2.5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_ulp_error(name):
    f, ref, extra, bound = CASES[name]
    x = np.concatenate([every_exponent(), extra, -extra])
    got = run(f, x)
    assert got.dtype == np.float32
    with np.errstate(all="ignore"):
        d = ulps(got, ref(x.astype(np.float64)))
    i = int(np.argmax(d))
    assert d[i] <= bound, f"{name}: {d[i]:.2f} ulp at x={x[i]!r} (got {got[i]!r})"


def _signbit(f, x) -> bool:
    return bool(np.signbit(run(f, np.array([x], np.float32))[0]))


def test_specials_exact():
    inf, nan = np.float32(np.inf), np.float32(np.nan)
    exact = [  # (kernel, input, output) that must hold bit for bit (up to NaN payload)
        (m.jn_exp_f32, -inf, 0.0), (m.jn_exp_f32, inf, inf), (m.jn_exp_f32, 0.0, 1.0),
        (m.jn_exp_f32, 88.8, inf), (m.jn_exp_f32, -104.0, 0.0),
        (m.jn_log_f32, 0.0, -inf), (m.jn_log_f32, -0.0, -inf), (m.jn_log_f32, -1.0, nan),
        (m.jn_log_f32, inf, inf), (m.jn_log_f32, -inf, nan), (m.jn_log_f32, 1.0, 0.0),
        (m.jn_log1p_f32, -1.0, -inf), (m.jn_log1p_f32, -2.0, nan), (m.jn_log1p_f32, inf, inf),
        (m.jn_expm1_f32, -inf, -1.0), (m.jn_expm1_f32, inf, inf), (m.jn_expm1_f32, -30.0, -1.0),
        (m.jn_tanh_f32, inf, 1.0), (m.jn_tanh_f32, -inf, -1.0), (m.jn_tanh_f32, 9.02, 1.0),
        (m.jn_tanh_f32, -1e30, -1.0), (m.jn_tanh_f32, 1e-30, 1e-30),
        (m.jn_logistic_f32, inf, 1.0), (m.jn_logistic_f32, -inf, 0.0),
        (m.jn_logistic_f32, 0.0, 0.5), (m.jn_erf_f32, inf, 1.0), (m.jn_erf_f32, -inf, -1.0),
        (m.jn_erf_f32, 3.92, 1.0), (m.jn_erf_f32, -3.92, -1.0),
    ]
    for f, x, want in exact:
        got = run(f, np.array([x], np.float32))[0]
        assert (np.isnan(got) and np.isnan(want)) or got == np.float32(want), \
            f"{f.__name__}({x}) = {got!r}, want {want!r}"
    for f in (m.jn_exp_f32, m.jn_log_f32, m.jn_log1p_f32, m.jn_expm1_f32, m.jn_tanh_f32,
              m.jn_logistic_f32, m.jn_erf_f32):
        assert np.isnan(run(f, np.array([nan], np.float32))[0]), f.__name__
    # odd functions keep the sign of zero and of the tiniest inputs
    for f in (m.jn_tanh_f32, m.jn_expm1_f32, m.jn_log1p_f32, m.jn_erf_f32):
        assert _signbit(f, -0.0) and not _signbit(f, 0.0), f.__name__
    for f in (m.jn_tanh_f32, m.jn_expm1_f32, m.jn_log1p_f32):
        assert run(f, np.array([-1e-45], np.float32))[0] == np.float32(-1e-45), f.__name__

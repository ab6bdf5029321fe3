"""Semantics of numba_math's scalar helpers (XLA's: NaN-propagating max/min, C-style integer
division, saturating casts). The transcendentals' accuracy: test_transcendental_ulp.py."""
import numba
import numpy as np

from jitnet.runtime import numba_math as m


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

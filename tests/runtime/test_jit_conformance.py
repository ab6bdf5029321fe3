"""jit equals eager for every op record (the Numba backend against the NumPy reference)."""
import numpy as np
import pytest

import jitnet
from jitnet.testing.records import RECORDS


def _assert_same(got, want, rtol):
    got = got if isinstance(got, (tuple, list)) else [got]
    want = want if isinstance(want, (tuple, list)) else [want]
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        if g.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.id)
def test_jit_matches_eager(rec):
    args = rec.draw(np.random.RandomState(3))
    want = rec.fun(*args)
    got = jitnet.jit(rec.fun)(*args)
    _assert_same(got, want, 2e-6)

"""jit equals eager for every op record (the Numba backend against the NumPy reference)."""
import numpy as np
import pytest

import jitnet
from jitnet.testing import assert_same
from jitnet.testing.records import RECORDS


@pytest.mark.slow
@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.id)
def test_jit_matches_eager(rec):
    args = rec.draw(np.random.RandomState(3))
    want = rec.fun(*args)
    got = jitnet.jit(rec.fun)(*args)
    assert_same(got, want, 2e-6)

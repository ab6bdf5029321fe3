"""jit(backend="cuda") equals eager NumPy for every op record, under the CUDA simulator."""
import numpy as np
import pytest

import jitnet
from jitnet.codegen.cuda_ops import LINALG
from jitnet.runtime.devices import CudaArray
from jitnet.testing.records import RECORDS

LOWERED = [r for r in RECORDS if r.prim not in LINALG]


def assert_same(got, want, rtol):
    got = got if isinstance(got, (tuple, list)) else [got]
    want = want if isinstance(want, (tuple, list)) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, CudaArray), type(g)  # results stay on the device
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        if g.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("rec", LOWERED, ids=lambda r: r.id)
def test_cuda_jit_matches_eager(rec):
    args = rec.draw(np.random.RandomState(3))
    want = rec.fun(*args)
    got = jitnet.jit(rec.fun, backend="cuda")(*args)
    assert_same(got, want, 2e-6)

"""jit(backend="cuda") equals eager NumPy for every op record, under the CUDA simulator."""
import numpy as np
import pytest

import jitnet
from jitnet.codegen.cuda.ops import LINALG
from jitnet.runtime.devices import CudaArray
from jitnet.testing import assert_same
from jitnet.testing.records import RECORDS

LOWERED = [r for r in RECORDS if r.prim not in LINALG]


def assert_on_device_and_same(got, want, rtol):
    leaves = got if isinstance(got, (tuple, list)) else [got]
    assert all(isinstance(g, CudaArray) for g in leaves), [type(g) for g in leaves]
    assert_same(got, want, rtol)    # results stay on the device, and equal eager's


@pytest.mark.parametrize("rec", LOWERED, ids=lambda r: r.id)
def test_cuda_jit_matches_eager(rec):
    args = rec.draw(np.random.RandomState(3))
    want = rec.fun(*args)
    got = jitnet.jit(rec.fun, backend="cuda")(*args)
    assert_on_device_and_same(got, want, 2e-6)

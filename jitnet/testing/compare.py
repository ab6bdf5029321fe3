"""``assert_same``: two results agree leaf by leaf, as the jit-vs-eager tests need them to."""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _leaves(item)]
    return [np.asarray(x)]


def assert_same(got, want, rtol=None):
    """Same structure (nested tuples and lists), shapes and dtypes; floating and complex
    values equal to ``rtol`` (used as the absolute tolerance too; by default 2e-5 for 32-bit
    floats, 1e-12 otherwise), NaN and inf in the same places; everything else exactly."""
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want), (len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        assert (g.shape, g.dtype) == (w.shape, w.dtype), (i, g.shape, g.dtype, w.shape, w.dtype)
        if kind_of(g.dtype) in "fc":
            tol = rtol if rtol is not None else (2e-5 if g.dtype == np.float32 else 1e-12)
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True,
                                       err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"output {i}")

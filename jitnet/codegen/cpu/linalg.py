"""CPU lowering of the linear-algebra primitives (cholesky, lu, triangular_solve, eigh,
qr, svd).

Each primitive becomes one call of its shape-generic C kernel (``jitnet/kernels/linalg.py``,
compiled once per machine), which loops over the batch and calls, per matrix, a helper of
``runtime/numba_math.py`` (``jn_cholesky_f32``, ``jn_eigh``, ...). The helpers call the
LAPACK / BLAS routines the NumPy impls call, with the same arguments, so results agree with
eager execution to rounding: NaNs where a factorization fails, inf/NaN from singular
triangular solves, int32 0-based pivots, and LAPACK's own eigenvector and singular-vector
signs (the impls do not normalize them).
"""
from __future__ import annotations

import numpy as np

from .ops import _alloc, _ins, generator
from ..scalar import cast

_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


def _call(e, names, w, flags=(), extra=()):
    """``jn_linalg_<prim>_<dtype>(operands, outputs, extra, flags)``: one call of the shape-generic
    kernel (jitnet/kernels/linalg.py), which loops over the batch itself."""
    dt = e.inputs[0].aval.dtype
    if dt not in _DTYPES:
        raise NotImplementedError(f"{e.prim.name} on {dt.name}: the numba backend lowers "
                                  f"linear algebra for float32 and float64 only")
    outs = [names.var(v) for v in e.outputs]
    for o, v in zip(outs, e.outputs):
        w(f"{o} = {_alloc(v)}")
    args = _ins(e, names) + outs + list(extra) + [str(int(bool(f))) for f in flags]
    w(f"jn_linalg_{e.prim.name}_{_DTYPES[dt]}({', '.join(args)})")
    return outs


@generator("cholesky")
def _cholesky(e, names, w):
    _call(e, names, w)


@generator("lu")
def _lu(e, names, w):
    _call(e, names, w)


@generator("triangular_solve")
def _triangular_solve(e, names, w):
    p = e.params
    _call(e, names, w, [p[k] for k in ("left_side", "lower", "transpose_a", "unit_diagonal")])


@generator("eigh")
def _eigh(e, names, w):
    _call(e, names, w, [e.params["lower"]])


@generator("qr")
def _qr(e, names, w):
    _call(e, names, w)


@generator("svd")
def _svd(e, names, w):
    p = e.params
    if p["compute_uv"]:
        _call(e, names, w, [p["full_matrices"], True])
        return
    none = names.temp()  # u and vt: not computed
    w(f"{none} = np.empty((0, 0), dtype={cast(e.outputs[0].aval.dtype)})")
    _call(e, names, w, [p["full_matrices"], False], extra=[none, none])

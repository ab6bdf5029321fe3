"""CPU lowering of the linear-algebra primitives (cholesky, lu, triangular_solve, eigh,
qr, svd).

Each primitive becomes a loop over its leading batch dimensions calling one helper per
matrix from ``runtime/numba_math.py`` (``jn_cholesky_f32``, ``jn_eigh``, ...). The
helpers call the LAPACK / BLAS routines the NumPy impls call, with the same arguments,
so results agree with eager execution to rounding: NaNs where a factorization fails,
inf/NaN from singular triangular solves, int32 0-based pivots, and LAPACK's own
eigenvector and singular-vector signs (the impls do not normalize them).
"""
from __future__ import annotations

import numpy as np

from .ops import _alloc, _close, _ins, _loops, _shape, generator
from ..scalar import cast

_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def _flag(v) -> str:
    """A bool argument Numba types as ``boolean``, not ``Literal[bool]``: a bare True/False
    would compile the helper once per flag combination."""
    return f"np.bool_({bool(v)})"


def _suffix(e) -> str:
    dt = e.inputs[0].aval.dtype
    if dt not in _SUFFIX:
        raise NotImplementedError(f"{e.prim.name} on {dt.name}: the numba backend lowers "
                                  f"linear algebra for float32 and float64 only")
    return _SUFFIX[dt]


def _outs(e, names, w):
    outs = [names.var(v) for v in e.outputs]
    for o, v in zip(outs, e.outputs):
        w(f"{o} = {_alloc(v)}")
    return outs


def _per_matrix(e, names, w, call: str):
    """Emit ``call`` (a format string over the operands' and outputs' matrices) once per
    batch element; the batch dims are the leading dims of the first operand but two."""
    _suffix(e)
    ins = _ins(e, names)
    outs = _outs(e, names, w)
    batch = _shape(e.inputs[0])[:-2]
    idx = _loops(w, batch, "b")
    at = (lambda x: f"{x}[{', '.join(idx)}]") if idx else (lambda x: x)
    w(call.format(*[at(x) for x in ins], *[at(o) for o in outs]))
    _close(w, batch)


@generator("cholesky")
def _cholesky(e, names, w):
    _per_matrix(e, names, w, f"jn_cholesky_{_suffix(e)}({{0}}, {{1}})")


@generator("lu")
def _lu(e, names, w):
    _per_matrix(e, names, w, f"jn_lu_{_suffix(e)}({{0}}, {{1}}, {{2}}, {{3}})")


@generator("triangular_solve")
def _triangular_solve(e, names, w):
    p = e.params
    flags = ", ".join(_flag(p[k]) for k in ("left_side", "lower", "transpose_a", "unit_diagonal"))
    _per_matrix(e, names, w, f"jn_triangular_solve_{_suffix(e)}({{0}}, {{1}}, {{2}}, {flags})")


@generator("eigh")
def _eigh(e, names, w):
    _per_matrix(e, names, w, f"jn_eigh({{0}}, {{1}}, {{2}}, {_flag(e.params['lower'])})")


@generator("qr")
def _qr(e, names, w):
    _per_matrix(e, names, w, "jn_qr({0}, {1}, {2})")


@generator("svd")
def _svd(e, names, w):
    p = e.params
    full, uv = _flag(p["full_matrices"]), bool(p["compute_uv"])
    if uv:
        _per_matrix(e, names, w, f"jn_svd({{0}}, {{1}}, {{2}}, {{3}}, {full}, {_flag(True)})")
        return
    none = names.temp()
    w(f"{none} = np.empty((0, 0), dtype={cast(e.outputs[0].aval.dtype)})")
    _per_matrix(e, names, w, f"jn_svd({{0}}, {{1}}, {none}, {none}, {full}, {_flag(False)})")

"""CPU source for the equations that are not fused into loops (``OpKernel``s).

``GENERATORS[prim_name](eqn, names, w)`` writes the statements computing ``eqn``'s
outputs. Matrix products go to BLAS gemm (``jn_gemm_*``) on 2-D views, one call per batch
element: transposed and strided views (batch dims anywhere, ``core.gemm_layout``) instead of
copies when the operand layout allows; the rest are explicit loops.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ...core import gemm_layout
from ...core.ir import Var
from ..dims import Dim, decide
from ..registry import generator_table
from ..scalar import cast


GENERATORS, generator = generator_table()


def emit(eqn, names, w):
    gen = GENERATORS.get(eqn.prim.name)
    if gen is None:
        if "op_call" not in eqn.prim.lowering:
            raise NotImplementedError(f"the numba backend has no lowering for primitive "
                                      f"'{eqn.prim.name}'")
        gen = _user_op
    w(f"# {eqn.prim.name}")
    gen(eqn, names, w)


def _user_op(eqn, names, w):
    """A user primitive's array Numba function (``Primitive.def_numba_op``): called on the
    operands, its results checked against the declared shapes (a mismatch would index out of
    bounds in the kernels that read them)."""
    outs = [_out(eqn, names, i) for i in range(len(eqn.outputs))]
    w(f"{', '.join(outs)}{',' if len(outs) == 1 and eqn.prim.multiple_results else ''} = "
      f"{eqn.prim.lowering['op_call']}({', '.join(_ins(eqn, names))})")
    for o, v in zip(outs, eqn.outputs):
        w(f"{o} = np.ascontiguousarray({o})")
        w(f"if {o}.shape != {_shape(v)!r}:")
        w(f"    raise ValueError('primitive {eqn.prim.name}: its Numba function returned an "
          f"array of another shape than its abstract eval declared ({_shape(v)!r})')")


def _ins(eqn, names):
    return [names.atom(a) for a in eqn.inputs]


def _out(eqn, names, i=0):
    return names.var(eqn.outputs[i])


def _shape(a):
    return tuple(a.aval.shape)


def _alloc(v):
    return f"np.empty({_shape(v)!r}, dtype={cast(v.aval.dtype)})"


def _loops(w, shape, prefix="i"):
    for d, n in enumerate(shape):
        w(f"for {prefix}{d} in range({n}):")
        w.indent()
    return tuple(f"{prefix}{d}" for d in range(len(shape)))


def _close(w, shape):
    for _ in shape:
        w.dedent()


def _sub(idx):
    return ", ".join(idx) if idx else "()"


# -- dot_general ----------------------------------------------------------------------------

def _matrix_view(x: str, shape, batch, free, contract, names, w):
    """Source of a (B, rows, K) C-contiguous view of ``x`` and whether rows/K are swapped.

    Returns (name, transposed): when ``transposed`` the view is (B, K, rows) and each batch
    slice must be used as ``.T`` (an F-contiguous matrix BLAS accepts without a copy).
    """
    nd = len(shape)
    B = math.prod(shape[i] for i in batch)
    R = math.prod(shape[i] for i in free)
    K = math.prod(shape[i] for i in contract)
    t = names.temp()
    if tuple(batch) + tuple(free) + tuple(contract) == tuple(range(nd)):
        w(f"{t} = {x}.reshape(({B}, {R}, {K}))")
        return t, False
    if tuple(batch) + tuple(contract) + tuple(free) == tuple(range(nd)):
        w(f"{t} = {x}.reshape(({B}, {K}, {R}))")
        return t, True
    perm = tuple(batch) + tuple(free) + tuple(contract)
    w(f"{t} = np.ascontiguousarray(np.transpose({x}, {perm!r})).reshape(({B}, {R}, {K}))")
    return t, False


def _strided_view(x: str, shape, batch, free, contract, names, w):
    """A view of ``x`` whose leading axes are its batch dims (in ``batch`` order) and whose
    last two are one matrix BLAS reads in place (``core.gemm_layout.strided``: attention's
    (B, T, H, D) with batch dims B and H). Returns (name, transposed) as ``_matrix_view``
    does, or None when ``x`` needs a copy."""
    if not gemm_layout.strided(len(shape), batch, free, contract):
        return None
    merged, pos = [], {}          # merged sizes; original first dim of a group -> merged axis
    for d, n in enumerate(shape):
        if d in free[1:] or d in contract[1:]:
            continue
        pos[d] = len(merged)
        group = free if d == free[0] else contract if d == contract[0] else (d,)
        merged.append(math.prod(shape[i] for i in group))
    transposed = free[-1] == len(shape) - 1
    mat = [pos[contract[0]], pos[free[0]]] if transposed else [pos[free[0]], pos[contract[0]]]
    order = tuple(pos[b] for b in batch) + tuple(mat)
    t = names.temp()
    src = f"{x}.reshape({tuple(merged)!r})"
    w(f"{t} = {src}" if order == tuple(range(len(merged))) else
      f"{t} = np.transpose({src}, {order!r})")
    return t, transposed


def _operand(x: str, shape, batch, free, contract, names, w):
    """(view, transposed, split): ``split`` when the view's leading axes are the batch dims
    one by one (``_strided_view``), else one flattened batch axis (``_matrix_view``)."""
    if not gemm_layout.canonical(len(shape), batch, free, contract):
        v = _strided_view(x, shape, batch, free, contract, names, w)
        if v is not None:
            return (*v, True)
    return (*_matrix_view(x, shape, batch, free, contract, names, w), False)


# Matrix products of at least this many multiply-adds run in parallel on Numba's pool, as
# row blocks of at least GEMM_MIN_ROWS rows, each a single-threaded BLAS call (see
# runtime/threads.py for why BLAS's own threads are off). Below it one call on one thread.
GEMM_PARALLEL_WORK = 1 << 22
GEMM_MIN_ROWS = 16


def _row_blocks(B: int, M: int, work: int) -> int | str:
    """Row blocks per product for a parallel product, or 0 to keep it serial; or, when that
    depends on a run-time size (``dims.decide``), the expression computing it at run time
    (a count that may be 0 or make B * S == 1: serial then)."""
    cores = os.cpu_count() or 1
    big = decide(work, GEMM_PARALLEL_WORK)
    if cores < 2 or big is False:
        return 0
    if big is None or isinstance(B, Dim) or isinstance(M, Dim):
        return (f"(0 if {work} < {GEMM_PARALLEL_WORK} else 1 if {B} >= {cores} "
                f"else min(-(-{cores} // {B}), {M} // {GEMM_MIN_ROWS}))")
    S = 1 if B >= cores else min(-(-cores // B), M // GEMM_MIN_ROWS)
    return S if B * S > 1 else 0


def _batch_index(q: str, sizes, names, w) -> list[str]:
    """Emit the per-dim indices (C order over ``sizes``) of flat batch index ``q``."""
    if len(sizes) == 1:
        return [q]
    idx, inner = [], 1
    for n in reversed(sizes):
        t = names.temp()
        w(f"{t} = {q} // {inner} % {n}" if inner != 1 else f"{t} = {q} % {n}")
        idx.append(t)
        inner = inner * n
    return idx[::-1]


def _integer_dot(e, A, at, Bv, bt, B, M, N, names, w):
    """Integer, boolean and complex products (``jn_gemm_*`` is sgemm/dgemm only): loops."""
    (lc, _), _ = e.params["dimension_numbers"]
    dt = e.outputs[0].aval.dtype
    K = math.prod(_shape(e.inputs[0])[i] for i in lc)
    r = names.temp()
    w(f"{r} = np.zeros(({B}, {M}, {N}), dtype={cast(dt)})")
    w(f"for q in range({B}):")
    w.indent()
    w(f"for m in range({M}):")
    w.indent()
    w(f"for kk in range({K}):")
    w.indent()
    w(f"av = {A}[q, kk, m] if {at} else {A}[q, m, kk]")
    w(f"for n in range({N}):")
    w.indent()
    w(f"{r}[q, m, n] = {cast(dt)}({r}[q, m, n] + av * ({Bv}[q, kk, n] if {bt} else "
      f"{Bv}[q, n, kk]))")
    for _ in range(4):
        w.dedent()
    w(f"{_out(e, names)} = {r}.reshape({_shape(e.outputs[0])!r})")


@generator("dot_general")
def _dot_general(e, names, w):
    lhs, rhs = e.inputs
    out = e.outputs[0]
    (lc, rc), (lb, rb) = e.params["dimension_numbers"]
    ls, rs = _shape(lhs), _shape(rhs)
    lf = tuple(i for i in range(len(ls)) if i not in lc and i not in lb)
    rf = tuple(i for i in range(len(rs)) if i not in rc and i not in rb)
    dt = out.aval.dtype
    a, b = names.atom(lhs), names.atom(rhs)
    if lhs.aval.dtype != dt:
        a2 = names.temp()
        w(f"{a2} = {a}.astype({cast(dt)})")
        a = a2
    if rhs.aval.dtype != dt:
        b2 = names.temp()
        w(f"{b2} = {b}.astype({cast(dt)})")
        b = b2
    B = math.prod(ls[i] for i in lb)
    M = math.prod(ls[i] for i in lf)
    N = math.prod(rs[i] for i in rf)
    if dt.kind != "f":
        A, at = _matrix_view(a, ls, lb, lf, lc, names, w)
        Bv, bt = _matrix_view(b, rs, rb, rf, rc, names, w)
        _integer_dot(e, A, at, Bv, bt, B, M, N, names, w)
        return
    lc, rc = gemm_layout.contract_pairs(lc, rc)
    A, at, asplit = _operand(a, ls, lb, lf, lc, names, w)
    Bv, bt, bsplit = _operand(b, rs, rb, rf, rc, names, w)   # (.., N, K), or (.., K, N) if bt
    o = _out(e, names)
    r = names.temp()
    # BLAS gemm on row-contiguous matrices with transpose flags: a (N, K) rhs matrix is op(B)
    # transposed, a (K, M) lhs matrix is op(A) transposed
    gemm = f"jn_gemm_{'f32' if dt == np.float32 else 'f64'}"
    ta, tb = f"np.bool_({at})", f"np.bool_({not bt})"
    w(f"{r} = np.empty(({B}, {M}, {N}), dtype={cast(dt)})")
    K = math.prod(ls[i] for i in lc)
    S = _row_blocks(B, M, B * M * N * K)
    bsizes = [ls[i] for i in lb]

    def sub(view, lead, rows=()):
        return f"{view}[{', '.join(lead + list(rows))}]" if lead or rows else view

    def call(q, rows, scratch):
        """The gemm for flat batch index ``q`` (``rows``: a row-block slice or None)."""
        idx = _batch_index(q, bsizes, names, w) if (asplit or bsplit) and bsizes else []
        lead_a = idx if asplit else [q]
        lead_b = idx if bsplit else [q]
        block = () if rows is None else ((":", rows) if at else (rows,))
        w(f"{gemm}({sub(A, lead_a, block)}, {sub(Bv, lead_b)}, "
          f"{sub(r, [q], () if rows is None else (rows,))}, {ta}, {tb}, {scratch})")

    def row_blocks(S):
        # work items (product q, row block t) over Numba's pool, BLAS single-threaded in each;
        # the blocks are fixed here, so results do not depend on the thread count
        i, q, r0, r1 = names.temp(), names.temp(), names.temp(), names.temp()
        w(f"for {i} in prange({B * S if isinstance(S, int) else f'{B} * {S}'}):")
        w.indent()
        w(f"{q} = {i} // {S}")
        w(f"{r0} = {i} % {S} * {M} // {S}")
        w(f"{r1} = ({i} % {S} + 1) * {M} // {S}")
        call(q, f"{r0}:{r1}", "np.empty(8, dtype=np.int64)")
        w.dedent()

    def serial():
        scratch = names.shared("blas_scratch", "np.empty(8, dtype=np.int64)")
        if B == 1:
            call("0", None, scratch)
            return
        w(f"for q in range({B}):")
        w.indent()
        call("q", None, scratch)
        w.dedent()

    if isinstance(S, str):  # both, chosen by the sizes of the call: one text for all sizes
        blocks = names.temp()
        w(f"{blocks} = {S}")
        w(f"if {B} * {blocks} > 1:")
        w.indent()
        row_blocks(blocks)
        w.dedent()
        w("else:")
        w.indent()
        serial()
        w.dedent()
    elif S:
        row_blocks(S)
    else:
        serial()
    w(f"{o} = {r}.reshape({_shape(out)!r})")


# -- data movement ---------------------------------------------------------------------------

@generator("concatenate")
def _concatenate(e, names, w):
    """Element loops per operand (multi-dimensional slice assignment is slow to compile)."""
    o = _out(e, names)
    w(f"{o} = {_alloc(e.outputs[0])}")
    d = e.params["dimension"]
    start = 0
    for a, x in zip(e.inputs, _ins(e, names)):
        shape = _shape(a)
        idx = _loops(w, shape)
        tgt = list(idx)
        tgt[d] = f"{start} + {idx[d]}" if start else idx[d]
        src = names.atom(a) if isinstance(a, Var) else None
        w(f"{o}[{_sub(tgt)}] = {x}[{_sub(idx)}]" if src else f"{o}[{_sub(tgt)}] = {x}")
        _close(w, shape)
        start += shape[d]


@generator("pad")
def _pad(e, names, w):
    x, pv = _ins(e, names)
    o = _out(e, names)
    cfg = e.params["padding_config"]
    src = _shape(e.inputs[0])
    pvv = _scalar_of(e.inputs[1], pv)
    w(f"{o} = np.full({_shape(e.outputs[0])!r}, {pvv}, dtype={cast(e.outputs[0].aval.dtype)})")
    idx = _loops(w, src)
    tgt = [f"({lo} + {i} * {it + 1})" for (lo, hi, it), i in zip(cfg, idx)]
    conds = [f"0 <= {t} < {n}" for t, n in zip(tgt, _shape(e.outputs[0]))]
    if conds:
        w(f"if {' and '.join(conds)}:")
        w.indent()
        w(f"{o}[{', '.join(tgt)}] = {x}[{_sub(idx)}]")
        w.dedent()
    else:
        w(f"{o}[()] = {x}[()]")
    _close(w, src)


def _scalar_of(a, name: str) -> str:
    """A 0-d operand as a scalar expression (arrays are read with [()], literals are already
    scalars)."""
    return f"{name}[()]" if isinstance(a, Var) else name


def _clamped_starts(e, names, w, starts, shape, sizes, first=1):
    out = []
    for a, s, d, n in zip(e.inputs[first:], starts, shape, sizes):
        t = names.temp()
        w(f"{t} = min(max(np.int64({_scalar_of(a, s)}), 0), {d - n})")
        out.append(t)
    return out


@generator("dynamic_slice")
def _dynamic_slice(e, names, w):
    x, *starts = _ins(e, names)
    sizes = e.params["slice_sizes"]
    st = _clamped_starts(e, names, w, starts, _shape(e.inputs[0]), sizes)
    sl = ", ".join(f"{s}:{s} + {n}" for s, n in zip(st, sizes)) or "()"
    w(f"{_out(e, names)} = np.ascontiguousarray({x}[{sl}])")


@generator("dynamic_update_slice")
def _dynamic_update_slice(e, names, w):
    x, u, *starts = _ins(e, names)
    usz = _shape(e.inputs[1])
    st = _clamped_starts(e, names, w, starts, _shape(e.inputs[0]), usz, first=2)
    o = _out(e, names)
    w(f"{o} = {x}.copy()")
    sl = ", ".join(f"{s}:{s} + {n}" for s, n in zip(st, usz)) or "()"
    w(f"{o}[{sl}] = {u}")


@generator("iota")
def _iota(e, names, w):
    p = e.params
    o = _out(e, names)
    w(f"{o} = {_alloc(e.outputs[0])}")
    idx = _loops(w, p["shape"])
    w(f"{o}[{_sub(idx)}] = {idx[p['dimension']]}")
    _close(w, p["shape"])


# families lowered in their own modules (each registers its generators on import)
from . import along_axis, control, conv, indexing, linalg, random  # noqa: E402,F401

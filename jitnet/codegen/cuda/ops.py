"""CUDA kernels for the equations that are not fused into loops (``OpKernel``s).

``GENERATORS[prim_name](gen, eqn)`` writes the kernels computing ``eqn``'s outputs and the
host statements launching them (``gen`` is a ``codegen.cuda.Gen``). Most are one thread per
output element with index arithmetic over flat buffers. The ones with a choice to make:

* ``dot_general``: a tiled shared-memory matmul over (batch, rows, cols) tiles; operand
  layouts are read through offset arithmetic, so transposed operands need no copy.
* ``argmax``/``argmin``: a block per output, (value, index) pairs combined in a shared-memory
  tree; ties and NaN resolve as NumPy (first index, first NaN).
* ``scatter``: ``add`` on float32/64 and 32/64-bit integers uses atomics (float sums may then
  differ from the CPU in the last bits, run to run); ``max``/``min`` use atomics with NaN
  kept in a separate flag (exact, order-free); ``set`` resolves duplicates deterministically
  (last writer wins, as on the CPU) with an atomic max of the update index per target;
  ``mul`` and other dtypes run one thread per target column, updates in order.
* ``sort``: stable, by rank (each element counts the keys that sort before it): O(n^2) per
  row but parallel and deterministic; NaN sorts last as in NumPy.
* cumulative ops: a thread per line, sequential along the axis (the CPU's order).
"""
from __future__ import annotations

import math

import numpy as np

from .gen import Gen, next_pow2, numba_type, offset, size_of, unravel
from ..registry import generator_table
from ..scalar import cast

GENERATORS, generator = generator_table()


LINALG = ("cholesky", "lu", "triangular_solve", "eigh", "qr", "svd")


def emit(gen: Gen, eqn):
    name = eqn.prim.name
    gen_fn = GENERATORS.get(name)
    if gen_fn is None:
        hint = (" (linear algebra runs on the CPU backend only: jit it with backend='cpu')"
                if name in LINALG else "")
        raise NotImplementedError(f"the cuda backend has no lowering for primitive "
                                  f"'{name}'{hint}")
    gen.host(f"# {name}")
    gen_fn(gen, eqn)


def _shape(a):
    return tuple(a.aval.shape)


def _idx_names(prefix, n):
    return [f"{prefix}{d}" for d in range(n)]


def zero_of(dtype) -> str:
    return "False" if np.dtype(dtype) == np.bool_ else f"{cast(dtype)}(0)"


def copy_into(gen: Gen, dst: str, src, n: int, describe="copy"):
    """``dst[:n] = src`` (``src`` a Var) on the device."""
    k = gen.grid_loop(describe, n)
    k.w(f"{k.arg(dst)}[fl] = {k.load(src, 'fl')}")
    gen.launch(k, n)


# -- dot_general ------------------------------------------------------------------------------

def group_offset(w, var: str, dims, shape, name: str) -> str:
    """Emit ``name`` = offset, in an operand of ``shape``, of flat index ``var`` over the operand
    dims ``dims`` (C order over them); returns ``name`` (or '0')."""
    sizes = [shape[d] for d in dims]
    st = _strides(shape)
    live = [(d, n) for d, n in zip(dims, sizes) if n != 1]
    if not live:
        return "0"
    # dims contiguous in memory in this order: one multiply
    if all(st[a] == st[b] * nb for (a, _), (b, nb) in zip(live, live[1:])):
        s = st[live[-1][0]]
        w(f"{name} = {var}" + (f" * {s}" if s != 1 else ""))
        return name
    terms, rest = [], var
    for j, (d, n) in enumerate(reversed(live)):
        i = rest if j == len(live) - 1 else f"({rest} % {n})"
        terms.append(i if st[d] == 1 else f"{i} * {st[d]}")
        rest = f"({rest} // {n})"
    w(f"{name} = {' + '.join(terms)}")
    return name


def _strides(shape):
    out, s = [], 1
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


@generator("dot_general")
def _dot_general(gen: Gen, e):
    lhs, rhs = e.inputs
    out = e.outputs[0]
    (lc, rc), (lb, rb) = e.params["dimension_numbers"]
    ls, rs = _shape(lhs), _shape(rhs)
    lf = tuple(i for i in range(len(ls)) if i not in lc and i not in lb)
    rf = tuple(i for i in range(len(rs)) if i not in rc and i not in rb)
    B = math.prod(ls[i] for i in lb)
    M = math.prod(ls[i] for i in lf)
    N = math.prod(rs[i] for i in rf)
    K = math.prod(ls[i] for i in lc)
    dt = out.aval.dtype
    o = gen.alloc(out)
    if B * M * N == 0:
        return
    T = max(1, min(gen.limits.tile, next_pow2(max(M, N))))
    TM, TN, KT = -(-M // T), -(-N // T), -(-K // T)
    k = gen.kernel(f"dot_general tiled {B}x{M}x{N} K={K} (tile {T})")
    w = k.w
    load_a = (lambda s: s) if lhs.aval.dtype == dt else (lambda s: f"{cast(dt)}({s})")
    load_b = (lambda s: s) if rhs.aval.dtype == dt else (lambda s: f"{cast(dt)}({s})")
    z = zero_of(dt)
    w(f"sa = cuda.shared.array(({T}, {T}), {numba_type(dt)})")
    w(f"sb = cuda.shared.array(({T}, {T}), {numba_type(dt)})")
    w("tx = cuda.threadIdx.x")
    w("ty = cuda.threadIdx.y")
    w(f"for tile in range(cuda.blockIdx.x, {B * TM * TN}, cuda.gridDim.x):")
    w.indent()
    w(f"q = tile // {TM * TN}")
    w(f"tr = tile % {TM * TN}")
    w(f"m = (tr // {TN}) * {T} + ty")
    w(f"n = (tr % {TN}) * {T} + tx")
    w(f"mc = m if m < {M} else {M - 1}")  # clamped: idle threads' offsets stay in bounds
    w(f"nc = n if n < {N} else {N - 1}")
    oqa = group_offset(w, "q", lb, ls, "oqa")
    oma = group_offset(w, "mc", lf, ls, "oma")
    oqb = group_offset(w, "q", rb, rs, "oqb")
    onb = group_offset(w, "nc", rf, rs, "onb")
    w(f"acc = {z}")
    w(f"for kt in range({KT}):")
    w.indent()
    w(f"ka = kt * {T} + tx")
    w(f"kb = kt * {T} + ty")
    w(f"if m < {M} and ka < {K}:")
    w.indent()
    oka = group_offset(w, "ka", lc, ls, "oka")
    w(f"sa[ty, tx] = {load_a(k.load(lhs, f'{oqa} + {oma} + {oka}'))}")
    w.dedent()
    w("else:")
    w.indent()
    w(f"sa[ty, tx] = {z}")
    w.dedent()
    w(f"if kb < {K} and n < {N}:")
    w.indent()
    okb = group_offset(w, "kb", rc, rs, "okb")
    w(f"sb[ty, tx] = {load_b(k.load(rhs, f'{oqb} + {onb} + {okb}'))}")
    w.dedent()
    w("else:")
    w.indent()
    w(f"sb[ty, tx] = {z}")
    w.dedent()
    w("cuda.syncthreads()")
    w(f"for kk in range({T}):")
    w.indent()
    if np.dtype(dt) == np.bool_:
        w("acc = acc or (sa[ty, kk] and sb[kk, tx])")
    else:
        w("acc += sa[ty, kk] * sb[kk, tx]")
    w.dedent()
    w("cuda.syncthreads()")
    w.dedent()
    w(f"if m < {M} and n < {N}:")
    w.indent()
    w(f"{k.arg(o)}[(q * {M} + m) * {N} + n] = {cast(dt)}(acc)")
    gen.launch_blocks(k, min(B * TM * TN, gen.limits.max_blocks), f"({T}, {T})")


# -- data movement ---------------------------------------------------------------------------

@generator("concatenate")
def _concatenate(gen: Gen, e):
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    d = e.params["dimension"]
    shape = _shape(out)
    k = gen.grid_loop("concatenate", n)
    w = k.w
    idx = unravel(w, "fl", shape, _idx_names("ix", len(shape)))
    starts, start = [], 0
    for a in e.inputs:
        starts.append(start)
        start += _shape(a)[d]
    live = [(a, s) for a, s in zip(e.inputs, starts) if _shape(a)[d]]
    for j, (a, s) in enumerate(live):
        src = list(idx)
        src[d] = f"({idx[d]} - {s})" if s else idx[d]
        line = f"{k.arg(o)}[fl] = {k.buf(a)}[{offset(src, _shape(a))}]"
        if len(live) == 1:
            w(line)
            break
        end = s + _shape(a)[d]
        w(f"if {idx[d]} < {end}:" if j == 0 else
          f"elif {idx[d]} < {end}:" if j < len(live) - 1 else "else:")
        w.indent()
        w(line)
        w.dedent()
    gen.launch(k, n)


@generator("pad")
def _pad(gen: Gen, e):
    x, pv = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    cfg = e.params["padding_config"]
    src, dst = _shape(x), _shape(out)
    k = gen.grid_loop("pad", n)
    w = k.w
    padv = k.scalar(pv)
    idx = unravel(w, "fl", dst, _idx_names("ix", len(dst)))
    if 0 in src:
        w(f"{k.arg(o)}[fl] = {padv}")
        gen.launch(k, n)
        return
    conds, sidx = [], []
    for dd, ((lo, hi, it), i) in enumerate(zip(cfg, idx)):
        t = f"p{dd}"
        w(f"{t} = {i} - {lo}" if lo else f"{t} = {i}")
        if it:
            conds.append(f"{t} >= 0 and {t} % {it + 1} == 0 and {t} // {it + 1} < {src[dd]}")
            sidx.append(f"({t} // {it + 1})")
        else:
            conds.append(f"{t} >= 0 and {t} < {src[dd]}")
            sidx.append(t)
    if conds:
        w(f"if {' and '.join(conds)}:")
        w.indent()
        w(f"{k.arg(o)}[fl] = {k.load(x, offset(sidx, src))}")
        w.dedent()
        w("else:")
        w.indent()
        w(f"{k.arg(o)}[fl] = {padv}")
        w.dedent()
    else:
        w(f"{k.arg(o)}[fl] = {k.load(x, '0')}")
    gen.launch(k, n)


def _starts(k, starts, shape, sizes):
    """Clamped start indices (as XLA: the window always fits), read once per thread."""
    out = []
    for j, (s, d, m) in enumerate(zip(starts, shape, sizes)):
        t = f"st{j}"
        k.w(f"{t} = jn_clamp_index(np.int64({k.scalar(s)}), {d - m})")
        out.append(t)
    return out


@generator("dynamic_slice")
def _dynamic_slice(gen: Gen, e):
    x, *starts = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    sizes = e.params["slice_sizes"]
    k = gen.kernel("dynamic_slice")
    st = _starts(k, starts, _shape(x), sizes)
    k.w(f"for fl in range(cuda.grid(1), {n}, cuda.gridsize(1)):")
    k.w.indent()
    idx = unravel(k.w, "fl", sizes, _idx_names("ix", len(sizes)))
    src = [f"({i} + {s})" if i != "0" else s for i, s in zip(idx, st)]
    k.w(f"{k.arg(o)}[fl] = {k.load(x, offset(src, _shape(x)))}")
    gen.launch(k, n)


@generator("dynamic_update_slice")
def _dynamic_update_slice(gen: Gen, e):
    x, u, *starts = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    xs, us = _shape(x), _shape(u)
    k = gen.kernel("dynamic_update_slice")
    st = _starts(k, starts, xs, us)
    k.w(f"for fl in range(cuda.grid(1), {n}, cuda.gridsize(1)):")
    k.w.indent()
    w = k.w
    if not size_of(u):
        w(f"{k.arg(o)}[fl] = {k.load(x, 'fl')}")
        gen.launch(k, n)
        return
    idx = unravel(w, "fl", xs, _idx_names("ix", len(xs)))
    conds = [f"{s} <= {i} < {s} + {m}" for i, s, m in zip(idx, st, us)]
    w(f"if {' and '.join(conds) or 'True'}:")
    w.indent()
    w(f"{k.arg(o)}[fl] = {k.load(u, offset([f'({i} - {s})' for i, s in zip(idx, st)], us))}")
    w.dedent()
    w("else:")
    w.indent()
    w(f"{k.arg(o)}[fl] = {k.load(x, 'fl')}")
    gen.launch(k, n)


@generator("iota")
def _iota(gen: Gen, e):
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    p = e.params
    k = gen.grid_loop("iota", n)
    idx = unravel(k.w, "fl", p["shape"], _idx_names("ix", len(p["shape"])))
    k.w(f"{k.arg(o)}[fl] = {cast(out.aval.dtype)}({idx[p['dimension']]})")
    gen.launch(k, n)


from . import along_axis, control, conv, indexing, random  # noqa: E402,F401

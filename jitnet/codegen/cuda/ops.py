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

from .gen import Gen, const_text, next_pow2, numba_type, offset, size_of, unravel
from .gen import block_threads
from ..cpu.ops import registry
from ..scalar import cast

GENERATORS, generator = registry()


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


# -- gather / scatter ---------------------------------------------------------------------------

def _index_row(k, idx_buf: str, row: str, dims, mode: str):
    """Read one index row (``row`` = its flat batch position); clip, or compute in-bounds."""
    cols, conds = [], []
    for j, n in enumerate(dims):
        c = f"j{j}"
        k.w(f"{c} = np.int64({idx_buf}[{row} * {len(dims)} + {j}])")
        if mode == "clip":
            k.w(f"{c} = jn_clamp_index({c}, {max(n - 1, 0)})")
        else:
            conds.append(f"0 <= {c} < {n}")
        cols.append(c)
    return cols, " and ".join(conds) or "True"


def _operand_index(xs, axes, cols, rest_idx):
    src = [None] * len(xs)
    for a, c in zip(axes, cols):
        src[a] = c
    rest = [d for d in range(len(xs)) if d not in axes]
    for d, r in zip(rest, rest_idx):
        src[d] = r
    return src


def _split_flat(w, nr: int):
    """``b`` (the index row) and ``r`` (the element within the row's ``nr``) of thread ``fl``."""
    w(f"b = fl // {nr}" if nr != 1 else "b = fl")
    w(f"r = fl % {nr}" if nr != 1 else "r = 0")


@generator("gather")
def _gather(gen: Gen, e):
    x, ind = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    axes, mode = e.params["axes"], e.params["mode"]
    xs = _shape(x)
    dims = [xs[a] for a in axes]
    rest_shape = [xs[d] for d in range(len(xs)) if d not in axes]
    bshape = _shape(ind)[:-1]
    k = gen.grid_loop(f"gather ({mode})", n)
    w = k.w
    nr = math.prod(rest_shape)
    _split_flat(w, nr)
    ridx = unravel(w, "r", rest_shape, _idx_names("ir", len(rest_shape)))
    cols, ok = _index_row(k, k.buf(ind), "b", dims, mode)
    src = offset(_operand_index(xs, axes, cols, ridx), xs)
    if mode == "clip":
        w(f"{k.arg(o)}[fl] = {k.load(x, src)}")
    else:
        fv = const_text(e.params["fill_value"], out.aval.dtype)
        w(f"if {ok}:")
        w.indent()
        w(f"{k.arg(o)}[fl] = {k.load(x, src)}")
        w.dedent()
        w("else:")
        w.indent()
        w(f"{k.arg(o)}[fl] = {fv}")
    gen.launch(k, n)


ATOMIC_ADD = {"float32", "float64", "int32", "int64", "uint32", "uint64"}
ATOMIC_INT_MINMAX = {"int32", "int64", "uint32", "uint64"}
_COMBINE = {"add": "{t} + {u}", "mul": "{t} * {u}", "min": "jn_min({t}, {u})",
            "max": "jn_max({t}, {u})"}


@generator("scatter")
def _scatter(gen: Gen, e):
    x, ind, upd = e.inputs
    out = e.outputs[0]
    axes, comb, mode = e.params["axes"], e.params["combiner"], e.params["mode"]
    xs = _shape(x)
    dims = [xs[a] for a in axes]
    rest_shape = [xs[d] for d in range(len(xs)) if d not in axes]
    nb, nr = math.prod(_shape(ind)[:-1]), math.prod(rest_shape)
    n = size_of(out)
    dname = np.dtype(out.aval.dtype).name
    o = gen.alloc(out)
    nan_minmax = comb in ("min", "max") and dname in ("float32", "float64")
    if nan_minmax:
        flags = gen.alloc_temp(n, np.int32)
        _scatter_nan_init(gen, e, o, flags, n)
    else:
        copy_into(gen, o, x, n, "scatter: copy the operand")
    if not (n and nb and nr):
        return

    def target(k, b, r, skip_oob=True):
        """Emit the target offset of update (b, r); returns (offset, in-bounds condition)."""
        ridx = unravel(k.w, r, rest_shape, _idx_names("ir", len(rest_shape)))
        cols, ok = _index_row(k, k.buf(ind), b, dims, mode)
        return offset(_operand_index(xs, axes, cols, ridx), xs), ok

    if comb == "set":
        _scatter_set(gen, e, o, target, nb, nr, dims)
    elif (comb == "add" and dname in ATOMIC_ADD) or nan_minmax or \
            (comb in ("min", "max") and dname in ATOMIC_INT_MINMAX):
        k = gen.grid_loop(f"scatter-{comb} (atomic)", nb * nr)
        w = k.w
        _split_flat(w, nr)
        tgt, ok = target(k, "b", "r")
        w(f"if {ok}:")
        w.indent()
        w(f"uv = {k.load(upd, 'fl')}")
        if nan_minmax:
            w("if uv != uv:")
            w.indent()
            w(f"{k.arg(flags)}[{tgt}] = 1")
            w.dedent()
            w("else:")
            w.indent()
        w(f"cuda.atomic.{comb}({k.arg(o)}, {tgt}, uv)")
        gen.launch(k, nb * nr)
        if nan_minmax:
            k = gen.grid_loop("scatter: NaN where any NaN was combined", n)
            k.w(f"if {k.arg(flags)}[fl] != 0:")
            k.w.indent()
            k.w(f"{k.arg(o)}[fl] = {cast(out.aval.dtype)}(np.nan)")
            gen.launch(k, n)
    else:  # one thread per target column, updates in order: deterministic, as the CPU
        k = gen.grid_loop(f"scatter-{comb} (column-sequential)", nr, "r")
        w = k.w
        w(f"for b in range({nb}):")
        w.indent()
        tgt, ok = target(k, "b", "r")
        w(f"if {ok}:")
        w.indent()
        t = f"{k.arg(o)}[{tgt}]"
        u = k.load(upd, f"b * {nr} + r")
        w(f"{t} = {cast(out.aval.dtype)}({_COMBINE[comb].format(t=t, u=u)})")
        gen.launch(k, nr)


def _scatter_nan_init(gen, e, o, flags, n):
    """max/min of floats: NaNs of the operand go to the flags; the buffer starts NaN-free."""
    x = e.inputs[0]
    big = "np.inf" if e.params["combiner"] == "min" else "-np.inf"
    k = gen.grid_loop("scatter: operand copy, NaNs to flags", n)
    w = k.w
    w(f"xv = {k.load(x, 'fl')}")
    w("if xv != xv:")
    w.indent()
    w(f"{k.arg(flags)}[fl] = 1")
    w(f"{k.arg(o)}[fl] = {cast(x.aval.dtype)}({big})")
    w.dedent()
    w("else:")
    w.indent()
    w(f"{k.arg(flags)}[fl] = 0")
    w(f"{k.arg(o)}[fl] = xv")
    gen.launch(k, n)


def _scatter_set(gen, e, o, target, nb, nr, dims):
    """Last writer wins: the largest update index per target position (atomic max into an
    owner array over the indexed axes), then only the owners write."""
    ind, upd = e.inputs[1], e.inputs[2]
    mode = e.params["mode"]
    P = max(1, math.prod(dims))
    owner = gen.alloc_temp(P, np.int32)
    k = gen.grid_loop("scatter-set: owners", P)
    k.w(f"{k.arg(owner)}[fl] = -1")
    gen.launch(k, P)
    k = gen.grid_loop("scatter-set: claim (atomic max of the update index)", nb, "b")
    cols, ok = _index_row(k, k.buf(ind), "b", dims, mode)
    pos = offset(cols, dims)
    k.w(f"if {ok}:")
    k.w.indent()
    k.w(f"cuda.atomic.max({k.arg(owner)}, {pos}, np.int32(b))")
    gen.launch(k, nb)
    k = gen.grid_loop("scatter-set: owners write", nb * nr)
    w = k.w
    _split_flat(w, nr)
    tgt, ok = target(k, "b", "r")
    w(f"if {ok}:")
    w.indent()
    w(f"if {k.arg(owner)}[{offset([f'j{j}' for j in range(len(dims))], dims)}] == b:")
    w.indent()
    w(f"{k.arg(o)}[{tgt}] = {k.load(upd, 'fl')}")
    gen.launch(k, nb * nr)


# -- argmax / cumulative / sort -------------------------------------------------------------------

def _line_loop(k, shape, axis, var="blk"):
    """Unravel ``var`` over every dim but ``axis``; returns the index list with None at axis."""
    outer = [n for d, n in enumerate(shape) if d != axis]
    names = [f"io{d}" for d in range(len(shape)) if d != axis]
    oidx = list(unravel(k.w, var, outer, names))
    oidx.insert(axis, None)
    return oidx


def _at(idx, axis, j):
    return [j if i is None else i for i in idx]


@generator("argmax", "argmin")
def _argext(gen: Gen, e):
    (x,) = e.inputs
    out = e.outputs[0]
    o = gen.alloc(out)
    xs = _shape(x)
    axis = e.params["axes"][0]
    K, L = size_of(out), xs[axis]
    if not K:
        return
    which = "max" if e.prim.name == "argmax" else "min"
    if L <= gen.limits.serial:  # short lines: a thread per output, in order
        k = gen.grid_loop(f"{e.prim.name} (a thread per output)", K, "blk")
        w = k.w
        idx = _line_loop(k, xs, axis)
        w("bv = " + k.load(x, offset(_at(idx, axis, "0"), xs)))
        w("bi = np.int64(0)")
        w(f"for j in range(1, {L}):")
        w.indent()
        w(f"v = {k.load(x, offset(_at(idx, axis, 'j'), xs))}")
        w(f"if jn_argbetter_{which}(v, j, bv, bi):")
        w.indent()
        w("bv = v")
        w("bi = j")
        w.dedent()
        w.dedent()
        w(f"{k.arg(o)}[blk] = {cast(out.aval.dtype)}(bi)")
        gen.launch(k, K)
        return
    T = block_threads(L, gen.limits)
    k = gen.kernel(f"{e.prim.name} (block {T})")
    w = k.w
    w(f"smv = cuda.shared.array({T}, {numba_type(x.aval.dtype)})")
    w(f"smi = cuda.shared.array({T}, numba.int64)")
    w("tid = cuda.threadIdx.x")
    w(f"for blk in range(cuda.blockIdx.x, {K}, cuda.gridDim.x):")
    w.indent()
    idx = _line_loop(k, xs, axis)
    xb = k.buf(x)
    w(f"bv = {xb}[{offset(_at(idx, axis, '0'), xs)}]")
    w("bi = np.int64(-1)")
    w(f"for j in range(tid, {L}, {T}):")
    w.indent()
    w(f"v = {xb}[{offset(_at(idx, axis, 'j'), xs)}]")
    w(f"if jn_argbetter_{which}(v, j, bv, bi):")
    w.indent()
    w("bv = v")
    w("bi = j")
    w.dedent()
    w.dedent()
    w("smv[tid] = bv")
    w("smi[tid] = bi")
    w("cuda.syncthreads()")
    s = T // 2
    while s >= 1:
        w(f"if tid < {s} and smi[tid + {s}] >= 0 and "
          f"jn_argbetter_{which}(smv[tid + {s}], smi[tid + {s}], smv[tid], smi[tid]):")
        w.indent()
        w(f"smv[tid] = smv[tid + {s}]")
        w(f"smi[tid] = smi[tid + {s}]")
        w.dedent()
        w("cuda.syncthreads()")
        s //= 2
    w("if tid == 0:")
    w.indent()
    w(f"{k.arg(o)}[blk] = {cast(out.aval.dtype)}(smi[0])")
    w.dedent()
    w("cuda.syncthreads()")
    gen.launch_blocks(k, min(K, gen.limits.max_blocks), T)


_CUM = {"cumsum": "{a} + {b}", "cumprod": "{a} * {b}", "cummax": "jn_max({a}, {b})",
        "cummin": "jn_min({a}, {b})"}


@generator("cumsum", "cumprod", "cummax", "cummin")
def _cumulative(gen: Gen, e):
    (x,) = e.inputs
    out = e.outputs[0]
    o = gen.alloc(out)
    xs = _shape(x)
    axis, reverse = e.params["axis"], e.params["reverse"]
    L = xs[axis]
    lines = math.prod(n for d, n in enumerate(xs) if d != axis)
    if not (L and lines):
        return
    dt = cast(out.aval.dtype)
    k = gen.grid_loop(f"{e.prim.name} (a thread per line)", lines, "blk")
    w = k.w
    idx = _line_loop(k, xs, axis)
    first = L - 1 if reverse else 0
    xb, ob = k.buf(x), k.arg(o)
    w(f"acc = {xb}[{offset(_at(idx, axis, str(first)), xs)}]")
    w(f"{ob}[{offset(_at(idx, axis, str(first)), xs)}] = acc")
    rng = f"range({L - 2}, -1, -1)" if reverse else f"range(1, {L})"
    w(f"for j in {rng}:")
    w.indent()
    at = offset(_at(idx, axis, "j"), xs)
    w(f"acc = {dt}({_CUM[e.prim.name].format(a='acc', b=f'{xb}[{at}]')})")
    w(f"{ob}[{at}] = acc")
    gen.launch(k, lines)


@generator("sort")
def _sort(gen: Gen, e):
    shape = _shape(e.inputs[0])
    axis, nk = e.params["dimension"], e.params["num_keys"]
    outs = [gen.alloc(v) for v in e.outputs]
    n = math.prod(shape)
    if not n:
        return
    L = shape[axis]
    st = _strides(shape)[axis]
    k = gen.grid_loop(f"sort (rank of each element, {nk} key{'s' if nk > 1 else ''})", n)
    w = k.w
    bufs = [k.buf(a) for a in e.inputs]
    w(f"i = (fl // {st}) % {L}" if st != 1 else f"i = fl % {L}")
    w(f"base = fl - i * {st}" if st != 1 else "base = fl - i")
    for j in range(nk):
        w(f"ki{j} = {bufs[j]}[fl]")
    w("rank = 0")
    w(f"for j in range({L}):")
    w.indent()
    w(f"at = base + j * {st}" if st != 1 else "at = base + j")
    w("c = 0")
    for j in range(nk):
        w("if c == 0:" if j else "if True:")
        w.indent()
        w(f"kj = {bufs[j]}[at]")
        w(f"if jn_sort_lt(kj, ki{j}):")
        w.indent()
        w("c = -1")
        w.dedent()
        w(f"elif jn_sort_lt(ki{j}, kj):")
        w.indent()
        w("c = 1")
        w.dedent()
        w.dedent()
    w("if c < 0 or (c == 0 and j < i):")
    w.indent()
    w("rank += 1")
    w.dedent()
    w.dedent()
    dst = f"base + rank * {st}" if st != 1 else "base + rank"
    for b, o in zip(bufs, outs):
        w(f"{k.arg(o)}[{dst}] = {b}[fl]")
    gen.launch(k, n)


# families lowered in their own modules (each registers its generators on import)
from . import control, conv  # noqa: E402,F401

__all__ = ["GENERATORS", "emit", "LINALG"]

"""CUDA kernels for gather and scatter (``GENERATORS`` of ``ops.py``; the atomics and their
determinism are described there)."""
from __future__ import annotations

import math

import numpy as np

from .gen import Gen, const_text, offset, size_of, unravel
from .ops import _idx_names, _shape, copy_into, generator
from ..scalar import cast

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

"""CPU source for gather and scatter (``GENERATORS`` of ``ops.py``): explicit loops over the
index rows, clipped or filled out-of-bounds indices as JAX's modes say, scatter combining
updates in order."""
from __future__ import annotations

from ...core.ir import Var
from ..scalar import cast, lit
from .ops import _alloc, _close, _ins, _loops, _out, _shape, _sub, generator

# -- gather / scatter ---------------------------------------------------------------------------

def _gather_index(e, names, w, idx_name, bidx, dims):
    """Per-axis indices for one index row; returns (names, in_bounds expression)."""
    cols, conds = [], []
    for k, n in enumerate(dims):
        t = names.temp()
        w(f"{t} = np.int64({idx_name}[{_sub(bidx + (str(k),))}])")
        cols.append(t)
        conds.append(f"0 <= {t} < {n}")
    return cols, " and ".join(conds) or "True"


@generator("gather")
def _gather(e, names, w):
    x, idx = _ins(e, names)
    xa, ia = e.inputs
    axes = e.params["axes"]
    xs = _shape(xa)
    dims = [xs[a] for a in axes]
    rest = [d for d in range(len(xs)) if d not in axes]
    o = _out(e, names)
    w(f"{o} = {_alloc(e.outputs[0])}")
    bshape = _shape(ia)[:-1]
    bidx = _loops(w, bshape, "b")
    cols, ok = _gather_index(e, names, w, idx, bidx, dims)
    mode = e.params["mode"]
    if mode == "clip":
        for c, n in zip(cols, dims):
            w(f"{c} = min(max({c}, 0), {max(n - 1, 0)})")
    else:
        w(f"inb = {ok}")
    ridx = _loops(w, [xs[d] for d in rest], "r")
    src = [None] * len(xs)
    for a, c in zip(axes, cols):
        src[a] = c
    for d, r in zip(rest, ridx):
        src[d] = r
    tgt = _sub(bidx + ridx)
    if mode == "clip":
        w(f"{o}[{tgt}] = {x}[{_sub(src)}]")
    else:
        fv = e.params["fill_value"]
        w(f"{o}[{tgt}] = {x}[{_sub(src)}] if inb else "
          f"{cast(e.outputs[0].aval.dtype)}({lit(fv)})")
    _close(w, rest)
    _close(w, bshape)


_COMBINE = {"add": "{t} + {u}", "mul": "{t} * {u}", "min": "jn_min({t}, {u})",
            "max": "jn_max({t}, {u})"}


@generator("scatter")
def _scatter(e, names, w):
    x, idx, upd = _ins(e, names)
    xa, ia, ua = e.inputs
    axes = e.params["axes"]
    xs = _shape(xa)
    dims = [xs[a] for a in axes]
    rest = [d for d in range(len(xs)) if d not in axes]
    o = _out(e, names)
    dt = cast(e.outputs[0].aval.dtype)
    w(f"{o} = {x}.copy()")
    bshape = _shape(ia)[:-1]
    bidx = _loops(w, bshape, "b")
    cols, ok = _gather_index(e, names, w, idx, bidx, dims)
    if e.params["mode"] == "clip":
        for c, n in zip(cols, dims):
            w(f"{c} = min(max({c}, 0), {max(n - 1, 0)})")
    else:
        w(f"if {ok}:")
        w.indent()
    ridx = _loops(w, [xs[d] for d in rest], "r")
    tgt = [None] * len(xs)
    for a, c in zip(axes, cols):
        tgt[a] = c
    for d, r in zip(rest, ridx):
        tgt[d] = r
    t = f"{o}[{_sub(tgt)}]"
    # a scalar update may be a Literal (x.at[i].set(3.0)): a constant, not an array
    u = f"{upd}[{_sub(bidx + ridx)}]" if isinstance(ua, Var) else upd
    comb = e.params["combiner"]
    w(f"{t} = {u}" if comb == "set" else f"{t} = {dt}({_COMBINE[comb].format(t=t, u=u)})")
    _close(w, rest)
    if e.params["mode"] != "clip":
        w.dedent()
    _close(w, bshape)

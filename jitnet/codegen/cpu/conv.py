"""CPU lowering of the convolution and window family (patches, patches_transpose,
conv_general_dilated, reduce_window).

Every window op walks, per dim, a loop variable whose padded-and-dilated source
coordinate is ``p = a*v + c`` (``c`` built from the other loop variables of that dim).
Instead of testing every element against the padding and the base-dilation holes, loop
bounds are clipped (``_clip``) so that only valid ``p`` are visited: inner loops stay
branch-free and vectorize, and dims that never leave the operand get a plain ``range(n)``
(decided statically: shapes are compile-time constants).

* ``patches`` writes every element in output order (the pad value where the window
  leaves the operand), validity flags hoisted to the loop where they become known.
* ``patches_transpose`` (col2im) scatter-adds with the window loops outside the position
  loops, so the innermost loop adds contiguous rows.
* ``reduce_window`` keeps one accumulator per output element.
* ``conv_general_dilated`` (float32/float64) is im2col + BLAS: one parallel loop over
  work items (samples, or row blocks of one sample), each thread gathering its item's
  columns into a small buffer and multiplying it by the weights in products small enough
  for OpenBLAS to run on the calling thread (``BLAS_BLOCK``), oriented so the result lands
  in the output's memory order (channels-first: W @ cols; channels-last: cols @ W).
  Integer and complex dtypes, and products too small for BLAS to pay (depthwise convs),
  use a direct loop nest.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ...core.ir import Literal
from ...kernels.plan import plan_conv
from ...prims.conv import dilate_dim, window_out_shape
from .loops import PARALLEL_WORK
from .ops import generator
from ..scalar import cast

# im2col + BLAS unless a group's product is tiny (out features per group times I * prod(K)
# below this, e.g. depthwise 3x3): there the direct loop nest measured faster
GEMM_MIN_WORK = 32
# the largest im2col buffer of one work item (stays in L2 between the gather and the product)
COLS_BYTES = 1 << 20
# Products are blocked below this many multiply-adds (m*n*k) and issued from inside the
# parallel loop, each thread on its own work items: the parallelism is Numba's, BLAS runs on
# one thread (runtime/threads.py; OpenBLAS's own pool, which larger products would wake,
# fought Numba's threads: 10-100x slowdowns on 2 loaded cores).
BLAS_BLOCK = 1 << 18
# weights larger than this (per group) are kept in cache one block at a time, visiting all
# of a work item's panels per block, instead of streaming all weights once per panel
WEIGHT_BYTES = 1 << 18


def _parallel_work():
    return PARALLEL_WORK


def _shape(a):
    return tuple(a.aval.shape)


def _sub(idx):
    return ", ".join(idx) if idx else "()"


def _lin(terms, const=0) -> str:
    """Source of ``sum(coef * var) + const``; int vars are folded into the constant."""
    parts = []
    for c, v in terms:
        if c == 0:
            continue
        if isinstance(v, int):
            const += c * v
        else:
            parts.append(v if c == 1 else f"{c} * {v}")
    if const or not parts:
        parts.append(str(const))
    s = " + ".join(parts).replace("+ -", "- ")
    return f"({s})" if " " in s else s


def _scalar_src(value, dtype) -> str:
    """Source of the constant ``value`` as a scalar of ``dtype``."""
    d = np.dtype(dtype)
    if d == np.bool_:
        return "True" if bool(value) else "False"
    if d.kind in "iu":
        return f"{cast(d)}({int(np.real(value))})"

    def flt(v):
        v = float(v)
        return "np.nan" if v != v else ("np.inf" if v == math.inf else
                                        "-np.inf" if v == -math.inf else repr(v))
    if d.kind == "c":
        v = complex(value)
        return f"{cast(d)}(complex({flt(v.real)}, {flt(v.imag)}))"
    return f"{cast(d)}({flt(np.real(value))})"


def _place(spec, vals):
    """Index tuple with ``vals[i]`` at position ``spec[i]``."""
    out = [None] * len(spec)
    for s, v in zip(spec, vals):
        out[s] = v
    return out


# -- per-dim window geometry ------------------------------------------------------------------

class _Dim:
    """One dim of a window op: operand size X, window W, stride S, padding lo/hi, base
    dilation B, window dilation D; the source of (position o, offset k) is
    p = o*S + k*D - lo in the padded dilated operand, valid iff 0 <= p < Xd and B | p."""

    def __init__(self, X, W, S, pad, B, D):
        self.X, self.W, self.S, self.B, self.D = X, W, S, B, D
        self.lo, self.hi = pad
        self.Xd = dilate_dim(X, B)
        self.O = window_out_shape((X,), (W,), (S,), (pad,), (B,), (D,))[0]

    def always_valid(self) -> bool:
        """Every (o, k) hits a real element."""
        if self.O == 0 or self.W == 0:
            return True
        return (self.B == 1 and -self.lo >= 0
                and (self.O - 1) * self.S + (self.W - 1) * self.D - self.lo <= self.Xd - 1)

    def plain(self) -> bool:
        """A single offset that always hits: the position maps to one source index."""
        return self.W == 1 and self.always_valid()

    def src(self, o, k) -> str:
        p = _lin([(self.S, o), (self.D, k)], -self.lo)
        return p if self.B == 1 else f"({p} // {self.B})"

    def cond(self, o, k) -> str | None:
        """Validity test of (o, k) or None when always valid."""
        if self.always_valid():
            return None
        p = _lin([(self.S, o), (self.D, k)], -self.lo)
        conds = []
        if -self.lo < 0:
            conds.append(f"{p} >= 0")
        if (self.O - 1) * self.S + (self.W - 1) * self.D - self.lo > self.Xd - 1:
            conds.append(f"{p} < {self.Xd}")
        if self.B > 1:
            conds.append(f"{p} % {self.B} == 0")
        return " and ".join(conds) or "True"


def _clip(w, names, n, a, terms, c0, Xd, B):
    """Bounds of a loop ``for v in range(start, stop, step)`` visiting exactly the v in
    [0, n) with p = a*v + sum(terms) + c0 in [0, Xd) and divisible by B.

    ``terms`` are (coef >= 0, var, var_extent) of the enclosing loop variables, so the
    range of the constant part is known statically and clamps are emitted only when some
    iteration can leave the operand. Returns (start, stop, step) as source text."""
    cmin = c0
    cmax = c0 + sum(c * (m - 1) for c, _, m in terms)
    if not terms or all(m == 1 for _, _, m in terms):  # fully static: solve here
        valid = [v for v in range(n) if 0 <= a * v + cmax < Xd and (a * v + cmax) % B == 0]
        if not valid:
            return "0", "0", 1
        step = valid[1] - valid[0] if len(valid) > 1 else 1
        return str(valid[0]), str(valid[-1] + 1), step
    c = _lin([(cf, v) for cf, v, _ in terms], c0)
    start, stop = "0", str(n)
    if cmin < 0:
        start = names.temp()
        w(f"{start} = max(0, ({a - 1} - {c}) // {a})")
    if a * (n - 1) + cmax > Xd - 1:
        stop = names.temp()
        w(f"{stop} = min({n}, ({Xd - 1} - {c}) // {a} + 1)")
    step = 1
    if B > 1:
        step = B // math.gcd(a, B)
        if start == "0":
            start = names.temp()
            w(f"{start} = 0")
        w(f"while {start} < {stop} and ({a} * {start} + {c}) % {B} != 0:")
        w.indent()
        w(f"{start} += 1")
        w.dedent()
    return start, stop, step


def _range(start, stop, step, par=False):
    fn = "prange" if par else "range"
    if step != 1:
        return f"{fn}({start}, {stop}, {step})"
    return f"{fn}({stop})" if start == "0" else f"{fn}({start}, {stop})"


def _open(w, var, rng):
    w(f"for {var} in {rng}:")
    w.indent()


def _window_dims(shape, p):
    return [_Dim(x, *a) for x, *a in zip(shape, p["window_dimensions"], p["window_strides"],
                                         p["padding"], p["base_dilation"],
                                         p["window_dilation"])]


def _scalar_in(a, names):
    """A 0-d operand as a scalar (an inlined literal or a 0-d array)."""
    return names.literal(a) if isinstance(a, Literal) else f"{names.var(a)}[()]"


# -- patches ----------------------------------------------------------------------------------

@generator("patches")
def _patches(e, names, w):
    (xa,), out = e.inputs, e.outputs[0]
    o = names.var(out)
    dt = out.aval.dtype
    shape = _shape(out)
    if not _shape(xa):  # 0-d operand: its single window is itself
        w(f"{o} = np.full((), {_scalar_in(xa, names)}, dtype={cast(dt)})")
        return
    x = names.var(xa)
    dims = _window_dims(_shape(xa), e.params)
    w(f"{o} = np.empty({shape!r}, dtype={cast(dt)})")
    if 0 in shape:
        return
    n = len(dims)
    pad = _scalar_src(e.params["pad_value"], dt)
    par = math.prod(shape) >= _parallel_work() and shape[0] > 1
    ov = [names.temp() for _ in dims]
    kv = [names.temp() if d.W > 1 else 0 for d in dims]
    ok = None
    for i, d in enumerate(dims):
        _open(w, ov[i], _range("0", str(d.O), 1, par and i == 0))
        if d.W == 1:
            c = d.cond(ov[i], 0)
            if c is not None:
                t = names.temp()
                w(f"{t} = {ok} and {c}" if ok else f"{t} = {c}")
                ok = t
    for i, d in enumerate(dims):
        if d.W == 1:
            continue
        _open(w, kv[i], f"range({d.W})")
        c = d.cond(ov[i], kv[i])
        if c is not None:
            t = names.temp()
            w(f"{t} = {ok} and ({c})" if ok else f"{t} = {c}")
            ok = t
    src = f"{x}[{_sub([d.src(ov[i], kv[i]) for i, d in enumerate(dims)])}]"
    tgt = f"{o}[{_sub(ov + [str(k) for k in kv])}]"
    w(f"{tgt} = {src} if {ok} else {pad}" if ok else f"{tgt} = {src}")
    for _ in range(n + sum(d.W > 1 for d in dims)):
        w.dedent()


# -- patches_transpose ------------------------------------------------------------------------

@generator("patches_transpose")
def _patches_transpose(e, names, w):
    (ca,), out = e.inputs, e.outputs[0]
    o = names.var(out)
    dt = out.aval.dtype
    oshape = _shape(out)
    if not oshape:
        w(f"{o} = np.full((), {_scalar_in(ca, names)}, dtype={cast(dt)})")
        return
    ct = names.var(ca)
    dims = _window_dims(oshape, e.params)
    w(f"{o} = np.zeros({oshape!r}, dtype={cast(dt)})")
    if 0 in _shape(ca):
        return
    plain = [i for i, d in enumerate(dims) if d.plain()]
    rest = [i for i, d in enumerate(dims) if not d.plain()]
    ov = [names.temp() for _ in dims]
    kv = [0 if i in plain else names.temp() for i in range(len(dims))]
    # distinct positions of a plain dim write distinct elements: its loop may be parallel
    par = bool(plain) and math.prod(_shape(ca)) >= _parallel_work() and dims[plain[0]].O > 1
    depth = 0
    for j, i in enumerate(plain):
        _open(w, ov[i], _range("0", str(dims[i].O), 1, par and j == 0))
        depth += 1
    for i in rest:
        _open(w, kv[i], f"range({dims[i].W})")
        depth += 1
    for i in rest:
        d = dims[i]
        rng = _clip(w, names, d.O, d.S, [(d.D, kv[i], d.W)], -d.lo, d.Xd, d.B)
        _open(w, ov[i], _range(*rng))
        depth += 1
    tgt = f"{o}[{_sub([d.src(ov[i], kv[i]) for i, d in enumerate(dims)])}]"
    src = f"{ct}[{_sub(ov + [str(k) for k in kv])}]"
    if dt.kind in "iu":
        w(f"{tgt} = {cast(dt)}({tgt} + {src})")
    elif dt == np.bool_:
        w(f"{tgt} = {tgt} or {src}")
    else:
        w(f"{tgt} += {src}")
    for _ in range(depth):
        w.dedent()


# -- reduce_window ----------------------------------------------------------------------------

def _identity(computation, dt) -> str:
    from ...prims.conv import identity
    return _scalar_src(identity(computation, dt), dt)


def _combine(computation, dt, acc, v) -> str:
    if computation == "add":
        return f"{acc} += {v}"
    if dt == np.bool_:
        return f"{acc} = {acc} or {v}" if computation == "max" else f"{acc} = {acc} and {v}"
    return f"{acc} = jn_{computation}({acc}, {v})"


@generator("reduce_window")
def _reduce_window(e, names, w):
    (xa,), out = e.inputs, e.outputs[0]
    o = names.var(out)
    dt = out.aval.dtype
    comp = e.params["computation"]
    shape = _shape(out)
    if not _shape(xa):
        w(f"{o} = np.full((), {_scalar_in(xa, names)}, dtype={cast(dt)})")
        return
    x = names.var(xa)
    dims = _window_dims(_shape(xa), e.params)
    w(f"{o} = np.empty({shape!r}, dtype={cast(dt)})")
    if 0 in shape:
        return
    work = math.prod(shape) * max(1, math.prod(e.params["window_dimensions"]))
    par = work >= _parallel_work() and shape[0] > 1
    ov = [names.temp() for _ in dims]
    kv = [0 if d.plain() else names.temp() for d in dims]
    for i, d in enumerate(dims):
        _open(w, ov[i], _range("0", str(d.O), 1, par and i == 0))
    acc = names.temp()
    w(f"{acc} = {_identity(comp, dt)}")
    depth = len(dims)
    for i, d in enumerate(dims):
        if d.plain():
            continue
        rng = _clip(w, names, d.W, d.D, [(d.S, ov[i], d.O)], -d.lo, d.Xd, d.B)
        _open(w, kv[i], _range(*rng))
        depth += 1
    w(_combine(comp, dt, acc, f"{x}[{_sub([d.src(ov[i], kv[i]) for i, d in enumerate(dims)])}]"))
    for _ in range(depth - len(dims)):
        w.dedent()
    res = acc if (comp != "add" or dt.kind not in "iu") else f"{cast(dt)}({acc})"
    w(f"{o}[{_sub(ov)}] = {res}")
    for _ in dims:
        w.dedent()


# -- conv_general_dilated ---------------------------------------------------------------------

class _Conv:
    """Canonical view of one convolution: lhs (N, C, X...), rhs (O, I, K...), out (N, O, P...)."""

    def __init__(self, e):
        p = e.params
        lhs, rhs = e.inputs
        self.lspec, self.rspec, self.ospec = p["dimension_numbers"]
        ls, rs = _shape(lhs), _shape(rhs)
        self.N, self.C = ls[self.lspec[0]], ls[self.lspec[1]]
        self.O, self.I = rs[self.rspec[0]], rs[self.rspec[1]]
        self.X = [ls[i] for i in self.lspec[2:]]
        self.K = [rs[i] for i in self.rspec[2:]]
        self.G = p["feature_group_count"]
        self.Og = self.O // self.G
        self.dims = [_Dim(x, k, s, pd, b, d) for x, k, s, pd, b, d in
                     zip(self.X, self.K, p["window_strides"], p["padding"], p["lhs_dilation"],
                         p["rhs_dilation"])]
        self.P = [d.O for d in self.dims]
        self.nd = len(ls)
        self.dt = e.outputs[0].aval.dtype

    def lhs_index(self, n, c, src):
        return _sub(_place(self.lspec, [n, c] + list(src)))

    def rhs_index(self, o, i, k):
        return _sub(_place(self.rspec, [o, i] + list(k)))

    def out_index(self, n, o, pos):
        return _sub(_place(self.ospec, [n, o] + list(pos)))


def _as_dtype(names, w, x, a, dt):
    if a.aval.dtype == dt:
        return x
    t = names.temp()
    w(f"{t} = {x}.astype({cast(dt)})")
    return t


@generator("conv_general_dilated")
def _conv(e, names, w):
    cv = _Conv(e)
    out = e.outputs[0]
    o = names.var(out)
    dt = cv.dt
    lhs, rhs = e.inputs
    x = _as_dtype(names, w, names.var(lhs), lhs, dt)
    k = _as_dtype(names, w, names.var(rhs), rhs, dt)
    oshape = _shape(out)
    contract = cv.I * math.prod(cv.K)
    if math.prod(oshape) == 0 or contract == 0:
        w(f"{o} = np.zeros({oshape!r}, dtype={cast(dt)})")
        return
    plan = plan_conv(e.params, _shape(lhs), _shape(rhs), oshape, dt)
    if plan is not None:  # the shape-generic kernel (jitnet/kernels/conv.py)
        w(f"{o} = np.empty({oshape!r}, dtype={cast(dt)})")
        w(f"jn_conv2d_{plan.dtype}({x}, {k}, {o}, {plan.args()!r})")
        return
    blocks = _gemm_blocks(contract, cv.Og)
    gemm = dt in (np.float32, np.float64) and contract * cv.Og >= GEMM_MIN_WORK
    if not gemm and cv.ospec[1] == cv.nd - 1 and cv.nd > 2:
        _conv_direct_channels_last(cv, x, k, o, oshape, names, w)
    elif not gemm:
        _conv_direct(cv, x, k, o, oshape, names, w)
    elif cv.ospec[1] == cv.nd - 1 and cv.nd > 2:
        _conv_gemm_rows(cv, x, k, o, oshape, names, w, *blocks)
    else:
        _conv_gemm_cols(cv, x, k, o, oshape, names, w, *blocks)


def _conv_direct(cv, x, k, o, oshape, names, w):
    """out[n, o, pos] += w[o, i, k] * x[n, g*I + i, src(pos, k)], the position loops
    innermost (contiguous rows of out and, at unit stride, of x)."""
    dt = cv.dt
    w(f"{o} = np.zeros({oshape!r}, dtype={cast(dt)})")
    work = math.prod(oshape) * cv.I * math.prod(cv.K)
    no = names.temp()
    par = work >= _parallel_work() and cv.N * cv.O > 1
    _open(w, no, _range("0", str(cv.N * cv.O), 1, par))
    n, oc, cb, ic = names.temp(), names.temp(), names.temp(), names.temp()
    w(f"{n} = {no} // {cv.O}")
    w(f"{oc} = {no} % {cv.O}")
    w(f"{cb} = ({oc} // {cv.Og}) * {cv.I}")
    _open(w, ic, f"range({cv.I})")
    depth = 2
    kv = [0 if d.plain() else names.temp() for d in cv.dims]
    for i, d in enumerate(cv.dims):
        if not d.plain():
            _open(w, kv[i], f"range({d.W})")
            depth += 1
    wv = names.temp()
    w(f"{wv} = {k}[{cv.rhs_index(oc, ic, [str(v) for v in kv])}]")
    pv = [names.temp() for _ in cv.dims]
    for i, d in enumerate(cv.dims):
        if d.plain():
            _open(w, pv[i], f"range({d.O})")
        else:
            rng = _clip(w, names, d.O, d.S, [(d.D, kv[i], d.W)], -d.lo, d.Xd, d.B)
            _open(w, pv[i], _range(*rng))
        depth += 1
    src = [d.src(pv[i], kv[i]) for i, d in enumerate(cv.dims)]
    tgt = f"{o}[{cv.out_index(n, oc, pv)}]"
    val = f"{wv} * {x}[{cv.lhs_index(n, f'{cb} + {ic}', src)}]"
    if dt.kind in "iu":
        w(f"{tgt} = {cast(dt)}({tgt} + {val})")
    else:
        w(f"{tgt} += {val}")
    for _ in range(depth):
        w.dedent()


def _conv_direct_channels_last(cv, x, k, o, oshape, names, w):
    """out[n, pos, o] += w[o, i, k] * x[n, src(pos, k), g*I + i] with the out features
    innermost (contiguous in a channels-last output; for depthwise convs, Og == 1, in the
    lhs too)."""
    dt = cv.dt
    w(f"{o} = np.zeros({oshape!r}, dtype={cast(dt)})")
    work = math.prod(oshape) * cv.I * math.prod(cv.K)
    o0 = cv.P[0]
    t = names.temp()
    par = work >= _parallel_work() and cv.N * o0 > 1
    _open(w, t, _range("0", str(cv.N * o0), 1, par))
    n = names.temp()
    pv = [names.temp() for _ in cv.dims]
    w(f"{n} = {t} // {o0}")
    w(f"{pv[0]} = {t} % {o0}")
    depth = 1
    for i, d in enumerate(cv.dims[1:], 1):
        _open(w, pv[i], f"range({d.O})")
        depth += 1
    kv = [0 if d.plain() else names.temp() for d in cv.dims]
    for i, d in enumerate(cv.dims):
        if not d.plain():
            rng = _clip(w, names, d.W, d.D, [(d.S, pv[i], d.O)], -d.lo, d.Xd, d.B)
            _open(w, kv[i], _range(*rng))
            depth += 1
    ic, oc = names.temp(), names.temp()
    _open(w, ic, f"range({cv.I})")
    _open(w, oc, f"range({cv.O})")
    depth += 2
    src = [d.src(pv[i], kv[i]) for i, d in enumerate(cv.dims)]
    ch = (f"{oc} * {cv.I} + {ic}" if cv.Og == 1 else f"({oc} // {cv.Og}) * {cv.I} + {ic}")
    tgt = f"{o}[{cv.out_index(n, oc, pv)}]"
    val = (f"{k}[{cv.rhs_index(oc, ic, [str(v) for v in kv])}] * "
           f"{x}[{cv.lhs_index(n, ch, src)}]")
    if dt.kind in "iu":
        w(f"{tgt} = {cast(dt)}({tgt} + {val})")
    else:
        w(f"{tgt} += {val}")
    for _ in range(depth):
        w.dedent()


def _round_up(a, b):
    return -(-a // b) * b


def _gemm_blocks(ik, og):
    """(most columns JB, rows Ob, contraction chunk KC) of one BLAS product
    (Ob, KC) x (KC, JB) of at most BLAS_BLOCK multiply-adds. Products of 32 x 32 or more
    outputs run 2-3x faster than thin ones, so the contraction is split (KC < IK, partial
    products summed) rather than the output tile made thin."""
    if ik * 32 * min(og, 32) <= BLAS_BLOCK:
        ob = min(og, BLAS_BLOCK // (ik * 32))
        return min(64, BLAS_BLOCK // (ik * ob)), ob, ik
    ob = min(og, 32)
    nkc = -(-ik // (BLAS_BLOCK // (ob * 32)))
    return 32, ob, -(-ik // nkc)


def _emit_tiles(w, names, *, npan, nblk, nkc, rows_of, dot, store, acc, tmp, tc,
                block_outer):
    """Emit every output tile of a work item: tile (panel pb, out block b) is the sum over
    contraction chunks c of one BLAS product each (``dot(pb, b, c)`` -> operand sources);
    ``rows_of(pb, b)`` emits and returns its row count (only rows vary; ``tc`` columns),
    ``store(pb, b, tile, rows)`` copies it out.

    Panel-outer order keeps a panel in L1 across the out blocks (small weights); with
    ``block_outer`` one weight block stays in cache across all panels of the item (large
    weights) and ``acc`` holds one tile per panel."""
    def add(dst, rows):
        ii, jj = names.temp(), names.temp()
        _open(w, ii, f"range({rows})")
        _open(w, jj, f"range({tc})")
        w(f"{dst}[{ii}, {jj}] += {tmp}[{ii}, {jj}]")
        w.dedent()
        w.dedent()

    pb, b, c = names.temp(), names.temp(), names.temp()
    if not block_outer:
        _open(w, pb, f"range({npan})")
        _open(w, b, f"range({nblk})")
        rows = rows_of(pb, b)
        w(f"np.dot({', '.join(dot(pb, b, 0))}, {acc}[:{rows}])")
        if nkc > 1:
            _open(w, c, f"range(1, {nkc})")
            w(f"np.dot({', '.join(dot(pb, b, c))}, {tmp}[:{rows}])")
            add(acc, rows)
            w.dedent()
        store(pb, b, acc, rows)
        w.dedent()
        w.dedent()
        return
    _open(w, b, f"range({nblk})")
    _open(w, pb, f"range({npan})")
    rows = rows_of(pb, b)
    w(f"np.dot({', '.join(dot(pb, b, 0))}, {acc}[{pb}, :{rows}])")
    w.dedent()
    if nkc > 1:
        _open(w, c, f"range(1, {nkc})")
        _open(w, pb, f"range({npan})")
        rows = rows_of(pb, b)
        w(f"np.dot({', '.join(dot(pb, b, c))}, {tmp}[:{rows}])")
        add(f"{acc}[{pb}]", rows)
        w.dedent()
        w.dedent()
    _open(w, pb, f"range({npan})")
    rows = rows_of(pb, b)
    store(pb, b, f"{acc}[{pb}]", rows)
    w.dedent()
    w.dedent()


class _Items:
    """Work items of the im2col kernels over the columns (sample, position).

    An item is either ``nb`` whole samples (small outputs: several samples per product)
    or one sample's block of rows of the first spatial dim (large outputs or few samples:
    the buffer stays under COLS_BYTES and every core gets work)."""

    def __init__(self, cv, col_bytes, jb):
        ns = len(cv.P)
        self.P = math.prod(cv.P)
        self.O0 = cv.P[0] if ns else 1
        self.rest = math.prod(cv.P[1:]) if ns else 1
        cores = os.cpu_count() or 1
        cap = max(1, COLS_BYTES // max(1, self.P * col_bytes))
        self.nb = 1 if self.P >= 4 * jb else min(cv.N, cap, -(-4 * jb // self.P))
        self.nR = 1
        if ns >= 2 and self.nb == 1 and (self.P * col_bytes > COLS_BYTES or cv.N < 2 * cores):
            rb = max(1, COLS_BYTES // max(1, self.rest * col_bytes))
            nr = max(-(-self.O0 // min(rb, self.O0)), min(self.O0, -(-2 * cores // cv.N)))
            self.RB = -(-self.O0 // nr)
            self.nR = -(-self.O0 // self.RB)
        self.items = (cv.N // self.nb + (cv.N % self.nb > 0)) * self.nR
        self.cols = self.nb * self.P if self.nR == 1 else self.RB * self.rest


class _Item:
    """Names of the current work item: first sample, sample count, row block, columns."""

    def __init__(self, cv, it, names, w, parallel):
        self.it = it
        nt, t, i = names.temp(), names.temp(), names.temp()
        # one contiguous range of items per core, each with its own buffers (a constant:
        # numba.get_num_threads() would make the compiled function uncacheable)
        w(f"{nt} = {min(it.items, os.cpu_count() or 1) if parallel else 1}")
        _open(w, t, f"prange({nt})" if parallel else f"range({nt})")
        self.nt, self.t, self.i = nt, t, i
        self.cv, self.names, self.w = cv, names, w

    def open(self):
        it, names, w, cv = self.it, self.names, self.w, self.cv
        _open(w, self.i, f"range({self.t} * {it.items} // {self.nt}, "
                         f"({self.t} + 1) * {it.items} // {self.nt})")
        self.n0 = names.temp()
        self.r0 = self.r1 = None
        if it.nR > 1:
            self.r0, self.r1, self.pc = names.temp(), names.temp(), names.temp()
            w(f"{self.n0} = {self.i} // {it.nR}")
            w(f"{self.r0} = ({self.i} % {it.nR}) * {it.RB}")
            w(f"{self.r1} = min({self.r0} + {it.RB}, {it.O0})")
            w(f"{self.pc} = ({self.r1} - {self.r0}) * {it.rest}")
            self.nbc = "1"
            self.base = _lin([(it.P, self.n0), (it.rest, self.r0)])  # first flat column
        else:
            w(f"{self.n0} = {self.i} * {it.nb}")
            if cv.N % it.nb:
                self.nbc = names.temp()
                w(f"{self.nbc} = min({it.nb}, {cv.N} - {self.n0})")
                self.pc = names.temp()
                w(f"{self.pc} = {self.nbc} * {it.P}")
            else:
                self.nbc, self.pc = str(it.nb), str(it.cols)
            self.base = _lin([(it.P, self.n0)])

    def sample_loop(self):
        """Open the loop over the item's samples; returns (sample, index in the item)."""
        j = self.names.temp()
        _open(self.w, j, f"range({self.nbc})")
        return _lin([(1, self.n0), (1, j)]), j

    def position(self, q):
        """(sample, position indices...) of the item's column ``q`` (emitted)."""
        flat = self.names.temp()
        self.w(f"{flat} = {self.base} + {q}")
        n = self.names.temp()
        self.w(f"{n} = {flat} // {self.it.P}")
        p = self.names.temp()
        self.w(f"{p} = {flat} % {self.it.P}")
        return n, p, _unflatten(self.w, self.names, p, self.cv.P)


def _clip_block(w, names, d, kvar, pvar_lo, pvar_hi):
    """_clip for a position loop of dim ``d`` given offset ``kvar``, intersected with
    [pvar_lo, pvar_hi) (a row block) when those are given."""
    start, stop, step = _clip(w, names, d.O, d.S, [(d.D, kvar, d.W)], -d.lo, d.Xd, 1)
    if pvar_lo is not None:
        t0, t1 = names.temp(), names.temp()
        w(f"{t0} = max({start}, {pvar_lo})")
        w(f"{t1} = min({stop}, {pvar_hi})")
        start, stop = t0, t1
    if d.B > 1:  # first position whose source is on the dilated grid, then every step-th
        if start == "0" or start.lstrip("-").isdigit():
            t = names.temp()
            w(f"{t} = {start}")
            start = t
        c = _lin([(d.D, kvar)], -d.lo)
        w(f"while {start} < {stop} and ({d.S} * {start} + {c}) % {d.B} != 0:")
        w.indent()
        w(f"{start} += 1")
        w.dedent()
        step = d.B // math.gcd(d.S, d.B)
    return start, stop, step


def _unflatten(w, names, pos, sizes):
    """Index names of the flat position ``pos`` over ``sizes`` (C order)."""
    out, stride = [], math.prod(sizes)
    for s in sizes:
        stride //= s
        t = names.temp()
        w(f"{t} = ({pos} // {stride}) % {s}" if stride > 1 else f"{t} = {pos} % {s}")
        out.append(t)
    return out


def _weight_loops(cv, names, w):
    """Open loops over the rhs in canonical order (o, i, k...); returns their names.
    Explicit loops: Numba compiles np.transpose / array slice assignment in seconds."""
    o, i = names.temp(), names.temp()
    kv = [names.temp() for _ in cv.K]
    for v, n in zip([o, i] + kv, [cv.O, cv.I] + list(cv.K)):
        _open(w, v, f"range({n})")
    return o, i, kv


def _canonical_weights(cv, k, names, w):
    """The rhs as a contiguous (G, Og, I*K) array."""
    ik = cv.I * math.prod(cv.K)
    t = names.temp()
    if tuple(cv.rspec) == tuple(range(cv.nd)):
        w(f"{t} = {k}.reshape(({cv.G}, {cv.Og}, {ik}))")
        return t
    c = names.temp()
    w(f"{c} = np.empty({(cv.O, cv.I) + tuple(cv.K)!r}, dtype={cast(cv.dt)})")
    o, i, kv = _weight_loops(cv, names, w)
    w(f"{c}[{_sub([o, i] + kv)}] = {k}[{cv.rhs_index(o, i, kv)}]")
    for _ in range(2 + len(kv)):
        w.dedent()
    w(f"{t} = {c}.reshape(({cv.G}, {cv.Og}, {ik}))")
    return t


def _blocked_weights(cv, k, names, w, ob, rows):
    """The rhs as (G, out blocks, rows, Ob) contiguous: each block of Ob out features is
    a (K*I, Ob) matrix with I innermost, zero past Og and past K*I (to ``rows``)."""
    nob = -(-cv.Og // ob)
    ns = len(cv.K)
    t = names.temp()
    w(f"{t} = np.zeros(({cv.G}, {nob}, {rows}, {ob}), dtype={cast(cv.dt)})")
    o, i, kv = _weight_loops(cv, names, w)
    oc = f"{o} % {cv.Og}"
    kstr = [math.prod(cv.K[d + 1:]) * cv.I for d in range(ns)]
    kcol = _lin([(s_, v) for s_, v in zip(kstr, kv)] + [(1, i)])
    w(f"{t}[{o} // {cv.Og}, ({oc}) // {ob}, {kcol}, ({oc}) % {ob}] = "
      f"{k}[{cv.rhs_index(o, i, kv)}]")
    for _ in range(2 + len(kv)):
        w.dedent()
    return t


def _conv_gemm_cols(cv, x, k, o, oshape, names, w, jcap, ob, kc):
    """Output not channels-last. Per work item and group g: cols (I*K, columns) gathered
    from the lhs into panels of JB columns, then each (Ob, JB) output tile is one BLAS
    product W_g[rows] (Ob, I*K) @ panel (I*K, JB), copied into place.

    A panel holds m whole rows of the last spatial dim (or, for long rows, one of nch
    chunks of a row), so the gather's innermost loop writes a contiguous run. A long
    contraction is cut in chunks of KC rows (zero-padded to nkc * KC)."""
    dt, ns = cv.dt, len(cv.dims)
    ik = cv.I * math.prod(cv.K)
    nkc = -(-ik // kc)
    ikp = nkc * kc
    it = _Items(cv, ik * np.dtype(dt).itemsize, jcap)
    L = cv.P[-1] if ns else 1
    rows_max = it.cols // L
    if L <= jcap:
        m, nch = max(1, min(jcap // L, rows_max)), 1
        jb = m * L
        npan = -(-rows_max // m)
    else:
        m, nch = 1, -(-L // jcap)
        jb = -(-L // nch)
        npan = rows_max * nch
    w3 = _canonical_weights(cv, k, names, w)
    if nkc > 1:  # (G, chunk, Og, KC): each chunk's rows contiguous
        wk, g_, o_, r_ = names.temp(), names.temp(), names.temp(), names.temp()
        w(f"{wk} = np.zeros(({cv.G}, {nkc}, {cv.Og}, {kc}), dtype={cast(dt)})")
        for v, n_ in ((g_, cv.G), (o_, cv.Og), (r_, ik)):
            _open(w, v, f"range({n_})")
        w(f"{wk}[{g_}, {r_} // {kc}, {o_}, {r_} % {kc}] = {w3}[{g_}, {o_}, {r_}]")
        for _ in range(3):
            w.dedent()
    w(f"{o} = np.empty({oshape!r}, dtype={cast(dt)})")
    canon = tuple(cv.ospec) == tuple(range(cv.nd))
    o3 = names.temp()
    if canon:
        w(f"{o3} = {o}.reshape(({cv.N}, {cv.O}, {it.P}))")
    par = cv.N * cv.O * it.P * ik >= _parallel_work() and it.items > 1
    item = _Item(cv, it, names, w, par)
    buf, tmp = names.temp(), names.temp()
    # zeroed once: padding and holes are the same entries in every item (unless row blocks).
    # No reshaped views inside the parallel loop: they cost Numba's parfor pass seconds.
    # panels padded to a multiple of 16 columns (zero, never written): OpenBLAS's kernels
    # ran 1.5x faster on 32 columns than on 28
    jbp = _round_up(jb, 16) if jb > 8 else jb
    w(f"{buf} = np.zeros(({npan}, {ikp}, {jbp}), dtype={cast(dt)})")
    w(f"{tmp} = np.empty(({ob}, {jbp}), dtype={cast(dt)})")
    block_outer = (cv.Og * ik * np.dtype(dt).itemsize > WEIGHT_BYTES and npan > 1
                   and cv.Og > ob)
    acc = tmp
    if nkc > 1 or block_outer:
        acc = names.temp()
        w(f"{acc} = np.empty({((npan,) if block_outer else ()) + (ob, jbp)!r}, "
          f"dtype={cast(dt)})")
    item.open()
    if item.r0 is not None and not all(d.always_valid() for d in cv.dims):
        w(f"{buf}[:] = 0")  # row blocks differ in where the padding falls
    g = names.temp()
    _open(w, g, f"range({cv.G})")
    # gather
    n, j = item.sample_loop()
    ic = names.temp()
    _open(w, ic, f"range({cv.I})")
    depth = 2
    kv = [names.temp() if d.W > 1 else 0 for d in cv.dims]
    for i, d in enumerate(cv.dims):
        if d.W > 1:
            _open(w, kv[i], f"range({d.W})")
            depth += 1
    pv = [names.temp() for _ in cv.dims]
    for i, d in enumerate(cv.dims[:-1]):
        lo_hi = (item.r0, item.r1) if (i == 0 and item.r0 is not None) else (None, None)
        _open(w, pv[i], _range(*_clip_block(w, names, d, kv[i], *lo_hi)))
        depth += 1
    # the row of the panel grid: (sample, positions but the last), relative to the item
    rstr = [math.prod(cv.P[i + 1:-1]) for i in range(ns - 1)]
    row0 = ((-(it.rest // L), item.r0) if item.r0 is not None else (it.P // L, j))
    row = _lin([(s_, v) for s_, v in zip(rstr, pv)] + [row0])
    kstr = [math.prod(cv.K[i + 1:]) for i in range(ns)]
    krow = _lin([(math.prod(cv.K), ic)] + [(s_, v) for s_, v in zip(kstr, kv)])
    src = [d.src(pv[i], kv[i]) for i, d in enumerate(cv.dims)]
    val = f"{x}[{cv.lhs_index(n, f'{g} * {cv.I} + {ic}', src)}]"
    if not ns:
        w(f"{buf}[{row} // {m}, {krow}, {row} % {m}] = {val}")
    elif nch == 1:
        pan, off = names.temp(), names.temp()
        w(f"{pan} = {row} // {m}" if m > 1 else f"{pan} = {row}")
        w(f"{off} = ({row} % {m}) * {L}" if m > 1 else f"{off} = 0")
        d = cv.dims[-1]
        _open(w, pv[-1], _range(*_clip_block(w, names, d, kv[-1], None, None)))
        depth += 1
        w(f"{buf}[{pan}, {krow}, {off} + {pv[-1]}] = {val}")
    else:   # long rows: one panel per chunk of jb positions
        d = cv.dims[-1]
        start, stop, step = _clip_block(w, names, d, kv[-1], None, None)
        c, cs, ce = names.temp(), names.temp(), names.temp()
        _open(w, c, f"range({nch})")
        w(f"{cs} = max({start}, {c} * {jb})")
        if step != 1:
            w(f"{cs} += ({start} - {cs}) % {step}")
        w(f"{ce} = min({stop}, ({c} + 1) * {jb})")
        _open(w, pv[-1], _range(cs, ce, step))
        depth += 2
        w(f"{buf}[{row} * {nch} + {c}, {krow}, {pv[-1]} - {c} * {jb}] = {val}")
    for _ in range(depth):
        w.dedent()
    # products by (Ob, JB) tiles
    if item.pc.isdigit():
        npan_item = str(-(-(int(item.pc) // L) // m) * nch)
    else:
        npan_item = f"(({item.pc} // {L}) + {m - 1}) // {m} * {nch}"
    wsrc = wk if nkc > 1 else w3

    def rows_of(pb, b):
        nrow = names.temp()
        w(f"{nrow} = min({ob}, {cv.Og} - {b} * {ob})")
        return nrow

    def dot(pb, b, c):
        rows = f"{b} * {ob}:{b} * {ob} + min({ob}, {cv.Og} - {b} * {ob})"
        if nkc == 1:
            return f"{wsrc}[{g}, {rows}]", f"{buf}[{pb}]"
        return (f"{wsrc}[{g}, {c}, {rows}]",
                f"{buf}[{pb}, {_lin([(kc, c)])}:{_lin([(kc, c)], kc)}]")

    def store(pb, b, tile, nrow):
        ii, jj = names.temp(), names.temp()
        if nch == 1:
            q0 = _lin([(jb, pb)])
            ncol = f"min({jb}, {item.pc} - {q0})"
        else:
            q0 = names.temp()
            w(f"{q0} = ({pb} // {nch}) * {L} + ({pb} % {nch}) * {jb}")
            ncol = f"min({jb}, {L} - ({pb} % {nch}) * {jb})"
        _open(w, ii, f"range({nrow})")
        _open(w, jj, f"range({ncol})")
        oc = f"{g} * {cv.Og} + {b} * {ob} + {ii}"
        q = _lin([(1, q0), (1, jj)])
        if canon and item.r0 is not None:
            w(f"{o3}[{item.n0}, {oc}, {_lin([(it.rest, item.r0), (1, q)])}] = "
              f"{tile}[{ii}, {jj}]")
        elif canon and it.nb == 1:
            w(f"{o3}[{item.n0}, {oc}, {q}] = {tile}[{ii}, {jj}]")
        else:
            nn, p, idx = item.position(q)
            tgt = f"{o3}[{nn}, {oc}, {p}]" if canon else f"{o}[{cv.out_index(nn, oc, idx)}]"
            w(f"{tgt} = {tile}[{ii}, {jj}]")
        w.dedent()
        w.dedent()

    _emit_tiles(w, names, npan=npan_item, nblk=-(-cv.Og // ob), nkc=nkc, rows_of=rows_of,
                dot=dot, store=store, acc=acc, tmp=tmp, tc=jbp, block_outer=block_outer)
    w.dedent()   # g
    w.dedent()   # item
    w.dedent()   # threads


def _conv_gemm_rows(cv, x, k, o, oshape, names, w, jb, ob, kc):  # jb: rows per product
    """Channels-last output. Per work item and group g: cols (columns, K*I) gathered from
    the lhs (I innermost: contiguous for channels-last inputs), then each (JB, Ob) output
    tile is one BLAS product cols[JB rows] @ W_g (K*I, Ob), written in place when the
    output rows are contiguous. A long contraction is cut in chunks of KC columns, each
    chunk of cols stored contiguously."""
    dt, ns = cv.dt, len(cv.dims)
    ik = cv.I * math.prod(cv.K)
    nkc = -(-ik // kc)
    it = _Items(cv, ik * np.dtype(dt).itemsize, jb)
    rowsp = _round_up(it.cols, jb)
    nob = -(-cv.Og // ob)
    wb = _blocked_weights(cv, k, names, w, ob, nkc * kc)
    w(f"{o} = np.empty({oshape!r}, dtype={cast(dt)})")
    natural = tuple(cv.ospec) == (0, cv.nd - 1) + tuple(range(1, cv.nd - 1))
    o2 = names.temp()
    if natural:
        w(f"{o2} = {o}.reshape(({cv.N * it.P}, {cv.O}))")
    direct = natural and cv.G == 1 and nob == 1 and ob == cv.Og and nkc == 1
    par = cv.N * cv.O * it.P * ik >= _parallel_work() and it.items > 1
    item = _Item(cv, it, names, w, par)
    buf, tmp = names.temp(), names.temp()
    if nkc == 1:
        w(f"{buf} = np.zeros(({rowsp}, {ik}), dtype={cast(dt)})")
    else:
        w(f"{buf} = np.zeros(({nkc}, {rowsp}, {kc}), dtype={cast(dt)})")
    npan = rowsp // jb
    block_outer = (cv.Og * ik * np.dtype(dt).itemsize > WEIGHT_BYTES and npan > 1 and nob > 1)
    if not direct:
        w(f"{tmp} = np.empty(({jb}, {ob}), dtype={cast(dt)})")
    acc = tmp
    if nkc > 1 or block_outer:
        acc = names.temp()
        w(f"{acc} = np.empty({((npan,) if block_outer else ()) + (jb, ob)!r}, "
          f"dtype={cast(dt)})")
    item.open()
    if item.r0 is not None and not all(d.always_valid() for d in cv.dims):
        w(f"{buf}[:] = 0")
    g = names.temp()
    _open(w, g, f"range({cv.G})")
    n, j = item.sample_loop()
    col0 = _lin([(-it.rest, item.r0)]) if item.r0 is not None else _lin([(it.P, j)])
    pv = [names.temp() for _ in cv.dims]
    depth = 1
    for i, d in enumerate(cv.dims):
        rng = (f"range({item.r0}, {item.r1})" if (i == 0 and item.r0 is not None)
               else f"range({d.O})")
        _open(w, pv[i], rng)
        depth += 1
    strides = [math.prod(cv.P[i + 1:]) for i in range(ns)]
    row = names.temp()
    w(f"{row} = {_lin([(s_, v) for s_, v in zip(strides, pv)] + [(1, col0)])}")
    kv = [names.temp() for _ in cv.dims]
    for i, d in enumerate(cv.dims):
        rng = _clip(w, names, d.W, d.D, [(d.S, pv[i], d.O)], -d.lo, d.Xd, d.B)
        _open(w, kv[i], _range(*rng))
        depth += 1
    ic = names.temp()
    _open(w, ic, f"range({cv.I})")
    depth += 1
    src = [d.src(pv[i], kv[i]) for i, d in enumerate(cv.dims)]
    kstr = [math.prod(cv.K[i + 1:]) * cv.I for i in range(ns)]
    kcol = _lin([(s_, v) for s_, v in zip(kstr, kv)] + [(1, ic)])
    tgt = (f"{buf}[{row}, {kcol}]" if nkc == 1 else
           f"{buf}[{kcol} // {kc}, {row}, {kcol} % {kc}]")
    w(f"{tgt} = {x}[{cv.lhs_index(n, f'{g} * {cv.I} + {ic}', src)}]")
    for _ in range(depth):
        w.dedent()
    npan_item = (str(-(-int(item.pc) // jb)) if item.pc.isdigit()
                 else f"({item.pc} + {jb - 1}) // {jb}")
    if direct:  # all out features in one product: BLAS writes the output rows in place
        pb, q0, q1 = names.temp(), names.temp(), names.temp()
        _open(w, pb, f"range({npan_item})")
        w(f"{q0} = {pb} * {jb}")
        w(f"{q1} = min({q0} + {jb}, {item.pc})")
        w(f"np.dot({buf}[{q0}:{q1}], {wb}[0, 0], "
          f"{o2}[{item.base} + {q0}:{item.base} + {q1}])")
        w.dedent()
    else:
        def rows_of(pb, b):
            nq = names.temp()
            w(f"{nq} = min({jb}, {item.pc} - {pb} * {jb})")
            return nq

        def dot(pb, b, c):
            rows = f"{pb} * {jb}:{pb} * {jb} + min({jb}, {item.pc} - {pb} * {jb})"
            if nkc == 1:
                return f"{buf}[{rows}]", f"{wb}[{g}, {b}]"
            return (f"{buf}[{c}, {rows}]",
                    f"{wb}[{g}, {b}, {_lin([(kc, c)])}:{_lin([(kc, c)], kc)}]")

        def store(pb, b, tile, nq):
            ii, jj = names.temp(), names.temp()
            _open(w, ii, f"range({nq})")
            _open(w, jj, f"range({ob})" if cv.Og % ob == 0 else
                  f"range(min({ob}, {cv.Og} - {b} * {ob}))")
            oc = f"{g} * {cv.Og} + {b} * {ob} + {jj}"
            q = _lin([(jb, pb), (1, ii)])
            if natural:
                w(f"{o2}[{item.base} + {q}, {oc}] = {tile}[{ii}, {jj}]")
            else:
                nn, p, idx = item.position(q)
                w(f"{o}[{cv.out_index(nn, oc, idx)}] = {tile}[{ii}, {jj}]")
            w.dedent()
            w.dedent()

        _emit_tiles(w, names, npan=npan_item, nblk=nob, nkc=nkc, rows_of=rows_of, dot=dot,
                    store=store, acc=acc, tmp=tmp, tc=ob, block_outer=block_outer)
    w.dedent()   # g
    w.dedent()   # item
    w.dedent()   # threads

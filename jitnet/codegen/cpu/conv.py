"""CPU lowering of the convolution and window family (patches, patches_transpose,
conv_general_dilated, reduce_window).

Every window op walks, per dim, a loop variable whose padded-and-dilated source
coordinate is ``p = a*v + c`` (``c`` built from the other loop variables of that dim).
Instead of testing every element against the padding and the base-dilation holes, loop
bounds are clipped (``_clip``) so that only valid ``p`` are visited: inner loops stay
branch-free and vectorize, and dims that never leave the operand get a plain ``range(n)``
(decided statically: shapes are compile-time constants).

* ``patches`` and ``patches_transpose`` (col2im, max-pool's gradient): float32/float64
  operands of rank 1 to 4 call the shape-generic kernels (``jitnet/kernels/window.py``,
  chosen by ``kernel_plan.plan_patches``). The rest (rank 5 and above: a vmapped pooling's
  gradient; integer, bool, complex; empty) are loop nests: ``patches`` writes every element
  in output order (the pad value where the window leaves the operand), validity flags
  hoisted to the loop where they become known; ``patches_transpose`` scatter-adds with the
  window loops outside the position loops, so the innermost loop adds contiguous rows.
* ``reduce_window`` keeps one accumulator per output element; float32/float64 ones of
  rank <= 4 without base dilation call the shape-generic kernel (``jitnet/kernels/window.py``,
  chosen by ``kernel_plan.plan_reduce_window``).
* ``conv_general_dilated``: 1-D and 2-D float32/float64 convolutions call the
  shape-generic kernel (``jitnet/kernels/conv.py``, chosen by ``kernel_plan.plan_conv``);
  the rest (other ranks, integer and complex dtypes, products too small for BLAS to pay:
  depthwise convs) are a direct loop nest.
"""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Literal
from ...core.window import dilate_dim, identity, window_out_shape
from ..kernel_plan import plan_conv, plan_patches, plan_reduce_window
from .loops import PARALLEL_WORK
from .ops import generator
from ..scalar import cast


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
    plan = plan_patches(e.params, _shape(xa), shape, dt, _parallel_work())
    if plan is not None:  # the shape-generic kernel (jitnet/kernels/window.py)
        w(f"jn_patches_{plan.dtype}({x}, {o}, {plan.args()!r}, {pad})")
        return
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
    plan = plan_patches(e.params, oshape, _shape(ca), dt, _parallel_work(), transpose=True)
    if plan is not None:  # the shape-generic kernel (jitnet/kernels/window.py)
        w(f"{o} = np.empty({oshape!r}, dtype={cast(dt)})")
        w(f"jn_patches_transpose_{plan.dtype}({ct}, {o}, {plan.args()!r})")
        return
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
    plan = plan_reduce_window(e.params, _shape(xa), shape, dt, _parallel_work())
    if plan is not None:  # the shape-generic kernel (jitnet/kernels/window.py)
        w(f"jn_reduce_window_{plan.dtype}({x}, {o}, {plan.args()!r})")
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
    elif cv.ospec[1] == cv.nd - 1 and cv.nd > 2:
        _conv_direct_channels_last(cv, x, k, o, oshape, names, w)
    else:
        _conv_direct(cv, x, k, o, oshape, names, w)


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

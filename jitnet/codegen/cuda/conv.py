"""CUDA lowering of the window family: patches (im2col), patches_transpose (col2im),
reduce_window and conv_general_dilated, each one thread per output element.

Positions follow ``prims/conv.py``: window ``k`` of output position ``o`` covers padded,
base-dilated position ``t = o * stride + k * window_dilation``; operand element ``i`` sits at
``lo + i * base_dilation``. ``patches_transpose`` is written as a gather over the window
offsets that reach an operand element (no atomics, so it is deterministic), and the
convolution is direct: each output sums its input-feature x window products in a fixed
order.
"""
from __future__ import annotations

import math

import numpy as np

from ...core.window import identity, window_out_shape
from .gen import const_text, offset, strides_of, unravel
from .ops import _idx_names, _shape, generator, zero_of
from ..scalar import cast


def _position(w, name, o, k, stride, wdil, lo, bd, size):
    """Emit ``name`` = padded position of window offset ``k`` at output ``o``; returns
    (operand index expression, validity condition)."""
    terms = [t for t in (f"{o} * {stride}" if stride != 1 else o,
                         f"{k} * {wdil}" if wdil != 1 else k) if t != "0"]
    base = " + ".join(terms) or "0"
    w(f"{name} = {base} - {lo}" if lo else f"{name} = {base}")
    if bd == 1:
        return name, f"{name} >= 0 and {name} < {size}"
    return f"({name} // {bd})", f"{name} >= 0 and {name} % {bd} == 0 and {name} // {bd} < {size}"


def _window(p):
    return (p["window_dimensions"], p["window_strides"], p["padding"], p["base_dilation"],
            p["window_dilation"])


@generator("patches")
def _patches(gen, e):
    (x,) = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    xs = _shape(x)
    nd = len(xs)
    wdims, strides, padding, bdil, wdil = _window(e.params)
    padv = const_text(e.params["pad_value"], out.aval.dtype)
    k = gen.grid_loop("patches", n)
    w = k.w
    idx = unravel(w, "fl", _shape(out), _idx_names("ix", 2 * nd))
    if 0 in xs:
        w(f"{k.arg(o)}[fl] = {padv}")
        gen.launch(k, n)
        return
    src, conds = [], []
    for d in range(nd):
        s, c = _position(w, f"p{d}", idx[d], idx[nd + d], strides[d], wdil[d], padding[d][0],
                         bdil[d], xs[d])
        src.append(s)
        conds.append(c)
    w(f"if {' and '.join(conds) or 'True'}:")
    w.indent()
    w(f"{k.arg(o)}[fl] = {k.load(x, offset(src, xs))}")
    w.dedent()
    w("else:")
    w.indent()
    w(f"{k.arg(o)}[fl] = {padv}")
    gen.launch(k, n)


@generator("patches_transpose")
def _patches_transpose(gen, e):
    (ct,) = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    p = e.params
    shape = tuple(p["operand_shape"])
    nd = len(shape)
    wdims, strides, padding, bdil, wdil = _window(p)
    outs = window_out_shape(shape, *_window(p))
    dt = out.aval.dtype
    k = gen.grid_loop("patches_transpose (gather over window offsets)", n)
    w = k.w
    idx = unravel(w, "fl", shape, _idx_names("ix", nd))
    w(f"acc = {zero_of(dt)}")
    nwin = math.prod(wdims)
    if nwin and 0 not in outs:
        w(f"for q in range({nwin}):")
        w.indent()
        kk = unravel(w, "q", wdims, _idx_names("kw", nd))
        conds, opos = [], []
        for d in range(nd):
            t = f"t{d}"
            pos = f"{idx[d]} * {bdil[d]}" if bdil[d] != 1 else idx[d]
            parts = [pos] + ([f"{padding[d][0]}"] if padding[d][0] else [])
            expr = " + ".join(parts)
            if kk[d] != "0":
                expr += f" - {kk[d]} * {wdil[d]}" if wdil[d] != 1 else f" - {kk[d]}"
            w(f"{t} = {expr}")
            if strides[d] == 1:
                conds.append(f"{t} >= 0 and {t} < {outs[d]}")
                opos.append(t)
            else:
                conds.append(f"{t} >= 0 and {t} % {strides[d]} == 0 and "
                             f"{t} // {strides[d]} < {outs[d]}")
                opos.append(f"({t} // {strides[d]})")
        w(f"if {' and '.join(conds) or 'True'}:")
        w.indent()
        at = offset(opos + list(kk), _shape(ct))
        w(f"acc = {cast(dt)}(acc + {k.load(ct, at)})" if np.dtype(dt) != np.bool_
          else f"acc = acc or {k.load(ct, at)}")
        w.dedent()
        w.dedent()
    w(f"{k.arg(o)}[fl] = acc")
    gen.launch(k, n)


_RW = {"add": "{a} + {b}", "max": "jn_max({a}, {b})", "min": "jn_min({a}, {b})"}


@generator("reduce_window")
def _reduce_window(gen, e):
    (x,) = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    p = e.params
    comp = p["computation"]
    xs = _shape(x)
    nd = len(xs)
    wdims, strides, padding, bdil, wdil = _window(p)
    dt = out.aval.dtype
    k = gen.grid_loop(f"reduce_window ({comp})", n)
    w = k.w
    idx = unravel(w, "fl", _shape(out), _idx_names("ix", nd))
    w(f"acc = {const_text(identity(comp, dt), dt)}")
    nwin = math.prod(wdims)
    if nwin and 0 not in xs:
        w(f"for q in range({nwin}):")
        w.indent()
        kk = unravel(w, "q", wdims, _idx_names("kw", nd))
        src, conds = [], []
        for d in range(nd):
            s, c = _position(w, f"p{d}", idx[d], kk[d], strides[d], wdil[d], padding[d][0],
                             bdil[d], xs[d])
            src.append(s)
            conds.append(c)
        w(f"if {' and '.join(conds) or 'True'}:")
        w.indent()
        comb = _RW[comp].format(a="acc", b=k.load(x, offset(src, xs)))
        w(f"acc = {cast(dt)}({comb})" if np.dtype(dt) != np.bool_ else f"acc = {comb}")
        w.dedent()
        w.dedent()
    w(f"{k.arg(o)}[fl] = acc")
    gen.launch(k, n)


@generator("conv_general_dilated")
def _conv(gen, e):
    lhs, rhs = e.inputs
    out, o, n = gen.alloc_output(e)
    if not n:
        return
    p = e.params
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    ls, rs, os_ = _shape(lhs), _shape(rhs), _shape(out)
    xc = [ls[i] for i in lhs_spec]
    wc = [rs[i] for i in rhs_spec]
    (O, I), ks = wc[:2], wc[2:]
    G = p["feature_group_count"]
    ns = len(ks)
    dt = out.aval.dtype
    conv_l = (lambda s: s) if lhs.aval.dtype == dt else (lambda s: f"{cast(dt)}({s})")
    conv_r = (lambda s: s) if rhs.aval.dtype == dt else (lambda s: f"{cast(dt)}({s})")
    lst, rst = strides_of(ls), strides_of(rs)
    k = gen.grid_loop(f"conv_general_dilated (direct, groups {G})", n)
    w = k.w
    idx = unravel(w, "fl", os_, _idx_names("ix", len(os_)))
    canon = [idx[out_spec[i]] for i in range(ns + 2)]
    w(f"g = {canon[1]} // {O // G}" if G > 1 else "g = 0")
    w(f"acc = {zero_of(dt)}")
    nwin = math.prod(ks)
    if nwin and I and 0 not in xc:
        w(f"for ci in range({I}):")
        w.indent()
        w(f"for q in range({nwin}):")
        w.indent()
        kk = unravel(w, "q", ks, _idx_names("kw", ns))
        src, conds = [], []
        for d in range(ns):
            s, c = _position(w, f"p{d}", canon[2 + d], kk[d], p["window_strides"][d],
                             p["rhs_dilation"][d], p["padding"][d][0], p["lhs_dilation"][d],
                             xc[2 + d])
            src.append(s)
            conds.append(c)
        feat = f"g * {I} + ci" if G > 1 else "ci"
        lcanon = [canon[0], feat] + src
        rcanon = [canon[1], "ci"] + list(kk)
        loff = " + ".join(f"({v}) * {lst[lhs_spec[i]]}" for i, v in enumerate(lcanon)
                          if v != "0" and xc[i] != 1) or "0"
        roff = " + ".join(f"({v}) * {rst[rhs_spec[i]]}" for i, v in enumerate(rcanon)
                          if v != "0" and wc[i] != 1) or "0"
        w(f"if {' and '.join(conds) or 'True'}:")
        w.indent()
        prod = f"{conv_l(k.load(lhs, loff))} * {conv_r(k.load(rhs, roff))}"
        w(f"acc = {cast(dt)}(acc + {prod})")
        w.dedent()
        w.dedent()
        w.dedent()
    w(f"{k.arg(o)}[fl] = acc")
    gen.launch(k, n)

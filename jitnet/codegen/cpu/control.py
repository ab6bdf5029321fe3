"""CPU source for ``cond``, ``while`` and ``scan``: real branches and loops in the one
generated function, with each body inlined once by ``cpu.emit_subprogram``.

Carries are local array variables: they start as copies of the inits and are rebound to
the body's outputs after each step (every kernel allocates its outputs, so no value is ever
overwritten in place). Scan outputs are allocated once and written one row per step (element
loops); a 0-d scanned slice is copied into a 0-d buffer, so the body sees an array like any
other value.
"""
from __future__ import annotations

from ...core.ir import Literal, Var, split
from ...fuse.kernels import LoopKernel
from .ops import generator
from ..scalar import cast


def _array(a, names, w) -> str:
    """An operand as an array name (a literal becomes a 0-d array)."""
    if isinstance(a, Literal):
        t = names.temp()
        w(f"{t} = np.full((), {names.literal(a)})")
        return t
    return names.var(a)


def _carries(init, names, w) -> list[str]:
    """Fresh local arrays holding the initial carries."""
    out = []
    for a in init:
        t = names.temp()
        if isinstance(a, Literal):
            w(f"{t} = np.full((), {names.literal(a)})")
        else:
            w(f"{t} = {names.var(a)}.copy()")
        out.append(t)
    return out


def _rebind(carry: list[str], new: list[str], buffers: set, w):
    """``carry = new`` all at once (a body may permute its carries); values living in a
    reused buffer are copied out of it."""
    if not carry:
        return
    vals = [f"{n}.copy()" if n in buffers else n for n in new]
    w(f"{', '.join(carry)} = {', '.join(vals)}" if len(carry) > 1 else f"{carry[0]} = {vals[0]}")


def _write_row(ys: str, i: str, y: str, shape, names, w):
    """``ys[i] = y`` as element loops (Numba's array-valued slice assignment costs seconds
    of compile time on first use)."""
    idx = [names.temp() for _ in shape]
    for j, n in zip(idx, shape):
        w(f"for {j} in range({n}):")
        w.indent()
    w(f"{ys}[{', '.join([i] + idx)}] = {y}[{', '.join(idx) or '()'}]")
    for _ in shape:
        w.dedent()


def _direct_rows(body, nk: int, ys: list[str]) -> dict:
    """The scan outputs a body's loop kernel can store straight into their row of the
    stacked output (body var -> that output's name), saving a copy per step: values the
    body computes in a loop kernel, not 0-d (a row of a 1-D output is a scalar), the first
    output stacking each. A carried one is then a view of its row, which is never written
    again (no value is overwritten in place)."""
    stored = {v for k in body.kernels if isinstance(k, LoopKernel) for v in k.stores}
    direct = {}
    for a, y in zip(body.outvars[nk:], ys):
        if isinstance(a, Var) and a.aval.shape and a in stored and a not in direct:
            direct[a] = y
    return direct


def _bind_outputs(outputs, values, names, w):
    for v, n in zip(outputs, values):
        w(f"{names.var(v)} = {n}")


@generator("cond")
def _cond(e, names, w):
    from .program import emit_subprogram
    branches = e.params["branches"]
    index = e.inputs[0]
    idx = names.temp()
    w(f"{idx} = " + (names.literal(index) if isinstance(index, Literal)
                     else f"{names.var(index)}[()]"))
    ops = [_array(a, names, w) for a in e.inputs[1:]]
    if len(branches) == 1:
        _bind_outputs(e.outputs, emit_subprogram(branches[0], names, w, ops), names, w)
        return
    for k, b in enumerate(branches):
        w(f"if {idx} <= 0:" if k == 0 else "else:" if k == len(branches) - 1
          else f"elif {idx} == {k}:")
        w.indent()
        _bind_outputs(e.outputs, emit_subprogram(b, names, w, ops), names, w)
        w.dedent()


@generator("while")
def _while(e, names, w):
    from .program import emit_subprogram
    p = e.params
    cc, bc, init = split(e.inputs, p["cond_nconsts"], p["body_nconsts"])
    cc = [_array(a, names, w) for a in cc]
    bc = [_array(a, names, w) for a in bc]
    carry = _carries(init, names, w)
    w("while True:")
    w.indent()
    pred = emit_subprogram(p["cond_ir"], names, w, cc + carry)[0]
    w(f"if not {pred}[()]:")
    w.indent()
    w("break")
    w.dedent()
    _rebind(carry, emit_subprogram(p["body_ir"], names, w, bc + carry), set(), w)
    w.dedent()
    _bind_outputs(e.outputs, carry, names, w)


@generator("scan")
def _scan(e, names, w):
    from .program import emit_subprogram
    p = e.params
    body, nk, length = p["body"], p["num_carry"], p["length"]
    consts, init, xs = split(e.inputs, p["num_consts"], nk)
    consts = [_array(a, names, w) for a in consts]
    carry = _carries(init, names, w)
    ys = [names.var(v) for v in e.outputs[nk:]]
    for v, n in zip(e.outputs[nk:], ys):
        w(f"{n} = np.empty({tuple(v.aval.shape)!r}, dtype={cast(v.aval.dtype)})")
    buffers = {}
    for a in xs:
        if len(a.aval.shape) == 1:
            buffers[id(a)] = t = names.temp()
            w(f"{t} = np.empty((), dtype={cast(a.aval.dtype)})")
    step, i = names.temp(), names.temp()
    w(f"for {step} in range({length}):")
    w.indent()
    w(f"{i} = {length - 1} - {step}" if p["reverse"] else f"{i} = {step}")
    x_names = []
    for a in xs:
        if id(a) in buffers:
            w(f"{buffers[id(a)]}[()] = {names.var(a)}[{i}]")
            x_names.append(buffers[id(a)])
        else:
            t = names.temp()
            w(f"{t} = {names.var(a)}[{i}]")
            x_names.append(t)
    direct = _direct_rows(body, nk, ys)
    for v, y in direct.items():
        names.dest[v] = f"{y}[{i}]"
    outs = emit_subprogram(body, names, w, consts + carry + x_names)
    for v in direct:
        del names.dest[v]
    for y, o, v, a in zip(ys, outs[nk:], e.outputs[nk:], body.outvars[nk:]):
        if direct.get(a) != y:
            _write_row(y, i, o, v.aval.shape[1:], names, w)
    _rebind(carry, outs[:nk], set(buffers.values()), w)
    w.dedent()
    _bind_outputs(e.outputs[:nk], carry, names, w)

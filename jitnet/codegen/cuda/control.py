"""CUDA lowering of ``cond``, ``while`` and ``scan``: the host function branches and loops,
launching each body's kernels (emitted once) per step.

Buffers are immutable once written (every kernel allocates its outputs), so carries are just
host variables rebound to the body's output buffers; a scan's ``x`` slice is a view of a row of
the stacked buffer, and each ``y`` is written into its row by a copy kernel. Only a loop
predicate or a branch index crosses to the host (one element per step, counted as a control
read by ``runtime.devices.transfer_stats``).
"""
from __future__ import annotations

import math

from ...core.ir import Literal, split
from .ops import generator


def _buffer(gen, a) -> str:
    """An operand as a buffer name (a literal is filled into a new one-element buffer)."""
    if isinstance(a, Literal):
        t = gen.alloc_temp(1, a.aval.dtype)
        gen.fill(t, a)
        return t
    return gen.names.var(a)


def _carries(gen, init) -> list[str]:
    out = []
    for a in init:
        t = gen.names.temp()
        gen.host(f"{t} = {_buffer(gen, a)}")
        out.append(t)
    return out


def _rebind(gen, carry, new):
    if carry:
        gen.host(f"{', '.join(carry)} = {', '.join(new)}" if len(carry) > 1
                 else f"{carry[0]} = {new[0]}")


def _bind(gen, outputs, values):
    for v, n in zip(outputs, values):
        gen.host(f"{gen.names.var(v)} = {n}")


@generator("cond")
def _cond(gen, e):
    from .program import emit_subprogram
    branches = e.params["branches"]
    index = e.inputs[0]
    ops = [_buffer(gen, a) for a in e.inputs[1:]]
    if len(branches) == 1:
        _bind(gen, e.outputs, emit_subprogram(gen, branches[0], ops))
        return
    idx = gen.names.temp()
    gen.host(f"{idx} = " + (repr(int(index.value)) if isinstance(index, Literal)
                            else f"jn_read({gen.names.var(index)})"))
    for k, b in enumerate(branches):
        gen.host(f"if {idx} <= 0:" if k == 0 else "else:" if k == len(branches) - 1
                 else f"elif {idx} == {k}:")
        gen.host.indent()
        _bind(gen, e.outputs, emit_subprogram(gen, b, ops))
        gen.host.dedent()


@generator("while")
def _while(gen, e):
    from .program import emit_subprogram
    p = e.params
    cc, bc, init = split(e.inputs, p["cond_nconsts"], p["body_nconsts"])
    cc = [_buffer(gen, a) for a in cc]
    bc = [_buffer(gen, a) for a in bc]
    carry = _carries(gen, init)
    gen.host("while True:")
    gen.host.indent()
    pred = emit_subprogram(gen, p["cond_ir"], cc + carry)[0]
    gen.host(f"if not jn_read({pred}):")
    gen.host.indent()
    gen.host("break")
    gen.host.dedent()
    _rebind(gen, carry, emit_subprogram(gen, p["body_ir"], bc + carry))
    gen.host.dedent()
    _bind(gen, e.outputs, carry)


@generator("scan")
def _scan(gen, e):
    from .program import emit_subprogram
    p = e.params
    body, nk, length = p["body"], p["num_carry"], p["length"]
    consts, init, xs = split(e.inputs, p["num_consts"], nk)
    consts = [_buffer(gen, a) for a in consts]
    carry = _carries(gen, init)
    ys = [gen.alloc(v) for v in e.outputs[nk:]]
    step, i = gen.names.temp(), gen.names.temp()
    gen.host(f"for {step} in range({length}):")
    gen.host.indent()
    gen.host(f"{i} = {length - 1} - {step}" if p["reverse"] else f"{i} = {step}")
    x_names = []
    for a in xs:
        row = math.prod(a.aval.shape[1:])
        t = gen.names.temp()
        gen.host(f"{t} = {gen.names.var(a)}[{i} * {row}:({i} + 1) * {row}]")
        x_names.append(t)
    outs = emit_subprogram(gen, body, consts + carry + x_names)
    for y, o, v in zip(ys, outs[nk:], e.outputs[nk:]):
        row = math.prod(v.aval.shape[1:])
        k = gen.grid_loop("scan: write a row of ys", row)
        k.w(f"{k.arg(y)}[{k.arg(i)} * {row} + fl] = {k.arg(o)}[fl]")
        gen.launch(k, row)
    _rebind(gen, carry, outs[:nk])
    gen.host.dedent()
    _bind(gen, e.outputs[:nk], carry)

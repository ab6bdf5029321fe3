"""Readable listings of IR, in the style of ``jax.make_jaxpr``.

    { lambda ; a:f32[3]. let
        b:f32[3] = sin a
        c:f32[3] = mul b 2.0:f32[]
      in (c,) }
"""
from __future__ import annotations

import numpy as np

from .ir import IR, Literal, Var


class _Names:
    def __init__(self):
        self.names: dict[int, str] = {}

    def __call__(self, v: Var) -> str:
        n = self.names.get(id(v))
        if n is None:
            n = self.names[id(v)] = _letters(len(self.names))
        return n


def _letters(i: int) -> str:
    s = ""
    while True:
        s = chr(ord("a") + i % 26) + s
        i //= 26
        if i == 0:
            return s


def _atom(a, names: _Names) -> str:
    if isinstance(a, Literal):
        v = a.value
        if isinstance(v, np.ndarray):
            v = v.item()
        return f"{v}:{a.aval.str_short()}"
    return names(a)


def _binder(v: Var, names: _Names) -> str:
    return f"{names(v)}:{v.aval.str_short()}"


def _param(v, names: _Names, indent: int) -> str:
    if isinstance(v, IR):
        return _pp(v, names, indent + 4)
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, tuple) and any(isinstance(x, IR) for x in v):
        return "(\n" + "".join(" " * (indent + 4) + _pp(x, names, indent + 4) + "\n" for x in v) \
            + " " * (indent + 2) + ")"
    return repr(v)


def _pp(ir: IR, names: _Names, indent: int) -> str:
    consts = " ".join(_binder(v, names) for v in ir.invars[:ir.num_consts])
    args = " ".join(_binder(v, names) for v in ir.invars[ir.num_consts:])
    pad = " " * (indent + 4)
    lines = [f"{{ lambda {consts}; {args}. let"]
    for e in ir.eqns:
        lhs = " ".join(_binder(v, names) for v in e.outputs) or "_"
        params = ""
        if e.params:
            params = "[" + " ".join(f"{k}={_param(v, names, indent + 4)}"
                                     for k, v in sorted(e.params.items())) + "]"
        ins = " ".join(_atom(a, names) for a in e.inputs)
        lines.append(f"{pad}{lhs} = {e.prim.name}{params} {ins}".rstrip())
    outs = ", ".join(_atom(a, names) for a in ir.outvars)
    lines.append(" " * (indent + 2) + f"in ({outs}{',' if len(ir.outvars) == 1 else ''}) }}")
    return "\n".join(lines)


def pp_ir(ir: IR) -> str:
    return _pp(ir, _Names(), 0)

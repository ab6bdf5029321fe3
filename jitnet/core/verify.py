"""The IR verifier: checks that an IR is well formed, after any pass, in tests and debug mode."""
from __future__ import annotations

from .ir import IR, Literal, Var, sub_irs


class IRError(Exception):
    pass


def verify(ir: IR, check_types: bool = True) -> None:
    """Raise ``IRError`` unless ``ir`` is valid SSA with consistent types.

    Checks: every variable is defined once and before use; each equation's output
    avals agree with its primitive's shape rule; params are hashable; sub-IRs in
    params are valid too.
    """
    defined: set[Var] = set()
    if not 0 <= ir.num_consts <= len(ir.invars):
        raise IRError(f"num_consts={ir.num_consts} but the IR has {len(ir.invars)} inputs")
    for v in ir.invars:
        _define(v, defined, "input")
    for i, e in enumerate(ir.eqns):
        where = f"equation {i} ({e.prim.name})"
        for a in e.inputs:
            if isinstance(a, Var):
                if a not in defined:
                    raise IRError(f"{where} reads a variable that is not defined before it")
            elif not isinstance(a, Literal):
                raise IRError(f"{where} has an input that is neither a Var nor a Literal: {a!r}")
        try:
            hash(e.params)
        except TypeError as err:
            raise IRError(f"{where} has unhashable params: {err}") from None
        for sub in sub_irs(e):
            verify(sub, check_types)
        if check_types and e.prim.shape_rule is not None:
            out = e.prim.shape_rule(*[a.aval for a in e.inputs], **e.params)
            outs = out if e.prim.multiple_results else [out]
            if len(outs) != len(e.outputs):
                raise IRError(f"{where} defines {len(e.outputs)} outputs but its primitive "
                              f"returns {len(outs)}")
            for v, a in zip(e.outputs, outs):
                if (v.aval.shape, v.aval.dtype) != (a.shape, a.dtype):
                    raise IRError(f"{where}: output has type {v.aval.str_short()} but the "
                                  f"shape rule gives {a.str_short()}")
        for v in e.outputs:
            _define(v, defined, where)
    for a in ir.outvars:
        if isinstance(a, Var) and a not in defined:
            raise IRError("an output variable is not defined in the IR")


def _define(v, defined: set, where: str) -> None:
    if not isinstance(v, Var):
        raise IRError(f"{where} defines a non-variable {v!r}")
    if v in defined:
        raise IRError(f"{where} redefines a variable (SSA violation)")
    defined.add(v)

"""CUDA program: a fused program -> one module of ``numba.cuda`` kernels plus a host function
that allocates device buffers and launches them in program order (see ``gen.py``).

No numba import here: this module only writes text.
"""
from __future__ import annotations

from ...core.ir import Literal
from ...fuse.kernels import FusedProgram, LoopKernel
from .gen import Gen, Limits
from .loops import emit_loop


# -- the program -----------------------------------------------------------------------------

class Generated:
    def __init__(self, source: str, entry: str, kernels: list, line_info: dict,
                 signatures: dict, kernel_info: dict):
        self.source, self.entry = source, entry
        self.kernels = kernels        # descriptions, in module order
        self.line_info = line_info    # host line -> (fused kernel description, user line)
        self.signatures = signatures  # kernel name -> numba signature text
        self.kernel_info = kernel_info  # kernel name -> (description, user line)


def emit_kernels(gen: Gen, program: FusedProgram):
    """Write the host statements (and kernels) of every kernel of ``program``."""
    from . import ops
    for k in program.kernels:
        start, first = len(gen.host.lines), len(gen.kernels)
        if isinstance(k, LoopKernel):
            emit_loop(gen, k)
            src = next((e.source for e in k.eqns + k.reductions if e.source), None)
        else:
            ops.emit(gen, k.eqn)
            src = k.eqn.source
        info = (k.describe(), src)
        for i in range(start, len(gen.host.lines)):
            gen.line_info.setdefault(i, info)
        for kern in gen.kernels[first:]:
            gen.kernel_info.setdefault(kern.name, (kern.describe, src))


def out_names(gen: Gen, program: FusedProgram) -> list[str]:
    """Source names of the program's outputs; literal outputs are filled into new buffers."""
    outs = []
    for a in program.outvars:
        if isinstance(a, Literal):
            t = gen.alloc_temp(1, a.aval.dtype)
            gen.fill(t, a)
            outs.append(t)
        else:
            outs.append(gen.names.var(a))
    return outs


def emit_subprogram(gen: Gen, program: FusedProgram, in_names: list[str]) -> list[str]:
    """Inline a fused sub-program (a loop body, a branch) whose inputs are the buffers
    ``in_names``; returns the names of its outputs. Used by the control-flow generators."""
    for v, n in zip(program.invars, in_names):
        gen.names.bind(v, n)
    emit_kernels(gen, program)
    return out_names(gen, program)


def generate(program: FusedProgram, limits: Limits | None = None,
             entry: str = "entry") -> Generated:
    gen = Gen(limits or Limits())
    args = [gen.names.var(v) for v in program.invars]
    emit_kernels(gen, program)
    outs = out_names(gen, program)
    gen.host(f"return ({', '.join(outs)}{',' if outs else ''})")
    for v in program.invars:
        gen.types.setdefault(gen.names.var(v), v.aval.dtype)
    return Generated(gen.module(entry, args), entry, [k.describe for k in gen.kernels],
                     gen.line_info, {k.name: k.signature() for k in gen.kernels},
                     gen.kernel_info)

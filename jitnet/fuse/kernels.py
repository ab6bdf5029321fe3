"""Kernel IR: a program as a list of kernels instead of a list of equations.

* ``LoopKernel`` — one loop nest over ``shape``: a DAG of elementwise equations and
  index remaps (broadcast, transpose, slice, rev, reshape) evaluated per element, storing
  some values (``stores``) and accumulating reductions (``reductions``). Values used only
  inside the kernel never touch memory.
* ``OpKernel`` — one equation lowered on its own (matmul, conv, gather, sort, ...). After
  ``compiler.lower``, an equation that held sub-IRs (cond, while, scan) holds their
  ``FusedProgram``s in their place.

The kernel IR is target-agnostic: the CPU (Numba) and CUDA code generators read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.ir import Eqn, Var


@dataclass(eq=False)  # kernels are compared and hashed by identity
class LoopKernel:
    shape: tuple                                      # the iteration space
    eqns: list[Eqn] = field(default_factory=list)     # elementwise / remap, topological order
    stores: list[Var] = field(default_factory=list)   # full-shape values written to memory
    reductions: list[Eqn] = field(default_factory=list)  # reduce_* over values of the loop
    # elementwise equations over the reductions' results, evaluated once per kept index
    # after the reduction finishes (softmax's log, a mean's division...), and what they store
    epilogue: list[Eqn] = field(default_factory=list)
    epilogue_stores: list[Var] = field(default_factory=list)

    @property
    def outputs(self) -> list[Var]:
        return (list(self.stores) + [e.outputs[0] for e in self.reductions]
                + list(self.epilogue_stores))

    def describe(self) -> str:
        ops = [e.prim.name for e in self.eqns] + [e.prim.name for e in self.reductions]
        if self.epilogue:
            ops.append("then " + ", ".join(e.prim.name for e in self.epilogue))
        return f"loop{list(self.shape)}({', '.join(ops)})"


@dataclass(eq=False)  # kernels are compared and hashed by identity
class OpKernel:
    eqn: Eqn

    @property
    def outputs(self) -> list[Var]:
        return list(self.eqn.outputs)

    def describe(self) -> str:
        return self.eqn.prim.name


@dataclass(eq=False)  # kernels are compared and hashed by identity
class FusedProgram:
    invars: list[Var]
    kernels: list
    outvars: list       # Vars or Literals
    num_consts: int = 0

    def describe(self) -> str:
        return "\n".join(k.describe() for k in self.kernels)

    def loop_count(self) -> int:
        return sum(isinstance(k, LoopKernel) for k in self.kernels)

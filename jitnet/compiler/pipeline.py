"""The compiler's table of contents: the named passes every program goes through, in order,
before any code is written.

``prepare(ir)`` runs the IR -> IR passes (``PASSES``) on the program, then on each sub-IR
left in it (the branches of a ``cond``, a ``while``'s condition and body, a ``scan``'s body),
recursively. ``lower(ir)`` groups a prepared program into kernels (``fuse``) and does the same
for each sub-IR, so the kernel IR a code generator receives holds fused bodies: code
generation only writes text.

With ``jitnet.config.update("verify_ir", True)`` (the test suite sets it) the IR is checked
by ``core.verify`` before the first pass and after every pass, and a failure names the pass.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from ..core.config import config
from ..core.ir import IR, map_sub_irs, sub_irs
from ..core.verify import IRError, verify
from ..fuse.cluster import fuse
from ..fuse.kernels import FusedProgram, OpKernel
from ..transforms.cleanup import cleanup, strip_stop_gradient
from ..transforms.inline import inline_calls
from .dot_operands import absorb_transposes
from .fold import fold_constants
from .join_pads import join_pads
from .scan_hoist import hoist_scan_accumulators, hoist_scan_invariants, transpose_scan_consts
from .summed_batch import contract_summed_batch


class Pass(NamedTuple):
    name: str
    run: Callable[[IR], IR]
    why: str


PASSES = (
    Pass("inline_calls", inline_calls,
         "splice nested jit calls, remat blocks and custom-rule calls into one flat program"),
    Pass("strip_stop_gradient", strip_stop_gradient,
         "stop_gradient is the identity once differentiation is done"),
    Pass("fold_constants", fold_constants,
         "scalar equations over literals become literals (no kernel, no allocation)"),
    Pass("hoist_scan_invariants", hoist_scan_invariants,
         "a scan body's products of consts and scanned inputs: one product before the loop"),
    Pass("hoist_scan_accumulators", hoist_scan_accumulators,
         "a scan body's products the next carry does not need (ys, sums into a carry): "
         "one product after the loop"),
    Pass("transpose_scan_consts", transpose_scan_consts,
         "a product left in a scan body reads a const matrix transposed once before the "
         "loop, not through the BLAS's slower transposed-operand gemm at every step"),
    Pass("contract_summed_batch", contract_summed_batch,
         "a sum over batch dims of a batched matrix product is one product contracting them"),
    Pass("absorb_transposes", absorb_transposes,
         "a matrix product reads a transposed operand in place (strided gemm), not a copy"),
    Pass("join_pads", join_pads,
         "a sum of zero-padded pieces side by side (split's gradient) is one concatenate"),
    Pass("cleanup", cleanup,
         "simplify (x*1, x+0, same-type casts), common subexpressions, dead code"),
)


def _check(ir: IR, after: str) -> None:
    try:
        verify(ir)
    except IRError as err:
        raise IRError(f"invalid IR {after}: {err}") from None


def prepare(ir: IR) -> IR:
    """``ir`` after every pass of ``PASSES``, sub-IRs included (each sub-IR after its
    enclosing program, which may inline calls into it or drop it)."""
    checking = config.read("verify_ir")
    if checking:
        _check(ir, "given to the compiler")
    for p in PASSES:
        ir = p.run(ir)
        if checking:
            _check(ir, f"after pass {p.name!r}")
    if not any(True for e in ir.eqns for _ in sub_irs(e)):
        return ir
    eqns = [map_sub_irs(e, prepare) for e in ir.eqns]
    if all(a is b for a, b in zip(eqns, ir.eqns)):
        return ir
    return IR(ir.invars, eqns, ir.outvars, ir.num_consts)


def lower(ir: IR, epilogues: bool = False) -> FusedProgram:
    """The kernels of a prepared program. An ``OpKernel`` whose equation holds sub-IRs gets
    an equation holding their ``FusedProgram``s in their place (bodies are fused without
    epilogues: their code generators inline them as they are)."""
    program = fuse(ir, epilogues)
    for k in program.kernels:
        if isinstance(k, OpKernel):
            k.eqn = map_sub_irs(k.eqn, lower)
    return program

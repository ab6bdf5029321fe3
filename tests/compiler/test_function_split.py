"""The CPU code writer's split of a program into functions: which arrays each kernel reads
and defines, its size names and its parallel loops are recorded as it is written."""
import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.codegen.cpu import program as cpu_program
from jitnet.codegen.writer import Names
from jitnet.codegen.dims import generic_sizes
from jitnet.compiler import lower, prepare
from jitnet.core.ir import Var
from jitnet.fuse.kernels import LoopKernel


def _program(f, *args):
    return lower(prepare(jax.make_jaxpr(f)(*args).ir), epilogues=True)


def _reads(k) -> set:
    """Vars kernel ``k`` reads from memory, from the kernel IR (not from the text)."""
    eqns = (k.eqns + k.reductions + k.epilogue) if isinstance(k, LoopKernel) else [k.eqn]
    own = {v for e in eqns for v in e.outputs}
    return {a for e in eqns for a in e.inputs if isinstance(a, Var) and a not in own}


def test_pieces_record_reads_writes_and_prange():
    def f(x, w):
        h = jnp.tanh(x @ w)            # matmul, then a loop
        return jnp.sum(h * 2.0, axis=1), h.T @ h, jnp.max(w)  # the last: serial

    x = np.ones((64, 32), np.float32)
    w = np.ones((32, 2048), np.float32)  # 64 x 2048 x (ops): a prange loop (PARALLEL_WORK)
    program = _program(f, x, w)
    names = Names()
    with generic_sizes(program):
        pieces = cpu_program._pieces(program, names)
    assert len(pieces) == len(program.kernels) >= 3
    for p in pieces:
        assert set(p.ins) == {names.var(v) for v in _reads(p.k)}
        assert set(p.outs) == {names.var(v) for v in p.k.outputs}
        assert p.parallel == any("prange(" in ln for ln in p.lines)
        # the leading size 64 of x is the generic S0; every piece that writes it uses it
        text = "\n".join(p.lines)
        assert p.sizes == ({"S0"} if "S0" in text else set())
    assert any(p.parallel for p in pieces) and not all(p.parallel for p in pieces)

"""The loop body both backends share: how a loop kernel's per-element values are written.

``LoopBody`` walks a ``LoopKernel``'s expression DAG at an index and writes one statement per
equation (memoized by value and index); loads of remapped operands go through the index map
each remap primitive declares (``core.primitive.Remap.index``: output index -> operand index
of broadcast, transpose, rev, slice, squeeze, reshape). ``reduce_update``/``reduce_identity``
are the accumulation step and start value each reduction declares (``Reduce``). The CPU loop
nests (``cpu/loops.py``) and the CUDA kernels (``cuda/loops.py``) differ only in how they
iterate and load; the CUDA body subclasses this one.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import numpy as np

from ..core.ir import Literal, Var
from ..core.primitive import Remap
from ..fuse.kernels import LoopKernel
from .scalar import SCALAR, cast, lit
from .writer import Names, Writer


def sub(idx) -> str:
    """Subscript text for an index tuple ('()' for 0-d).

    Computed indices are cast to uint64: Numba adds a negative-index wraparound to signed
    indices it cannot prove non-negative (a sum such as ``c * 4096 + j`` inside a
    ``prange``), and that select turns contiguous vector loads into gathers (2x on W1).
    Bare loop variables stay as they are, so Numba can still fuse parallel loops over the
    same range. Generated indices are never negative."""
    if not idx:
        return "()"
    return ", ".join(i if i.isidentifier() or i.isdigit() else f"np.uint64({i})" for i in idx)


# -- loop kernels --------------------------------------------------------------------------

class LoopBody:
    """Emits the per-element statements of one loop kernel, memoized by (value, index).
    ``value`` walks the kernel's expression DAG; ``literal``, ``load`` and ``emit`` say how a
    constant, a value in memory and a computed value are written (the CUDA backend's
    ``LoopBody`` overrides them)."""

    def __init__(self, k: LoopKernel, names: Names, w: Writer, scalars: dict,
                 alias: dict | None = None, eqns=None, override: dict | None = None):
        self.k, self.names, self.w, self.scalars = k, names, w, scalars
        self.alias = alias or {}  # var -> name of a flat view (flattened kernels)
        self.override = override or {}  # var -> expression (a finished accumulator)
        self.defs = {v: e for e in (k.eqns if eqns is None else eqns) for v in e.outputs}
        self.memo: dict = {}

    def literal(self, a: Literal) -> str:
        return self.names.literal(a)

    def load(self, a: Var, idx: tuple) -> str:
        if not a.aval.shape:
            return self.scalars[a]
        return f"{self.alias.get(a) or self.names.var(a)}[{sub(idx)}]"

    # the backend's ``expr(eqn, args)``: the source of one element of an equation's output
    # (``cpu/scalar.expr``; the CUDA body writes its own ``emit``)
    expr = None

    def emit(self, e, args) -> str:
        t = self.names.temp()
        self.w(f"{t} = {self.expr(e, args)}  # {e.prim.name}")
        return t

    def value(self, a, idx: tuple) -> str:
        """Source of ``a`` at ``idx``, emitting the statements it needs first. The DAG is
        walked with an explicit stack (post-order, inputs left to right), not by recursion:
        a 10,000-op elementwise chain is one kernel and would exhaust Python's stack."""
        results: list[str] = []
        todo: list = [(a, idx, ())]  # (value, index, memo keys that alias it) or an emit
        while todo:
            item = todo.pop()
            if len(item) == 2:  # all inputs of an equation are on `results`: emit it
                e, keys = item
                n = len(e.inputs)
                res = self.emit(e, results[len(results) - n:])
                del results[len(results) - n:]
            else:
                a, idx, keys = item
                res = self._leaf(a, idx)
                if res is None:
                    key = (a, idx)
                    e = self.defs[a]
                    if isinstance(e.prim.kind, Remap):
                        todo.append((e.inputs[0], e.prim.kind.index(e, idx), keys + (key,)))
                        continue
                    todo.append((e, keys + (key,)))
                    todo.extend((x, idx if x.aval.shape else (), ())
                                for x in reversed(e.inputs))
                    continue
            for key in keys:
                self.memo[key] = res
            results.append(res)
        return results[0]

    def _leaf(self, a, idx: tuple):
        """The source of ``a`` at ``idx`` when it needs no statement (a constant, a known or
        memoized value, a memory read, an iota), else None."""
        if isinstance(a, Literal):
            return self.literal(a)
        if a in self.override:
            return self.override[a]
        key = (a, idx)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        e = self.defs.get(a)
        if e is None:  # read from memory
            res = self.load(a, idx)
        elif not e.inputs:  # a remap of no operand (iota): the mapped index itself
            res = f"{cast(a.aval.dtype)}({e.prim.kind.index(e, idx)[0]})"
        else:
            return None
        self.memo[key] = res
        return res


def kernel_reads(k: LoopKernel):
    defined = {v for e in k.eqns + k.reductions + k.epilogue for v in e.outputs}
    out = []
    for e in k.eqns + k.reductions + k.epilogue:
        for a in e.inputs:
            if isinstance(a, Var) and a not in defined and a not in out:
                out.append(a)
    return out


def reduce_update(e, acc: str, val: str) -> str:
    """The statement adding ``val`` into the accumulator ``acc`` of reduction ``e``: its
    declared combine step (``core.primitive.Reduce``)."""
    r, d = e.prim.kind, e.outputs[0].aval.dtype
    if r.operator in ("+", "*"):  # the in-place forms Numba combines across prange threads
        return f"{acc} {r.operator}= {val}"
    if r.operator and d == np.bool_:  # bool & and | stay bool (and/or would short-circuit)
        return f"{acc} = {acc} {r.operator} {val}"
    # max, min, and/or of integers: the combine primitive's template, shared by the backends
    # (it reads only its arguments and the dtype, so no equation is passed)
    return f"{acc} = {SCALAR[r.combine.name](None, [acc, val], d)}"


def reduce_identity(e) -> str:
    """The start value of reduction ``e``'s accumulator, in its dtype."""
    d = e.outputs[0].aval.dtype
    return f"{cast(d)}({lit(e.prim.kind.identity(d))})"

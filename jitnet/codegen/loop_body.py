"""The loop body both backends share: how a loop kernel's per-element values are written.

``LoopBody`` walks a ``LoopKernel``'s expression DAG at an index and writes one statement per
equation (memoized by value and index); loads of remapped operands go through the index
arithmetic of ``remap_index`` (output index -> operand index of broadcast, transpose, rev,
slice, squeeze, reshape). ``reduce_update``/``reduce_identity`` are the accumulation step and
start value of each reduction. The CPU loop nests (``cpu/loops.py``) and the CUDA kernels
(``cuda/loops.py``) differ only in how they iterate and load; the CUDA body subclasses this one.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import numpy as np

from ..core.ir import Literal, Var
from ..fuse.kernels import LoopKernel
from .scalar import cast, expr
from .writer import Names, Writer

REMAPS = ("broadcast_in_dim", "transpose", "rev", "slice", "squeeze", "reshape", "iota")

_IDENTITY = {"reduce_sum": "0", "reduce_prod": "1", "reduce_or": "False", "reduce_and": "True"}


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


# -- index arithmetic of remaps (output index -> operand index) ---------------------------

def remap_index(e, idx: tuple) -> tuple:
    name, p = e.prim.name, e.params
    src = e.inputs[0].aval.shape if e.inputs else ()
    out = e.outputs[0].aval.shape
    if name == "broadcast_in_dim":
        return tuple("0" if src[i] == 1 and out[d] != 1 else idx[d]
                     for i, d in enumerate(p["broadcast_dimensions"]))
    if name == "transpose":
        res = [None] * len(idx)
        for k, pk in enumerate(p["permutation"]):
            res[pk] = idx[k]
        return tuple(res)
    if name == "rev":
        return tuple(f"({src[d] - 1} - {i})" if d in p["dimensions"] else i
                     for d, i in enumerate(idx))
    if name == "slice":
        strides = p["strides"] or (1,) * len(idx)
        return tuple(_affine(s, st, i) for s, st, i in zip(p["start_indices"], strides, idx))
    if name == "squeeze":
        it = iter(idx)
        return tuple("0" if d in p["dimensions"] else next(it) for d in range(len(src)))
    if name == "reshape":
        return _reshape_index(src, out, idx)
    raise NotImplementedError(name)


def _affine(start, stride, i) -> str:
    if start == 0 and stride == 1:
        return i
    if stride == 1:
        return f"({start} + {i})"
    return f"({start} + {stride} * {i})" if start else f"({stride} * {i})"


def _reshape_index(src, out, idx) -> tuple:
    """Operand index of a reshape; size-1 dims map directly, the rest via the flat offset."""
    if [d for d in src if d != 1] == [d for d in out if d != 1]:
        it = iter(i for i, d in zip(idx, out) if d != 1)
        return tuple("0" if d == 1 else next(it) for d in src)
    terms, stride = [], 1
    for i, d in reversed(list(zip(idx, out))):
        if d != 1:
            terms.append(i if stride == 1 else f"{i} * {stride}")
        stride *= d
    flat = "(" + " + ".join(reversed(terms)) + ")" if terms else "0"
    res, stride = [], 1
    for d in reversed(src):
        res.append("0" if d == 1 else f"(({flat} // {stride}) % {d})" if stride > 1
                   else f"({flat} % {d})")
        stride *= d
    return tuple(reversed(res))


# -- loop kernels --------------------------------------------------------------------------

class LoopBody:
    """Emits the per-element statements of one loop kernel, memoized by (value, index).
    ``value`` walks the kernel's expression DAG; ``literal``, ``load`` and ``emit`` say how a
    constant, a value in memory and a computed value are written (the CUDA backend's
    ``LoopBody`` overrides them)."""

    def __init__(self, k: LoopKernel, names: Names, w: Writer, scalars: dict,
                 alias: dict | None = None, eqns=None, override: dict | None = None):
        self.k, self.names, self.w, self.scalars = k, names, w, scalars
        self.alias = alias or {}  # var id -> name of a flat view (flattened kernels)
        self.override = override or {}  # var id -> expression (a finished accumulator)
        self.defs = {id(v): e for e in (k.eqns if eqns is None else eqns) for v in e.outputs}
        self.memo: dict = {}

    def literal(self, a: Literal) -> str:
        return self.names.literal(a)

    def load(self, a: Var, idx: tuple) -> str:
        if not a.aval.shape:
            return self.scalars[id(a)]
        return f"{self.alias.get(id(a)) or self.names.var(a)}[{sub(idx)}]"

    def emit(self, e, args) -> str:
        t = self.names.temp()
        self.w(f"{t} = {expr(e, args)}  # {e.prim.name}")
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
                    key = (id(a), idx)
                    e = self.defs[id(a)]
                    if e.prim.name in REMAPS:
                        todo.append((e.inputs[0], remap_index(e, idx), keys + (key,)))
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
        if id(a) in self.override:
            return self.override[id(a)]
        key = (id(a), idx)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        e = self.defs.get(id(a))
        if e is None:  # read from memory
            res = self.load(a, idx)
        elif e.prim.name == "iota":
            res = f"{cast(a.aval.dtype)}({idx[e.params['dimension']]})"
        else:
            return None
        self.memo[key] = res
        return res


def kernel_reads(k: LoopKernel):
    defined = {id(v) for e in k.eqns + k.reductions + k.epilogue for v in e.outputs}
    out = []
    for e in k.eqns + k.reductions + k.epilogue:
        for a in e.inputs:
            if isinstance(a, Var) and id(a) not in defined and a not in out:
                out.append(a)
    return out


def reduce_update(e, acc: str, val: str) -> str:
    d = e.outputs[0].aval.dtype
    name = e.prim.name
    if name == "reduce_sum":
        return f"{acc} += {val}"
    if name == "reduce_prod":
        return f"{acc} *= {val}"
    if name == "reduce_max":
        return f"{acc} = jn_max({acc}, {val})"
    if name == "reduce_min":
        return f"{acc} = jn_min({acc}, {val})"
    if name == "reduce_and":
        return f"{acc} = {acc} & {val}" if d == np.bool_ else f"{acc} = {cast(d)}({acc} & {val})"
    return f"{acc} = {acc} | {val}" if d == np.bool_ else f"{acc} = {cast(d)}({acc} | {val})"


def reduce_identity(e) -> str:
    d = e.outputs[0].aval.dtype
    name = e.prim.name
    if name in _IDENTITY:
        v = _IDENTITY[name]
        if name == "reduce_and" and d != np.bool_:
            v = "-1"
        return f"{cast(d)}({v})"
    info = np.finfo(d) if d.kind == "f" else np.iinfo(d) if d.kind in "iu" else None
    if name == "reduce_max":
        return (f"{cast(d)}(-np.inf)" if d.kind == "f" else "False" if d == np.bool_
                else f"{cast(d)}({info.min})")
    return (f"{cast(d)}(np.inf)" if d.kind == "f" else "True" if d == np.bool_
            else f"{cast(d)}({info.max})")

"""Fusion: group an IR's equations into kernels (``fuse(ir) -> FusedProgram``).

Each equation is placed by its primitive's declared kind (``core.primitive``: ``Elementwise``,
``Remap``, ``Reduce``, ``Op``). Rules, applied greedily in program order:

* An elementwise equation joins the loop kernel that produced one of its inputs when the
  iteration shapes match and no cycle between kernels would result; otherwise it opens a
  new loop kernel.
* Index remaps (``Remap``: broadcast_in_dim, transpose, rev, slice, reshape, squeeze,
  iota) are not placed on their own: they are pulled into each consuming loop kernel as index
  arithmetic on the load, so ``x + b[None, :]`` or ``x + y.T`` allocate nothing.
* A reduction joins the loop kernel that computes its operand (several reductions can
  share one loop); a loop kernel never reads its own reduction results.
* Everything else is an ``OpKernel``. A remapped value needed by an op kernel or as a
  program output is materialized by a small copy loop.
* A value computed in a loop kernel is stored only if something outside the kernel reads it.
"""
from __future__ import annotations

import heapq

from ..core.ir import IR, Eqn, Var
from ..core.primitive import Elementwise, Reduce, Remap
from .kernels import FusedProgram, LoopKernel, OpKernel


def classify(e: Eqn) -> str:
    """The primitive's declared kind (``core.primitive``): "elementwise", "remap", "reduce"
    or "op" (also for a primitive that declares none)."""
    kind = e.prim.kind
    if isinstance(kind, Elementwise):
        return "elementwise"
    if isinstance(kind, Remap):
        return "remap"
    if isinstance(kind, Reduce):
        return "reduce"
    return "op"


class _Fuser:
    def __init__(self, ir: IR, epilogues: bool = False):
        self.ir = ir
        self.kernels: list = []
        # Vars, Eqns and kernels hash by identity: the tables are keyed by the objects
        self.producer: dict[Var, object] = {}     # var -> kernel that defines it
        self.reduced: dict[Var, LoopKernel] = {}  # var -> loop kernel whose reduction it is
        self.remap: dict[Var, Eqn] = {}           # pending remap outputs
        self.deps: dict[object, set] = {}         # kernel -> kernels it reads
        self.members: dict[object, set] = {}      # kernel -> eqns placed in it
        self.reads: dict[object, set] = {}        # kernel -> the vars it loads
        self.order = {e: i for i, e in enumerate(ir.eqns)}  # program order of equations
        self.epilogues = epilogues
        self.epi_of: dict[Var, LoopKernel] = {}   # var -> kernel computing it in an epilogue

    # -- helpers ------------------------------------------------------------------
    def _new(self, k):
        self.kernels.append(k)
        self.deps[k] = set()
        self.members[k] = set()
        self.reads[k] = set()
        return k

    def _chain(self, a) -> tuple[list[Eqn], list]:
        """Remap equations leading to ``a`` (in order) and the source atoms they read."""
        if not isinstance(a, Var) or a not in self.remap:
            return [], [a]
        e = self.remap[a]
        eqns, sources = [], []
        for x in e.inputs:
            ce, cs = self._chain(x)
            eqns += ce
            sources += cs
        return eqns + [e], sources

    def _source_kernels(self, sources, into=None):
        out = []
        for s in sources:
            if not isinstance(s, Var):
                continue
            k = self.reduced.get(s) or self.producer.get(s)
            delayed = s in self.reduced or s in self.epi_of  # ready after the loop
            if k is not None and (k is not into or delayed):
                out.append(k)
        return out

    def _reaches(self, k, target) -> bool:
        """Does kernel ``k`` (transitively) read from ``target``?"""
        seen, stack = set(), [k]
        while stack:
            i = stack.pop()
            if i is target:
                return True
            if i not in seen:
                seen.add(i)
                stack.extend(self.deps[i])
        return False

    def _mergeable(self, a, b) -> bool:
        """No kernel other than a and b lies on a path between them (no cycle after merging),
        and neither reads the other's reduction results (not available inside the loop)."""
        def via_other(x, y):
            return any(d is not y and self._reaches(d, y) for d in self.deps[x])

        def reads_reduced(x, y):
            return any(e.outputs[0] in self.reads[x] for e in y.reductions)
        return not (via_other(a, b) or via_other(b, a) or reads_reduced(a, b)
                    or reads_reduced(b, a) or a.epilogue or b.epilogue)

    def _merge(self, into, other):
        order = self.order
        into.eqns = sorted(into.eqns + [e for e in other.eqns
                                        if e not in self.members[into]],
                           key=lambda e: order[e])
        into.reductions += other.reductions
        self.members[into] |= self.members[other]
        self.reads[into] |= self.reads.pop(other)
        self.deps[into] |= self.deps[other] - {into}
        for deps in self.deps.values():
            if other in deps:
                deps.discard(other)
                deps.add(into)
        self.deps[into].discard(into)
        for table in (self.producer, self.reduced):
            for key, k in list(table.items()):
                if k is other:
                    table[key] = into
        self.kernels.remove(other)
        del self.deps[other], self.members[other]

    def _legal(self, group, kernels) -> bool:
        return all(k is not group and not self._reaches(k, group) for k in kernels)

    def _add_dep(self, k, sources):
        for d in self._source_kernels(sources, k):
            if d is not k:
                self.deps[k].add(d)

    def _place(self, group, e: Eqn):
        for a in e.inputs:
            chain, sources = self._chain(a)
            for ce in chain:
                if ce not in self.members[group]:
                    self.members[group].add(ce)
                    group.eqns.append(ce)
            self._add_dep(group, sources)
            self.reads[group].update(x for x in sources if isinstance(x, Var))

    # -- placement ----------------------------------------------------------------
    def _siblings(self, shape, sources) -> list:
        """Loops over ``shape`` that already read one of ``sources`` (horizontal fusion)."""
        read = {s for s in sources if isinstance(s, Var)}
        return [k for k in self.kernels if isinstance(k, LoopKernel) and k.shape == shape
                and self.reads[k] & read]

    def _epilogue_target(self, e: Eqn):
        """The loop kernel whose reductions ``e`` can follow as an epilogue, or None.

        ``e`` must have the reductions' kept shape (reduced axes trailing, shared by all of
        the kernel's reductions), and read the kernel only through its reduction results or
        earlier epilogue values, reshaped at most by size-1 dims (same elements). Results
        of other kernels' reductions are read from memory like any input (a softmax
        gradient's ``sum(g) / sum(exp)``: the latest kernel that can take it does)."""
        if not self.epilogues:
            return None
        reads = []   # (kernel whose reduction or epilogue value e reads, through an order-
        #              keeping chain)
        for a in e.inputs:
            chain, sources = self._chain(a)
            keeps = all(c.prim.kind.keeps_order for c in chain)
            for s in sources:
                k = (self.reduced.get(s) or self.epi_of.get(s)) if isinstance(s, Var) else None
                if k is not None:
                    reads.append((k, keeps))
        for target in dict.fromkeys(k for k, _ in reversed(reads)):
            if all(keeps for k, keeps in reads if k is target) and self._can_follow(target, e):
                return target
        return None

    def _can_follow(self, target, e: Eqn) -> bool:
        """Can ``e`` run in ``target``'s epilogue: the shapes fit, ``e`` reads none of the
        values ``target`` computes per element (gone when the epilogue runs), and no kernel
        ``e`` reads from memory depends on ``target``?"""
        shape = e.outputs[0].aval.shape
        axes = {r.params["axes"] for r in target.reductions}
        rank = len(target.shape)
        if len(axes) != 1:
            return False
        ax = next(iter(axes))
        kept = target.shape[:rank - len(ax)]
        if ax != tuple(range(rank - len(ax), rank)) or _squeezed(kept) != _squeezed(shape):
            return False
        others = [s for a in e.inputs for s in self._chain(a)[1]
                  if isinstance(s, Var) and self.reduced.get(s) is not target
                  and self.epi_of.get(s) is not target]
        if any(self.producer.get(s) is target for s in others):
            return False
        return self._legal(target, self._source_kernels(others, target))

    def elementwise(self, e: Eqn):
        target = self._epilogue_target(e)
        if target is not None:
            for a in e.inputs:
                chain, sources = self._chain(a)
                for ce in chain:
                    if ce not in target.epilogue:
                        target.epilogue.append(ce)
                self._add_dep(target, [s for s in sources if self.epi_of.get(s) is not target
                                       and self.reduced.get(s) is not target])
                self.reads[target].update(x for x in sources if isinstance(x, Var))
            target.epilogue.append(e)
            self.epi_of[e.outputs[0]] = target
            self.producer[e.outputs[0]] = target
            return
        shape = e.outputs[0].aval.shape
        sources = [s for a in e.inputs for s in self._chain(a)[1]]
        candidates = []
        for s in sources:
            k = self.producer.get(s) if isinstance(s, Var) else None
            if (isinstance(k, LoopKernel) and k.shape == shape and s not in self.reduced
                    and s not in self.epi_of):
                candidates.append(k)
        candidates += [k for k in self._siblings(shape, sources) if k not in candidates]
        group = None
        for k in candidates:
            if self._legal(k, self._source_kernels(sources, k)):
                group = k
                break
        if group is None:
            group = self._new(LoopKernel(shape))
        self._place(group, e)
        for other in candidates:  # sibling chains over the same shape become one loop
            if other is not group and other in self.kernels and self._mergeable(group, other):
                self._merge(group, other)
        group.eqns.append(e)
        self.members[group].add(e)
        self.producer[e.outputs[0]] = group

    def reduce(self, e: Eqn):
        src = e.inputs[0]
        k = self.producer.get(src) if isinstance(src, Var) else None
        fits = (isinstance(k, LoopKernel) and k.shape == src.aval.shape
                and src not in self.reduced and src not in self.epi_of  # ready after it
                and all(r.params["axes"] == e.params["axes"] for r in k.reductions
                        if k.epilogue))
        if fits:
            group = k
        else:
            sources = self._chain(src)[1]
            sib = [s for s in self._siblings(src.aval.shape, sources)
                   if self._legal(s, self._source_kernels(sources, s)) and not s.epilogue]
            group = sib[0] if sib else self._new(LoopKernel(src.aval.shape))
            self._place(group, e)
        group.reductions.append(e)
        self.reduced[e.outputs[0]] = group
        self.producer[e.outputs[0]] = group

    def op(self, e: Eqn):
        ins = []
        for a in e.inputs:
            self.materialize(a)
            ins.append(a)
        k = self._new(OpKernel(e))
        self._add_dep(k, ins)
        for v in e.outputs:
            self.producer[v] = k

    def materialize(self, a):
        """Give a pending remap value its own copy loop (it is read as memory)."""
        if not isinstance(a, Var) or a not in self.remap or a in self.producer:
            return
        e = self.remap[a]
        group = self._new(LoopKernel(a.aval.shape))
        self._place(group, e)
        group.eqns.append(e)
        self.members[group].add(e)
        self.producer[a] = group

    def run(self) -> FusedProgram:
        for e in self.ir.eqns:
            kind = classify(e)
            if kind == "remap":
                self.remap[e.outputs[0]] = e
            elif kind == "elementwise":
                self.elementwise(e)
            elif kind == "reduce":
                self.reduce(e)
            else:
                self.op(e)
        for a in self.ir.outvars:
            self.materialize(a)
        self._assign_stores()
        return FusedProgram(list(self.ir.invars), self._ordered(), list(self.ir.outvars),
                            self.ir.num_consts)

    def _ordered(self) -> list:
        """The kernels, each after the kernels it reads (stable otherwise): an elementwise
        equation can join an earlier kernel while reading a kernel created after it."""
        index = {k: i for i, k in enumerate(self.kernels)}
        preds: dict[object, set] = {}
        succs: dict[object, list] = {k: [] for k in self.kernels}
        for k in self.kernels:
            ps = set()
            for a in _memory_reads(k):
                p = self.producer.get(a) if isinstance(a, Var) else None
                if p is not None and p is not k:
                    ps.add(p)
            preds[k] = ps
            for p in ps:
                succs[p].append(k)
        ready = [(index[k], k) for k in self.kernels if not preds[k]]
        heapq.heapify(ready)
        order = []
        while ready:
            _, k = heapq.heappop(ready)
            order.append(k)
            for s in succs[k]:
                preds[s].discard(k)
                if not preds[s]:
                    heapq.heappush(ready, (index[s], s))
        assert len(order) == len(self.kernels), "fusion made a cycle between kernels"
        return order

    def _assign_stores(self):
        reads: dict[Var, set] = {}   # var -> kernels reading it from memory
        for k in self.kernels:
            for a in _memory_reads(k):
                if isinstance(a, Var):
                    reads.setdefault(a, set()).add(k)
        outs = {a for a in self.ir.outvars if isinstance(a, Var)}
        for k in self.kernels:
            if not isinstance(k, LoopKernel):
                continue
            for e in k.eqns:
                v = e.outputs[0]
                if self.producer.get(v) is not k:
                    continue  # a remap pulled in from elsewhere, or not this kernel's value
                if v in outs or reads.get(v, set()) - {k}:
                    k.stores.append(v)
            for e in k.epilogue:
                v = e.outputs[0]
                if self.epi_of.get(v) is k and (v in outs or reads.get(v, set()) - {k}):
                    k.epilogue_stores.append(v)


def _squeezed(shape) -> tuple:
    return tuple(d for d in shape if d != 1)


def _memory_reads(k) -> list:
    """The atoms kernel ``k`` reads from memory (not computed inside it)."""
    if isinstance(k, OpKernel):
        return list(k.eqn.inputs)
    defined = {v for e in k.eqns + k.reductions + k.epilogue for v in e.outputs}
    return [a for e in k.eqns + k.reductions + k.epilogue for a in e.inputs
            if not (isinstance(a, Var) and a in defined)]


def fuse(ir: IR, epilogues: bool = False) -> FusedProgram:
    """Kernels for ``ir``; ``epilogues`` lets elementwise work on reduction results run in the
    reducing kernel (for targets whose code generator supports it)."""
    return _Fuser(ir, epilogues).run()


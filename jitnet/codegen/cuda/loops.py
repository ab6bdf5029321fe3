"""CUDA loop kernels: a ``LoopKernel``'s stores as one grid-stride elementwise kernel, its
reductions as block-per-output kernels with a shared-memory tree (see ``gen.py`` for the
overview). The per-element body is the shared ``loop_body.LoopBody`` with CUDA loads.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import math

from ...core.ir import Literal, Var
from ...fuse.kernels import LoopKernel
from ..loop_body import LoopBody, kernel_reads, reduce_identity, reduce_update
from ..writer import Writer
from .gen import Gen, Kernel, block_threads, numba_type, offset, unravel
from .scalar import expr


# -- loop kernels --------------------------------------------------------------------------

class _Body(LoopBody):
    """The per-element statements of a loop kernel inside one CUDA kernel, memoized by
    (value, index). ``memory`` holds values already stored by an earlier kernel (read back
    instead of recomputed); ``flat`` maps (index, shape) to a flat-offset variable."""

    def __init__(self, k: LoopKernel, kern: Kernel, scalars: dict, flat: dict, memory=()):
        self.k, self.kern, self.scalars, self.flat = k, kern, scalars, flat
        mem = set(memory)
        self.defs = {v: e for e in k.eqns for v in e.outputs if v not in mem}
        self.memo: dict = {}
        self.override: dict = {}

    def literal(self, a: Literal) -> str:
        return self.kern.lit(a)

    def load(self, a: Var, idx: tuple) -> str:
        if not a.aval.shape:
            return self.scalars.get(a) or f"{self.kern.buf(a)}[0]"
        shape = tuple(a.aval.shape)
        off = self.flat.get((idx, shape)) or offset(idx, shape)
        return f"{self.kern.buf(a)}[{off}]"

    def emit(self, e, args) -> str:
        t = self.kern.gen.names.temp()
        self.kern.w(f"{t} = {expr(e, args)}  # {e.prim.name}")
        return t


def _hoist_scalars(k: LoopKernel, kern: Kernel) -> dict:
    """0-d operands read once per thread, before the loop."""
    scalars = {}
    for a in kernel_reads(k):
        if not a.aval.shape:
            t = kern.gen.names.temp()
            kern.w(f"{t} = {kern.buf(a)}[0]")
            scalars[a] = t
    return scalars


def emit_loop(gen: Gen, k: LoopKernel):
    """The stores of ``k`` in an elementwise kernel, or, when ``k`` reduces, in the kernel of
    its first reduction group (which visits every element exactly once); later groups read
    the stored values back instead of recomputing them."""
    n = math.prod(k.shape)
    for v in k.stores:
        gen.alloc(v)
    groups: dict = {}
    for e in k.reductions:
        groups.setdefault(tuple(e.params["axes"]), []).append(e)
    if k.stores and n and not groups:
        kern = gen.kernel(k.describe())
        scalars = _hoist_scalars(k, kern)
        w = kern.w
        w(f"for fl in range(cuda.grid(1), {n}, cuda.gridsize(1)):")
        w.indent()
        idx = unravel(w, "fl", k.shape, [f"ix{d}" for d in range(len(k.shape))])
        body = _Body(k, kern, scalars, {(idx, tuple(k.shape)): "fl"})
        for v in k.stores:
            w(f"{kern.buf(v)}[fl] = {body.value(v, idx)}")
        gen.launch(kern, n)
    for j, (axes, reds) in enumerate(groups.items()):
        _emit_reduction(gen, k, axes, reds, stores=bool(j == 0 and k.stores and n))


def _reduce_step(k: LoopKernel, kern: Kernel, body: "_Body", reds, accs, idx, stores: bool):
    """Per element of a reduction kernel: the loop's stores (if this kernel writes them), then
    the accumulator updates."""
    w = kern.w
    if stores:
        off = offset(idx, tuple(k.shape))
        for v in k.stores:
            w(f"{kern.buf(v)}[{off}] = {body.value(v, idx)}")
    for e, acc in zip(reds, accs):
        w(reduce_update(e, acc, body.value(e.inputs[0], idx)))


def _tree(w: Writer, reds, sms, threads: int):
    """Combine the block's per-thread results in shared memory: a fixed-order tree."""
    w("cuda.syncthreads()")
    s = threads // 2
    while s >= 1:
        w(f"if tid < {s}:")
        w.indent()
        for e, sm in zip(reds, sms):
            w(reduce_update(e, f"{sm}[tid]", f"{sm}[tid + {s}]"))
        w.dedent()
        w("cuda.syncthreads()")
        s //= 2


def _accumulators(w: Writer, reds) -> list[str]:
    """One accumulator per reduction, set to its identity."""
    accs = [f"acc{j}" for j in range(len(reds))]
    for e, acc in zip(reds, accs):
        w(f"{acc} = {reduce_identity(e)}")
    return accs


def _shared_buffers(w: Writer, reds, threads: int) -> list[str]:
    """A shared-memory buffer per reduction (one slot per thread of the block), and ``tid``."""
    sms = [f"sm{j}" for j in range(len(reds))]
    for e, sm in zip(reds, sms):
        w(f"{sm} = cuda.shared.array({threads}, {numba_type(e.outputs[0].aval.dtype)})")
    w("tid = cuda.threadIdx.x")
    return sms


def _block_result(kern, reds, accs, sms, threads: int, targets):
    """Fold the threads' accumulators (``_tree``); thread 0 writes each result at ``blk``."""
    w = kern.w
    for acc, sm in zip(accs, sms):
        w(f"{sm}[tid] = {acc}")
    _tree(w, reds, sms, threads)
    w("if tid == 0:")
    w.indent()
    for t, sm in zip(targets, sms):
        w(f"{kern.arg(t)}[blk] = {sm}[0]")
    w.dedent()
    w("cuda.syncthreads()  # the shared buffers are reused by the block's next output")


def _emit_reduction(gen: Gen, k: LoopKernel, axes, reds, stores: bool = False):
    """Reductions of ``k`` over ``axes``: one block (or G blocks, then a combining kernel) per
    output element; see the module docstring."""
    lim = gen.limits
    shape = tuple(k.shape)
    kept = [d for d in range(len(shape)) if d not in axes]
    K = math.prod(shape[d] for d in kept)
    R = math.prod(shape[d] for d in axes)
    outs = [gen.alloc(e.outputs[0]) for e in reds]
    if K == 0:
        return
    # short reductions, and column reductions (the last axis kept: neighbouring threads then
    # read neighbouring elements) over many outputs, are a thread per output
    if R <= lim.serial or (len(shape) - 1 in kept and K >= 8 * lim.max_threads):
        _emit_serial_reduction(gen, k, axes, reds, outs, K, R, stores)
        return
    T = block_threads(R, lim)
    G = max(1, min(-(-R // (T * lim.items)), lim.max_blocks // K))
    targets = outs if G == 1 else [gen.alloc_temp(K * G, e.outputs[0].aval.dtype) for e in reds]
    kern = gen.kernel(f"{k.describe()} reduce axes {list(axes)} (block {T}, split {G})")
    w = kern.w
    sms = _shared_buffers(w, reds, T)
    scalars = _hoist_scalars(k, kern)
    w(f"for blk in range(cuda.blockIdx.x, {K * G}, cuda.gridDim.x):")
    w.indent()
    if G > 1:
        w(f"ko = blk // {G}")
        w(f"g = blk % {G}")
        start = f"g * {T} + tid"
    else:
        w("ko = blk")
        start = "tid"
    idx = ["0"] * len(shape)
    kept_idx = unravel(w, "ko", [shape[d] for d in kept], [f"ik{d}" for d in kept])
    for d, i in zip(kept, kept_idx):
        idx[d] = i
    accs = _accumulators(w, reds)
    w(f"for r in range({start}, {R}, {G * T}):")
    w.indent()
    red_idx = unravel(w, "r", [shape[d] for d in axes], [f"ir{d}" for d in axes])
    for d, i in zip(axes, red_idx):
        idx[d] = i
    body = _Body(k, kern, scalars, {}, memory=() if stores else k.stores)
    _reduce_step(k, kern, body, reds, accs, tuple(idx), stores)
    w.dedent()
    _block_result(kern, reds, accs, sms, T, targets)
    gen.launch_blocks(kern, min(K * G, lim.max_blocks), T)
    if G > 1:
        _emit_combine(gen, reds, targets, outs, K, G)


def _emit_serial_reduction(gen: Gen, k: LoopKernel, axes, reds, outs, K: int, R: int,
                           stores: bool):
    """One thread per output, reducing its R elements in order (no shared memory)."""
    shape = tuple(k.shape)
    kept = [d for d in range(len(shape)) if d not in axes]
    kern = gen.kernel(f"{k.describe()} reduce axes {list(axes)} (a thread per output)")
    w = kern.w
    scalars = _hoist_scalars(k, kern)
    w(f"for ko in range(cuda.grid(1), {K}, cuda.gridsize(1)):")
    w.indent()
    idx = ["0"] * len(shape)
    for d, i in zip(kept, unravel(w, "ko", [shape[d] for d in kept], [f"ik{d}" for d in kept])):
        idx[d] = i
    accs = _accumulators(w, reds)
    w(f"for r in range({R}):")
    w.indent()
    for d, i in zip(axes, unravel(w, "r", [shape[d] for d in axes], [f"ir{d}" for d in axes])):
        idx[d] = i
    body = _Body(k, kern, scalars, {}, memory=() if stores else k.stores)
    _reduce_step(k, kern, body, reds, accs, tuple(idx), stores)
    w.dedent()
    for o, acc in zip(outs, accs):
        w(f"{kern.arg(o)}[ko] = {acc}")
    gen.launch(kern, K)


def _emit_combine(gen: Gen, reds, partials, outs, K: int, G: int):
    """Second pass of a split reduction: one block per output folds its G partials."""
    lim = gen.limits
    T = block_threads(G, lim)
    kern = gen.kernel(f"combine {G} partials of {', '.join(e.prim.name for e in reds)}")
    w = kern.w
    sms = _shared_buffers(w, reds, T)
    w(f"for blk in range(cuda.blockIdx.x, {K}, cuda.gridDim.x):")
    w.indent()
    accs = _accumulators(w, reds)
    w(f"for j in range(tid, {G}, {T}):")
    w.indent()
    for e, acc, p in zip(reds, accs, partials):
        w(reduce_update(e, acc, f"{kern.arg(p)}[blk * {G} + j]"))
    w.dedent()
    _block_result(kern, reds, accs, sms, T, outs)
    gen.launch_blocks(kern, min(K, lim.max_blocks), T)

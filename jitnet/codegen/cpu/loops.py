"""CPU code generation of loop kernels (the program around them: ``cpu/program.py``; the
per-element body both backends share: ``codegen/loop_body.py``).

Each ``LoopKernel`` becomes a loop nest whose body evaluates the kernel's expression DAG per element:
loads go through the index arithmetic of the remaps pulled into the kernel, values
used only inside the kernel stay in registers, reductions accumulate in scalars (when
the reduced axes include the innermost one) or into an output array. Each ``OpKernel`` is emitted
by its primitive's generator in ``cpu/ops.py``. Loop bounds are literals, except the sizes
a shape-generic program reads at run time (``codegen/dims.py``: a batch size), and a choice
that depends on such a size (a ``prange`` from ``PARALLEL_WORK``) is made at run time.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import math

from ...core.ir import Var
from ...core.primitive import Remap
from ...fuse.kernels import LoopKernel
from ..dims import Dim, decide
from ..loop_body import LoopBody, kernel_reads, reduce_identity, reduce_update, sub
from ..scalar import cast
from ..writer import Names, Writer, alloc
from .scalar import expr

# loops with more element-operations than this run with prange (measured: below it, the
# thread start-up costs more than it saves on 2 cores)
PARALLEL_WORK = 1 << 20


class _Body(LoopBody):
    """The shared loop body writing the CPU's per-element templates."""
    expr = staticmethod(expr)


def _cost(k: LoopKernel) -> int:
    return math.prod(k.shape) * max(1, len(k.eqns) + len(k.reductions))


# a kernel whose parallel loop depends on a run-time size is written twice, parallel and
# serial, the call's sizes choosing; one of more operations than this (a long elementwise
# chain: twice its compile time; as a prange, Numba's parallel passes recurse on it), or
# reducing rows of CHUNK or more (``_long_row``), is written once, decided on the size's
# value as before (each side compiles once)
BOTH_MAX_OPS = 64

LANES = 16       # independent partial results per reduction: lets LLVM vectorize without
#                  reassociation, and bounds rounding error
CHUNK = 4096     # elements per partial sum along the innermost reduced axis (accuracy)


class _Ctx:
    """How one loop kernel is emitted: its iteration shape (the kernel's, or 1-D when the
    kernel is flattened), flat views of the arrays it touches, and reduction axes."""

    def __init__(self, k: LoopKernel, names: Names, flat: bool):
        self.k, self.names, self.flat = k, names, flat
        self.shape = (math.prod(k.shape),) if flat else k.shape
        self.alias: dict[Var, str] = {}

    def axes(self, e) -> tuple:
        return (0,) if self.flat else e.params["axes"]

    def arr(self, v) -> str:
        return self.alias.get(v) or self.names.var(v)


def _reduced_axes(ctx: _Ctx):
    """The common reduced axes when they include the innermost one (scalar accumulators:
    the loops run over the kept axes first, then the reduced ones, so the innermost loop
    still reads memory in order; a conv bias gradient, a sum over axes (0, 2, 3), thus
    accumulates in registers, not in an array element per element read)."""
    axes = {ctx.axes(e) for e in ctx.k.reductions}
    if len(axes) != 1:
        return None
    ax = next(iter(axes))
    return ax if len(ctx.shape) - 1 in ax else None


def _long_row(m) -> bool:
    """Is an innermost reduced axis of ``m`` a chunk or more (or read at run time)?"""
    return isinstance(m, Dim) or m >= CHUNK


def _flattenable(k: LoopKernel) -> bool:
    """Every access is the identity on the full shape (no remaps), and reductions, if any,
    reduce everything: then one 1-D loop over contiguous memory does the same work (fewer
    loops for Numba to compile, and the simplest loop for LLVM to vectorize)."""
    if len(k.shape) < 2 or any(isinstance(e.prim.kind, Remap) for e in k.eqns + k.epilogue):
        return False
    if any(len(e.params["axes"]) != len(k.shape) for e in k.reductions):
        return False
    return all(not a.aval.shape or a.aval.shape == k.shape for a in kernel_reads(k))


def emit_loop(k: LoopKernel, names: Names, w: Writer):
    w(f"# {k.describe()}")
    scalars = {}
    ctx = _Ctx(k, names, _flattenable(k))
    n = ctx.shape[0] if ctx.flat else None
    for a in kernel_reads(k):
        if not a.aval.shape:
            s = names.temp()
            w(f"{s} = {names.var(a)}[()]")
            scalars[a] = s
        elif ctx.flat:
            t = names.temp()
            w(f"{t} = {names.var(a)}.reshape(({n},))")
            ctx.alias[a] = t
    for v in k.epilogue_stores:
        w(f"{names.var(v)} = {alloc(v.aval.shape, v.aval.dtype)}")
    for v in k.stores:
        w(f"{names.var(v)} = {names.dest.get(v) or alloc(v.aval.shape, v.aval.dtype)}")
        if ctx.flat:
            t = names.temp()
            w(f"{t} = {names.var(v)}.reshape(({n},))")
            ctx.alias[v] = t
    rows = bool(k.reductions) and _reduced_axes(ctx) is not None
    emit = _emit_scalar_reduction if rows else _emit_array_loop
    cost = _cost(k)
    parallel = decide(cost, PARALLEL_WORK)
    # reductions along rows of a chunk or more (a softmax over 5000 classes): their prange
    # version costs Numba's parallel lowering 5-20 s (5 row reductions of (7, 4097): 4.6 s
    # written once, 26.5 s written twice)
    if parallel is None and (len(k.eqns) + len(k.reductions) > BOTH_MAX_OPS
                             or rows and _long_row(ctx.shape[-1])):
        parallel = cost >= PARALLEL_WORK  # on the value: each side compiles once
    if parallel is None:  # depends on a run-time size: both loops, one text for every size
        w(f"if {cost} >= {PARALLEL_WORK}:")
        for branch in (True, False):
            w.indent()
            emit(ctx, w, scalars, branch)
            w.dedent()
            if branch:
                w("else:")
    else:
        emit(ctx, w, scalars, parallel)


def _emit_array_loop(ctx, w, scalars, parallel: bool):
    """Loops over every axis; stores and array-accumulated reductions per element
    (``parallel``: axis 0 in prange)."""
    k, names = ctx.k, ctx.names
    shape, reds = ctx.shape, k.reductions
    rank = len(shape)
    for e in reds:
        out = e.outputs[0]
        w(f"{names.var(out)} = np.full({tuple(out.aval.shape)!r}, {reduce_identity(e)})")
    parallel = parallel and rank > 0
    # accumulating into arrays is race-free in parallel if axis 0 is kept; a reduction over
    # it (a dense layer's bias gradient) accumulates per block of axis 0 instead
    summed = [e for e in reds if 0 in ctx.axes(e)] if parallel and shape[0] > 1 else []
    idx = tuple(f"i{d}" for d in range(rank))
    block, parts = _open_blocks(ctx, w, summed) if summed else (None, {})
    for d in range(rank):
        loop = "prange" if parallel and d == 0 and not summed else "range"
        bounds = (f"{block} * {shape[0]} // {BLOCKS}, ({block} + 1) * {shape[0]} // {BLOCKS}"
                  if summed and d == 0 else f"{shape[d]}")
        w(f"for i{d} in {loop}({bounds}):")
        w.indent()
    body = _Body(k, names, w, scalars, ctx.alias)
    for v in k.stores:
        w(f"{ctx.arr(v)}[{sub(idx)}] = {body.value(v, idx)}")
    for e in reds:
        kept = tuple(i for d, i in enumerate(idx) if d not in ctx.axes(e))
        acc = (f"{parts[e]}[{sub((block,) + kept)}]" if e in parts
               else f"{names.var(e.outputs[0])}[{sub(kept)}]")
        w(reduce_update(e, acc, body.value(e.inputs[0], idx)))
    for _ in range(rank):
        w.dedent()
    if summed:
        _close_blocks(ctx, w, parts)


BLOCKS = 16  # blocks of axis 0 that a reduction over it is split into: fixed, so that the
#              sums do not depend on the thread count


def _open_blocks(ctx, w, reds) -> tuple:
    """Open ``for block in prange(BLOCKS)`` for an array loop whose reductions ``reds`` run
    over axis 0: each block of axis 0 accumulates into its own partial result, folded in
    block order afterwards (``_close_blocks``), so the result is the same, bit for bit, for
    any number of threads (a block empty when axis 0 is shorter adds the identity)."""
    names = ctx.names
    parts = {e: names.temp() for e in reds}
    for e in reds:
        out = e.outputs[0]
        w(f"{parts[e]} = np.full({(BLOCKS,) + tuple(out.aval.shape)!r}, "
          f"{reduce_identity(e)})")
    block = names.temp()
    w(f"for {block} in prange({BLOCKS}):")
    w.indent()
    return block, parts


def _close_blocks(ctx, w, parts):
    """Close the block loop; fold each partial result into its output in block order."""
    names = ctx.names
    w.dedent()
    j, q = names.temp(), names.temp()
    for e, part in parts.items():
        size = math.prod(e.outputs[0].aval.shape)
        out, flat = names.temp(), names.temp()
        w(f"{out} = {names.var(e.outputs[0])}.reshape(({size},))")
        w(f"{flat} = {part}.reshape(({BLOCKS}, {size}))")
        w(f"for {j} in range({BLOCKS}):")
        w.indent()
        w(f"for {q} in range({size}):")
        w.indent()
        w(reduce_update(e, f"{out}[{q}]", f"{flat}[{j}, {q}]"))
        w.dedent()
        w.dedent()


def _emit_scalar_reduction(ctx, w, scalars, big: bool):
    """Kept axes outside, reduced axes inside with scalar accumulators. The innermost reduced
    axis runs in chunks of LANES-wide independent partial results (``big``: in parallel)."""
    k, names = ctx.k, ctx.names
    shape, reds = ctx.shape, k.reductions
    rank = len(shape)
    red_axes = _reduced_axes(ctx)
    n_red = len(red_axes)
    n_kept = rank - n_red
    # loop p runs over axis order[p]: the kept axes, then the reduced ones
    order = [d for d in range(rank) if d not in red_axes] + sorted(red_axes)
    for e in reds:
        out = e.outputs[0]
        if out.aval.shape:
            w(f"{names.var(out)} = {alloc(out.aval.shape, out.aval.dtype)}")
    sum_like = all(e.prim.kind.operator in ("+", "*") for e in reds)
    # parallel over the first kept axis, or (full reduction) over the first reduced axis,
    # whose partial results numba combines (+ and * only)
    par_kept = big and n_kept > 0
    idx = [f"i{d}" for d in range(rank)]
    kept = tuple(idx[d] for d in order[:n_kept])
    kept_shape = tuple(shape[d] for d in order[:n_kept])
    accs = {e: names.temp() for e in reds}
    inner = rank - 1
    # a size read at run time takes the lanes whatever its value (a short one runs only the
    # tail loop): one text for all batch sizes
    lanes_ok = shape[inner] >= 2 * LANES or isinstance(shape[inner], Dim)
    outer_red = order[n_kept:-1]
    par_red = big and n_kept == 0 and sum_like
    # a serial kernel's chunk buffers are allocated once, not once per kept index (a
    # softmax over 64 classes allocated 16 KiB per row)
    bufs = _chunk_buffers(ctx, w) if lanes_ok and not (par_kept or par_red) else None
    for p, d in enumerate(order[:n_kept]):
        w(f"for i{d} in {'prange' if par_kept and p == 0 else 'range'}({shape[d]}):")
        w.indent()
    for e in reds:
        w(f"{accs[e]} = {reduce_identity(e)}")
    if par_red and not outer_red and lanes_ok:  # 1-D full reduction: parallel over chunks
        _emit_chunked(ctx, w, scalars, idx, accs, parallel=True, bufs=None)
    else:
        final = accs
        if par_red:  # one partial result per step of the parallel loop, each from identity
            parts = _open_partials(w, names, reds, f"i{outer_red[0]}", shape[outer_red[0]])
            accs = {e: names.temp() for e in reds}
            for e in reds:
                w(f"{accs[e]} = {reduce_identity(e)}")
        # a short innermost axis under other reduced loops (a conv bias gradient: 28 under
        # 64 x 28) accumulates in one lane per position along it, folded after those loops:
        # independent updates that vectorize, instead of one chain through a scalar (not
        # for a few elements per result, as a 2x2 pool's: the lanes' allocation dominates)
        by_lane = (not lanes_ok and len(outer_red) > (1 if par_red else 0)
                   and shape[inner] > 1
                   and decide(math.prod(shape[d] for d in red_axes), CHUNK) is not False)
        short = {e: names.temp() for e in reds} if by_lane else accs
        for e in reds if by_lane else ():
            w(f"{short[e]} = np.full({shape[inner]}, {reduce_identity(e)})")
        for j, d in enumerate(outer_red[1 if par_red else 0:]):
            w(f"for i{d} in range({shape[d]}):")
            w.indent()
        if lanes_ok:
            _emit_chunked(ctx, w, scalars, idx, accs, parallel=False, bufs=bufs)
        else:
            w(f"for i{inner} in range({shape[inner]}):")
            w.indent()
            body = _Body(k, names, w, scalars, ctx.alias)
            for v in k.stores:
                w(f"{ctx.arr(v)}[{sub(idx)}] = {body.value(v, tuple(idx))}")
            for e in reds:
                at = f"{short[e]}[i{inner}]" if by_lane else accs[e]
                w(reduce_update(e, at, body.value(e.inputs[0], tuple(idx))))
            w.dedent()
        for _ in outer_red[1 if par_red else 0:]:
            w.dedent()
        if by_lane:
            _fold_in_order(w, names, reds, accs, short, shape[inner])
        if par_red:
            _close_partials(w, names, reds, parts, accs, final, f"i{outer_red[0]}",
                            shape[outer_red[0]])
            accs = final
    for e in reds:
        out = e.outputs[0]
        if out.aval.shape:
            w(f"{names.var(out)}[{sub(kept)}] = {accs[e]}")
        else:
            w(f"{names.var(out)} = np.full((), {accs[e]}, dtype={cast(out.aval.dtype)})")
    if k.epilogue and not n_kept:  # elementwise work on the finished (scalar) results
        eb = _Body(k, names, w, scalars, eqns=k.epilogue,
                   override={e.outputs[0]: accs[e] for e in reds})
        for v in k.epilogue_stores:
            w(f"{names.var(v)}[()] = {eb.value(v, ())}")
    for _ in range(n_kept):
        w.dedent()
    if k.epilogue and n_kept:
        _emit_epilogue(ctx, w, scalars, kept_shape, [order[p] for p in range(n_kept)],
                       par_kept)


def _emit_epilogue(ctx, w, scalars, kept_shape, kept_axes, parallel: bool):
    """The epilogue in its own loop over the kept indices, reading the stored reduction
    results: per row inside the reduction loop, a softmax cross-entropy's log was a
    latency-bound scalar chain (27 ns a row of W6's 64 classes); here it vectorizes across
    rows (the same operations, so the same results)."""
    k, names = ctx.k, ctx.names
    kept = tuple(f"i{d}" for d in kept_axes)
    for p, d in enumerate(kept_axes):
        w(f"for i{d} in {'prange' if parallel and p == 0 else 'range'}({kept_shape[p]}):")
        w.indent()
    eb = _Body(k, names, w, scalars, eqns=k.epilogue)
    for v in k.epilogue_stores:
        at = _unit_index(kept, kept_shape, v.aval.shape)
        w(f"{names.var(v)}[{sub(at)}] = {eb.value(v, at)}")
    for _ in kept_axes:
        w.dedent()


def _unit_index(idx, shape, target) -> tuple:
    """``idx`` over ``shape`` as an index of ``target``, which has the same elements but
    different size-1 dims (an epilogue value reshaped like (128,) -> (128, 1))."""
    it = iter(i for i, d in zip(idx, shape) if d != 1)
    return tuple("0" if d == 1 else next(it) for d in target)


def _open_partials(w, names, reds, var: str, n: int) -> dict:
    """Open ``for var in prange(n)`` for a full reduction that stores one partial result per
    step, folded in order afterwards (``_close_partials``): unlike Numba's own prange
    reductions, which combine one partial per thread, the result does not depend on the
    thread count (it is the serial loop's, bit for bit)."""
    parts = {e: names.temp() for e in reds}
    for e in reds:
        w(f"{parts[e]} = np.empty({n}, {cast(e.outputs[0].aval.dtype)})")
    w(f"for {var} in prange({n}):")
    w.indent()
    return parts


def _close_partials(w, names, reds, parts, partial, accs, var: str, n: int):
    """Store this step's ``partial`` results, close the loop, fold them into ``accs``."""
    for e in reds:
        w(f"{parts[e]}[{var}] = {partial[e]}")
    w.dedent()
    _fold_in_order(w, names, reds, accs, parts, n)


def _fold_in_order(w, names, reds, accs, buffers, n):
    """Fold each reduction's ``n`` buffered partials into its accumulator, first to last."""
    j = names.temp()
    w(f"for {j} in range({n}):")
    w.indent()
    for e in reds:
        w(reduce_update(e, accs[e], f"{buffers[e]}[{j}]"))
    w.dedent()


def _fold(w, names, e, buf: str, n: str, full: int):
    """Reduce the buffer ``buf`` (its first ``n`` filled, a multiple of LANES, at most
    ``full``, its power-of-two length) to its first LANES elements by combining halves.
    Each level is a loop of independent element updates that vectorizes; accumulating
    lanes in a small array instead chains every step through a store and a load (W1's
    reduction: 0.14 -> 0.05 ns per element).
    A full buffer folds in levels of constant length (2048 + 2048, ... down to LANES; LLVM
    vectorizes known trip counts best: W1 4.3 ms against 5.4 with run-time lengths); a part
    of one is identity-filled up to the next power of two and folded from there, not from
    CHUNK: folding all 4096 slots made every short reduction (a bias gradient over a batch
    of 32, inside a scan) cost thousands of operations (W6: 4.1 -> 5.6 ms)."""
    j, top, h = names.temp(), names.temp(), names.temp()
    w(f"if {n} == {full}:")
    w.indent()
    _halves(w, e, buf, j, full, LANES)
    w.dedent()
    w("else:")
    w.indent()
    w(f"{top} = {LANES}")
    w(f"while {top} < {n}:")
    w.indent()
    w(f"{top} *= 2")
    w.dedent()
    w(f"for {j} in range({n}, {top}):")
    w.indent()
    w(f"{buf}[{j}] = {reduce_identity(e)}")
    w.dedent()
    w(f"{h} = {top} // 2")
    w(f"while {h} >= {LANES}:")
    w.indent()
    _level(w, e, buf, j, h)
    w(f"{h} //= 2")
    w.dedent()
    w.dedent()


def _level(w, e, buf: str, j: str, half):
    """``buf[:half]`` combined with ``buf[half:2 * half]``: a loop of independent updates."""
    w(f"for {j} in range({half}):")
    w.indent()
    w(reduce_update(e, f"{buf}[{j}]", f"{buf}[{j} + {half}]"))
    w.dedent()


def _halves(w, e, buf: str, j: str, n: int, stop: int):
    """Fold ``buf[:n]`` (a power of two) into ``buf[:stop]`` in levels of constant length."""
    half = n // 2
    while half >= stop:
        _level(w, e, buf, j, half)
        half //= 2


def _is_computed(k: LoopKernel, e) -> bool:
    """Does reduction ``e`` reduce a value the kernel computes (buffered and folded), not
    one read from memory (summed in lanes directly)?"""
    return isinstance(e.inputs[0], Var) and any(e.inputs[0] is v for q in k.eqns
                                                for v in q.outputs)


def _buffer_len(m) -> int:
    """Slots of a chunk buffer for an innermost reduced axis of ``m``: a whole chunk, or for
    a static axis shorter than one, the power of two its lanes are folded from."""
    if _long_row(m):
        return CHUNK
    main = m - m % LANES
    top = LANES
    while top < main:
        top *= 2
    return top


def _chunk_buffers(ctx, w) -> dict:
    """Allocate, here, the buffer of each reduction of ``ctx.k``: a chunk of values when
    the kernel reduces one it computes, else LANES partial results: reduction -> (name,
    length)."""
    k, names = ctx.k, ctx.names
    n = _buffer_len(ctx.shape[-1]) if any(_is_computed(k, e) for e in k.reductions) else LANES
    bufs = {}
    for e in k.reductions:
        bufs[e] = (names.temp(), n)
        w(f"{bufs[e][0]} = np.empty({n}, {cast(e.inputs[0].aval.dtype)})")
    return bufs


def _emit_chunked(ctx, w, scalars, idx, accs, parallel: bool, bufs: dict | None):
    """The innermost reduced loop as chunks of CHUNK elements, each accumulated in LANES
    independent lanes (vectorizable without reassociation), then folded into ``accs``.

    A reduction of computed values first writes one chunk of them to a small buffer in a
    plain element loop, then folds the buffer in halves down to LANES values (``_fold``):
    two simple loops vectorize far better than one loop whose lane-indexed body holds the
    whole computation (2x on tanh/exp chains); a reduction of values read from memory sums
    them in lanes directly. ``bufs`` holds buffers allocated before the enclosing loops
    (``_chunk_buffers``); without them (a parallel loop) each chunk allocates its own."""
    k, names = ctx.k, ctx.names
    reds = k.reductions
    inner = len(ctx.shape) - 1
    m = ctx.shape[inner]
    main = m - m % LANES
    n_chunks = -(-main // CHUNK)
    computed = any(_is_computed(k, e) for e in reds)
    part = {e: names.temp() for e in reds}
    c = names.temp()
    if parallel:
        chunk_parts = _open_partials(w, names, reds, c, n_chunks)
    else:
        w(f"for {c} in range({n_chunks}):")
        w.indent()
    if bufs is None:
        bufs = _chunk_buffers(ctx, w)
    lanes = {e: bufs[e][0] for e in reds}
    jb, jl = names.temp(), names.temp()
    if computed:
        lo, hi, j = names.temp(), names.temp(), names.temp()
        w(f"{lo} = {c} * {CHUNK}")
        w(f"{hi} = min({lo} + {CHUNK}, {main})")
        # relative index: a loop variable minus an offset may be negative as far as Numba
        # knows, and the wraparound check that adds defeats vectorization
        w(f"for {j} in range({hi} - {lo}):")
        w.indent()
        at = list(idx)
        at[inner] = f"({lo} + {j})"
        body = _Body(k, names, w, scalars, ctx.alias)
        for v in k.stores:
            w(f"{ctx.arr(v)}[{sub(at)}] = {body.value(v, tuple(at))}")
        for e in reds:
            w(f"{lanes[e]}[{j}] = {body.value(e.inputs[0], tuple(at))}")
        w.dedent()
        for e in reds:  # the fold leaves its LANES results at the buffer's start
            _fold(w, names, e, lanes[e], f"{hi} - {lo}", bufs[e][1])
    else:
        span = f"{c} * {CHUNK}, min({c} * {CHUNK} + {CHUNK}, {main})"
        for e in reds:
            w(f"for {jl} in range({LANES}):")
            w.indent()
            w(f"{lanes[e]}[{jl}] = {reduce_identity(e)}")
            w.dedent()
        w(f"for {jb} in range({span}, {LANES}):")
        w.indent()
        w(f"for {jl} in range({LANES}):")
        w.indent()
        at = list(idx)
        at[inner] = f"({jb} + {jl})"
        body = _Body(k, names, w, scalars, ctx.alias)
        for v in k.stores:
            w(f"{ctx.arr(v)}[{sub(at)}] = {body.value(v, tuple(at))}")
        for e in reds:
            w(reduce_update(e, f"{lanes[e]}[{jl}]", body.value(e.inputs[0], tuple(at))))
        w.dedent()
        w.dedent()
    # the lanes fold in halves too: a chain through all 16 cost a short row more than its
    # elements did (W6's softmax rows of 64)
    for e in reds:
        _halves(w, e, lanes[e], jl, LANES, 1)
        w(f"{part[e]} = {lanes[e]}[0]")
        if not parallel:
            w(reduce_update(e, accs[e], part[e]))
    if parallel:
        _close_partials(w, names, reds, chunk_parts, part, accs, c, n_chunks)
    else:
        w.dedent()
    if main < m or isinstance(m, Dim):  # the tail that does not fill the lanes
        w(f"for i{inner} in range({main}, {m}):")
        w.indent()
        body = _Body(k, names, w, scalars, ctx.alias)
        for v in k.stores:
            w(f"{ctx.arr(v)}[{sub(idx)}] = {body.value(v, tuple(idx))}")
        for e in reds:
            w(reduce_update(e, accs[e], body.value(e.inputs[0], tuple(idx))))
        w.dedent()

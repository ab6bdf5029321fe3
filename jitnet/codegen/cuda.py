"""CUDA code generation: a fused program -> the source of one module of ``numba.cuda`` kernels
plus a host function that allocates device buffers and launches them in program order.

The kernel IR is the one the CPU generator reads (``fuse/kernels.py``); what differs is how a
kernel becomes code:

* Every device buffer is flat (1-D, C order; a 0-d value is one element), so a kernel indexes
  memory with offset arithmetic and needs no 0-d or n-d device arrays. Shapes are
  compile-time constants, so offsets, strides and launch configurations are literals.
* A ``LoopKernel``'s stores become one elementwise kernel: a grid-stride loop over the flat
  output index, unravelled into the multi-index; operand loads go through the same remap
  index arithmetic as on CPU (``cpu._remap_index``) and the per-element expressions of
  ``scalar.py`` (with CUDA-safe overrides for the math functions).
* Its reductions become, per distinct set of reduced axes, a block-per-output kernel: the
  threads of a block stride over the reduced elements, then combine in a shared-memory tree.
  When there are few outputs and many reduced elements, each output is split over ``G``
  blocks writing partial results, and a second kernel combines them. The combination order
  is fixed (no atomics), so results are deterministic run to run.
* ``OpKernel``s come from the generators of ``cuda_ops*.py``; control flow (cond, while,
  scan) is driven from the host function.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.ir import Literal, Var
from ..fuse.kernels import FusedProgram, LoopKernel
from .cpu import _identity, _reads, _red_update
from .cpu import _Body as CpuBody
from .writer import Constants, Names, Writer
from .scalar import SCALAR, _suffix, cast
from .scalar import lit as pylit

WARP = 32


@dataclass(frozen=True)
class Limits:
    """Launch limits the generator plans with (a test can shrink them to exercise grid-stride
    loops over sizes larger than one grid)."""
    max_threads: int = 256    # threads per block of 1-D kernels (a power of two)
    max_blocks: int = 4096    # blocks per grid; grid-stride loops cover larger sizes
    tile: int = 16            # matmul tile edge: tile x tile threads per block
    items: int = 8            # reduced elements per thread before a reduction splits
    serial: int = 32          # reductions of at most this many elements: a thread per output


def next_pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def launch_1d(n: int, lim: Limits) -> tuple[int, int]:
    """(blocks, threads) for a grid-stride loop over ``n`` >= 1 elements: whole warps, at most
    ``max_threads`` per block and ``max_blocks`` blocks (each thread then loops)."""
    warp = min(WARP, lim.max_threads)
    threads = min(lim.max_threads, -(-n // warp) * warp)
    return min(-(-n // threads), lim.max_blocks), threads


def block_threads(n: int, lim: Limits) -> int:
    """Threads (a power of two) of a block cooperating on ``n`` elements (tree reductions)."""
    return min(lim.max_threads, max(min(WARP, lim.max_threads), next_pow2(n)))


def numba_type(dtype) -> str:
    d = np.dtype(dtype)
    return "numba.boolean" if d == np.bool_ else f"numba.{d.name}"


# -- per-element expressions ---------------------------------------------------------------

def _fn(name):
    return lambda e, a, d: f"{cast(d)}(jn_{name}({', '.join(a)}))"


def _per_dtype(name, dtype_of=None):
    """A helper that exists per float dtype on the GPU (libdevice): jn_<name>_f32 / _f64."""
    def f(e, a, d):
        dt = dtype_of(e) if dtype_of else d
        s = _suffix(dt)
        if not s:
            raise NotImplementedError(f"{e.prim.name} on {np.dtype(dt).name} (cuda backend)")
        return f"{cast(d)}(jn_{name}_{s}({', '.join(a)}))"
    return f


def _round(e, a, d):
    name = "rint" if e.params["rounding_method"] == 1 else "round_away"
    return _per_dtype(name)(e, a, d)


def _rem(e, a, d):
    if np.dtype(d).kind in "iu":
        return f"{cast(d)}(jn_irem({a[0]}, {a[1]}))"
    return f"{cast(d)}(jn_fmod({a[0]}, {a[1]}))"


# scalar.py writes NumPy/math calls that only CPU Numba (or Python) accepts; on CUDA every
# math function goes through a jn_* helper of runtime/cuda_math.py
CUDA_SCALAR = dict(SCALAR)
CUDA_SCALAR.update({
    "floor": _fn("floor"), "ceil": _fn("ceil"), "round": _round,
    "is_finite": lambda e, a, d: f"jn_isfinite({a[0]})",
    "sqrt": _fn("sqrt"),
    "rsqrt": lambda e, a, d: f"{cast(d)}({cast(d)}(1) / jn_sqrt({a[0]}))",
    "cbrt": _per_dtype("cbrt"), "erf_inv": _per_dtype("erf_inv"),
    "nextafter": _per_dtype("nextafter"),
    "rem": _rem,
    "lgamma": _fn("lgamma"), "digamma": _fn("digamma"),
    "pow": _fn("pow"),
})
for _n in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
           "atanh", "erf", "erfc", "atan2"):
    CUDA_SCALAR[_n] = _fn(_n)


def expr(eqn, args: list[str]) -> str:
    try:
        rule = CUDA_SCALAR[eqn.prim.name]
    except KeyError:
        raise NotImplementedError(f"no scalar lowering for primitive '{eqn.prim.name}' "
                                  f"(cuda backend)") from None
    return rule(eqn, args, eqn.outputs[0].aval.dtype)


# -- kernels and the host function -------------------------------------------------------------

def size_of(a) -> int:
    return math.prod(a.aval.shape)


class Kernel:
    """One ``@cuda.jit`` function being written: its parameters (host names, passed under the
    same names), its literal constants and its body."""

    def __init__(self, gen: "Gen", describe: str):
        self.gen = gen
        self.name = f"k{len(gen.kernels)}"
        self.describe = describe
        self.params: list[str] = []
        self.w = Writer()
        self.lit = Constants("c", const_text)   # a literal operand's constant in the kernel
        gen.kernels.append(self)

    def arg(self, name: str) -> str:
        if name not in self.params:
            self.params.append(name)
        return name

    def buf(self, v: Var) -> str:
        """The kernel parameter holding ``v``'s device buffer."""
        name = self.gen.names.var(v)
        self.gen.types.setdefault(name, v.aval.dtype)
        return self.arg(name)

    def load(self, a, off: str) -> str:
        """Element ``off`` of operand ``a`` (a literal operand is 0-d: its constant)."""
        return self.lit(a) if isinstance(a, Literal) else f"{self.buf(a)}[{off}]"

    def scalar(self, a) -> str:
        """A 0-d operand inside the kernel: a literal constant or element 0 of its buffer."""
        return self.lit(a) if isinstance(a, Literal) else f"{self.buf(a)}[0]"

    def signature(self) -> str:
        """Numba signature (flat C-contiguous buffers; host ints are int64)."""
        ts = []
        for p in self.params:
            dt = self.gen.types.get(p)
            ts.append("int64" if dt is None else
                      f"{numba_type(dt).split('.')[1]}[::1]")
        return f"void({', '.join(ts)})"

    def source(self) -> str:
        head = ["@jn_kernel", f"def {self.name}({', '.join(self.params)}):",
                f"    # {self.describe}"]
        return "\n".join(head + ["    " + c for c in self.lit.lines] + self.w.lines) + "\n"


def const_text(v, dtype) -> str:
    if np.dtype(dtype) == np.bool_:
        return repr(bool(v))
    return f"{cast(dtype)}({pylit(v)})"


class Gen:
    """Writes one module: kernels, and the host function's statements in ``host``."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.names = Names()
        self.host = Writer()
        self.kernels: list[Kernel] = []
        self.line_info: dict = {}   # host line index -> (kernel description, user line)
        self.types: dict = {}       # buffer name -> dtype (kernel signatures)
        self.kernel_info: dict = {}  # kernel name -> (description, user line)

    def kernel(self, describe: str) -> Kernel:
        return Kernel(self, describe)

    def alloc(self, v: Var) -> str:
        name = self.names.var(v)
        self.types[name] = v.aval.dtype
        self.host(f"{name} = jn_empty({size_of(v)}, {cast(v.aval.dtype)})")
        return name

    def alloc_output(self, e) -> tuple:
        """(output Var, its buffer, its element count) of single-output equation ``e``."""
        out = e.outputs[0]
        return out, self.alloc(out), size_of(out)

    def alloc_temp(self, n: int, dtype) -> str:
        t = self.names.temp()
        self.types[t] = np.dtype(dtype)
        self.host(f"{t} = jn_empty({n}, {cast(dtype)})")
        return t

    def launch(self, k: Kernel, n: int):
        """Launch ``k`` as a grid-stride loop over ``n`` elements (nothing when n == 0)."""
        if n <= 0:
            return
        blocks, threads = launch_1d(n, self.limits)
        self.host(f"{k.name}[{blocks}, {threads}]({', '.join(k.params)})")

    def launch_blocks(self, k: Kernel, blocks: int, threads):
        self.host(f"{k.name}[{blocks}, {threads}]({', '.join(k.params)})")

    def grid_loop(self, describe: str, n: int, var: str = "fl") -> Kernel:
        """A new kernel whose body (written next, one indent deeper) runs once per flat index
        ``var`` in [0, n); launch it with ``self.launch(k, n)`` when done."""
        k = self.kernel(describe)
        k.w(f"for {var} in range(cuda.grid(1), {n}, cuda.gridsize(1)):")
        k.w.indent()
        return k

    def fill(self, name: str, a: Literal, n: int = 1):
        """Write literal ``a`` into the n elements of buffer ``name`` (no host transfer)."""
        k = self.grid_loop(f"fill {pylit(np.asarray(a.value).item())}", n)
        k.w(f"{k.arg(name)}[fl] = {k.lit(a)}")
        self.launch(k, n)

    def module(self, entry: str, args: list[str]) -> str:
        parts = [k.source() for k in self.kernels]
        host = [f"def {entry}({', '.join(args)}):"] + (self.host.lines or ["    pass"])
        return "\n\n".join(parts + ["\n".join(host) + "\n"])


def unravel(w: Writer, flat: str, shape, names: list[str]) -> tuple:
    """Emit ``names[d] = d-th index of flat offset `flat` in ``shape``; size-1 dims are '0'."""
    idx = ["0"] * len(shape)
    live = [d for d, n in enumerate(shape) if n != 1]
    rest = flat
    for j, d in enumerate(reversed(live)):
        if j == len(live) - 1:
            w(f"{names[d]} = {rest}")
        else:
            w(f"{names[d]} = {rest} % {shape[d]}")
            q = f"{names[d]}_q"
            w(f"{q} = {rest} // {shape[d]}")
            rest = q
        idx[d] = names[d]
    return tuple(idx)


def strides_of(shape) -> list[int]:
    out, s = [], 1
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


def offset(idx, shape) -> str:
    """Flat C-order offset of multi-index ``idx`` (source strings) in ``shape``."""
    terms = []
    for i, d, s in zip(idx, shape, strides_of(shape)):
        if d == 1 or i == "0":
            continue
        terms.append(f"{i}" if s == 1 else f"{i} * {s}")
    return " + ".join(terms) if terms else "0"


# -- loop kernels --------------------------------------------------------------------------

class _Body(CpuBody):
    """The per-element statements of a loop kernel inside one CUDA kernel, memoized by
    (value, index). ``memory`` holds values already stored by an earlier kernel (read back
    instead of recomputed); ``flat`` maps (index, shape) to a flat-offset variable."""

    def __init__(self, k: LoopKernel, kern: Kernel, scalars: dict, flat: dict, memory=()):
        self.k, self.kern, self.scalars, self.flat = k, kern, scalars, flat
        mem = {id(v) for v in memory}
        self.defs = {id(v): e for e in k.eqns for v in e.outputs if id(v) not in mem}
        self.memo: dict = {}
        self.override: dict = {}

    def literal(self, a: Literal) -> str:
        return self.kern.lit(a)

    def load(self, a: Var, idx: tuple) -> str:
        if not a.aval.shape:
            return self.scalars.get(id(a)) or f"{self.kern.buf(a)}[0]"
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
    for a in _reads(k):
        if not a.aval.shape:
            t = kern.gen.names.temp()
            kern.w(f"{t} = {kern.buf(a)}[0]")
            scalars[id(a)] = t
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
        w(_red_update(e, acc, body.value(e.inputs[0], idx)))


def _tree(w: Writer, reds, sms, threads: int):
    """Combine the block's per-thread results in shared memory: a fixed-order tree."""
    w("cuda.syncthreads()")
    s = threads // 2
    while s >= 1:
        w(f"if tid < {s}:")
        w.indent()
        for e, sm in zip(reds, sms):
            w(_red_update(e, f"{sm}[tid]", f"{sm}[tid + {s}]"))
        w.dedent()
        w("cuda.syncthreads()")
        s //= 2


def _accumulators(w: Writer, reds) -> list[str]:
    """One accumulator per reduction, set to its identity."""
    accs = [f"acc{j}" for j in range(len(reds))]
    for e, acc in zip(reds, accs):
        w(f"{acc} = {_identity(e)}")
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
        w(_red_update(e, acc, f"{kern.arg(p)}[blk * {G} + j]"))
    w.dedent()
    _block_result(kern, reds, accs, sms, T, outs)
    gen.launch_blocks(kern, min(K, lim.max_blocks), T)


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
    from . import cuda_ops
    for k in program.kernels:
        start, first = len(gen.host.lines), len(gen.kernels)
        if isinstance(k, LoopKernel):
            emit_loop(gen, k)
            src = next((e.source for e in k.eqns + k.reductions if e.source), None)
        else:
            cuda_ops.emit(gen, k.eqn)
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

"""CUDA code generation: a fused program -> the source of one module of ``numba.cuda`` kernels
plus a host function that allocates device buffers and launches them in program order.

The kernel IR is the one the CPU generator reads (``fuse/kernels.py``); what differs is how a
kernel becomes code:

* Every device buffer is flat (1-D, C order; a 0-d value is one element), so a kernel indexes
  memory with offset arithmetic and needs no 0-d or n-d device arrays. Shapes are
  compile-time constants, so offsets, strides and launch configurations are literals.
* A ``LoopKernel``'s stores become one elementwise kernel: a grid-stride loop over the flat
  output index, unravelled into the multi-index; operand loads go through the same remap
  index arithmetic as on CPU (each remap's declared ``Remap.index``) and the per-element
  templates of ``codegen/scalar.py`` and ``cuda/scalar.py`` (CUDA's math functions).
* Its reductions become, per distinct set of reduced axes, a block-per-output kernel: the
  threads of a block stride over the reduced elements, then combine in a shared-memory tree.
  When there are few outputs and many reduced elements, each output is split over ``G``
  blocks writing partial results, and a second kernel combines them. The combination order
  is fixed (no atomics), so results are deterministic run to run.
* ``OpKernel``s come from the generators of ``ops.py``, ``control.py``, ``conv.py``; control flow (cond, while,
  scan) is driven from the host function.

This module holds what every CUDA generator uses: launch limits and configurations, a kernel
being written (``Kernel``), the module being written (``Gen``) and flat-offset arithmetic. Loop kernels: ``loops.py``; op kernels:
``ops.py``, ``control.py``, ``conv.py``; the module and host function: ``program.py``.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...core.ir import Literal, Var
from ..writer import Constants, Names, Writer
from ..scalar import cast
from ..scalar import lit as pylit

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

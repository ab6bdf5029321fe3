"""CUDA kernels for the ops along one axis (``GENERATORS`` of ``ops.py``): argmax/argmin as
a block tree per output, cumulative ops a thread per line, sort by rank."""
from __future__ import annotations

import math

from .gen import Gen, block_threads, numba_type, offset, size_of, unravel
from .ops import _shape, _strides, generator
from ..scalar import cast

# -- argmax / cumulative / sort -------------------------------------------------------------------

def _line_loop(k, shape, axis, var="blk"):
    """Unravel ``var`` over every dim but ``axis``; returns the index list with None at axis."""
    outer = [n for d, n in enumerate(shape) if d != axis]
    names = [f"io{d}" for d in range(len(shape)) if d != axis]
    oidx = list(unravel(k.w, var, outer, names))
    oidx.insert(axis, None)
    return oidx


def _at(idx, axis, j):
    return [j if i is None else i for i in idx]


@generator("argmax", "argmin")
def _argext(gen: Gen, e):
    (x,) = e.inputs
    out = e.outputs[0]
    o = gen.alloc(out)
    xs = _shape(x)
    axis = e.params["axes"][0]
    K, L = size_of(out), xs[axis]
    if not K:
        return
    which = "max" if e.prim.name == "argmax" else "min"
    if L <= gen.limits.serial:  # short lines: a thread per output, in order
        k = gen.grid_loop(f"{e.prim.name} (a thread per output)", K, "blk")
        w = k.w
        idx = _line_loop(k, xs, axis)
        w("bv = " + k.load(x, offset(_at(idx, axis, "0"), xs)))
        w("bi = np.int64(0)")
        w(f"for j in range(1, {L}):")
        w.indent()
        w(f"v = {k.load(x, offset(_at(idx, axis, 'j'), xs))}")
        w(f"if jn_argbetter_{which}(v, j, bv, bi):")
        w.indent()
        w("bv = v")
        w("bi = j")
        w.dedent()
        w.dedent()
        w(f"{k.arg(o)}[blk] = {cast(out.aval.dtype)}(bi)")
        gen.launch(k, K)
        return
    T = block_threads(L, gen.limits)
    k = gen.kernel(f"{e.prim.name} (block {T})")
    w = k.w
    w(f"smv = cuda.shared.array({T}, {numba_type(x.aval.dtype)})")
    w(f"smi = cuda.shared.array({T}, numba.int64)")
    w("tid = cuda.threadIdx.x")
    w(f"for blk in range(cuda.blockIdx.x, {K}, cuda.gridDim.x):")
    w.indent()
    idx = _line_loop(k, xs, axis)
    xb = k.buf(x)
    w(f"bv = {xb}[{offset(_at(idx, axis, '0'), xs)}]")
    w("bi = np.int64(-1)")
    w(f"for j in range(tid, {L}, {T}):")
    w.indent()
    w(f"v = {xb}[{offset(_at(idx, axis, 'j'), xs)}]")
    w(f"if jn_argbetter_{which}(v, j, bv, bi):")
    w.indent()
    w("bv = v")
    w("bi = j")
    w.dedent()
    w.dedent()
    w("smv[tid] = bv")
    w("smi[tid] = bi")
    w("cuda.syncthreads()")
    s = T // 2
    while s >= 1:
        w(f"if tid < {s} and smi[tid + {s}] >= 0 and "
          f"jn_argbetter_{which}(smv[tid + {s}], smi[tid + {s}], smv[tid], smi[tid]):")
        w.indent()
        w(f"smv[tid] = smv[tid + {s}]")
        w(f"smi[tid] = smi[tid + {s}]")
        w.dedent()
        w("cuda.syncthreads()")
        s //= 2
    w("if tid == 0:")
    w.indent()
    w(f"{k.arg(o)}[blk] = {cast(out.aval.dtype)}(smi[0])")
    w.dedent()
    w("cuda.syncthreads()")
    gen.launch_blocks(k, min(K, gen.limits.max_blocks), T)


_CUM = {"cumsum": "{a} + {b}", "cumprod": "{a} * {b}", "cummax": "jn_max({a}, {b})",
        "cummin": "jn_min({a}, {b})"}


@generator("cumsum", "cumprod", "cummax", "cummin")
def _cumulative(gen: Gen, e):
    (x,) = e.inputs
    out = e.outputs[0]
    o = gen.alloc(out)
    xs = _shape(x)
    axis, reverse = e.params["axis"], e.params["reverse"]
    L = xs[axis]
    lines = math.prod(n for d, n in enumerate(xs) if d != axis)
    if not (L and lines):
        return
    dt = cast(out.aval.dtype)
    k = gen.grid_loop(f"{e.prim.name} (a thread per line)", lines, "blk")
    w = k.w
    idx = _line_loop(k, xs, axis)
    first = L - 1 if reverse else 0
    xb, ob = k.buf(x), k.arg(o)
    w(f"acc = {xb}[{offset(_at(idx, axis, str(first)), xs)}]")
    w(f"{ob}[{offset(_at(idx, axis, str(first)), xs)}] = acc")
    rng = f"range({L - 2}, -1, -1)" if reverse else f"range(1, {L})"
    w(f"for j in {rng}:")
    w.indent()
    at = offset(_at(idx, axis, "j"), xs)
    w(f"acc = {dt}({_CUM[e.prim.name].format(a='acc', b=f'{xb}[{at}]')})")
    w(f"{ob}[{at}] = acc")
    gen.launch(k, lines)


@generator("sort")
def _sort(gen: Gen, e):
    shape = _shape(e.inputs[0])
    axis, nk = e.params["dimension"], e.params["num_keys"]
    outs = [gen.alloc(v) for v in e.outputs]
    n = math.prod(shape)
    if not n:
        return
    L = shape[axis]
    st = _strides(shape)[axis]
    k = gen.grid_loop(f"sort (rank of each element, {nk} key{'s' if nk > 1 else ''})", n)
    w = k.w
    bufs = [k.buf(a) for a in e.inputs]
    w(f"i = (fl // {st}) % {L}" if st != 1 else f"i = fl % {L}")
    w(f"base = fl - i * {st}" if st != 1 else "base = fl - i")
    for j in range(nk):
        w(f"ki{j} = {bufs[j]}[fl]")
    w("rank = 0")
    w(f"for j in range({L}):")
    w.indent()
    w(f"at = base + j * {st}" if st != 1 else "at = base + j")
    w("c = 0")
    for j in range(nk):
        w("if c == 0:" if j else "if True:")
        w.indent()
        w(f"kj = {bufs[j]}[at]")
        w(f"if jn_sort_lt(kj, ki{j}):")
        w.indent()
        w("c = -1")
        w.dedent()
        w(f"elif jn_sort_lt(ki{j}, kj):")
        w.indent()
        w("c = 1")
        w.dedent()
        w.dedent()
    w("if c < 0 or (c == 0 and j < i):")
    w.indent()
    w("rank += 1")
    w.dedent()
    w.dedent()
    dst = f"base + rank * {st}" if st != 1 else "base + rank"
    for b, o in zip(bufs, outs):
        w(f"{k.arg(o)}[{dst}] = {b}[fl]")
    gen.launch(k, n)


# families lowered in their own modules (each registers its generators on import)

"""CUDA kernel for ``threefry2x32_iota`` (``GENERATORS`` of ``ops.py``): a thread per
counter, each hashing with ``jn_threefry2x32`` (``runtime/cuda_math``: the device function
of ``core/threefry.py``, the source the CPU kernel compiles)."""
from __future__ import annotations

from .gen import Gen, size_of
from .ops import generator


@generator("threefry2x32_iota")
def _threefry(gen: Gen, e):
    key, start = e.inputs
    o0, o1 = (gen.alloc(v) for v in e.outputs)
    total = size_of(e.outputs[0])
    if not total:
        return
    n = total // max(1, size_of(key) // 2)  # counters per key
    k = gen.grid_loop(f"threefry2x32 ({n} counters per key)", total)
    w = k.w
    kb = k.buf(key)
    w(f"b = fl // {n}")
    s = k.scalar(start) if not start.aval.shape else f"{k.buf(start)}[b]"
    w(f"c = np.uint64({s}) + np.uint64(fl - b * {n})")
    w(f"x0, x1 = jn_threefry2x32(np.uint64({kb}[2 * b]), np.uint64({kb}[2 * b + 1]), "
      f"c >> np.uint64(32), c & np.uint64(0xFFFFFFFF))")
    w(f"{k.arg(o0)}[fl] = np.uint32(x0)")
    w(f"{k.arg(o1)}[fl] = np.uint32(x1)")
    gen.launch(k, total)

"""CPU source for ``threefry2x32_iota`` (``GENERATORS`` of ``ops.py``): one call of the
kernel of ``jitnet/kernels/random.py``, compiled once per machine."""
from __future__ import annotations

from ...core.ir import Literal
from .ops import _alloc, _ins, generator


@generator("threefry2x32_iota")
def _threefry(e, names, w):
    key, start = _ins(e, names)
    outs = [names.var(v) for v in e.outputs]
    for o, v in zip(outs, e.outputs):
        w(f"{o} = {_alloc(v)}")
    if isinstance(e.inputs[1], Literal):  # the kernel reads its starts from an array
        start = f"np.full(1, {start}, dtype=np.uint32)"
    w(f"jn_threefry2x32({key}, {start}, {outs[0]}, {outs[1]})")

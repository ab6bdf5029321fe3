"""The batch (vmap) rule of ``conv_general_dilated``. It sits here, above ``prims/conv.py``
where the primitive and its other rules are, because a population (both operands batched:
own inputs, own weights) loops over its members with the scan primitive: one plain
convolution in the body. Folding the members into feature groups instead needs the member
axis moved next to the features of every activation and back, and measured 2.6-3.4x slower
(benchmarks/RESULTS.md, branch zoo), and again with the convolution kernel, gradients
included (1.3-5x, branch convk); unrolling the members multiplies the compile time by the
population size. One batched operand stays one convolution (``conv.batch_one_operand``)."""
from __future__ import annotations

from ..core.aval import ShapedArray
from ..prims.conv import batch_one_operand, conv_general_dilated_p
from ..prims.util import batch_size, bdim_to_front, get_aval
from ..trace.tracer import bind
from .control_flow import scan_p, trace_closed


def _conv_batch(args, dims, **params):
    (lhs, rhs), (dl, dr) = args, dims
    if dl is None or dr is None:
        return batch_one_operand(args, dims, **params)
    xs = [bdim_to_front(lhs, dl), bdim_to_front(rhs, dr)]
    members = [ShapedArray(a.shape[1:], a.dtype, a.weak_type) for a in map(get_aval, xs)]
    body = trace_closed(lambda x, w: [bind(conv_general_dilated_p, x, w, **params)],
                        members, "conv_population")
    out, = bind(scan_p, *xs, body=body, length=batch_size(args, dims), reverse=False,
                num_consts=0, num_carry=0, unroll=1)
    return out, 0


conv_general_dilated_p.batch = _conv_batch

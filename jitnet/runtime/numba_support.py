"""Which dtypes the Numba CPU backend compiles, checked on the IR before anything is generated.

jitnet's scalar lowering and math helpers exist for real types only: without this check
such programs would fail deep inside Numba (a raw typing error) or, for BLAS and LAPACK
calls, compute garbage. (float16 and bfloat16, which Numba lacks on the CPU, never get
here: ``transforms/low_precision.py`` stores them in float32 first.) The check names the first
operation, its dtype and the user's line, and the ways out.
"""
from __future__ import annotations

import numpy as np

from ..core import dtypes
from ..core.ir import IR, sub_irs

# primitives whose generated code is correct for complex operands: arithmetic Numba has
# for complex scalars, and data movement that never looks at the values
COMPLEX_OK = frozenset({
    "add", "sub", "mul", "div", "neg", "eq", "ne", "select_n", "integer_pow", "pow", "sqrt",
    "abs", "is_finite", "convert_element_type", "stop_gradient",
    "reduce_sum", "reduce_prod", "cumsum", "cumprod", "dot_general", "sort",
    "conv_general_dilated", "patches", "patches_transpose", "reduce_window",
    "broadcast_in_dim", "reshape", "transpose", "rev", "slice", "squeeze", "concatenate",
    "pad", "gather", "scatter", "dynamic_slice", "dynamic_update_slice", "iota",
    "cond", "while", "scan", "real", "imag", "conj", "complex",
})

_WAYS_OUT = ("run it eagerly (jitnet.disable_jit()) or with JITNET_BACKEND=interpreter, "
             "which compute it with NumPy")


def check_supported(ir: IR) -> None:
    """Raise ``TypeError`` at the first equation the Numba backend cannot compile."""
    for e in ir.eqns:
        dts = {a.aval.dtype for a in list(e.inputs) + list(e.outputs)}
        where = f" (at {e.source})" if e.source else ""
        low = e.prim.lowering
        # (an "expand" lowering is traced in when the IR, or a sub-IR, is prepared)
        if low.get("extension") and not {"scalar_call", "op_call", "expand"} & low.keys():
            why = low.get("refused", "it has no lowering for the numba backend")
            raise TypeError(f"jit: the user primitive '{e.prim.name}'{where} cannot be "
                            f"compiled: {why}; give it a lowering with "
                            f"prim.def_numba_elementwise(njit_scalar_fn), "
                            f"prim.def_numba_op(njit_array_fn) or mlir.register_lowering(prim, "
                            f"mlir.lower_fun(f)), or {_WAYS_OUT}")
        if any(dtypes.is_low_precision(d) for d in dts):  # widening missed it
            raise TypeError(f"jit: {e.prim.name} on a float16/bfloat16 value{where} reached "
                            f"the numba backend; {_WAYS_OUT}")
        if e.prim.name == "round_to_dtype" and e.inputs[0].aval.dtype != np.float32:
            raise TypeError(f"jit: round_to_dtype on {e.inputs[0].aval.dtype.name}{where}: "
                            f"the numba backend rounds float32 operands only; {_WAYS_OUT}")
        cplx = sorted(d.name for d in dts if d.kind == "c")
        if cplx and e.prim.name not in COMPLEX_OK:
            raise TypeError(f"jit: {e.prim.name} on {cplx[0]}{where} is not supported by the "
                            f"numba backend (complex values support arithmetic, sqrt, abs, "
                            f"real/imag/conj/complex, sums, products, matmul, convolutions and "
                            f"data movement); {_WAYS_OUT}")
        for sub in sub_irs(e):
            check_supported(sub)

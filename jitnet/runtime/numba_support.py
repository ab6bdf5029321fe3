"""Which dtypes the Numba CPU backend compiles, checked on the IR before anything is generated.

Numba has no float16 on the CPU, and jitnet's scalar lowering and math helpers exist for
real types only: without this check such programs would fail deep inside Numba (a raw
typing error) or, for BLAS and LAPACK calls, compute garbage. The check names the first
operation, its dtype and the user's line, and the ways out.
"""
from __future__ import annotations

import numpy as np

from ..core.ir import IR, Var, sub_irs

# primitives whose generated code is correct for complex operands: arithmetic Numba has
# for complex scalars, and data movement that never looks at the values
COMPLEX_OK = frozenset({
    "add", "sub", "mul", "div", "neg", "eq", "ne", "select_n", "integer_pow", "pow", "sqrt",
    "abs", "is_finite", "convert_element_type", "stop_gradient",
    "reduce_sum", "reduce_prod", "cumsum", "cumprod", "dot_general", "sort",
    "conv_general_dilated", "patches", "patches_transpose", "reduce_window",
    "broadcast_in_dim", "reshape", "transpose", "rev", "slice", "squeeze", "concatenate",
    "pad", "gather", "scatter", "dynamic_slice", "dynamic_update_slice", "iota",
    "cond", "while", "scan",
})

_WAYS_OUT = ("run it eagerly (jitnet.disable_jit()) or with JITNET_BACKEND=interpreter, "
             "which compute it with NumPy")


def check_supported(ir: IR) -> None:
    """Raise ``TypeError`` at the first equation the Numba backend cannot compile."""
    for e in ir.eqns:
        dtypes = {a.aval.dtype for a in list(e.inputs) + list(e.outputs)}
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
        if np.dtype(np.float16) in dtypes:
            raise TypeError(f"jit: {e.prim.name} on float16{where} is not supported by the "
                            f"numba backend (Numba has no float16 on the CPU); compute in "
                            f"float32 (x.astype(jnp.float32)), or {_WAYS_OUT}")
        cplx = sorted(d.name for d in dtypes if d.kind == "c")
        if cplx and e.prim.name not in COMPLEX_OK:
            raise TypeError(f"jit: {e.prim.name} on {cplx[0]}{where} is not supported by the "
                            f"numba backend (complex values support arithmetic, sqrt, sums, "
                            f"products, matmul, convolutions and data movement); {_WAYS_OUT}")
        for sub in sub_irs(e):
            check_supported(sub)
    for v in list(ir.invars) + [a for a in ir.outvars if isinstance(a, Var)]:
        if v.aval.dtype == np.float16:
            raise TypeError(f"jit: float16 arrays are not supported by the numba backend (an "
                            f"argument or result of the jitted function); convert them to "
                            f"float32 first (x.astype(jnp.float32)), or {_WAYS_OUT}")

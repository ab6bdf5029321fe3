"""``jax.interpreters.mlir``: jitnet compiles with Numba, not MLIR, so a lowering written
against MLIR cannot run. A lowering given as ``mlir.lower_fun(f)`` (``f`` written with
jitnet's operations) can: the primitive is replaced by ``f``'s program when compiled. For
code of your own, ``Primitive.def_numba_elementwise`` / ``def_numba_op`` take a Numba
function."""
from __future__ import annotations


class LoweredFun:
    """What ``lower_fun`` returns: a primitive's meaning as a jitnet-traceable function."""

    def __init__(self, fun, multiple_results: bool):
        self.fun, self.multiple_results = fun, multiple_results


def lower_fun(fun, multiple_results: bool = True):
    """Lower a primitive by tracing ``fun(*operands, **params)`` (JAX's signature)."""
    return LoweredFun(fun, multiple_results)


def register_lowering(prim, rule, platform: str | None = None, **_):
    """Honoured for ``lower_fun(f)`` rules: under ``jit`` the primitive compiles as ``f``'s
    program (and runs ``f`` eagerly when it has no ``def_impl``). Any other rule is an MLIR
    emitter, which jitnet cannot run: compiling the primitive raises a ``TypeError`` naming
    the alternatives. (Not at registration: libraries such as Equinox register MLIR rules
    when imported, for primitives a program may never use.)"""
    from ..extend.core import Primitive
    if not isinstance(prim, Primitive):
        if not hasattr(prim, "lowering"):
            raise TypeError(f"mlir.register_lowering: {prim!r} is not a primitive")
        return  # one of jitnet's own primitives: it keeps jitnet's lowering
    if not isinstance(rule, LoweredFun):
        prim.lowering["refused"] = (
            f"its lowering was registered with mlir.register_lowering as an MLIR rule "
            f"({getattr(rule, '__qualname__', rule)}), which jitnet (compiling with Numba, "
            f"not MLIR) cannot use")
        return
    fun, multiple = rule.fun, prim.multiple_results

    def expand(*args, **params):
        out = fun(*args, **params)
        return list(out) if multiple else out
    prim.lowering["expand"] = expand
    if not prim._has(prim.impl):
        prim.def_impl(expand)


__all__ = ["lower_fun", "register_lowering"]

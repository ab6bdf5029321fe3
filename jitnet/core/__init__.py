"""core stage of jitnet (see docs/ARCHITECTURE.md).

Also answers for ``jax.core`` (libraries run through ``jitnet.compat``'s alias): the names
below resolve lazily, since most live in later stages that import this package."""

_JAX_CORE = {
    "ShapedArray": ("jitnet.core.aval", "ShapedArray"),
    "get_aval": ("jitnet.core.aval", "aval_of"),
    "Tracer": ("jitnet.trace.tracer", "Tracer"),
    "Primitive": ("jitnet.extend.core", "Primitive"),
    "Jaxpr": ("jitnet.core.ir", "IR"),
    "ClosedJaxpr": ("jitnet.trace.make_ir", "ClosedJaxpr"),
    "Var": ("jitnet.core.ir", "Var"),
    "Literal": ("jitnet.core.ir", "Literal"),
    "mapped_aval": ("jitnet.extend.core", "mapped_aval"),
    "unmapped_aval": ("jitnet.extend.core", "unmapped_aval"),
    "eval_jaxpr": ("jitnet.extend.core", "eval_jaxpr"),
    "jaxpr_as_fun": ("jitnet.extend.core", "jaxpr_as_fun"),
}


def __getattr__(name):
    if name in _JAX_CORE:
        import importlib
        module, attr = _JAX_CORE[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'jitnet.core' has no attribute {name!r}")

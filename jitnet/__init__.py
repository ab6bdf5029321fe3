"""jitnet: a JAX-style deep-learning framework in pure Python, compiled with Numba.

    import jitnet as jax
    import jitnet.numpy as jnp
"""
from __future__ import annotations

from .core.version import __version__, __version_info__  # noqa: F401

from .core.config import config  # noqa: F401
from .core import dtypes  # noqa: F401
from .core.errors import (ConcretizationTypeError, UnexpectedTracerError,  # noqa: F401
                          TracerBoolConversionError, TracerIntegerConversionError,
                          TracerArrayConversionError)
from . import prims as _prims  # noqa: F401  (registers the primitive set)
from . import runtime as _runtime  # noqa: F401,E402  (installs the eager float kernels)
from .trace.array import Array  # noqa: F401
from . import numpy, lax, tree, tree_util  # noqa: F401
from .numpy import array_methods as _array_methods

_array_methods.install()

from .core.pytree import tree_map, tree_leaves, tree_structure  # noqa: E402,F401
from .api import (grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad,  # noqa: E402,F401
                  vjp, vmap, pmap, jit, disable_jit, eval_shape, ShapeDtypeStruct,
                  make_jaxpr)
from .hop import custom_jvp, custom_vjp, remat  # noqa: E402,F401
from .api.contexts import (enable_x64, ensure_compile_time_eval, named_call, named_scope,  # noqa: E402,F401
                           numpy_dtype_promotion, numpy_rank_promotion)


def typeof(x):
    """The abstract value of ``x`` (shape, dtype, weak type), as ``jax.typeof``."""
    from .core.aval import aval_of
    return aval_of(x)


from .runtime.devices import Device, devices, device_put, device_get  # noqa: E402,F401
from .runtime import threads as _threads  # noqa: E402,F401  (applies config num_threads)
from .api.caches import cache_info, clear_caches  # noqa: E402,F401
from .runtime.disk_cache import CacheSecurityError, CacheWarning  # noqa: E402,F401


def block_until_ready(x):
    return tree_map(lambda a: a.block_until_ready() if isinstance(a, Array) else a, x)


# the libraries above the core (nn, random, scipy...), the framework and the JAX-ecosystem
# surface (docs/ECOSYSTEM.md) load on first use: `import jitnet` loads what tracing, the
# transforms and jitnet.numpy/lax need. No primitive, rule or code generator is defined in
# these modules (they are in prims/, hop/, runtime/ and codegen/), so a program never needs
# one of them loaded to be traced, lowered, interpreted or loaded from the disk cache;
# tests/core/test_lazy_imports.py checks both.
_LAZY = ("nn", "random", "scipy", "losses", "metrics", "checkpoint", "ad_checkpoint",
         "test_util", "flatten_util", "typing", "sharding",
         "optim", "data", "layers", "train", "viz", "profiler", "example_libraries",
         "experimental", "stages", "extend", "interpreters", "compat", "distributed",
         "compress", "export", "applications", "models")
# names of those modules that JAX has at its top level: name -> (module, attribute)
_LAZY_NAMES = {"P": ("sharding", "PartitionSpec"),
               "io_callback": ("experimental.callback", "io_callback"),
               "pure_callback": ("experimental.callback", "pure_callback")}


def __getattr__(name):
    """The modules of ``_LAZY`` and the names of ``_LAZY_NAMES`` load on first use
    (``jitnet.nn``...), keeping import fast."""
    import importlib
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        module, attr = _LAZY_NAMES[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jitnet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_NAMES))


# jax.core's names on jitnet.core (JAX programs reach them as ``jax.core.Tracer``...). They live
# in stages above core, so they are installed here, at the top, and resolved on first use.
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


def _jax_core_getattr(name):
    if name in _JAX_CORE:
        import importlib
        module, attr = _JAX_CORE[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'jitnet.core' has no attribute {name!r}")


from . import core as _core  # noqa: E402
_core.__getattr__ = _jax_core_getattr

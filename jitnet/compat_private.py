"""Stand-ins for the private JAX modules that libraries import (``jax._src.traceback_util``,
``jax._src.dispatch``): ``jitnet.compat`` resolves those names to this module."""
from __future__ import annotations

import os

from .core.source_info import exclude_path

# importable as the package ``jax._src``, whose submodules jitnet.compat also maps here
__path__: list = []


def register_exclusion(path: str) -> None:
    """``traceback_util.register_exclusion``: error messages point past this library's
    frames to the user's line (``jitnet.core.source_info``)."""
    exclude_path(os.path.dirname(path) if os.path.isfile(path) else path)


def include_frame(frame) -> bool:
    return True


def api_boundary(fun):
    """JAX trims tracebacks at its API boundary; jitnet reports the user's line instead."""
    return fun


def wait_for_tokens() -> None:
    """``dispatch.wait_for_tokens``: jitnet runs calls in order, there is nothing to wait for."""


# ``jax.custom_derivatives``: the decorators, and the value types JAX's symbolic-zero custom
# rules exchange. jitnet's custom rules always receive instantiated zeros and plain primals
# (no ``symbolic_zeros=True``), so these types are only ever tested against, never made.
from .hop import custom_jvp, custom_vjp  # noqa: E402,F401
from .core.primitive import registry as _registry  # noqa: E402

custom_jvp_call_p = _registry["custom_jvp_call"]
custom_vjp_call_p = _registry["custom_vjp_call"]


class SymbolicZero:
    """JAX's symbolic zero in ``symbolic_zeros=True`` custom rules (not produced by jitnet)."""

    def __init__(self, aval):
        self.aval = aval


class CustomVJPPrimal:
    """JAX's primal wrapper in ``symbolic_zeros=True`` custom_vjp rules (not produced by
    jitnet)."""

    def __init__(self, value, perturbed: bool):
        self.value, self.perturbed = value, perturbed

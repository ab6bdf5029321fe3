"""JAX's tracing-context managers, with what each means in jitnet."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def named_scope(name: str):
    """``jax.named_scope``: JAX labels the operations traced inside for profilers; jitnet's
    IR records each operation's user source line instead, so the name is only checked."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope: the name must be a string, got {name!r}")
    yield


@contextlib.contextmanager
def numpy_dtype_promotion(mode: str):
    """``jax.numpy_dtype_promotion``: jitnet implements JAX's "standard" promotion only."""
    if mode != "standard":
        raise NotImplementedError(f"numpy_dtype_promotion({mode!r}): jitnet implements the "
                                  f"'standard' promotion rules only")
    yield


@contextlib.contextmanager
def ensure_compile_time_eval():
    """``jax.ensure_compile_time_eval``: in JAX, operations on concrete values inside a trace
    run at once. jitnet records every operation in the trace (concrete operands too), so
    values stay traced here and code must not rely on them being concrete."""
    yield


@contextlib.contextmanager
def numpy_rank_promotion(mode: str):
    """``jax.numpy_rank_promotion``: jitnet always allows NumPy's rank promotion."""
    if mode != "allow":
        raise NotImplementedError(f"numpy_rank_promotion({mode!r}): jitnet always allows "
                                  f"rank promotion ('allow')")
    yield


def named_call(fun, *, name: str | None = None):
    """``jax.named_call``: JAX names a call's operations for profilers; jitnet records source
    lines instead, so ``fun`` is returned as it is."""
    return fun


@contextlib.contextmanager
def enable_x64(new_val: bool = True):
    """``jax.enable_x64``: 64-bit types (``jax_enable_x64``) on (or off) inside the block, the
    previous setting restored after it."""
    from ..core.config import config
    old = config.read("jax_enable_x64")
    config.update("jax_enable_x64", bool(new_val))
    try:
        yield
    finally:
        config.update("jax_enable_x64", old)

"""Compilation entry point: IR -> executable, cached by the IR's structure and the backend.

An executable takes and returns NumPy arrays (flat lists). The pipeline before
code generation is a named list of passes (``PIPELINE``) so it reads as the
compiler's table of contents.
"""
from __future__ import annotations

import os

import numpy as np

from ..core.config import config
from ..core.lru import LRU
from . import profiling
from ..core.ir import IR
from ..trace.array import ArrayImpl
from ..trace.make_ir import eval_ir
from ..transforms.cleanup import cleanup, strip_stop_gradient
from ..transforms.inline import inline_calls

# the compiler's passes before fusion and code generation, in order
PIPELINE = (inline_calls, strip_stop_gradient, cleanup)

_cache = LRU()  # executables by (IR, backend, x64), bounded (memory_cache_entries)


def prepare(ir: IR) -> IR:
    for p in PIPELINE:
        ir = p(ir)
    return ir


class Interpreter:
    """Runs an IR with the primitives' NumPy implementations (the reference backend)."""

    name = "interpreter"

    def __init__(self, ir: IR):
        self.ir = ir

    def __call__(self, *vals):
        outs = eval_ir(self.ir, [ArrayImpl(np.asarray(v)) for v in vals])
        return [np.asarray(o) for o in outs]

    def source(self) -> str:
        return "# interpreted: no generated source\n"


def _numba(ir):
    from .numba_backend import NumbaExecutable
    return NumbaExecutable(ir)


def _cuda(ir):
    from .cuda_backend import CudaExecutable
    return CudaExecutable(ir)


BACKENDS = {"interpreter": Interpreter, "numba": _numba, "cuda": _cuda}


def default_backend() -> str:
    return os.environ.get("JITNET_BACKEND", "numba")


def compile_ir(ir: IR, backend: str | None = None):
    backend = backend or default_backend()
    key = (ir, backend, config.read("jax_enable_x64"))
    exe = _cache.get(key)
    if exe is None:
        try:
            factory = BACKENDS[backend]
        except KeyError:
            raise ValueError(f"unknown backend {backend!r}; available: {sorted(BACKENDS)}") \
                from None
        with profiling.span("compile", backend):
            exe = _cache[key] = factory(prepare(ir))
    return exe


def clear_cache() -> None:
    _cache.clear()

"""Compilation entry point: IR -> executable, cached by the IR's structure and the backend.

An executable takes and returns NumPy arrays (flat lists). Everything before code generation
is the compiler's (``jitnet/compiler``: ``prepare`` here, ``lower`` in the backends); this
module only picks the backend, caches and runs.
"""
from __future__ import annotations

import os

import numpy as np

from ..core.config import config
from ..compiler import prepare
from ..core.ir import IR
from ..core.lru import LRU
from ..trace.array import ArrayImpl
from ..trace.make_ir import eval_ir
from . import profiling

_cache = LRU()  # executables by (IR, backend, x64), bounded (memory_cache_entries)


class Interpreter:
    """Runs an IR with the primitives' NumPy implementations (the reference backend)."""

    name = "interpreter"

    def __init__(self, ir: IR):
        self.ir = ir

    def __call__(self, *vals):
        outs = eval_ir(self.ir, [ArrayImpl.borrow(np.asarray(v)) for v in vals])
        return [np.asarray(o) for o in outs]

    def source(self) -> str:
        return "# interpreted: no generated source\n"


def _numba(ir):
    from .numba_backend import NumbaExecutable
    if not config.read("jit_tiered"):
        return NumbaExecutable(ir)
    from .tiered import tiered_or_none
    exe = NumbaExecutable(ir, load=False)
    tiered = tiered_or_none(exe, ir)
    if tiered is not None:
        return tiered
    exe.load()
    return exe


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

"""Generated callees compiled to LLVM IR only: their machine code is made once, in the entry.

A program split into functions (``codegen/cpu/program.py``) is an entry function calling
generated callees. Numba links a callee's optimised LLVM IR into every caller and generates
the caller's machine code from the whole; it also makes machine code for the callee on its
own (for a Python-callable wrapper nobody calls), and for each of its parallel loops
(``prange``) four times: the loop body alone, its two gufunc wrappers, and inside the
callee.
Only the entry runs, and its machine code (disk-cached by ``numba_cache``) holds all of it.

``jn_callee`` compiles a callee without those wrappers, and while it compiles, the code
libraries of the callee itself and of its parallel loops are ``_IRLibrary``: finalised as
IR for linking, never handed to LLVM's code generator. A callee is therefore not callable
from Python (its dispatcher's entry point is null) and has no cache entry of its own: the
generated module only calls it from its entry function.

Callees are shared by their text (``shared``): the code generator names each callee's
locals canonically and passes sizes and run-time constants as arguments, so a kernel that
two programs (a training step and its evaluation step, or two layers of one model) both
contain is type-inferred, lowered and optimised once per process; each entry links it.
"""
from __future__ import annotations

import threading
import time

import numba
from numba.core.codegen import JITCodeLibrary, JITCPUCodegen

from ..core.lru import LRU
from . import compile_log

# libraries created while a callee compiles whose machine code nobody runs: the callee's
# own (named by its qualified name, checked against _compiling) and its parallel loops'
# bodies and wrappers (Numba's names)
_PARFOR_PREFIXES = ("__numba_parfor_gufunc", "<numba.np.ufunc.wrappers._GufuncWrapper",
                    "parallelgufuncwrapper")
# qualified names of the callees being compiled (nested), per thread: Numba compiles one
# thing at a time, but another thread (the tiered start's loader) may be waiting to compile
# an entry while this one compiles a callee, and its libraries must stay ordinary
_local = threading.local()


def _compiling() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class _IRLibrary(JITCodeLibrary):
    """A code library finalised as optimised IR only: linked into its callers, which make
    the machine code. No symbol of it is in the execution engine (pointers are null)."""

    def _finalize_final_module(self):
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        self._finalized = True

    def get_pointer_to_function(self, name):
        self._ensure_finalized()
        return 0

    def _optimize_final_module(self):
        pass  # its callers' module passes optimise it, linked into theirs

    def serialize_using_object_code(self):  # pragma: no cover - callees are never cached
        raise RuntimeError("jitnet: a generated callee has no machine code of its own")


def _linked_only(name: str) -> bool:
    stack = _compiling()
    return bool(stack) and (name == stack[-1] or name.startswith(_PARFOR_PREFIXES))


_create_library = JITCPUCodegen.create_library
_set_env = JITCPUCodegen.set_env


def _create(self, name, **kwargs):
    if _linked_only(name):
        return _IRLibrary(self, name, **kwargs)
    return _create_library(self, name, **kwargs)


def _set_env_if_defined(self, env_name, env):
    # a callee's environment global lives only in its callers' modules (set as theirs)
    if self._engine.get_global_value_address(env_name):
        _set_env(self, env_name, env)


JITCPUCodegen.create_library = _create
JITCPUCodegen.set_env = _set_env_if_defined


def jn_callee(**options):
    """``numba.njit`` for a generated callee: compiled to IR for linking into its caller,
    without a Python or C wrapper (see the module docstring)."""
    def wrap(fn):
        disp = numba.njit(no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)(fn)
        compile_ = disp.compile

        def compile(sig):
            known = len(disp.overloads)
            start = time.perf_counter()
            _compiling().append(fn.__qualname__)
            try:
                res = compile_(sig)
            finally:
                _compiling().pop()
            if len(disp.overloads) > known:
                took = time.perf_counter() - start
                compile_log.record("function_compile", lambda: (
                    f"generated function {fn.__qualname__} of {fn.__module__} to IR in "
                    f"{took:.3f} s"))
            return res
        disp.compile = compile
        return disp
    return wrap


def callable_copy(disp):
    """A generated callee compiled as an ordinary jitted function, with machine code of its
    own, so Python can call it (the profiler times a program's functions one by one): the
    callee itself is IR only, and calling it from Python would run no code at all."""
    opts = {k: v for k, v in disp.targetoptions.items()
            if k not in ("no_cpython_wrapper", "no_cfunc_wrapper", "nopython")}
    return numba.njit(**opts)(disp.py_func)


_shared = LRU()   # a callee's text (decorator and definition) -> its dispatcher


def shared(module, callees: dict) -> None:
    """Bind each callee of the freshly executed generated ``module`` (``callees``: name ->
    text, ``Generated.callees``) to the process's dispatcher for that text, so what it
    compiled for an earlier program is reused; a new text registers this module's."""
    for name, text in callees.items():
        disp = _shared.get(text)
        if disp is None:
            _shared[text] = module.__dict__[name]
        else:
            module.__dict__[name] = disp


def clear() -> None:
    """Forget the shared callees (``jitnet.clear_caches``)."""
    _shared.clear()

"""``c_kernel``: a hand-written kernel compiled once per machine and called by symbol.

A generated program cannot call an ``@njit`` function without recompiling it: Numba links
a callee's LLVM IR into every caller and generates machine code for the whole (seconds
per program for a parallel convolution). Kernels are C-ABI functions instead (``cfunc``):
compiled, or loaded from the disk cache, once per process, their address registered with
LLVM under a fixed symbol, and the generated code calls that symbol as an external function
(as it calls BLAS, ``runtime/numba_math._external``), so a program's machine code holds
only the call, and its own cache entry stays valid across processes.

``cache=True`` would make Numba write pickles beside the package (``__pycache__``, or
``NUMBA_CACHE_DIR``, or the user's cache when the package directory is read-only) and
unpickle whatever it finds there. Kernels keep their machine code in jitnet's signed disk
cache (``runtime/numba_cache.py``), stamped with ``disk_cache.environment_tag()``, which
hashes the kernel sources: an edited kernel recompiles, and so do the programs calling it.

A kernel missing from the disk cache takes seconds to compile (the parallel convolution
~10 s), as long as the program calling it. So the kernels a program calls are built by
``build``: each missing one is compiled by a child process into the disk cache while this
process compiles the program. Until it is there, its symbol names a stub that calls through
a slot; the entry waits for the children once it is compiled (``wait_all``, run by
``numba_cache.jn_njit``), which fills the slots with the kernels loaded from the cache. A
stub called with its slot still empty (code run before that wait) waits for its kernel
first. A child that fails leaves the compile to this process (``compile_log`` event
``parallel_failed``): the result is the same machine code either way. Children compiling a
kernel's float32 and float64 overloads write one Numba index: ``numba_cache`` saves under
the index's lock.
"""
from __future__ import annotations

import contextlib
import ctypes
import importlib
import subprocess
import sys
import tempfile
import threading
import time

from llvmlite import binding as llvm
from llvmlite import ir
from numba.core import sigutils
from numba.core import types as nbt
from numba.core.ccallback import CFunc

from ..core.config import config
from . import compile_log, disk_cache, numba_cache
from .numba_cache import SignedFunctionCache
from .threads import start_thread_pool

CHILD_TIMEOUT_S = 900   # a child compiling longer than this is killed: this process compiles
_LAUNCH = "import importlib, sys; getattr(importlib.import_module(sys.argv[1]), sys.argv[2])"

_pending: dict = {}          # symbol -> _Child compiling its kernel into the disk cache
_defer = threading.local()   # .caller: (module, attribute) being built by ``build``
_lock = threading.RLock()    # held while waiting for a child and filling its slot
_stubs: list = []            # the stubs' engines (their code must stay alive)


def c_kernel(symbol: str, fn, sig, **options) -> nbt.ExternalFunction:
    """Compile ``fn`` for ``sig`` as a C function (or load it, verified, from the disk
    cache), register it as ``symbol`` and return the external function that calls it.
    Under ``build``, a kernel missing from the cache is left to a child process."""
    start_thread_pool()  # parallel kernels run on Numba's pool, set up as jitted code expects
    args, ret = sigutils.normalize_signature(sig)
    start = time.perf_counter()
    cf = CFunc(fn, (args, ret), locals={}, options=dict(options, nogil=True,
                                                        error_model="numpy"))
    st = disk_cache.store()
    if st is not None:
        cf._cache = SignedFunctionCache(fn, st)
    caller = getattr(_defer, "caller", None)
    if caller is not None and st is not None and symbol not in _pending:
        if not _in_cache(cf):
            try:
                child = _Child(cf, caller, start)
            except OSError as err:  # no process could be started: compile here
                why = str(err)     # (``err`` is unbound after the block; the message is lazy)
                compile_log.record("parallel_failed", lambda: (
                    f"no child process for kernel {symbol} ({why}); compiling it here"))
            else:
                child.slot = _stub(symbol, cf, args)
                _pending[symbol] = child
                return nbt.ExternalFunction(symbol, ret(*args))
    _finish(symbol, cf, start)
    return nbt.ExternalFunction(symbol, ret(*args))


def _in_cache(cf: CFunc) -> bool:
    """Whether the disk cache's index lists ``cf``'s machine code (read, not loaded: the
    load, with its signature check, is ``cf.compile``'s)."""
    cache = cf._cache
    key = cache._index_key(cf._sig, cf._targetdescr.target_context.codegen())
    return key in cache._cache_file._load_index()


def _finish(symbol: str, cf: CFunc, start: float, by_child: bool = False) -> int:
    """Compile or load ``cf`` here, register its address as ``symbol`` and return it."""
    cf.compile()
    llvm.add_symbol(symbol, cf.address)
    took = time.perf_counter() - start
    hit = cf._cache_hits > 0
    how = " (by a child process, beside the program)" if hit and by_child else ""
    compile_log.record("cache_load" if hit and not by_child else "compile",
                       lambda: f"kernel {symbol} in {took:.3f} s{how}")
    return cf.address


def build(callers) -> None:
    """Build the kernel callers a program imports (``(module, attribute)`` pairs, from
    ``codegen.kernel_plan.kernel_callers``): loaded from the disk cache, or each compiled by a child process
    while this one goes on (see the module docstring); with ``parallel_compile`` off, all
    here, one after the other."""
    parallel = config.read("parallel_compile")
    for module, name in callers:
        mod = importlib.import_module(module)
        if name in mod.__dict__ or not parallel:
            getattr(mod, name)
            continue
        _defer.caller = (module, name)
        try:
            getattr(mod, name)
        finally:
            _defer.caller = None


class _Child:
    """A child process compiling one kernel into the disk cache (``_LAUNCH``: it builds the
    same caller, without ``build``, so it compiles and writes the signed cache files)."""

    def __init__(self, cf: CFunc, caller: tuple, start: float):
        from .compile_server import child_env
        self.cf, self.caller, self.start = cf, caller, start
        self.slot = 0  # the stub's slot, set once the child runs
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, *caller],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, env=child_env(), close_fds=True)

    def wait(self) -> str | None:
        """None once the child has written the kernel, else why not."""
        try:
            rc = self.proc.wait(CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return f"still compiling after {CHILD_TIMEOUT_S} s"
        if rc:
            self.stderr.seek(0)
            tail = self.stderr.read().decode(errors="replace").strip().splitlines()[-1:]
            return f"exit status {rc}" + (f": {tail[0][:300]}" if tail else "")
        return None


def wait_for(symbol: str) -> None:
    """Wait for the child compiling ``symbol``'s kernel (if any), load the kernel (compile
    it here if the child failed) and fill its stub's slot."""
    with _lock:
        child = _pending.pop(symbol, None)
        if child is None:
            return
        with contextlib.closing(child.stderr):
            why = child.wait()
        if why is not None:
            compile_log.record("parallel_failed", lambda: (
                f"the child process compiling kernel {symbol} ({'.'.join(child.caller)}) "
                f"failed ({why}); compiling it in this process"))
        address = _finish(symbol, child.cf, child.start, by_child=why is None)
        ctypes.c_void_p.from_address(child.slot).value = address


def wait_all() -> None:
    """Wait for every kernel being compiled by a child (``numba_cache.after_compile``)."""
    for symbol in list(_pending):
        wait_for(symbol)


numba_cache.after_compile.append(wait_all)


@ctypes.CFUNCTYPE(None, ctypes.c_int64)
def _empty_slot(index):
    """Called by a stub whose slot is empty: wait for its kernel (holding the GIL)."""
    wait_for(_stubs[index][0])


def _stub(symbol: str, cf: CFunc, args) -> int:
    """Register ``symbol`` as a stub calling through a slot (returned: its address) that
    ``wait_for`` fills; while empty, the stub calls ``_empty_slot`` first."""
    ctx = cf._targetdescr.target_context
    fnty = ir.FunctionType(ir.VoidType(), [ctx.get_value_type(a) for a in args])
    mod = ir.Module(name=f"stub_{symbol}")
    mod.triple = llvm.get_process_triple()
    slot = ir.GlobalVariable(mod, fnty.as_pointer(), name="slot")
    slot.initializer = ir.Constant(fnty.as_pointer(), None)
    stub = ir.Function(mod, fnty, name="stub")
    b = ir.IRBuilder(stub.append_basic_block("entry"))
    target = b.load(slot)
    with b.if_then(b.icmp_unsigned("==", target, ir.Constant(fnty.as_pointer(), None)),
                   likely=False):
        hook_ty = ir.FunctionType(ir.VoidType(), [ir.IntType(64)])
        hook = ir.Constant(ir.IntType(64), ctypes.cast(_empty_slot, ctypes.c_void_p).value)
        b.call(b.inttoptr(hook, hook_ty.as_pointer()), [ir.Constant(ir.IntType(64),
                                                                    len(_stubs))])
    b.call(b.load(slot), stub.args)
    b.ret_void()
    tm = llvm.Target.from_default_triple().create_target_machine()
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(str(mod)), tm)
    engine.finalize_object()
    _stubs.append((symbol, engine))
    llvm.add_symbol(symbol, engine.get_function_address("stub"))
    return engine.get_global_value_address("slot")

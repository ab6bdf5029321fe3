"""Eager float kernels that start without compiling (issue 14, item 2).

Eager ``exp``, ``log``, ``log1p``, ``expm1``, ``tanh``, ``logistic`` and ``erf_inv`` on
float32/float64 run the compiled code's own scalar kernels (``numba_math.jn_*``), so eager
and jitted results agree bit for bit. Each kernel is compiled once per machine as a Numba
``cfunc`` looping over a contiguous buffer; its machine code (a relocatable object file) is
kept, signed, in the disk cache (``e_<hash>.eager``). A later process links that object
itself (``elf_loader``; through an llvmlite MCJIT engine where that cannot) and calls it
through ctypes: it neither imports Numba nor LLVM nor compiles anything, so a first eager
``tanh`` costs ~3 ms in place of ~23 ms through MCJIT (importing llvmlite's binding) and
~0.5 s through Numba (importing and setting up Numba, loading a cached ufunc and compiling
its loop wrapper, which Numba does in every process).

An object file may only refer to symbols every process has (libm's); the ones it refers to
are recorded next to it and checked before it is linked, and a kernel whose code would call
Numba's runtime is compiled in memory instead of cached. ``load_or_compile`` and
``load_cached`` serve other eager kernels too (``eager_random``'s threefry kernel).
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import os
import threading
import time

import numpy as np

from . import compile_log, disk_cache

# eager name -> the numba_math kernels (float32, float64) that the generated code calls too
KERNELS = {
    "exp": ("jn_exp_f32", "jn_exp_f64"),
    "log": ("jn_log_f32", "jn_log_f64"),
    "log1p": ("jn_log1p_f32", "jn_log1p_f64"),
    "expm1": ("jn_expm1_f32", "jn_expm1_f64"),
    "tanh": ("jn_tanh_f32", "jn_tanh_f64"),
    "logistic": ("jn_logistic_f32", "jn_logistic_f64"),
    "erf_inv": ("jn_erf_inv", "jn_erf_inv"),
}
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_CTYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t)

_fns: dict = {}        # (name, dtype) -> ctypes function(in pointer, out pointer, size)
_keep: list = []       # the cfuncs compiled in this process (their code must stay alive)
_engine: list = []     # the MCJIT engine holding the kernels loaded from the disk cache
_lock = threading.Lock()
# held while a thread other than the caller's uses LLVM (the tiered start's cache load), so
# that kernels are not linked into an MCJIT engine at the same time (``elf_loader`` links
# without LLVM and so without this lock)
llvm_lock = threading.RLock()


def install() -> None:
    """Make these kernels the eager implementations of their primitives' float types."""
    from ..prims.elementwise import EAGER_FLOAT_KERNELS
    for name in KERNELS:
        EAGER_FLOAT_KERNELS[name] = functools.partial(apply, name)


def _scipy(name):
    def f(x):
        import scipy.special
        return getattr(scipy.special, name)(x)
    return f


# NumPy's own functions, for ``without_compiling`` (rounding may differ from the kernels')
_NUMPY = {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
          "tanh": np.tanh, "logistic": _scipy("expit"), "erf_inv": _scipy("erfinv")}
_quick = threading.local()   # .on: do not compile; .absent: kernels not in the disk cache


@contextlib.contextmanager
def without_compiling():
    """Within this block (this thread), a kernel that would have to be compiled is replaced
    by NumPy's function: the tiered start's interpreter must not wait for Numba."""
    prev = getattr(_quick, "on", False)
    _quick.on = True
    try:
        yield
    finally:
        _quick.on = prev


def compiling_disabled() -> bool:
    """Whether this thread is within ``without_compiling``."""
    return getattr(_quick, "on", False)


def _quick_function(name: str, dtype: np.dtype):
    """The kernel if it loads without compiling, else None (remembered per thread)."""
    absent = _quick.__dict__.setdefault("absent", set())
    if (name, dtype) in absent:
        return None
    # no lock: a load that needs LLVM takes llvm_lock itself (while the tiered start loads
    # a program the interpreter's kernels link without waiting); two threads linking the
    # same kernel at once only waste a mapping
    fn = load_cached(_stem(name, dtype))
    if fn is None:
        absent.add((name, dtype))
        return None
    return _fns.setdefault((name, dtype), fn)


def apply(name: str, x: np.ndarray) -> np.ndarray:
    """``name``'s kernel applied to a float32 or float64 array (a new array)."""
    fn = _fns.get((name, x.dtype))
    if fn is None:
        if getattr(_quick, "on", False):
            fn = _quick_function(name, x.dtype)
            if fn is None:
                with np.errstate(all="ignore"):
                    return np.asarray(_NUMPY[name](x), x.dtype)
        else:
            fn = _function(name, x.dtype)
    if not (isinstance(x, np.ndarray) and x.flags.c_contiguous):
        x = np.array(x, order="C")  # (a NumPy scalar, or a strided view)
    out = np.empty_like(x)
    fn(x.ctypes.data, out.ctypes.data, x.size)
    return out


def _function(name: str, dtype: np.dtype):
    if name not in KERNELS or dtype not in _DTYPES:
        raise ValueError(f"no eager kernel {name!r} for {dtype}")
    with llvm_lock, _lock:
        fn = _fns.get((name, dtype))
        if fn is None:
            fn = _fns[(name, dtype)] = load_or_compile(
                _stem(name, dtype), functools.partial(_compile, name, dtype),
                f"{name} {dtype.name}")
    return fn


def cache_stem(what: str) -> str:
    """The cache file stem of the eager kernel ``what`` (a ``cfunc`` compiled from jitnet's
    sources: ``environment_tag`` hashes them)."""
    key = f"{disk_cache.environment_tag()}\neager {what}"
    return "e_" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _stem(name: str, dtype: np.dtype) -> str:
    return cache_stem(f"{name} {dtype.name}")


def load_cached(stem: str, ctype=_CTYPE):
    """The kernel of cache file ``stem`` as a ``ctype`` function if it loads without
    compiling, else None."""
    st = disk_cache.store()
    return _load(st, stem, ctype) if st is not None else None


def load_or_compile(stem: str, compile, what: str, ctype=_CTYPE):
    """The kernel of cache file ``stem`` as a ``ctype`` function: loaded from the disk
    cache, or compiled by ``compile()`` (which returns the function and the ``payload`` to
    cache, or None) and written there."""
    start = time.perf_counter()
    st = disk_cache.store()
    if st is not None:
        fn = _load(st, stem, ctype)
        if fn is None:
            with disk_cache.compiling(stem):
                fn = _load(st, stem, ctype)  # another process may have written it meanwhile
                if fn is None:
                    fn, payload = compile()
                    if payload is not None and disk_cache.store() is st:
                        try:
                            st.write_signed(stem + ".eager", payload)
                        except OSError as err:
                            disk_cache.disable(err)
                    _log("compile", what, start, "written to the disk cache")
                    return fn
        _log("cache_load", what, start, "loaded from the disk cache")
        return fn
    fn, _ = compile()
    _log("compile", what, start, "in memory")
    return fn


def _log(kind, what, start, how):
    took = time.perf_counter() - start
    compile_log.record(kind, lambda: f"eager kernel {what} in {took:.3f} s ({how})")


# -- loading a signed object file (no Numba) --------------------------------------------

def _mcjit():
    """One MCJIT engine per process, holding every loaded kernel."""
    if not _engine:
        import llvmlite.binding as llvm
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        tm = llvm.Target.from_default_triple().create_target_machine()
        _engine.append(llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm))
    return _engine[0]


@functools.lru_cache(maxsize=None)
def _process_symbol(name: str):
    """The address of a symbol of the process (libm's: Python links it), or None; what
    MCJIT would resolve it to."""
    try:
        return ctypes.cast(getattr(ctypes.CDLL(None), name), ctypes.c_void_p).value
    except AttributeError:
        return None


def _link_mcjit(obj: bytes, symbol: str) -> int:
    """Link through LLVM, where ``elf_loader`` cannot (another architecture or format)."""
    import llvmlite.binding as llvm
    with llvm_lock:
        engine = _mcjit()
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        return engine.get_function_address(symbol)


def _load(st, stem: str, ctype=_CTYPE):
    """The kernel of a verified cache file, or None (missing, unsigned, or unusable here)."""
    try:
        payload = st.read_signed(stem + ".eager")
    except FileNotFoundError:
        return None
    except OSError as err:
        disk_cache.disable(err)
        return None
    if payload is None:
        return None  # a bad signature: read_signed deleted the file
    from . import elf_loader  # (its mmap import: not part of ``import jitnet``)
    try:
        head, obj = payload.split(b"\n", 1)
        meta = json.loads(head)
        if any(_process_symbol(s) is None for s in meta["externals"]):
            return None  # this process cannot resolve what the code calls: compile here
        try:
            address = elf_loader.link(obj, meta["symbol"], _process_symbol)
        except elf_loader.Unsupported:
            address = _link_mcjit(obj, meta["symbol"])
    except Exception:  # written by another jitnet or llvmlite: recompile
        return None
    if not address:
        return None
    with contextlib.suppress(OSError):
        os.utime(st.path(stem + ".eager"))  # last use, for eviction
    return ctype(address)


# -- compiling with Numba ----------------------------------------------------------------

def _compile(name: str, dtype: np.dtype):
    """(the kernel's ctypes function, the payload to cache or None)."""
    import numba
    from numba import types

    from . import numba_math
    # an inlined copy of the kernel: no call is left that could raise, so the object code
    # needs no Numba runtime
    kernel = numba.njit(inline="always", error_model="numpy")(
        getattr(numba_math, KERNELS[name][dtype == np.float64]).py_func)
    t = types.float64 if dtype == np.float64 else types.float32

    def loop(x, out, n):
        for i in range(n):
            out[i] = kernel(x[i])

    loop.__qualname__ = f"eager_{name}_{dtype.name}"
    cf = numba.cfunc(types.void(types.CPointer(t), types.CPointer(t), types.intp),
                     error_model="numpy")(loop)
    return compiled(cf, _CTYPE)


def compiled(cf, ctype):
    """(a cfunc compiled in this process as a ``ctype`` function, the payload to cache: its
    object code, or None where it calls what not every process has)."""
    _keep.append(cf)
    fn = ctype(cf.address)
    lib = cf._library
    externals = sorted(f.name for f in lib._final_module.functions
                       if f.is_declaration and not f.name.startswith("llvm."))
    if not all(_in_libm(s) for s in externals):
        return fn, None
    obj = lib.serialize_using_object_code()[2][0]
    head = json.dumps({"symbol": cf.native_name, "externals": externals}).encode()
    return fn, head + b"\n" + obj


def _in_libm(symbol: str) -> bool:
    libm = _libm()
    return libm is not None and hasattr(libm, symbol)


@functools.lru_cache(maxsize=None)
def _libm():
    import ctypes.util
    path = ctypes.util.find_library("m")
    try:
        return ctypes.CDLL(path) if path else None
    except OSError:
        return None

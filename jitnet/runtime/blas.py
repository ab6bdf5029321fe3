"""Which BLAS library compiled matrix products call: config ``blas_library``.

* ``"numpy"``: the OpenBLAS bundled with NumPy's wheels (``numpy.libs/libscipy_openblas64_*``,
  ILP64: 64-bit integer arguments). Faster on the gemm shapes of W2a/W6 on this project's
  machine (benchmarks/RESULTS.md, issue 16);
* ``"scipy"``: SciPy's OpenBLAS, through ``scipy.linalg.cython_blas`` (LP64);
* ``"auto"`` (the default; env ``JITNET_BLAS_LIBRARY``): NumPy's if this NumPy bundles one,
  else SciPy's.

LAPACK (cholesky, lu, eigh, ...) stays on SciPy's either way. The generated code passes gemm's
integer arguments from an int64 buffer (``numba_math._gemm``): an LP64 library reads the low
half of each, which on a little-endian machine is the same value, so the machine code is the
same for both and only the address bound to the symbol ``jn_blas_sgemm`` differs.

The choice is made once, when the first program compiles or loads (``provider``); compiled
code is bound to that library, so asking for another one afterwards raises ValueError. The
provider is part of the disk cache key (``disk_cache.environment_tag``) and is passed to
child processes (``compile_server.child_env``).

Threads: jitnet keeps the library it calls on one thread (``runtime/threads.py``). With
NumPy's library that is the one NumPy's own matmuls use, so they run on one thread too once
jitnet has started its thread pool (``threadpoolctl.threadpool_limits`` around NumPy code,
or ``blas_library="scipy"``, gives them their threads back).
"""
from __future__ import annotations

import ctypes
import functools
import glob
import importlib.util
import os

from ..core.config import config, on_update

CHOICES = ("auto", "numpy", "scipy")
# the Fortran gemm symbols of NumPy's bundled OpenBLAS, newest naming first (NumPy >= 2:
# scipy-openblas64 with a "scipy_" prefix; NumPy 1.2x: openblas64_ with a "64_" suffix only)
_NUMPY_SYMBOLS = ("scipy_{}_64_", "{}_64_")

NUMPY_LIBS = os.sep + "numpy.libs" + os.sep  # where NumPy's wheels keep their libraries
_chosen: list = []   # [provider] once compiled code depends on it


def _check(value) -> None:
    """The config hook: a known name, and not another library once one is bound."""
    if value not in CHOICES:
        raise ValueError(f"config blas_library: expected one of {CHOICES}, got {value!r}")
    if _chosen and _resolve(value) != _chosen[0]:
        raise ValueError(
            f"config blas_library: compiled code already calls {_chosen[0]}'s BLAS; "
            f"{value!r} would select {_resolve(value)}'s. Choose the library before the first "
            f"compiled call (or set JITNET_BLAS_LIBRARY), in a new process to change it.")


def _resolve(value: str) -> str:
    if value == "auto":
        return "numpy" if _numpy_library() else "scipy"
    if value == "numpy" and not _numpy_library():
        raise ValueError("config blas_library='numpy': this NumPy bundles no ILP64 OpenBLAS "
                         "(numpy.libs/libscipy_openblas64_*); use 'scipy' or 'auto'")
    return value


def provider() -> str:
    """The library compiled code calls, "numpy" or "scipy"; fixed by the first call."""
    if not _chosen:
        value = config.read("blas_library")
        _check(value)   # JITNET_BLAS_LIBRARY is read unchecked
        _chosen.append(_resolve(value))
    return _chosen[0]


@functools.lru_cache(maxsize=None)
def _numpy_library():
    """(path, ctypes handle, symbol pattern) of NumPy's bundled ILP64 OpenBLAS, or None."""
    spec = importlib.util.find_spec("numpy")
    root = os.path.dirname(spec.submodule_search_locations[0])
    for path in sorted(glob.glob(os.path.join(root, "numpy.libs", "lib*openblas64*.so*"))):
        try:
            lib = ctypes.CDLL(path)   # already loaded by NumPy: the same handle
        except OSError:
            continue
        for pattern in _NUMPY_SYMBOLS:
            if hasattr(lib, pattern.format("sgemm")) and hasattr(lib, pattern.format("dgemm")):
                return path, lib, pattern
    return None


def gemm_address(name: str) -> int:
    """The address of the provider's Fortran ``sgemm`` or ``dgemm``."""
    if provider() == "numpy":
        _, lib, pattern = _numpy_library()
        return ctypes.cast(getattr(lib, pattern.format(name)), ctypes.c_void_p).value
    from .numba_math import _cython_address
    return _cython_address("blas", name)


def _blas_controllers(bundled_with_numpy: bool) -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded in the process: those NumPy's
    wheels bundle, or all the others."""
    from threadpoolctl import ThreadpoolController
    return [lib for lib in ThreadpoolController().select(user_api="blas").lib_controllers
            if (NUMPY_LIBS in lib.filepath) == bundled_with_numpy]


def numpy_controllers() -> list:
    """Controllers of the BLAS bundled with NumPy (what NumPy's own matmuls call)."""
    return _blas_controllers(True)


def controllers() -> list:
    """threadpoolctl's controllers of the BLAS compiled code calls: NumPy's bundled library,
    or every other BLAS in the process (SciPy's, and whatever it links)."""
    if provider() == "numpy":
        return numpy_controllers()
    from .numba_math import _cython_module
    _cython_module("blas")  # load it before looking for it (without scipy.linalg's imports)
    return _blas_controllers(False)


on_update("blas_library", _check)

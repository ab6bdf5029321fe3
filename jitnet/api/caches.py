"""The compile caches: ``jitnet.cache_info()`` and ``jitnet.clear_caches()`` (the command
``jitnet cache [info|clear]`` is in ``jitnet/cache.py``).

In memory jitnet keeps, each bounded by ``config.memory_cache_entries`` (least recently used
first out): every jitted function's traces, the executables, the loaded generated modules,
the functions split programs share (``runtime/numba_callee.py``) and the eager
one-primitive device programs; plus the eager float kernels (at most 14). On
disk (``JITNET_CACHE_DIR``) it keeps generated modules and their signed machine code, and
the eager kernels' signed object files, bounded by ``config.disk_cache_max_mb``.
See ``runtime/disk_cache.py`` and docs/SECURITY.md.
"""
from __future__ import annotations

import sys

from ..runtime import disk_cache


def cache_info() -> dict:
    """The disk cache's directory, key file, whether it is in use (and if not, why), the
    number of cached programs, files and bytes, its bound (``max_bytes``), and the sizes of
    the in-memory caches."""
    from .jit import ALL_JITTED
    from ..runtime import compile as rc
    from ..runtime import devices, eager_kernels
    info = disk_cache.info()
    info.update(executables_in_memory=len(rc._cache),
                traces_in_memory=sum(len(j._cache) for j in list(ALL_JITTED)),
                eager_programs_in_memory=len(devices._eager_cache),
                eager_kernels_in_memory=len(eager_kernels._fns))
    return info


def clear_caches(disk: bool = False) -> int:
    """Empty the in-memory caches (like ``jax.clear_caches``); with ``disk=True`` also delete
    the disk cache's files (those a process is compiling right now are kept). Returns the
    number of programs deleted from disk."""
    from .jit import ALL_JITTED
    from ..runtime import compile as rc
    from ..runtime import devices, eager_kernels
    for j in list(ALL_JITTED):
        j.clear_cache()
    rc.clear_cache()
    devices._eager_cache.clear()
    eager_kernels._fns.clear()
    callees = sys.modules.get("jitnet.runtime.numba_callee")  # not imported: nothing shared
    if callees is not None:
        callees.clear()
    return disk_cache.clear(disk=disk)

"""Global configuration flags, set with ``jitnet.config.update(name, value)``.

Mirrors ``jax.config``: flags are read at trace time, so changing one affects
functions traced afterwards (and is part of the jit cache key where it matters).
"""
from __future__ import annotations

import os

_DEFAULTS = {
    "jax_enable_x64": False,
    "jax_debug_nans": False,
    "jax_disable_jit": False,
    "num_threads": 0,  # 0: Numba's default (all cores)
    "adaptive_threads": False,  # opt-in: fewer threads while other work keeps cores busy
    # bounds of the compile caches (least recently used entries go first; runtime/disk_cache.py)
    "memory_cache_entries": 1024,  # per in-memory cache: traces, executables, modules
    "disk_cache_max_mb": 2048,     # the disk cache (JITNET_CACHE_DIR)
    "log_compiles": False,         # log traces and compilations: why, how long (compile_log)
    "verify_ir": False,            # check the IR after every compiler pass (compiler/pipeline)
    # first calls of a new program run in the interpreter while a compile server process
    # compiles it (runtime/tiered.py); env JITNET_TIERED
    "jit_tiered": False,
    # keep freed C heap memory for the next step instead of returning it to the kernel
    # (runtime/heap.py; glibc only); env JITNET_KEEP_FREED_MEMORY
    "keep_freed_memory": True,
    # hand-written kernels missing from the disk cache compile in child processes while the
    # program compiles (runtime/c_kernel.py); env JITNET_PARALLEL_COMPILE. Off: on 2 busy cores it
    # did not pay (benchmarks/RESULTS.md, cold14); to be measured on a quiet machine
    "parallel_compile": False,
    # the BLAS compiled matrix products call: "auto", "numpy" or "scipy" (runtime/blas.py);
    # env JITNET_BLAS_LIBRARY
    "blas_library": "auto",
}

# options whose default an environment variable may set (a boolean: 1/0, true/false, yes/no)
_ENV_BOOLS = {"jit_tiered": "JITNET_TIERED", "keep_freed_memory": "JITNET_KEEP_FREED_MEMORY",
              "parallel_compile": "JITNET_PARALLEL_COMPILE"}

# options whose default an environment variable may set (an int)
_ENV_INTS = {"memory_cache_entries": "JITNET_MEMORY_CACHE_ENTRIES",
             "disk_cache_max_mb": "JITNET_CACHE_MAX_MB"}

# options whose default an environment variable may set (a string, checked where it is used)
_ENV_STRS = {"blas_library": "JITNET_BLAS_LIBRARY"}


def _env_bool(var: str) -> bool:
    v = os.environ[var].strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{var}={os.environ[var]!r}: expected 1/0, true/false, yes/no or on/off")


class Config:
    """Attribute and ``update``-style access to the flags, like ``jax.config``."""

    def __init__(self):
        object.__setattr__(self, "_values", dict(_DEFAULTS))
        env_x64 = os.environ.get("JAX_ENABLE_X64", os.environ.get("JITNET_ENABLE_X64"))
        if env_x64 is not None:
            self._values["jax_enable_x64"] = env_x64.lower() in ("1", "true", "yes")
        for name, var in _ENV_BOOLS.items():
            if os.environ.get(var):
                self._values[name] = _env_bool(var)
        for name, var in _ENV_STRS.items():
            if os.environ.get(var):
                self._values[name] = os.environ[var].strip().lower()
        for name, var in _ENV_INTS.items():
            if os.environ.get(var):
                try:
                    self._values[name] = int(os.environ[var])
                except ValueError:
                    raise ValueError(f"{var}={os.environ[var]!r}: expected an integer") \
                        from None

    def update(self, name: str, value) -> None:
        if name not in self._values:
            raise AttributeError(f"unknown jitnet config option {name!r}; "
                                 f"known options: {sorted(self._values)}")
        for hook in _update_hooks.get(name, ()):  # a hook rejects a bad value by raising,
            hook(value)                            # before it is stored
        self._values[name] = value

    def read(self, name: str):
        return self._values[name]

    def __getattr__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self.update(name, value)


_update_hooks: dict[str, list] = {}


def on_update(name: str, hook) -> None:
    """Register ``hook(value)`` to run when flag ``name`` changes (e.g. dtype caches)."""
    _update_hooks.setdefault(name, []).append(hook)


def check_bool(name: str):
    """An ``on_update`` hook rejecting a value of flag ``name`` that is not a bool."""
    def check(value):
        if not isinstance(value, bool):
            raise TypeError(f"jitnet config option {name!r} takes True or False, got "
                            f"{type(value).__name__} {value!r}")
    return check


on_update("jit_tiered", check_bool("jit_tiered"))


config = Config()

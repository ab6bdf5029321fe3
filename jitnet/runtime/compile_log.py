"""What compiled, why, and how long: ``jitnet.config.update("log_compiles", True)``.

With the flag on, each event is logged (Python ``logging``, logger ``jitnet``, level
WARNING like JAX's ``jax_log_compiles``, so it shows without configuring logging):

* ``trace``: a jitted function traced for a new signature, with the reason (first call, new
  shapes, new dtypes, new rank, new static value, new argument structure, x64 changed);
* ``compile``: Numba compiled a generated program, with its time;
* ``cache_load``: its machine code came from the signed disk cache instead, with its time;
* ``function_compile``: a function the program's entry calls was compiled (to IR, to be
  linked into the entry: ``numba_callee.py``); a function another program already compiled
  (the same text) is reused without an event;
* ``reuse``: the program generated for the new signature is text-identical to one already
  compiled in this process (a new batch size: ``codegen/dims.py``), so nothing compiled;
* with the tiered start (``jit_tiered``, ``runtime/tiered.py``): ``interpret``, a program's
  first call ran in the interpreter while the compile server compiles it; ``switch``, its
  calls run compiled code from now on, after how many interpreted calls and how long;
  ``server_failed``, the server did not build it (why), so it compiles in this process;
* ``parallel_failed``: the child process compiling a hand-written kernel beside the program
  (``runtime/c_kernel.py``) failed (why), so the kernel compiles in this process.

``counts`` is kept whether or not the flag is on (tests count compilations with it).
"""
from __future__ import annotations

import logging

from ..core.config import config

logger = logging.getLogger("jitnet")

counts = {"trace": 0, "compile": 0, "cache_load": 0, "reuse": 0, "function_compile": 0,
          "interpret": 0, "switch": 0, "server_failed": 0,
          "parallel_failed": 0}


def record(kind: str, message) -> None:
    """Count an event of ``kind``; log ``message()`` (built only when logging) if enabled."""
    counts[kind] += 1
    if config.read("log_compiles"):
        logger.warning("jitnet %s: %s", kind, message())


def _leaf_change(label: str, old, new) -> str | None:
    if old == new:
        return None
    if isinstance(old, tuple) and isinstance(new, tuple) and len(old) >= 2 and len(new) >= 2:
        (s0, d0), (s1, d1) = old[:2], new[:2]
        if len(s0) != len(s1):
            return f"new rank for {label}: {len(s0)} -> {len(s1)} ({s0} -> {s1})"
        if d0 != d1:
            return f"new dtype for {label}: {d0} -> {d1}"
        if s0 != s1:
            return f"new shape for {label}: {s0} -> {s1}"
        return f"new weak type for {label}"
    return f"new type for {label}: {getattr(old, '__name__', old)} -> " \
           f"{getattr(new, '__name__', new)}"


def why(previous: list, key: tuple, labels) -> str:
    """The reason a jit cache ``key`` (static, tree, leaf keys, x64) was traced, against the
    most recent earlier key of the same function."""
    if not previous:
        return "first call"
    old = previous[-1]
    if old[0] != key[0]:
        changed = [f"{k}={v!r}" for k, v in key[0] if (k, v) not in old[0]]
        return "new static value" + (f" ({', '.join(changed)})" if changed else "")
    if old[3] != key[3]:
        return "jax_enable_x64 changed"
    if old[1] != key[1] or len(old[2]) != len(key[2]):
        return "new argument structure"
    for i, (a, b) in enumerate(zip(old[2], key[2])):
        label = labels[i] if i < len(labels) else f"argument leaf {i}"
        change = _leaf_change(label, a, b)
        if change:
            return change
    return "evicted from the trace cache"

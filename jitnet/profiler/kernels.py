"""Per-kernel times of one compiled program (Numba backend).

The code generator puts each parallel kernel, and each run of sequential kernels, in a
generated function of its own (``f0``, ``f1``...), which the entry function calls in order.
``kernel_times`` runs the entry's body in Python with a timer around each of those calls,
so every row is one generated function and the kernels it holds; a program small enough to
be a single function gives one row.
"""
from __future__ import annotations

import re
import sys
import time
from typing import NamedTuple

import numpy as np


class KernelRow(NamedTuple):
    function: str          # the generated function's name
    kernels: list          # what it runs: ``loop[...](...)``, ``dot_general``...
    seconds: float         # mean time per call


class KernelTimes(NamedTuple):
    rows: list
    total: float           # mean time of the whole program through its entry function

    def __str__(self):
        out = [f"{'function':<10}{'mean ms':>10}{'%':>7}  kernels"]
        for r in sorted(self.rows, key=lambda r: -r.seconds):
            pct = 100 * r.seconds / self.total if self.total else 0.0
            out.append(f"{r.function:<10}{1e3 * r.seconds:>10.4f}{pct:>7.1f}  "
                       + "; ".join(r.kernels))
        out.append(f"{'entry':<10}{1e3 * self.total:>10.4f}")
        return "\n".join(out)


def _functions(source: str, line_info: dict) -> dict:
    """name -> kernel descriptions, from the generated module's text and line map."""
    lines = source.splitlines()
    owner, funcs = None, {}
    for i, ln in enumerate(lines, 1):
        m = re.match(r"def (\w+)\(", ln)
        if m:
            owner = m.group(1)
            funcs[owner] = []
        info = line_info.get(i)
        if info is not None and owner is not None and info[0] not in funcs[owner]:
            funcs[owner].append(info[0])
    return funcs


def _timed_entry(source: str, entry: str, module, stats: dict):
    """The entry function's body as Python, each generated call timed into ``stats``."""
    lines = source.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"def {entry}("))
    body = [lines[start]]
    for ln in lines[start + 1:]:
        if ln and not ln.startswith(" "):
            break
        body.append(ln)

    def timer(name, fn):
        def call(*args):
            t = time.perf_counter()
            out = fn(*args)
            stats[name] = stats.get(name, 0.0) + time.perf_counter() - t
            return out
        return call
    from ..runtime.numba_callee import callable_copy

    def callable_(fn):   # a generated callee is IR only: Python calls a compiled copy
        return callable_copy(fn) if hasattr(fn, "py_func") else fn
    env = {n: timer(n, callable_(getattr(module, n)))
           for n in re.findall(r"= (f\d+)\(", "\n".join(body))}
    exec("\n".join(body), env)     # our own generated text: calls of f0, f1, ...
    return env[entry]


def kernel_times(fn, *args, number: int = 10, **kwargs) -> KernelTimes:
    """Mean time per generated function of ``jit(fn)``'s program for ``args`` (after one
    warm-up call that compiles it). Numba (CPU) backend only."""
    from ..api.jit import Jitted, _as_value, jit
    from ..core.pytree import tree_flatten
    from ..runtime.numba_backend import NumbaExecutable, _readonly_c
    if not isinstance(number, int) or number < 1:
        raise ValueError(f"kernel_times: number must be an int >= 1, got {number!r}")
    jitted = fn if isinstance(fn, Jitted) else jit(fn)
    lowered = jitted.lower(*args, **kwargs)
    traced, exe = lowered.traced, lowered.compile()  # compile(): tiered's compiled program
    if not isinstance(exe, NumbaExecutable):
        raise ValueError(f"kernel_times: needs the numba (CPU) backend, the program runs on "
                         f"{getattr(exe, 'name', type(exe).__name__)!r}")
    leaves = tree_flatten((args, kwargs))[0]
    vals = [_readonly_c(np.asarray(v)) for v in
            list(traced.const_values) + [_as_value(x) for x in leaves]]
    exe(*vals)                                  # compile or load, outside the timings
    gen = exe.generated
    funcs = _functions(gen.source, gen.line_info)
    t = time.perf_counter()
    for _ in range(number):
        exe.fn(*vals, *exe.constants)
    total = (time.perf_counter() - t) / number
    if len(funcs) == 1:                         # the entry is the only generated function
        return KernelTimes([KernelRow(gen.entry, funcs[gen.entry], total)], total)
    module = sys.modules[f"jitnet_cache.{exe.fn.stem}"]
    stats: dict = {}
    timed = _timed_entry(gen.source, gen.entry, module, stats)
    timed(*vals, *exe.constants)                # compiles the callable copies
    stats.clear()
    for _ in range(number):
        timed(*vals, *exe.constants)
    rows = [KernelRow(n, funcs.get(n, []), s / number) for n, s in stats.items()]
    return KernelTimes(rows, total)

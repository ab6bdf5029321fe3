"""pytest plugin: per test, the programs compiled (``compile_log`` counts) and the CPU it cost.

    PYTHONPATH=$PWD:benchmarks JITNET_CACHE_DIR=/tmp/c/cache JITNET_CACHE_KEY_FILE=/tmp/c/key \\
        COMPILE_COUNTS_OUT=counts.jsonl pytest -n 2 -p compile_counts_plugin -m slow tests

One JSON line per test (``id``, ``worker``, ``compile``, ``cache_load``, ``reuse``, ``numba``,
``numba_s``, ``cpu``, ``wall``, ``start``/``end``: wall-clock seconds since the epoch, for a
worker's idle tail; ``events``: ``[kind, what]`` of each compile and cache load, ``what``
naming the program or kernel, to see which tests share a program), appended by each xdist
worker; an empty cache directory makes it a cold run. ``numba``/``numba_s`` count every top-level Numba compilation (generated
programs and the package's own ``@njit`` helpers, which ``compile_log`` does not see) and its
seconds. CPU is the worker's ``process_time``, which a loaded machine distorts far less than
wall time; ``child_cpu`` the CPU of the subprocesses the test waited for (MPI ranks, fresh
interpreters, kernel builds), which ``process_time`` does not see.
``benchmarks/suite_profile.py`` turns the lines into per-file and per-test tables.
"""
import json
import os
import time

import pytest
from numba.core import event

OUT = os.environ.get("COMPILE_COUNTS_OUT", "compile_counts.jsonl")


class _NumbaCompiles(event.Listener):
    """Counts outermost ``numba:compile`` events (a compile nests those of its callees)."""

    def __init__(self):
        self.depth, self.count, self.seconds, self._t0 = 0, 0, 0.0, 0.0

    def on_start(self, ev):
        if self.depth == 0:
            self._t0 = time.perf_counter()
        self.depth += 1

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0:
            self.count += 1
            self.seconds += time.perf_counter() - self._t0


_numba = _NumbaCompiles()
event.register("numba:compile", _numba)
_events = []


def _recording(record):
    """Wrap ``compile_log.record`` to keep what each compile or cache load was for."""
    def wrapped(kind, message):
        if kind in ("compile", "cache_load"):
            _events.append([kind, message().split(" in ")[0]])
        return record(kind, message)
    return wrapped


def pytest_configure(config):
    from jitnet.runtime import compile_log
    # every caller goes through the module attribute (none imports ``record`` by name)
    compile_log.record = _recording(compile_log.record)


def _children_cpu():
    t = os.times()
    return t.children_user + t.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    from jitnet.runtime import compile_log
    before, cpu, wall = dict(compile_log.counts), time.process_time(), time.perf_counter()
    children = _children_cpu()
    nb, nb_s, start = _numba.count, _numba.seconds, time.time()
    del _events[:]
    yield
    rec = {"id": item.nodeid, "worker": os.environ.get("PYTEST_XDIST_WORKER", ""),
           **{k: compile_log.counts[k] - before[k] for k in ("compile", "cache_load", "reuse")},
           "numba": _numba.count - nb, "numba_s": round(_numba.seconds - nb_s, 3),
           "cpu": time.process_time() - cpu, "child_cpu": round(_children_cpu() - children, 3),
           "wall": time.perf_counter() - wall,
           "start": start, "end": time.time(), "events": list(_events)}
    with open(OUT, "a") as f:
        f.write(json.dumps(rec) + "\n")

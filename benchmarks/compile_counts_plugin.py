"""pytest plugin: per test, the programs compiled (``compile_log`` counts) and the CPU it cost.

    PYTHONPATH=$PWD:benchmarks JITNET_CACHE_DIR=/tmp/c/cache JITNET_CACHE_KEY_FILE=/tmp/c/key \\
        COMPILE_COUNTS_OUT=counts.jsonl pytest -n 2 -p compile_counts_plugin -m slow tests

One JSON line per test (``id``, ``compile``, ``cache_load``, ``reuse``, ``cpu``, ``wall``),
appended by each xdist worker; an empty cache directory makes it a cold run. CPU is the
worker's ``process_time``, which a loaded machine distorts far less than wall time.
"""
import json
import os
import time

import pytest

OUT = os.environ.get("COMPILE_COUNTS_OUT", "compile_counts.jsonl")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    from jitnet.runtime import compile_log
    before, cpu, wall = dict(compile_log.counts), time.process_time(), time.perf_counter()
    yield
    rec = {"id": item.nodeid, **{k: compile_log.counts[k] - before[k]
                                 for k in ("compile", "cache_load", "reuse")},
           "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    with open(OUT, "a") as f:
        f.write(json.dumps(rec) + "\n")

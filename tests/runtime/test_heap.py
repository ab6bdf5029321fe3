"""runtime/heap.py: freed memory stays in the heap between steps (glibc), counted as the
kernel's page faults in fresh processes; the user's own malloc settings are left alone."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the heap settings are glibc's")

# a step's pattern: 24 temporaries of 1 MiB live at once, written, then all freed
CODE = """
import resource
import numpy as np
import jitnet
from jitnet.runtime import heap

def step():
    bufs = [np.empty(1 << 18, np.float32) for _ in range(24)]
    for b in bufs:
        b.fill(1.0)
    del bufs

for _ in range(3):
    step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(heap.state, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 20)
"""


def _run(**env):
    full = {k: v for k, v in os.environ.items()
            if not (k.startswith("MALLOC_") or k == "JITNET_KEEP_FREED_MEMORY")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", CODE], env=full, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], float(out[1])


def test_freed_memory_is_reused_without_page_faults():
    state, faults = _run()
    assert state == "jitnet" and faults < 100, (state, faults)
    state, faults = _run(JITNET_KEEP_FREED_MEMORY="0")
    # 24 MiB handed back to the kernel and faulted in again each step: ~6,000 pages
    assert state == "glibc" and faults > 3000, (state, faults)


def test_the_users_malloc_settings_are_left_alone():
    state, _ = _run(MALLOC_TRIM_THRESHOLD_="131072")
    assert state == "user"


def test_config_flag_checks_its_value():
    import jitnet
    from jitnet.runtime import heap
    with pytest.raises(TypeError, match="keep_freed_memory"):
        jitnet.config.update("keep_freed_memory", "yes")
    assert heap.state in ("jitnet", "user")

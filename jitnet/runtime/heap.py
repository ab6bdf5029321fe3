"""The C heap's settings for compiled steps (glibc only).

A compiled step allocates its temporaries (im2col buffers, activations, gradients) with
``malloc`` and frees them before it returns. glibc hands blocks over its mmap threshold (128 KiB
to start) back to the kernel and trims the heap's free top, so the next step's blocks are new
pages: the kernel faults and zeroes each of them again (W4: 8,000 page faults a step, W8:
25,000; a third of their CPU time). Keeping freed memory in the heap, as the caching
allocators of PyTorch and XLA do, makes a step reuse the same pages: blocks up to 32 MiB come
from the heap (``M_MMAP_THRESHOLD``) and up to 256 MiB of free heap top is kept
(``M_TRIM_THRESHOLD``). Both settings are needed: either alone leaves glibc's adaptive
threshold off with the other at its small default, which faults more than before.

``jitnet.config.update("keep_freed_memory", False)`` (or ``JITNET_KEEP_FREED_MEMORY=0``)
puts glibc's fixed defaults back; a process whose environment sets malloc's own variables
(``MALLOC_*_``, ``GLIBC_TUNABLES=glibc.malloc...``) is left as the user configured it."""
from __future__ import annotations

import ctypes
import os
import platform

from ..core.config import check_bool, config, on_update

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 256 << 20}
GLIBC_DEFAULTS = {M_MMAP_THRESHOLD: 128 << 10, M_TRIM_THRESHOLD: 128 << 10}

# "jitnet" (kept), "glibc" (glibc's settings), "user" (the environment set malloc's
# variables), "unsupported" (not glibc)
state = "glibc"


def _user_configured() -> bool:
    return (any(k.startswith("MALLOC_") and k.endswith("_") for k in os.environ)
            or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""))


def _mallopt():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None


def apply(keep: bool) -> str:
    """Set the heap for compiled steps (``keep``) or back to glibc's defaults; returns the
    new ``state``."""
    global state
    mallopt = _mallopt()
    if mallopt is None:
        state = "unsupported"
    elif _user_configured():
        state = "user"
    else:
        for param, value in (KEEP if keep else GLIBC_DEFAULTS).items():
            mallopt(param, value)
        state = "jitnet" if keep else "glibc"
    return state


on_update("keep_freed_memory", check_bool("keep_freed_memory"))   # rejects before apply
on_update("keep_freed_memory", apply)
if config.read("keep_freed_memory"):
    apply(True)

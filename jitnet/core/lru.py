"""``LRU``: the bounded mapping behind jitnet's in-memory caches (traces, executables,
loaded modules, eager device programs).

Each cache keeps at most ``config.memory_cache_entries`` entries and drops the least
recently used one first, so a long-running process that keeps meeting new shapes holds
a bounded amount of compiled code. The bound is read at every insertion, so changing the
option takes effect on the next new entry.
"""
from __future__ import annotations

from collections import OrderedDict

from .config import config


class LRU(OrderedDict):
    """A dict whose ``get`` marks an entry as recently used and whose inserts evict the
    least recently used entries beyond the configured bound (``on_evict(key, value)`` is
    told about each)."""

    def __init__(self, option: str = "memory_cache_entries", on_evict=None):
        super().__init__()
        self._option = option
        self._on_evict = on_evict

    def get(self, key, default=None):
        try:
            value = OrderedDict.__getitem__(self, key)
        except KeyError:
            return default
        try:
            self.move_to_end(key)
        except KeyError:  # another thread evicted it meanwhile: still a valid hit
            pass
        return value

    def __setitem__(self, key, value):
        OrderedDict.__setitem__(self, key, value)
        self.move_to_end(key)
        limit = max(1, int(config.read(self._option)))
        while len(self) > limit:
            old_key, old = self.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(old_key, old)

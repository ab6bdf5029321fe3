"""The runtime's hook points for ``jitnet.profiler``.

``active`` is None unless a ``Profiler`` is recording. The hot paths (a jitted call, a
host-device copy) test it once and do nothing else; the cold ones (tracing, compiling, the
first call of a compiled program) open a ``span``, which is a shared no-op while off.
"""
from __future__ import annotations

active = None    # the recording jitnet.profiler.Profiler, if any


class _NoSpan:
    __slots__ = ()

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NO_SPAN = _NoSpan()


def span(kind: str, name: str = ""):
    """A context manager timing ``kind`` (``trace``, ``compile``, ``cache_load``...)."""
    rec = active
    return _NO_SPAN if rec is None else rec.span(kind, name)


def timed_first_call(name: str, call, loaded):
    """``call()``, timed as ``cache_load`` when ``loaded()`` says afterwards that it loaded
    machine code from the disk cache, else as ``compile``."""
    rec = active
    if rec is None:
        return call()
    rec.begin("compile", name)
    try:
        return call()
    finally:
        rec.end(kind="cache_load" if loaded() else None)

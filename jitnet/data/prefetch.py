"""Run a generator ahead of its consumer in a daemon thread.

The consumer's training step releases the GIL in compiled code, so gathering, augmenting
and padding the next batches in a thread overlaps with the step. The thread holds no
reference to the ``Prefetcher``, so dropping the iterator (``break``, an exception, garbage
collection) closes it and the thread ends at its next hand-off.
"""
from __future__ import annotations

import queue
import threading

_END = object()
_POLL_S = 0.05
_JOIN_S = 10.0  # a source stuck in I/O must not hang the consumer's `break`


class _Failure:
    """An exception raised in the producer thread, carried to the consumer."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            pass
    return False


def _fill(source, q: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in source:
            if not _put(q, item, stop):
                return
        _put(q, _END, stop)
    except BaseException as e:  # handed to the consumer, re-raised there
        _put(q, _Failure(e), stop)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


class Prefetcher:
    """Iterate ``source`` (a generator) with up to ``size`` items computed ahead in a thread.

    An exception raised by ``source`` re-raises from ``next()`` with its original
    traceback. ``close()`` (also called when the iterator is garbage collected) stops the
    thread and waits for it.
    """

    def __init__(self, source, size: int):
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=_fill, args=(source, self._queue, self._stop),
                                        name="jitnet-data-prefetch", daemon=True)
        self._done = False
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        while True:
            try:
                item = self._queue.get(timeout=_POLL_S)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    self.close()
                    raise RuntimeError("data prefetch thread ended without a result") from None
        if item is _END:
            self.close()
            raise StopIteration
        if isinstance(item, _Failure):
            self.close()
            raise item.error
        return item

    def close(self) -> None:
        """Stop the producer thread; wait (up to ``_JOIN_S``) for it to finish its item."""
        self._done = True
        self._stop.set()
        while True:  # free a producer blocked on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread is not threading.current_thread():
            self._thread.join(_JOIN_S)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: threading may be gone
            pass

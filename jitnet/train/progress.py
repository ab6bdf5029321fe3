"""Progress output: a live tqdm bar on a terminal, one line per epoch otherwise.

A bar that redraws into a file or a CI log floods it; Keras's ``verbose=2`` line per epoch
is what a log wants. ``verbose=0`` prints nothing.
"""
from __future__ import annotations

import os
import sys
import time

from .callbacks import Callback


def _fmt(logs: dict) -> str:
    parts = []
    for k, v in logs.items():
        try:
            parts.append(f"{k}: {float(v):.4g}")
        except (TypeError, ValueError):
            continue
    return " - ".join(parts)


def _terminal(stream) -> bool:
    """A terminal a bar can be drawn on: a tty with a width. ``mpiexec`` forwards the ranks'
    output through a pseudo-terminal of width 0, on which tqdm draws nothing."""
    if not getattr(stream, "isatty", lambda: False)():
        return False
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return True


class ProgbarLogger(Callback):
    """Per-batch loss, metrics, throughput and ETA (tqdm) or one line per epoch."""
    main_process_only = True

    def __init__(self, verbose: int = 1, stream=None, refresh_s: float = 0.2):
        super().__init__()
        self.verbose, self.stream, self.refresh_s = verbose, stream, refresh_s

    def on_train_begin(self, logs=None):
        stream = self.stream or sys.stdout
        self.live = self.verbose == 1 and _terminal(stream)
        if self.live:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                self.live = False

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = self._last = time.perf_counter()
        self.epoch, self.bar = epoch, None
        if self.live:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=self.params.get("steps"), file=self.stream or sys.stdout,
                            desc=f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                            unit="batch", dynamic_ncols=True, leave=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if now - self._last >= self.refresh_s:
            self._last = now
            self.bar.set_postfix_str(_fmt(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        dt = time.perf_counter() - self.t0
        if self.bar is not None:
            self.bar.set_postfix_str(_fmt(logs or {}))
            self.bar.close()
            return
        if self.verbose:
            steps = self.params.get("steps")
            per = f" - {dt / steps * 1e3:.0f}ms/step" if steps else ""
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {dt:.1f}s{per} - "
                  f"{_fmt(logs or {})}", file=self.stream or sys.stdout, flush=True)

"""Where the time goes: tracing, compiling, loading cached code, executing, copying, and the
Python around it.

    prof = jitnet.profiler.Profiler()
    with prof:                                  # or Trainer(profiler=prof) / fit(callbacks=
        trainer.fit(loss_fn, params, data)      #     [jitnet.profiler.ProfilerCallback(prof)])
    print(prof.summary())                       # Lightning SimpleProfiler-style table
    prof.export_chrome_trace("trace.json")      # open in https://ui.perfetto.dev

Every second of the recording is attributed to exactly one kind (exclusive times: a
compilation inside a jitted call counts as ``compile``, not also as ``dispatch``), so the
totals add up to the recorded wall time. ``kernel_times(f, *args)`` times the generated
functions of one compiled program (kernels grouped as the code generator grouped them).

When no profiler records, the runtime tests one module global per jitted call and does
nothing else.
"""
from __future__ import annotations

import json
import os
import threading
import time

from ..runtime import devices, profiling
from ..train.callbacks import Callback
from .kernels import KernelTimes, kernel_times  # noqa: F401

KINDS = {
    "trace": "tracing Python functions to IR (a new jit specialization)",
    "compile": "jitnet's passes, fusion, code generation and Numba compilation",
    "cache_load": "loading a program's machine code from the disk cache (first call)",
    "execute": "running compiled programs",
    "transfer": "host<->device copies (CUDA backend)",
    "dispatch": "a jitted call's Python: flattening arguments, cache lookup, wrapping results",
    "step": "Python inside a training step outside the jitted call (callback hooks)",
    "loop": "between training steps: data loading, callbacks, validation's Python",
    "other": "recorded time outside all of the above (your code, fit's setup)",
}
STEP_COLUMNS = ("trace", "compile", "cache_load", "execute", "transfer", "dispatch", "step")


class _Span:
    __slots__ = ("rec", "kind", "name")

    def __init__(self, rec, kind, name):
        self.rec, self.kind, self.name = rec, kind, name

    def __enter__(self):
        self.rec.begin(self.kind, self.name)

    def __exit__(self, *exc):
        self.rec.end()
        return False


class Profiler:
    """Records exclusive time per kind between ``start()`` and ``stop()`` (or as a context
    manager), per-step rows when driven by ``ProfilerCallback``, and timeline events."""

    def __init__(self):
        self.totals = {k: 0.0 for k in KINDS}
        self.counts = {k: 0 for k in KINDS}
        self.events: list = []        # (kind, name, start_s, duration_s, depth)
        self.steps: list[dict] = []
        self.wall = 0.0
        self.transfers: dict = {}
        self._stack: list = []        # frames [kind, name, start, child_time]
        self._local = threading.local()
        self._tid = None
        self._t0 = 0.0
        self._step_start = None

    # -- recording ---------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return profiling.active is self

    def start(self) -> "Profiler":
        if profiling.active is not None:
            raise RuntimeError("jitnet.profiler: another Profiler is already recording; stop "
                               "it first")
        self._tid = threading.get_ident()
        self._transfers0 = devices.transfer_stats()
        self._t0 = time.perf_counter()
        self._stack = [["other", "profile", self._t0, 0.0]]
        profiling.active = self
        return self

    def stop(self) -> "Profiler":
        if profiling.active is not self:
            return self
        while len(self._stack) > 1:   # spans left open by an exception
            self.end()
        self.end()
        profiling.active = None
        self.wall += time.perf_counter() - self._t0
        now = devices.transfer_stats()
        self.transfers = {k: now[k] - self._transfers0.get(k, 0) for k in now}
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def begin(self, kind: str, name: str = "") -> None:
        if threading.get_ident() == self._tid:
            self._stack.append([kind, name, time.perf_counter(), 0.0])

    def end(self, kind: str | None = None) -> float:
        """Close the innermost span (as ``kind`` when given: what it was is known only at
        its end, e.g. compile vs cache load); returns its (inclusive) duration."""
        if threading.get_ident() != self._tid or not self._stack:
            return 0.0
        opened, name, start, child = self._stack.pop()
        kind = kind or opened
        dur = time.perf_counter() - start
        self.totals[kind] = self.totals.get(kind, 0.0) + dur - child
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self._stack:
            self._stack[-1][3] += dur
        self.events.append((kind, name, start - self._t0, dur, len(self._stack)))
        return dur

    def span(self, kind: str, name: str = ""):
        return _Span(self, kind, name)

    @property
    def dispatching(self) -> bool:
        return getattr(self._local, "on", False)

    def dispatch(self, jitted, name, args, kwargs):
        """Run one jitted call as a ``dispatch`` span (calls nested in it are not re-wrapped)."""
        self._local.on = True
        try:
            with self.span("dispatch", name):
                return jitted(*args, **kwargs)
        finally:
            self._local.on = False

    # -- training steps (ProfilerCallback) -------------------------------------------------
    def begin_step(self, index: int) -> None:
        loop = self.end() if self._stack and self._stack[-1][0] == "loop" else None
        self._snapshot = dict(self.totals)
        self._loop_before = loop
        self.begin("step", f"step {index}")

    def end_step(self) -> None:
        wall = self.end()
        row = {k: self.totals[k] - self._snapshot.get(k, 0.0) for k in STEP_COLUMNS}
        row["wall"] = wall
        row["loop_before"] = self._loop_before
        self.steps.append(row)
        self.begin("loop", "between steps")

    # -- reports ---------------------------------------------------------------------------
    def summary(self, max_steps: int = 10) -> str:
        """Totals per kind (Lightning's SimpleProfiler columns) and the first steps."""
        total = sum(self.totals.values())
        rows = sorted(((k, v) for k, v in self.totals.items() if self.counts.get(k) or v),
                      key=lambda kv: -kv[1])
        head = f"{'Action':<12}| {'Mean duration (s)':>18} | {'Num calls':>9} | " \
               f"{'Total time (s)':>14} | {'Percentage %':>12}"
        out = ["jitnet profiler report", "", head, "-" * len(head),
               f"{'Total':<12}| {'-':>18} | {'-':>9} | {total:>14.5f} | {100.0:>12.1f}"]
        for k, v in rows:
            n = max(self.counts.get(k, 0), 1)
            out.append(f"{k:<12}| {v / n:>18.6f} | {self.counts.get(k, 0):>9} | {v:>14.5f} | "
                       f"{100 * v / total if total else 0.0:>12.1f}")
        out.append("-" * len(head))
        if self.transfers.get("h2d") or self.transfers.get("d2h"):
            t = self.transfers
            out.append(f"host->device copies: {t['h2d']} ({t['h2d_bytes']:,} bytes), "
                       f"device->host: {t['d2h']} ({t['d2h_bytes']:,} bytes)")
        if self.steps:
            cols = ("wall",) + STEP_COLUMNS + ("loop_before",)
            out += ["", "per step (ms): " + ", ".join(cols)]
            for i, r in enumerate(self.steps[:max_steps]):
                cells = ["-" if r[c] is None else f"{1e3 * r[c]:.3f}" for c in cols]
                out.append(f"  {i:>4}: " + "  ".join(cells))
            if len(self.steps) > max_steps:
                out.append(f"  ... {len(self.steps) - max_steps} more steps")
        return "\n".join(out)

    def describe(self) -> None:
        print(self.summary())

    def chrome_trace(self) -> dict:
        """The timeline as a Chrome trace (``traceEvents`` of complete events, microseconds)."""
        ev = [{"name": "process_name", "ph": "M", "pid": os.getpid(),
               "args": {"name": "jitnet"}}]
        for kind, name, start, dur, depth in sorted(self.events, key=lambda e: (e[2], e[4])):
            ev.append({"name": name or kind, "cat": kind, "ph": "X", "pid": os.getpid(),
                       "tid": 0, "ts": round(start * 1e6, 3), "dur": round(dur * 1e6, 3),
                       "args": {"kind": kind}})
        return {"traceEvents": ev, "displayTimeUnit": "ms"}

    def export_chrome_trace(self, path) -> str:
        """Write ``chrome_trace()`` as JSON (Perfetto and chrome://tracing open it)."""
        path = os.fspath(path)
        with open(path, "w") as f:
            json.dump(self.chrome_trace(), f)
        return path


class ProfilerCallback(Callback):
    """Drives a ``Profiler`` from ``fit``: one row per training step in ``profiler.steps``.
    Starts (and stops at the end of training) the profiler unless it is already recording."""

    def __init__(self, profiler: Profiler | None = None, print_summary: bool = False):
        super().__init__()
        self.print_summary = print_summary
        if profiler is not None and not isinstance(profiler, Profiler):
            raise TypeError(f"ProfilerCallback: expected a jitnet.profiler.Profiler, got "
                            f"{type(profiler).__name__}")
        self.profiler = profiler or Profiler()
        self._owns = False

    def on_train_begin(self, logs=None):
        self._owns = not self.profiler.recording
        if self._owns:
            self.profiler.start()
        self._n = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.profiler.begin_step(self._n)
        self._n += 1

    def on_train_batch_end(self, batch, logs=None):
        self.profiler.end_step()

    def on_train_end(self, logs=None):
        p = self.profiler
        if p._stack and p._stack[-1][0] == "loop":
            p.end()
        if self._owns:
            p.stop()
        if self.print_summary:
            print(p.summary())


def as_callback(profiler) -> ProfilerCallback:
    """``Trainer(profiler=...)``: a Profiler or ProfilerCallback, or ``"simple"``/True for a
    new Profiler whose summary is printed when training ends (as Lightning does)."""
    if isinstance(profiler, ProfilerCallback):
        return profiler
    if profiler is True or profiler == "simple":
        return ProfilerCallback(Profiler(), print_summary=True)
    return ProfilerCallback(profiler)

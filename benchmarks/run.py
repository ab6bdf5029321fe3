"""jitnet (Numba backend) against NumPy, JAX and PyTorch on CPU.

    python benchmarks/run.py                   # everything, 1 thread then default threads
    python benchmarks/run.py --quick           # short run (fewer, shorter samples)
    python benchmarks/run.py --only W1,W2      # a selection (W2 = W2a, W2b, W2c)
    python benchmarks/run.py --threads 1       # one pass only: 1 | default | both
    python benchmarks/run.py --frameworks jitnet,jax --json out.json
    python benchmarks/run.py --loaded          # quiet and with one core kept busy: ratios

Workloads (see workloads.py): W1 fused elementwise + sum, W2 MLP SGD steps, W3 per-example
gradients, W4 CNN step, W5 cold compile / warm start in fresh processes, W6 char-RNN step,
W7 a vmapped population of 4 small layers, W8 a transformer block's Adam step.
Competitors: jitnet, a hand-written NumPy version, ``jax.jit``, PyTorch eager and
``torch.compile``; a competitor that is not installed or lacks a feature is reported as
"unavailable: reason" and skipped.

Method
* Each thread setting runs in its own worker process (``--worker``) so that thread settings
  are fixed before any framework starts its thread pools.
  - 1 thread: the worker is pinned to one CPU (``sched_setaffinity``, as ``taskset -c N``),
    inherited by every thread and subprocess, so no framework can use a second core whatever
    its own settings; in addition each framework is told to use one thread, so none pays for
    oversubscribing that core: NUMBA_NUM_THREADS / ``jitnet.config.update("num_threads", 1)``,
    ``torch.set_num_threads(1)``, ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false``, and
    OMP/OPENBLAS/MKL_NUM_THREADS=1 for the BLAS behind NumPy and jitnet's matmuls.
  - default: no pinning, every framework with its own default thread count.
* All competitors of a workload live in the same process and run on the same inputs. Each is
  first checked against a float64 NumPy reference (loss, gradients, updated parameters); a
  competitor whose result does not match is reported and not timed.
* Compile time is excluded: after the first call (reported as "first call") each competitor is
  warmed up, then a number of calls per sample is chosen so that a sample lasts about
  ``target`` seconds. Samples are taken round-robin over the competitors (the order rotates
  each round), so drift and background load hit all of them alike. Reported: the median time
  per call, and the spread (half the interquartile range, relative to the median).
* Training steps feed their updated parameters back in, as a training loop does.
* ``--loaded``: samples are taken in blocks, alternately quiet and with a spinning process
  keeping one core busy (another experiment, an MPI rank, a browser); it ends at a deadline
  or when its parent is gone, whichever comes first. Reported: both medians and their
  ratio (loaded / quiet) per competitor, and loaded / 1-thread when both passes run. W5
  (fresh processes) is not run in this mode.
* ``--fixed-threads``: jitnet with ``adaptive_threads`` off (all of its threads whatever the
  load), to compare with its default.
"""
from __future__ import annotations

import argparse
import gc
import glob
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
if os.path.isdir(os.path.join(ROOT, "jitnet")):  # benchmark this checkout's jitnet
    sys.path.insert(1, ROOT)
import workloads as W  # noqa: E402

FRAMEWORKS = ["jitnet", "numpy", "jax", "torch", "torch.compile"]
HEADERS = {"jitnet": "jitnet", "numpy": "numpy", "jax": "jax.jit", "torch": "torch eager",
           "torch.compile": "torch.compile"}
TOL = 1e-4  # max |x - ref| / max |ref| for every checked array (float32 against float64)
ONE_THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                  "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                  "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"}
UNAVAILABLE = (NotImplementedError, AttributeError, ImportError)


# ------------------------------------------------------------------- framework handling

def configure_threads(threads: int | None, mods: dict, fixed: bool = False) -> dict:
    """Apply a thread count (None: leave defaults); return the effective settings. ``fixed``:
    jitnet with ``adaptive_threads`` off (its whole budget whatever the load)."""
    info = {}
    if "jitnet" in mods:
        import numba
        from jitnet.runtime.threads import start_thread_pool
        start_thread_pool()   # before numba starts its pool with OpenMP's default wait policy
        if fixed:
            mods["jitnet"].config.update("adaptive_threads", False)
        info["jitnet adaptive_threads"] = mods["jitnet"].config.read("adaptive_threads")
        if threads:
            mods["jitnet"].config.update("num_threads", threads)
            numba.set_num_threads(threads)
        info["numba threads"] = numba.get_num_threads()
    if "torch" in mods:
        torch = mods["torch"]
        if threads:
            torch.set_num_threads(threads)
        info["torch threads"] = torch.get_num_threads()
    if "jax" in mods:
        info["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "")
    return info


def import_frameworks(names) -> tuple[dict, dict]:
    """Import what is wanted and installed; return ({name: module}, {name: reason})."""
    mods, missing = {}, {}
    for name in names:
        try:
            if name == "jitnet":
                import jitnet
                mods[name] = jitnet
            elif name == "jax":
                import jax
                mods[name] = jax
            elif name in ("torch", "torch.compile"):
                import torch
                mods["torch"] = torch
        except ImportError as e:
            missing[name] = f"not installed ({e})"
    return mods, missing


def git_commit(where: str) -> str:
    """Short commit of the checkout holding ``where``, '+dirty' if jitnet/ has changes."""
    try:
        def git(*args):
            return subprocess.run(["git", *args], cwd=where, text=True,
                                  capture_output=True).stdout.strip()
        commit = git("rev-parse", "--short", "HEAD")
        return (commit + ("+dirty" if git("status", "--porcelain", ".") else "")) or "?"
    except OSError:
        return "?"


def versions(mods) -> dict:
    v = {"python": platform.python_version(), "numpy": np.__version__}
    if "jitnet" in mods:
        import numba
        where = os.path.dirname(mods["jitnet"].__file__)
        v["jitnet"] = f"{mods['jitnet'].__version__} ({where}, commit {git_commit(where)})"
        v["numba"] = numba.__version__
    if "jax" in mods:
        import jaxlib
        v["jax"] = mods["jax"].__version__
        v["jaxlib"] = jaxlib.__version__
    if "torch" in mods:
        v["torch"] = mods["torch"].__version__
    return v


def to_numpy(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu()
    return np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind == "f" else np.asarray(x)


# ---------------------------------------------------------------------- the competitors

@dataclass
class Prepared:
    """A competitor ready to run: ``first()`` is the first call of the timed function from the
    initial state (includes compilation; its outputs are checked), ``call()`` one timed call,
    ``checks()`` more outputs to check (loss and gradients)."""
    first: Callable[[], list]
    call: Callable[[], None]
    checks: Callable[[], dict] = lambda: {}


def stateful(step, params, inputs, block=lambda x: x):
    """Timed step that feeds updated parameters back; first() runs from a fresh copy."""
    state = {"p": params}

    def call():
        state["p"], loss = step(state["p"], *inputs)
        block((state["p"], loss))

    def first(fresh_params):
        p, loss = step(fresh_params, *inputs)
        block((p, loss))
        return [to_numpy(loss)] + [to_numpy(a) for a in p]
    return call, first


def prepare_jaxlike(fw, w, data, mods):
    jx = mods[fw]
    M = W.jax_models(jx)
    if fw == "jax":
        put = jx.device_put
    else:
        put = jx.numpy.asarray
    block = jx.block_until_ready
    inputs = [put(a) for a in data["inputs"]]
    if w.kind == "forward":
        f = getattr(M, w.model)

        def call():
            block(f(*inputs))
        return Prepared(lambda: [to_numpy(block(f(*inputs)))], call)
    params = [put(p) for p in data["params"]]
    if w.kind == "grads":
        def call():
            block(M.per_example_grads(params, *inputs))
        return Prepared(lambda: [to_numpy(g) for g in M.per_example_grads(params, *inputs)], call)
    step = M.train_step(w.model)
    call, first = stateful(step, params, inputs, block)
    vg = M.value_and_grad(w.model)

    def checks():
        loss, grads = vg(params, *inputs)
        return {"loss+grads": [to_numpy(loss)] + [to_numpy(g) for g in grads]}
    return Prepared(lambda: first(params), call, checks)


def prepare_numpy(fw, w, data, mods, dtype=np.float32):
    M = W.numpy_models(np)
    cast = (lambda a: a.astype(dtype) if a.dtype.kind == "f" else a)
    inputs = [cast(a) for a in data["inputs"]]
    if w.kind == "forward":
        f = getattr(M, w.model)
        return Prepared(lambda: [to_numpy(f(*inputs))], lambda: f(*inputs))
    params = [cast(p) for p in data["params"]]
    if w.kind == "grads":
        return Prepared(lambda: [to_numpy(g) for g in M.per_example_grads(params, *inputs)],
                        lambda: M.per_example_grads(params, *inputs))
    call, first = stateful(M.train_step(w.model), params, inputs)

    def checks():
        loss, grads = M.value_and_grad(w.model)(params, *inputs)
        return {"loss+grads": [to_numpy(loss)] + [to_numpy(g) for g in grads]}
    return Prepared(lambda: first(params), call, checks)


def prepare_torch(fw, w, data, mods):
    torch = mods["torch"]
    M = W.torch_models(torch)
    compiled = fw == "torch.compile"
    maybe_compile = torch.compile if compiled else (lambda f: f)
    tensor = (lambda a: torch.tensor(a, dtype=torch.long) if a.dtype.kind == "i"
              else torch.tensor(a))
    inputs = [tensor(a) for a in data["inputs"]]
    if w.kind == "forward":
        f = maybe_compile(getattr(M, w.model))
        return Prepared(lambda: [to_numpy(f(*inputs))], lambda: f(*inputs))
    if w.kind == "grads":
        params = [tensor(p) for p in data["params"]]
        f = maybe_compile(M.per_example_grads)
        return Prepared(lambda: [to_numpy(g) for g in f(params, *inputs)],
                        lambda: f(params, *inputs))
    if compiled:
        step = torch.compile(M.functional_step(w.model))
        params = [tensor(p) for p in data["params"]]
        call, first = stateful(step, params, inputs)
        return Prepared(lambda: first(params), call)

    def leaves():  # eager: leaf tensors updated in place by each step
        return [tensor(p).requires_grad_() for p in data["params"]]
    call, first = stateful(M.eager_step(w.model), leaves(), inputs)
    vg = M.eager_value_and_grad(w.model)

    def checks():
        loss, grads = vg(leaves(), *inputs)
        return {"loss+grads": [to_numpy(loss)] + [to_numpy(g) for g in grads]}
    return Prepared(lambda: first(leaves()), call, checks)


PREPARE = {"jitnet": prepare_jaxlike, "jax": prepare_jaxlike, "numpy": prepare_numpy,
           "torch": prepare_torch, "torch.compile": prepare_torch}


def reference(w, data) -> dict:
    """Float64 NumPy results: 'out' for the timed function, 'loss+grads' for steps."""
    ref = prepare_numpy("numpy", w, data, {}, dtype=np.float64)
    return {"out": ref.first(), **ref.checks()}


def max_error(outs, refs) -> float:
    if len(outs) != len(refs):
        return math.inf
    errs = [0.0]
    for o, r in zip(outs, refs):
        if np.shape(o) != np.shape(r):
            return math.inf
        scale = float(np.max(np.abs(r))) if np.size(r) else 0.0
        errs.append(float(np.max(np.abs(o - r))) / (scale or 1.0) if np.size(r) else 0.0)
    return max(errs)


# --------------------------------------------------------------------------------- timing

def sample(call, number) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - t0) / number


def time_interleaved(calls: dict, repeats: int, target: float, warmup: float) -> dict:
    """Round-robin samples of every competitor; returns {name: [seconds per call, ...]}."""
    numbers = {}
    for name, call in calls.items():  # warm up, then size a sample to ~target seconds
        t_end, n, t_call = time.perf_counter() + warmup, 0, []
        while n < 3 or time.perf_counter() < t_end:
            t_call.append(sample(call, 1))
            n += 1
        numbers[name] = max(1, int(target / max(float(np.median(t_call)), 1e-9)))
    names = list(calls)
    samples = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # as timeit does; reference counting still frees memory
    try:
        for r in range(repeats):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                samples[name].append(sample(calls[name], numbers[name]))
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


# keeps one core busy until the deadline (epoch seconds) or until its parent is gone
SPIN_SOURCE = """
import os, sys, time
deadline, parent = float(sys.argv[1]), int(sys.argv[2])
os.sched_setaffinity(0, range(os.cpu_count()))   # not pinned with a 1-thread worker
while time.time() < deadline and os.getppid() == parent:
    for _ in range(100_000):
        pass
"""


class Spinner:
    """A compute-bound process for the duration of a ``with`` block (``seconds`` at most)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SPIN_SOURCE,
                                      str(time.time() + self.seconds), str(os.getpid())])
        time.sleep(0.1)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def time_quiet_loaded(calls: dict, opts) -> tuple[dict, dict]:
    """Blocks of round-robin samples, alternately quiet and loaded (the first of each pair
    alternating too); returns ({name: quiet samples}, {name: loaded samples})."""
    per_block = max(1, -(-opts.repeats // opts.load_blocks))
    quiet, loaded = ({name: [] for name in calls} for _ in range(2))
    for b in range(opts.load_blocks):
        for busy in ((False, True) if b % 2 == 0 else (True, False)):
            with Spinner(opts.spin_limit) if busy else nullcontext():
                s = time_interleaved(calls, per_block, opts.target, opts.warmup)
            for name, times in s.items():
                (loaded if busy else quiet)[name] += times
    return quiet, loaded


def summarize(times: list[float]) -> dict:
    q25, med, q75 = np.percentile(times, [25, 50, 75])
    return {"median_s": float(med), "spread": float((q75 - q25) / 2 / med) if med else 0.0,
            "samples": len(times)}


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:200] if text else ''}"


# -------------------------------------------------------------------------- one workload

def run_workload(w, frameworks, mods, missing, opts) -> dict:
    print(f"\n== {w.key}: {w.title}", flush=True)
    data = W.make_data(w)
    ref = reference(w, data)
    res = {"title": w.title, "frameworks": {}}
    calls = {}
    for fw in frameworks:
        entry = res["frameworks"][fw] = {}
        if fw in missing:
            entry["status"] = f"unavailable: {missing[fw]}"
        else:
            try:
                prep = PREPARE[fw](fw, w, data, mods)
                t0 = time.perf_counter()
                out = prep.first()
                entry["first_call_s"] = time.perf_counter() - t0
                errs = {"out": max_error(out, ref["out"])}
                for key, vals in prep.checks().items():
                    errs[key] = max_error(vals, ref[key])
                entry["max_error"] = max(errs.values())
                if entry["max_error"] <= TOL:
                    entry["status"] = "ok"
                    calls[fw] = prep.call
                else:
                    entry["status"] = ("wrong result: " + ", ".join(
                        f"{k} error {v:.1e}" for k, v in errs.items()) + f" > {TOL:g}")
            except UNAVAILABLE as e:
                entry["status"] = f"unavailable: {first_line(e)}"
            except Exception as e:  # noqa: BLE001 - report, keep benchmarking the others
                entry["status"] = f"failed: {first_line(e)}"
                if opts.verbose:
                    traceback.print_exc()
        extra = (f"  first call {entry['first_call_s']:.2f} s, error {entry['max_error']:.1e}"
                 if "max_error" in entry else "")
        print(f"  {fw:14s} {entry['status']}{extra}", flush=True)
    if calls and opts.loaded:
        quiet, loaded = time_quiet_loaded(calls, opts)
        for fw in calls:
            e = res["frameworks"][fw]
            e.update(summarize(quiet[fw]))
            e["loaded"] = summarize(loaded[fw])
            print(f"  {fw:14s} quiet {fmt_time(e['median_s']):>10s} +-{e['spread'] * 100:.0f}%"
                  f"   loaded {fmt_time(e['loaded']['median_s']):>10s} "
                  f"+-{e['loaded']['spread'] * 100:.0f}%   loaded/quiet "
                  f"{ratio(e['loaded']['median_s'], e['median_s'])}", flush=True)
    elif calls:
        samples = time_interleaved(calls, opts.repeats, opts.target, opts.warmup)
        for fw, times in samples.items():
            res["frameworks"][fw].update(summarize(times))
            s = res["frameworks"][fw]
            print(f"  {fw:14s} median {fmt_time(s['median_s']):>10s}  "
                  f"+-{s['spread'] * 100:.0f}%  ({s['samples']} samples)", flush=True)
    return res


# ------------------------------------------------------- W5: cold compile and warm start

W5_FRAMEWORKS = ["jitnet", "jax", "torch.compile"]


def w5_child(fw: str, threads: int | None) -> None:
    """Run in a fresh process: import the framework, then jit and run W2a's step once."""
    w = W.BY_KEY["W2a"]
    data = W.make_data(w)
    t0 = time.perf_counter()
    if fw == "jitnet":
        import jitnet as mod
    elif fw == "jax":
        import jax as mod
    else:
        import torch as mod
    t1 = time.perf_counter()
    configure_threads(threads, {"torch" if fw == "torch.compile" else fw: mod})
    prep = PREPARE[fw](fw, w, data, {"torch" if fw == "torch.compile" else fw: mod})
    loss = prep.first()[0]
    t2 = time.perf_counter()
    print("W5RESULT " + json.dumps({"import_s": t1 - t0, "first_s": t2 - t1,
                                    "loss": float(loss)}))


def run_w5(frameworks, missing, opts) -> dict:
    print("\n== W5: cold compile / warm start of W2a's step in fresh processes", flush=True)
    w = W.BY_KEY["W2a"]
    ref_loss = float(reference(w, W.make_data(w))["out"][0])
    fws = [f for f in W5_FRAMEWORKS if f in frameworks]
    res = {"title": "W2a step in a fresh process: import, cold, warm", "frameworks": {}}
    runs = {fw: {"import_s": [], "cold_s": [], "warm_s": []} for fw in fws}
    status = {fw: f"unavailable: {missing[fw]}" for fw in fws if fw in missing}
    misses = 0
    for rep in range(opts.w5_repeats):
        for fw in fws[rep % len(fws):] + fws[:rep % len(fws)]:
            if fw in status:
                continue
            cache = tempfile.mkdtemp(prefix="jitnet-bench-w5-")
            env = dict(os.environ)
            env.update({"JITNET_CACHE_DIR": cache, "JAX_COMPILATION_CACHE_DIR": cache,
                        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1",
                        "TORCHINDUCTOR_CACHE_DIR": cache})
            written = 0
            try:
                for phase in ("cold_s", "warm_s"):
                    cmd = [sys.executable, os.path.abspath(__file__), "--w5-child", fw,
                           "--threads", str(opts.threads or "default")]
                    p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                       timeout=opts.w5_timeout)
                    line = [ln for ln in p.stdout.splitlines() if ln.startswith("W5RESULT ")]
                    if p.returncode or not line:
                        err = (p.stderr.strip().splitlines() or ["no output"])[-1]
                        raise RuntimeError(f"exit {p.returncode}: {err[:200]}")
                    r = json.loads(line[0].split(" ", 1)[1])
                    if abs(r["loss"] - ref_loss) > TOL * abs(ref_loss):
                        raise RuntimeError(f"wrong loss {r['loss']} (reference {ref_loss})")
                    runs[fw][phase].append(r["first_s"])
                    runs[fw]["import_s"].append(r["import_s"])
                    note = ""
                    if fw == "jitnet":  # a warm start should write no new module
                        modules = len(glob.glob(os.path.join(cache, "m_*.py")))
                        if phase == "warm_s" and modules > written:
                            misses += 1
                            note = (f"  DISK CACHE MISS: {modules - written} new module(s) "
                                    "written (generated source differs between processes?)")
                        written = modules
                    print(f"  {fw:14s} {phase[:4]}: import {r['import_s']:.2f} s, "
                          f"import -> first result {r['first_s']:.2f} s{note}", flush=True)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                status[fw] = f"failed: {first_line(e)}"
                print(f"  {fw:14s} {status[fw]}", flush=True)
            finally:
                shutil.rmtree(cache, ignore_errors=True)
    for fw in fws:
        r = runs[fw]
        res["frameworks"][fw] = {"status": status.get(fw, "ok"),
                                 **{k: float(np.median(v)) for k, v in r.items() if v},
                                 "runs": len(r["cold_s"])}
    if "jitnet" in res["frameworks"]:
        res["frameworks"]["jitnet"]["warm_cache_misses"] = misses
        if misses:
            res["frameworks"]["jitnet"]["note"] = (
                f"warm start missed the disk cache in {misses} of {len(runs['jitnet']['warm_s'])}"
                " runs (new module written)")
    return res


# ------------------------------------------------------------------------------- worker

def worker(opts) -> None:
    threads = opts.threads
    mods, missing = import_frameworks(opts.frameworks)
    thread_info = configure_threads(threads, mods, opts.fixed_threads)
    label = "1 thread" if threads == 1 else f"{threads} threads" if threads else \
        "default threads"
    print(f"\n######## pass: {label}  {thread_info}  "
          f"(affinity: CPUs {sorted(os.sched_getaffinity(0))})", flush=True)
    out = {"threads": label, "thread_settings": thread_info, "versions": versions(mods),
           "load_before": os.getloadavg(), "workloads": {}}
    out["loaded"] = opts.loaded
    for key in opts.workloads:
        if key == "W5":
            if not opts.loaded:
                out["workloads"]["W5"] = run_w5(opts.frameworks, missing, opts)
        else:
            out["workloads"][key] = run_workload(W.BY_KEY[key], opts.frameworks, mods,
                                                 missing, opts)
    out["load_after"] = os.getloadavg()
    with open(opts.result_file, "w") as f:
        json.dump(out, f, indent=1)


# ------------------------------------------------------------------------- parent: report

def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    mem = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
        with open("/proc/meminfo") as f:
            kb = int(next(ln.split()[1] for ln in f if ln.startswith("MemTotal")))
            mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    # the environment can pin OpenBLAS's kernels (OPENBLAS_CORETYPE=Haswell on the machine of
    # benchmarks/RESULTS.md: AVX2 kernels on an AVX-512 CPU, about half the sgemm peak); jitnet
    # and NumPy/SciPy use OpenBLAS, JAX and PyTorch do not, so every table names the setting
    blas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    return {"cpu": cpu, "logical cores": os.cpu_count(),
            "usable cores": len(os.sched_getaffinity(0)), "memory": mem,
            "os": platform.platform(), "OpenBLAS environment": blas or "none"}


def ratio(a, b) -> str:
    return f"{a / b:.3g}x" if a and b else "-"


def cell(entry) -> str:
    if not entry:
        return "-"
    if "median_s" in entry:
        return fmt_time(entry["median_s"])
    status = entry.get("status", "-")
    return status.split(":", 1)[0]  # unavailable / failed / wrong result (reasons below)


def table(result) -> list[str]:
    cols = FRAMEWORKS
    lines = ["| workload | " + " | ".join(HEADERS[c] for c in cols) +
             " | jitnet/jax | jitnet/torch.compile |",
             "|---" * (len(cols) + 3) + "|"]
    notes = []
    for key, res in result["workloads"].items():
        fws = res["frameworks"]
        for fw, e in fws.items():
            if e.get("status", "ok") != "ok":
                notes.append(f"- {key} {HEADERS[fw]}: {e['status']}")
            if e.get("note"):
                notes.append(f"- {key} {HEADERS[fw]}: {e['note']}")
        if key == "W5":
            def med(fw, k):
                return fws.get(fw, {}).get(k)
            rows = [("W5 import", {"jitnet": med("jitnet", "import_s"),
                                   "jax": med("jax", "import_s"),
                                   "torch": med("torch.compile", "import_s")}),
                    ("W5 cold: import -> 1st result", {f: med(f, "cold_s") for f in fws}),
                    ("W5 warm: import -> 1st result", {f: med(f, "warm_s") for f in fws})]
            for name, vals in rows:
                lines.append(f"| {name} | " + " | ".join(
                    fmt_time(vals.get(c)) if vals.get(c) is not None else
                    (cell(fws.get(c)) if c in fws and name != "W5 import" else "-")
                    for c in cols) + f" | {ratio(vals.get('jitnet'), vals.get('jax'))} | "
                    f"{ratio(vals.get('jitnet'), vals.get('torch.compile'))} |")
            continue
        med = {fw: e.get("median_s") for fw, e in fws.items()}
        lines.append(f"| {key} {res['title']} | " + " | ".join(cell(fws.get(c)) for c in cols)
                     + f" | {ratio(med.get('jitnet'), med.get('jax'))} | "
                     f"{ratio(med.get('jitnet'), med.get('torch.compile'))} |")
    return lines + ([""] + notes if notes else [])


LOADED_FRAMEWORKS = ["jitnet", "jax"]


def loaded_table(result, one_thread=None) -> list[str]:
    """Quiet and loaded medians side by side, with loaded / quiet (and loaded / the 1-thread
    pass's quiet median when that pass ran) per framework."""
    cols = [fw for fw in LOADED_FRAMEWORKS
            if any(fw in r["frameworks"] for r in result["workloads"].values())]
    vs1 = one_thread is not None and one_thread is not result
    head = ["workload"]
    for fw in cols:
        head += [f"{HEADERS[fw]} quiet", f"{HEADERS[fw]} loaded", f"{HEADERS[fw]} loaded/quiet"]
        if vs1:
            head.append(f"{HEADERS[fw]} loaded/1-thread")
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for key, res in result["workloads"].items():
        row = [f"{key} {res['title']}"]
        for fw in cols:
            e = res["frameworks"].get(fw, {})
            q, ld = e.get("median_s"), e.get("loaded", {}).get("median_s")
            row += [cell(e), fmt_time(ld), ratio(ld, q)]
            if vs1:
                one = one_thread["workloads"].get(key, {}).get("frameworks", {}).get(fw, {})
                row.append(ratio(ld, one.get("median_s")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def report(results) -> str:
    m = machine()
    first = results[0] if results else {}
    out = ["# jitnet benchmarks", "",
           f"command: `{' '.join(shlex.quote(a) for a in [sys.executable] + sys.argv)}`",
           f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
           f"machine: {m['cpu']}, {m['logical cores']} logical cores "
           f"({m['usable cores']} usable), {m['memory']}, {m['os']}; OpenBLAS environment: "
           f"{m['OpenBLAS environment']}",
           "versions: " + ", ".join(f"{k} {v}" for k, v in first.get("versions", {}).items()),
           "times: median per call (ratios > 1: jitnet slower); W5: seconds in fresh processes",
           ""]
    one_thread = next((r for r in results if r["threads"] == "1 thread"), None)
    for r in results:
        load = f"{r['load_before'][0]:.1f}->{r['load_after'][0]:.1f}"
        settings = ", ".join(f"{k}={v}" for k, v in r["thread_settings"].items())
        out += [f"## {r['threads']} ({settings}; load average {load})", ""] + table(r) + [""]
        if r.get("loaded"):
            out += [f"### {r['threads']}: quiet and with one core busy", ""] + \
                loaded_table(r, one_thread) + [""]
    return "\n".join(out)


def spawn_worker(threads, opts, result_file) -> dict | None:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--result-file", result_file,
           "--threads", str(threads or "default"), "--only", ",".join(opts.workloads),
           "--frameworks", ",".join(opts.frameworks), "--repeats", str(opts.repeats),
           "--target", str(opts.target), "--warmup", str(opts.warmup),
           "--w5-repeats", str(opts.w5_repeats), "--w5-timeout", str(opts.w5_timeout),
           "--load-blocks", str(opts.load_blocks), "--spin-limit", str(opts.spin_limit)]
    if opts.verbose:
        cmd.append("--verbose")
    if opts.loaded:
        cmd.append("--loaded")
    if opts.fixed_threads:
        cmd.append("--fixed-threads")
    env = dict(os.environ)
    preexec = None
    if threads == 1:
        env.update(ONE_THREAD_ENV)
        env["XLA_FLAGS"] = " ".join(filter(None, [os.environ.get("XLA_FLAGS"),
                                                  ONE_THREAD_ENV["XLA_FLAGS"]]))
        cpu = min(os.sched_getaffinity(0))
        preexec = (lambda: os.sched_setaffinity(0, {cpu}))
    p = subprocess.run(cmd, env=env, preexec_fn=preexec)
    if p.returncode:
        print(f"worker for threads={threads or 'default'} exited with {p.returncode}",
              file=sys.stderr)
        return None
    with open(result_file) as f:
        return json.load(f)


def select(only: str | None) -> list[str]:
    keys = [w.key for w in W.WORKLOADS] + ["W5"]
    keys.sort(key=lambda k: (k[:2], k))
    if not only:
        return keys
    chosen = []
    for want in only.upper().replace(" ", "").split(","):
        hits = [k for k in keys if k.upper() == want or k.upper().rstrip("ABC") == want]
        if not hits:
            raise SystemExit(f"unknown workload {want!r}; known: {', '.join(keys)}")
        chosen += [k for k in hits if k not in chosen]
    return chosen


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\nMethod\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short run: fewer, shorter samples")
    ap.add_argument("--only", help="comma-separated workloads, e.g. W1,W2 (W2 = W2a,W2b,W2c)")
    ap.add_argument("--threads", default="both", help="1 | default | both | N")
    ap.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                    help=f"comma-separated subset of {','.join(FRAMEWORKS)}")
    ap.add_argument("--repeats", type=int, help="samples per competitor (default 21, quick 5)")
    ap.add_argument("--target", type=float, help="seconds per sample (default 0.2, quick 0.05)")
    ap.add_argument("--warmup", type=float, help="warm-up seconds (default 0.5, quick 0.1)")
    ap.add_argument("--w5-repeats", type=int, help="fresh-process runs (default 3, quick 1)")
    ap.add_argument("--w5-timeout", type=float, default=600)
    ap.add_argument("--json", help="also write all results (with samples) to this file")
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--verbose", action="store_true", help="print tracebacks of failures")
    ap.add_argument("--loaded", action="store_true",
                    help="time each workload quiet and with one core kept busy (ratios)")
    ap.add_argument("--load-blocks", type=int, default=3,
                    help="--loaded: quiet/loaded block pairs (the samples are split over them)")
    ap.add_argument("--spin-limit", type=float, default=900,
                    help="--loaded: seconds after which a spinning process stops on its own")
    ap.add_argument("--fixed-threads", action="store_true",
                    help="jitnet with adaptive_threads off: all of its threads whatever the "
                         "load (the behaviour before adaptive_threads)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--result-file", help=argparse.SUPPRESS)
    ap.add_argument("--w5-child", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    defaults = dict(repeats=(5, 21), target=(0.05, 0.2), warmup=(0.1, 0.5), w5_repeats=(1, 3))
    for name, (quick, full) in defaults.items():
        if getattr(opts, name) is None:
            setattr(opts, name, quick if opts.quick else full)
    opts.frameworks = [f for f in opts.frameworks.split(",") if f]
    bad = set(opts.frameworks) - set(FRAMEWORKS)
    if bad:
        raise SystemExit(f"unknown frameworks {sorted(bad)}; known: {FRAMEWORKS}")
    opts.workloads = select(opts.only)
    return opts


def main(argv=None):
    opts = parse(argv)
    if opts.w5_child:
        w5_child(opts.w5_child, None if opts.threads == "default" else int(opts.threads))
        return
    if opts.worker:
        opts.threads = None if opts.threads == "default" else int(opts.threads)
        worker(opts)
        return
    passes = {"both": [1, None], "default": [None], "1": [1]}.get(opts.threads)
    if passes is None:
        passes = [int(opts.threads)]
    results = []
    with tempfile.TemporaryDirectory(prefix="jitnet-bench-") as tmp:
        for i, threads in enumerate(passes):
            r = spawn_worker(threads, opts, os.path.join(tmp, f"pass{i}.json"))
            if r is not None:
                results.append(r)
    text = report(results)
    print("\n" + text)
    if opts.markdown:
        with open(opts.markdown, "w") as f:
            f.write(text + "\n")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"machine": machine(), "argv": sys.argv, "passes": results}, f, indent=1)
    if len(results) < len(passes):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Where a cold compile goes: one workload's first jitted step, split into phases (issue 14).

    python benchmarks/compile_profile.py                 # W2a, empty compile cache
    python benchmarks/compile_profile.py --workloads W2a,W4 --opt 3,2,1,0 --steady
    python benchmarks/compile_profile.py --markdown out.md
    python benchmarks/compile_profile.py --workloads zoo:mobilenet,zoo:vit   # zoo --small

A ``zoo:<model>`` workload is the first ``fit`` step (batch 64) of that model as
``examples/applications.py --small`` builds it: its training step's compile.

Each measurement runs in a fresh process with an empty cache directory. The child wraps the
functions that start each phase with a timer of the process's CPU time (``process_time``: on
a loaded machine wall time mostly measures the other processes); a phase's time is
*exclusive* (time spent in a nested phase counts there), so the rows add up to the first
call's CPU time:

* jitnet: tracing, transforms, and everything not listed below (``jit``'s first call);
  ``prepare`` (inline, stop-gradient strip, cleanup), ``fuse``, ``codegen`` (source text),
  module ``exec`` and the disk-cache bookkeeping;
* Numba: type inference, lowering to LLVM IR (parfor lowering included), parfor passes, the
  other passes (bytecode analysis, IR rewrites, ...);
* LLVM: IR text -> module (``add_ir_module`` outside its passes), function passes, module
  passes, machine code (MCJIT ``finalize_object``);
* disk-cache write (Numba's ``save_overload``: pickling and signing the object code).

``--opt`` sets ``numba.config.OPT`` (Numba's LLVM optimisation level, 3 by default) in the
child before it compiles; ``--steady`` also times the step afterwards (median of 20 calls),
so a compile saving can be weighed against its run time. LLVM rows
are also split by library: the entry's (what runs) and its callees' (split functions and
parfor kernels, optimised and compiled on their own, then linked into the entry's module).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (module, class or None, function, phase): the functions whose calls open a phase
PHASES = [
    ("jitnet.runtime.compile", None, "prepare", "jitnet: prepare (the compiler's passes)"),
    ("jitnet.runtime.numba_backend", None, "lower", "jitnet: fuse (compiler.lower)"),
    ("jitnet.runtime.numba_backend", None, "generate", "jitnet: codegen (source text)"),
    ("jitnet.runtime.disk_cache", None, "load_function", "jitnet: module exec, cache lookup"),
    ("numba.core.typed_passes", "BaseTypeInference", "run_pass", "numba: type inference"),
    ("numba.core.typed_passes", "BaseNativeLowering", "run_pass", "numba: lowering to LLVM IR"),
    ("numba.core.typed_passes", "PreParforPass", "run_pass", "numba: parfor passes"),
    ("numba.core.typed_passes", "ParforPass", "run_pass", "numba: parfor passes"),
    ("numba.core.typed_passes", "ParforFusionPass", "run_pass", "numba: parfor passes"),
    ("numba.core.typed_passes", "ParforPreLoweringPass", "run_pass", "numba: parfor passes"),
    ("numba.core.compiler_machinery", "PassManager", "_runPass", "numba: other passes"),
    ("numba.core.codegen", "CPUCodeLibrary", "add_ir_module", "llvm: IR text -> module"),
    ("numba.core.codegen", "CPUCodeLibrary", "_optimize_functions", "llvm: function passes"),
    ("numba.core.codegen", "CPUCodeLibrary", "_optimize_final_module", "llvm: module passes"),
    ("numba.core.codegen", "JITCodeLibrary", "_finalize_specific", "llvm: machine code"),
    ("numba.core.caching", "Cache", "save_overload", "disk-cache write"),
]
ROOT_PHASE = "jitnet: trace, transforms, other"


CLOCK = time.process_time


def _instrument():
    """Wrap each function of ``PHASES``; returns the dict of exclusive seconds per phase."""
    import importlib
    totals: dict = defaultdict(float)
    stack = [[ROOT_PHASE, 0.0]]  # [phase, start of its current exclusive stretch]

    def wrap(fn, phase):
        def timed(*a, **k):
            now = CLOCK()
            top = stack[-1]
            totals[top[0]] += now - top[1]
            stack.append([phase, now])
            try:
                return fn(*a, **k)
            finally:
                end = CLOCK()
                spent = end - stack.pop()[1]
                totals[phase] += spent
                stack[-1][1] = end
                if phase.startswith("llvm") and a:  # split by library: the entry or a callee
                    name = getattr(a[0], "name", "")
                    lib = "entry" if "entry" in name else "callees"
                    totals[f"{phase} [{lib}]"] += spent
        return timed

    for mod, cls, name, phase in PHASES:
        m = importlib.import_module(mod)
        owner = getattr(m, cls) if cls else m
        setattr(owner, name, wrap(getattr(owner, name), phase))
    return totals, stack


def _zoo_inputs(name: str):
    """A zoo model's first training step as ``examples/applications.py --small`` runs it:
    returns a function doing one ``fit`` step of batch 64 (returns its loss)."""
    import numpy as np
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import applications as recipe
    from jitnet import losses, optim
    model = recipe.classifier(name, 10, True)
    model.compile(optimizer=optim.get("adam", learning_rate=1e-3),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    r = np.random.default_rng(0)
    x = r.uniform(size=(64, 32, 32, 1)).astype(np.float32)
    y = r.integers(0, 10, 64).astype(np.int32)
    return lambda: model.fit(x, y, epochs=1, batch_size=64, verbose=0).history["loss"][-1]


def _function_stats():
    """Wrap ``generate`` to record, per generated program, its functions' line counts."""
    from jitnet.runtime import numba_backend
    programs = []
    inner = numba_backend.generate

    def generate(*a, **k):
        g = inner(*a, **k)
        sizes, cur = [], None
        for ln in g.source.splitlines():
            if ln.startswith("def "):
                cur = [ln.split("(")[0][4:], 0, 0]
                sizes.append(cur)
            elif cur is not None and ln.strip():
                cur[1] += 1
                cur[2] += "prange(" in ln
        programs.append(sizes)
        return g
    numba_backend.generate = generate
    return programs


def child(workload: str, opt: int | None, steady: bool) -> dict:
    t0 = time.perf_counter()
    import numba
    if opt is not None:
        numba.config.OPT = numba.core.config._OptLevel(opt)
    import jitnet
    from jitnet.runtime import compile_log
    sys.path.insert(0, HERE)
    import latency
    totals, stack = _instrument()
    programs = _function_stats()
    if workload.startswith("zoo:"):
        first = _zoo_inputs(workload[4:])
    else:
        step, params, inputs = latency._step_inputs(jitnet, workload)
        first = lambda: latency._block(step(params, *inputs)[1])  # noqa: E731
    t_ready, c_ready = time.perf_counter(), CLOCK()
    stack[0][1] = c_ready
    first()
    t_first, c_first = time.perf_counter(), CLOCK()
    totals[ROOT_PHASE] += c_first - stack[0][1]
    out = {"import_s": t_ready - t0, "first_call_s": t_first - t_ready,
           "first_call_cpu_s": c_first - c_ready, "phases": dict(totals),
           "compiles": compile_log.counts["compile"],
           "functions": [len(p) for p in programs],
           "largest": sorted((f for p in programs for f in p), key=lambda f: -f[1])[:5]}
    if steady:
        times = []
        for _ in range(20):
            t = time.perf_counter()
            first()
            times.append(time.perf_counter() - t)
        out["step_ms"] = statistics.median(times) * 1e3
    return out


def run_child(workload, opt, steady, timeout=3600) -> dict:
    with tempfile.TemporaryDirectory(prefix="jitnet-cprof-") as cache:
        env = dict(os.environ, JITNET_CACHE_DIR=cache, PYTHONPATH=ROOT)
        cmd = [sys.executable, __file__, "--child", "--workloads", workload]
        if opt is not None:
            cmd += ["--opt", str(opt)]
        if steady:
            cmd.append("--steady")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("CPROF ")]
    if p.returncode or not lines:
        raise RuntimeError(f"{workload} failed:\n{p.stderr[-2000:]}")
    return json.loads(lines[-1][len("CPROF "):])


def table(results: dict) -> str:
    """Markdown: one column per (workload, opt), rows = phases (seconds and share)."""
    cols = list(results)
    phases = [ROOT_PHASE] + list(dict.fromkeys(p[3] for p in PHASES))
    head = "| phase | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols) + "\n"
    rows = []
    for ph in phases:
        cells = []
        for c in cols:
            r = results[c]
            v = r["phases"].get(ph, 0.0)
            cells.append(f"{v:.2f} s ({100 * v / r['first_call_cpu_s']:.0f}%)")
        rows.append(f"| {ph} | " + " | ".join(cells) + " |")
    for ph in sorted({p for c in cols for p in results[c]["phases"] if "[" in p}):
        cells = [f"{results[c]['phases'].get(ph, 0.0):.2f} s" for c in cols]
        rows.append(f"| ({ph}) | " + " | ".join(cells) + " |")
    rows.append("| **first call, CPU** | " + " | ".join(
        f"**{results[c]['first_call_cpu_s']:.2f} s**" for c in cols) + " |")
    rows.append("| first call, wall | " + " | ".join(f"{results[c]['first_call_s']:.2f} s"
                                                    for c in cols) + " |")
    rows.append("| import + data | " + " | ".join(f"{results[c]['import_s']:.2f} s"
                                                 for c in cols) + " |")
    rows.append("| generated functions per program | " + " | ".join(
        ", ".join(map(str, results[c].get("functions", []))) for c in cols) + " |")
    rows.append("| largest (name, lines, prange lines) | " + " | ".join(
        "; ".join(f"{n} {ln} ({pr})" for n, ln, pr in results[c].get("largest", [])[:3])
        for c in cols) + " |")
    if all("step_ms" in results[c] for c in cols):
        rows.append("| steady step (median of 20) | " +
                    " | ".join(f"{results[c]['step_ms']:.2f} ms" for c in cols) + " |")
    return head + "\n".join(rows) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="W2a")
    ap.add_argument("--opt", default="", help="comma-separated numba.config.OPT levels")
    ap.add_argument("--steady", action="store_true", help="also time the compiled step")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved repeats (medians)")
    ap.add_argument("--markdown", help="write the table here too")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    opts = [int(o) for o in a.opt.split(",") if o] or [None]
    if a.child:
        print("CPROF " + json.dumps(child(a.workloads, opts[0], a.steady)), flush=True)
        return
    runs: dict = defaultdict(list)
    for _ in range(a.repeats):
        for w in a.workloads.split(","):
            for o in opts:
                col = w if o is None else f"{w} OPT={o}"
                r = run_child(w, o, a.steady)
                step = f", step {r['step_ms']:.2f} ms" if "step_ms" in r else ""
                print(f"{col}: first call {r['first_call_s']:.2f} s (CPU "
                      f"{r['first_call_cpu_s']:.2f} s){step}", file=sys.stderr, flush=True)
                runs[col].append(r)
    results = {}
    for col, rs in runs.items():  # the run with the median first call, whole (rows add up)
        rs = sorted(rs, key=lambda r: r["first_call_cpu_s"])
        results[col] = rs[len(rs) // 2]
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    text = f"load average after: {load}\n\n" + table(results)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

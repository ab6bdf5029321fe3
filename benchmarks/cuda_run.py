"""jitnet's CUDA backend against PyTorch CUDA and JAX on GPU: W1, W2, W4.

    python benchmarks/cuda_run.py                      # every workload, every competitor
    python benchmarks/cuda_run.py --only W1,W2a        # a selection (W2 = W2a, W2b, W2c)
    python benchmarks/cuda_run.py --json out.json      # also write the results
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/cuda_run.py --tiny --frameworks jitnet
                                                       # smoke run of the script itself

Workloads (``workloads.py``, shared with the CPU suite ``run.py``):
  W1   fused elementwise + sum over 10M float32: sum(tanh(1.5x + 0.5)^2 * exp(-|x|)),
       reported as effective bandwidth (bytes read / time) besides time per call
  W2a  MLP 784-512-512-10 SGD step, batch 128 (W2b: batch 32; W2c: MLP 64-64-10, batch 32)
  W4   CNN step 64x1x28x28, conv3x3(16)-relu-conv3x3(32)-relu-maxpool2-dense10

Competitors: jitnet (backend "cuda"), PyTorch CUDA (eager autograd and torch.compile of the
functional step) and jax.jit on a GPU device. One that is not installed or has no GPU is
reported as "unavailable: reason".

Method
* Parameters and data are placed on the device once; training steps feed their updated
  parameters back, as a training loop does.
* Each competitor's first call (compilation included) is reported apart. Its results (loss and
  updated parameters, or W1's value) are checked against the float64 NumPy reference of
  ``workloads.numpy_models`` before timing (as ``run.py`` does); a competitor that does not
  match is not timed.
* Timing: warm-up calls, then ``--samples`` samples of ``k`` calls each (``k`` chosen so the
  samples of a competitor last about ``--target`` seconds in all), each ending with a device
  synchronization
  (``block_until_ready`` / ``torch.cuda.synchronize``); samples are taken round-robin over the
  competitors. Reported: median time per call and half the interquartile range (relative).

Products and convolutions run in full float32 on every competitor (TF32 off in PyTorch and JAX),
as jitnet computes them. Run on a GPU with ``benchmarks/gpu_check.sh`` (results in RESULTS.md).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
if os.path.isdir(os.path.join(ROOT, "jitnet")):  # benchmark this checkout's jitnet
    sys.path.insert(1, ROOT)

import workloads as W  # noqa: E402  (the CPU suite's definitions: same models, same data)

TOL = 1e-4  # max |x - ref| / max |ref| per checked array, float32 against float64 (run.py's)
FRAMEWORKS = ["jitnet", "torch", "torch.compile", "jax"]
KEYS = ["W1", "W2a", "W2b", "W2c", "W4"]
TINY = {  # toy shapes for --tiny (a smoke run of the script, e.g. under the simulator)
    "W1": {"n": 1000},
    "W2a": {"sizes": (12, 8, 8, 4), "batch": 4},
    "W2b": {"sizes": (12, 8, 8, 4), "batch": 2},
    "W2c": {"sizes": (6, 6, 3), "batch": 2},
    "W4": {"batch": 2, "hw": 4, "c1": 2, "c2": 2, "classes": 3},
}


class Unavailable(Exception):
    pass


def setup(fw: str, w, data: dict):
    """(call, sync, result) for one competitor: ``call()`` runs one step on device-resident
    data, keeping the training state; ``result()`` gives (value, params) as NumPy arrays."""
    if fw == "jitnet":
        import jitnet
        try:
            dev = jitnet.devices("cuda")[0]
        except RuntimeError as err:
            raise Unavailable(str(err)) from None
        m = W.jax_models(jitnet)
        fn = jitnet.jit(m.w1 if w.model == "w1" else m.train_step(w.model), backend="cuda")
        sync, to_np = jitnet.block_until_ready, np.asarray
        put = lambda v: jitnet.device_put(v, dev)  # noqa: E731
    elif fw == "jax":
        try:
            import jax
            # float32 as float32 (GPU default: TF32 products, 3e-4 off on W4), as jitnet does
            jax.config.update("jax_default_matmul_precision", "highest")
            dev = jax.devices("gpu")[0]
        except Exception as err:  # noqa: BLE001 - no jax, or no GPU backend
            raise Unavailable(f"jax GPU: {type(err).__name__}: {err}") from None
        m = W.jax_models(jax)
        fn = m.w1 if w.model == "w1" else m.train_step(w.model)
        sync, to_np = jax.block_until_ready, np.asarray
        put = lambda v: jax.device_put(v, dev)  # noqa: E731
    else:
        try:
            import torch
        except ImportError as err:
            raise Unavailable(str(err)) from None
        if not torch.cuda.is_available():
            raise Unavailable("torch.cuda.is_available() is False")
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        m = W.torch_models(torch)
        if w.model == "w1":
            fn = m.w1
        else:
            fn = m.eager_step(w.model) if fw == "torch" else m.functional_step(w.model)
        if fw == "torch.compile":
            fn = torch.compile(fn)

        def sync(_):
            torch.cuda.synchronize()

        def to_np(t):
            return t.detach().cpu().numpy()

        def put(v):  # eager autograd differentiates with respect to leaf tensors
            return torch.tensor(v, device="cuda", requires_grad=fw == "torch" and v.ndim > 0
                                and v.dtype.kind == "f")
    inputs = [put(v) for v in data["inputs"]]
    if w.model == "w1":
        state = {"out": None}

        def call():
            state["out"] = fn(*inputs)
            return state["out"]
        return call, sync, lambda: (to_np(state["out"]), [])
    state = {"params": [put(p) for p in data["params"]], "value": None}

    def call():
        state["params"], state["value"] = fn(state["params"], *inputs)
        return state["value"]
    return call, sync, lambda: (to_np(state["value"]), [to_np(p) for p in state["params"]])


def reference(w, data: dict):
    """One step of the hand-written NumPy model in float64 (the CPU suite's reference)."""
    ref = W.numpy_models(np)
    f64 = [np.asarray(v, np.float64) if np.asarray(v).dtype.kind == "f" else np.asarray(v)
           for v in data["inputs"]]
    if w.model == "w1":
        return np.asarray(ref.w1(*f64)), []
    params, value = ref.train_step(w.model)([p.astype(np.float64) for p in data["params"]], *f64)
    return np.asarray(value), [np.asarray(p) for p in params]


def mismatch(got, want) -> str | None:
    pairs = [("value", got[0], want[0])] + [(f"param {i}", a, b)
                                           for i, (a, b) in enumerate(zip(got[1], want[1]))]
    for name, g, r in pairs:
        g, r = np.asarray(g, np.float64), np.asarray(r, np.float64)
        err = np.max(np.abs(g - r)) / max(np.max(np.abs(r)), 1e-30) if r.size else 0.0
        if g.shape != r.shape or not err <= TOL:
            return f"{name}: relative error {err:.2e} > {TOL}"
    return None


# ------------------------------------------------------------------------------ timing

def measure(runners: dict, target: float, samples: int) -> dict:
    """Round-robin samples over the runners; per-call median and half-IQR (relative)."""
    per_sample = {}
    for name, (call, sync) in runners.items():
        for _ in range(3):
            sync(call())
        k, t = 1, 0.0
        while True:  # calls per sample: a sample lasts about target / samples
            t0 = time.perf_counter()
            for _ in range(k):
                out = call()
            sync(out)
            t = time.perf_counter() - t0
            if t >= target / samples / 4 or k >= 1 << 20:
                break
            k *= 4
        per_sample[name] = max(1, int(k * (target / samples) / max(t, 1e-9)))
    times = {name: [] for name in runners}
    for s in range(samples):
        order = list(runners)[s % len(runners):] + list(runners)[:s % len(runners)]
        for name in order:
            call, sync = runners[name]
            k = per_sample[name]
            t0 = time.perf_counter()
            for _ in range(k):
                out = call()
            sync(out)
            times[name].append((time.perf_counter() - t0) / k)
    res = {}
    for name, ts in times.items():
        q1, med, q3 = np.percentile(ts, [25, 50, 75])
        res[name] = {"median_s": float(med), "spread": float((q3 - q1) / 2 / med)}
    return res


def run_workload(w, frameworks, target, samples) -> dict:
    data = W.make_data(w)
    want = reference(w, data)
    out = {"workload": w.key, "title": w.title, "shape": w.shape, "frameworks": {}}
    runners = {}
    for fw in frameworks:
        try:
            call, sync, result = setup(fw, w, data)
            t0 = time.perf_counter()
            sync(call())
            first = time.perf_counter() - t0
            bad = mismatch(result(), want)
            if bad:
                out["frameworks"][fw] = {"error": f"wrong result: {bad}"}
                continue
            # the check consumed one step: restart from the initial state for timing
            call, sync, _ = setup(fw, w, data)
            sync(call())
            runners[fw] = (call, sync)
            out["frameworks"][fw] = {"first_call_s": first}
        except Unavailable as err:
            out["frameworks"][fw] = {"unavailable": str(err)}
        except Exception as err:  # noqa: BLE001 - a competitor failing is a result
            out["frameworks"][fw] = {"error": f"{type(err).__name__}: {err}",
                                     "traceback": traceback.format_exc(limit=4)}
    if runners:
        for fw, r in measure(runners, target, samples).items():
            out["frameworks"][fw].update(r)
            if w.model == "w1":
                out["frameworks"][fw]["GB_per_s"] = w.shape["n"] * 4 / r["median_s"] / 1e9
    return out


def report(res: dict):
    print(f"\n== {res['workload']}: {res['title']} {res['shape']}")
    for fw, r in res["frameworks"].items():
        if "median_s" in r:
            bw = f"  {r['GB_per_s']:8.1f} GB/s" if "GB_per_s" in r else ""
            print(f"  {fw:14s} {r['median_s'] * 1e3:10.3f} ms  ±{r['spread'] * 100:4.1f}%"
                  f"  first call {r['first_call_s']:7.2f} s{bw}")
        elif "unavailable" in r:
            print(f"  {fw:14s} unavailable: {r['unavailable']}")
        else:
            print(f"  {fw:14s} {r.get('error', '?')}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated workloads, e.g. W1,W2 (W2 = W2a,W2b,W2c)")
    ap.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    ap.add_argument("--tiny", action="store_true", help="tiny shapes (a smoke run)")
    ap.add_argument("--target", type=float, default=2.0, help="seconds of timing per competitor")
    ap.add_argument("--samples", type=int, default=9)
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    keys = KEYS
    if args.only:
        want = [k.strip() for k in args.only.split(",")]
        keys = [k for k in keys if any(k == s or (s == "W2" and k.startswith("W2"))
                                       for s in want)]
    frameworks = [f for f in args.frameworks.split(",") if f]
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "simulator": os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", "tiny": args.tiny}
    print(f"# jitnet CUDA benchmark: {info}")
    results = []
    for k in keys:
        w = W.BY_KEY[k]
        if args.tiny:
            w = dataclasses.replace(w, shape=dict(w.shape, **TINY[k]))
        res = run_workload(w, frameworks, args.target, args.samples)
        report(res)
        results.append(res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1, default=str)
    return results


if __name__ == "__main__":
    main()


"""jitnet's CUDA backend against PyTorch CUDA and JAX on GPU: W1, W2, W4.

    python benchmarks/cuda_run.py                      # every workload, every competitor
    python benchmarks/cuda_run.py --only W1,W2a        # a selection (W2 = W2a, W2b, W2c)
    python benchmarks/cuda_run.py --json out.json      # also write the results
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/cuda_run.py --tiny --frameworks jitnet
                                                       # smoke run of the script itself

Workloads (the definitions of the CPU benchmark suite):
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
  updated parameters, or W1's value) are checked against the float32 NumPy reference (jitnet's
  interpreter backend) before timing; a competitor that does not match is not timed.
* Timing: warm-up calls, then samples of ``k`` calls each (``k`` chosen so a sample lasts about
  ``--target`` seconds), each sample ending with a device synchronization
  (``block_until_ready`` / ``torch.cuda.synchronize``); samples are taken round-robin over the
  competitors. Reported: median time per call and half the interquartile range (relative).

Note: written in a session that had no GPU; it has not been run on one, so no results exist yet.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if os.path.isdir(os.path.join(ROOT, "jitnet")):  # benchmark this checkout's jitnet
    sys.path.insert(0, ROOT)

LR = 1e-3
TOL = 2e-3  # max |x - ref| / max |ref|: float32 GPU reductions against float32 NumPy
FRAMEWORKS = ["jitnet", "torch", "torch.compile", "jax"]

WORKLOADS = {
    "W1": dict(model="w1", n=10_000_000),
    "W2a": dict(model="mlp", sizes=(784, 512, 512, 10), batch=128),
    "W2b": dict(model="mlp", sizes=(784, 512, 512, 10), batch=32),
    "W2c": dict(model="mlp", sizes=(64, 64, 10), batch=32),
    "W4": dict(model="cnn", batch=64, hw=28, c1=16, c2=32, classes=10),
}
TINY = {
    "W1": dict(model="w1", n=1000),
    "W2a": dict(model="mlp", sizes=(12, 8, 8, 4), batch=4),
    "W2b": dict(model="mlp", sizes=(12, 8, 8, 4), batch=2),
    "W2c": dict(model="mlp", sizes=(6, 6, 3), batch=2),
    "W4": dict(model="cnn", batch=2, hw=4, c1=2, c2=2, classes=3),
}


# ------------------------------------------------------------------------------ data

def make_data(w: dict, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    if w["model"] == "w1":
        return {"inputs": [rng.standard_normal(w["n"], dtype=f32)]}
    if w["model"] == "mlp":
        sizes, b = w["sizes"], w["batch"]
        params = []
        for m, n in zip(sizes[:-1], sizes[1:]):
            params += [(rng.standard_normal((m, n)) * np.sqrt(2.0 / m)).astype(f32),
                       (0.01 * rng.standard_normal(n)).astype(f32)]
        x = rng.standard_normal((b, sizes[0]), dtype=f32)
        y = np.eye(sizes[-1], dtype=f32)[rng.integers(0, sizes[-1], b)]
        return {"params": params, "inputs": [x, y]}
    b, hw, c1, c2, k = w["batch"], w["hw"], w["c1"], w["c2"], w["classes"]
    pooled = c2 * (hw // 2) ** 2
    params = [(rng.standard_normal((c1, 1, 3, 3)) * np.sqrt(2.0 / 9)).astype(f32),
              np.zeros(c1, f32),
              (rng.standard_normal((c2, c1, 3, 3)) * np.sqrt(2.0 / (9 * c1))).astype(f32),
              np.zeros(c2, f32),
              (rng.standard_normal((pooled, k)) * np.sqrt(1.0 / pooled)).astype(f32),
              np.zeros(k, f32)]
    x = rng.standard_normal((b, 1, hw, hw), dtype=f32)
    y = np.eye(k, dtype=f32)[rng.integers(0, k, b)]
    return {"params": params, "inputs": [x, y]}


# ------------------------------------------------------------------ models (JAX's API)

def jax_models(jax):
    """Model code against JAX's API; ``jax`` is the jax or the jitnet module."""
    jnp, lax = jax.numpy, jax.lax

    def w1(x):
        return jnp.sum(jnp.tanh(1.5 * x + 0.5) ** 2 * jnp.exp(-jnp.abs(x)))

    def cross_entropy(logits, y):
        shifted = logits - lax.stop_gradient(jnp.max(logits, axis=-1, keepdims=True))
        log_probs = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=-1, keepdims=True))
        return -jnp.mean(jnp.sum(y * log_probs, axis=-1))

    def mlp_loss(params, x, y):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = jnp.maximum(h @ params[i] + params[i + 1], 0.0)
        return cross_entropy(h @ params[-2] + params[-1], y)

    def conv(x, w, b):
        y = lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + b[None, :, None, None]

    def cnn_loss(params, x, y):
        w1_, b1, w2, b2, w3, b3 = params
        h = jnp.maximum(conv(x, w1_, b1), 0.0)
        h = jnp.maximum(conv(h, w2, b2), 0.0)
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        h = h.reshape(h.shape[0], -1)
        return cross_entropy(h @ w3 + b3, y)

    losses = {"mlp": mlp_loss, "cnn": cnn_loss}

    def step(model):
        loss = losses[model]

        def f(params, x, y):
            value, grads = jax.value_and_grad(loss)(params, x, y)
            return [p - LR * g for p, g in zip(params, grads)], value
        return f

    return w1, step


def torch_models(torch):
    F = torch.nn.functional

    def w1(x):
        return torch.sum(torch.tanh(1.5 * x + 0.5) ** 2 * torch.exp(-torch.abs(x)))

    def cross_entropy(logits, y):
        return -torch.mean(torch.sum(y * torch.log_softmax(logits, dim=-1), dim=-1))

    def mlp_loss(params, x, y):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = torch.relu(h @ params[i] + params[i + 1])
        return cross_entropy(h @ params[-2] + params[-1], y)

    def cnn_loss(params, x, y):
        w1_, b1, w2, b2, w3, b3 = params
        h = torch.relu(F.conv2d(x, w1_, b1, padding=1))
        h = torch.relu(F.conv2d(h, w2, b2, padding=1))
        h = F.max_pool2d(h, 2).reshape(h.shape[0], -1)
        return cross_entropy(h @ w3 + b3, y)

    losses = {"mlp": mlp_loss, "cnn": cnn_loss}

    def eager_step(model):
        loss_fn = losses[model]

        def f(params, x, y):
            loss = loss_fn(params, x, y)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.sub_(LR * g)
            return params, loss.detach()
        return f

    def functional_step(model):
        loss_fn = losses[model]

        def f(params, x, y):
            grads, value = torch.func.grad_and_value(loss_fn)(params, x, y)
            return [p - LR * g for p, g in zip(params, grads)], value
        return f

    return w1, eager_step, functional_step


# ------------------------------------------------------------------------- competitors

class Unavailable(Exception):
    pass


def setup(fw: str, w: dict, data: dict):
    """(call, sync, result) for one competitor: ``call()`` runs one step on device data and
    keeps the state; ``result()`` gives (value, params) as NumPy for the check."""
    kind = w["model"]
    if fw == "jitnet":
        import jitnet
        try:
            dev = jitnet.devices("cuda")[0]
        except RuntimeError as err:
            raise Unavailable(str(err)) from None
        w1, step = jax_models(jitnet)
        fn = jitnet.jit(w1 if kind == "w1" else step(kind), backend="cuda")
        sync = jitnet.block_until_ready
        to_np = np.asarray
        put = lambda v: jitnet.device_put(v, dev)  # noqa: E731
    elif fw == "jax":
        try:
            import jax
            dev = jax.devices("gpu")[0]
        except Exception as err:  # noqa: BLE001 - no jax, or no GPU backend
            raise Unavailable(f"jax GPU: {type(err).__name__}: {err}") from None
        w1, step = jax_models(jax)
        fn = jax.jit(w1 if kind == "w1" else step(kind))
        sync = jax.block_until_ready
        to_np = np.asarray
        put = lambda v: jax.device_put(v, dev)  # noqa: E731
    else:
        try:
            import torch
        except ImportError as err:
            raise Unavailable(str(err)) from None
        if not torch.cuda.is_available():
            raise Unavailable("torch.cuda.is_available() is False")
        w1, eager_step, functional_step = torch_models(torch)
        if kind == "w1":
            fn = w1
        else:
            fn = eager_step(kind) if fw == "torch" else functional_step(kind)
        if fw == "torch.compile":
            fn = torch.compile(fn)

        def sync(_):
            torch.cuda.synchronize()
        to_np = lambda t: t.detach().cpu().numpy()  # noqa: E731
        put = lambda v: torch.tensor(v, device="cuda",  # noqa: E731
                                     requires_grad=(fw == "torch" and v.ndim > 0))

    inputs = [put(v) for v in data["inputs"]]
    if kind == "w1":
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


def reference(w: dict, data: dict):
    """One call of the float32 NumPy reference (jitnet's interpreter backend)."""
    import jitnet
    w1, step = jax_models(jitnet)
    if w["model"] == "w1":
        return np.asarray(jitnet.jit(w1, backend="interpreter")(*data["inputs"])), []
    params, value = jitnet.jit(step(w["model"]), backend="interpreter")(data["params"],
                                                                          *data["inputs"])
    return np.asarray(value), [np.asarray(p) for p in params]


def mismatch(got, want) -> str | None:
    for name, g, r in [("value", got[0], want[0])] + [(f"param {i}", a, b) for i, (a, b)
                                                        in enumerate(zip(got[1], want[1]))]:
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


def run_workload(key: str, w: dict, frameworks, target, samples) -> dict:
    data = make_data(w)
    want = reference(w, data)
    out = {"workload": key, "spec": {k: v for k, v in w.items()}, "frameworks": {}}
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
            if w["model"] == "w1":
                out["frameworks"][fw]["GB_per_s"] = w["n"] * 4 / r["median_s"] / 1e9
    return out


def report(res: dict):
    print(f"\n== {res['workload']}: {res['spec']}")
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
    table = TINY if args.tiny else WORKLOADS
    keys = list(table)
    if args.only:
        want = [k.strip() for k in args.only.split(",")]
        keys = [k for k in keys if any(k == s or (s == "W2" and k.startswith("W2"))
                                       for s in want)]
    frameworks = [f for f in args.frameworks.split(",") if f]
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "simulator": os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"}
    print(f"# jitnet CUDA benchmark: {info}")
    results = []
    for k in keys:
        res = run_workload(k, table[k], frameworks, args.target, args.samples)
        report(res)
        results.append(res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1, default=str)
    return results


if __name__ == "__main__":
    main()


"""Time to first result: jitnet against JAX, in fresh processes (issue 14).

    python benchmarks/latency.py                      # everything, 1 repeat
    python benchmarks/latency.py --repeats 3 --only cold,batch --workloads W2a,W4
    python benchmarks/latency.py --markdown out.md    # also write the tables

Measured, each in a fresh process (``--child``) so nothing is in memory:
* ``cold``: import -> first result of a workload's jitted training step (``workloads.py``)
  with an empty compile cache; ``warm``: the same again, now with the disk cache filled by
  the cold run (JAX has no persistent cache by default: its warm time is a second cold one);
* ``batch``: in the warm process, the same step called with new batch sizes (16, 40, 77,
  128, in that order): the time of each first call (re-trace, and a compile if any);
* ``eager``: in a fresh process after a warm-up process, the first of each of ``EAGER_OPS``
  (``tanh``, ``exp``, ``log``, ``sigmoid``, ``+``, ``@``, ``sum``, ``max``, ``softmax``) on a
  float32 array of rank 1, then of rank 2 (each a new dtype/rank); for jitnet also the
  number of compilations in that second process (``compile_log.counts``, should be 0);
* ``programs``: end-to-end wall time of short JAX-style programs (a gradient check, vmap,
  jacobian, a 20-step MLP fit, a scan RNN, a small CNN step), cold and warm.
* ``tiered``: jitnet alone, the tiered start off and on (``JITNET_TIERED``, interleaved):
  cold and warm import -> first result of each workload's step, with the tier on also the
  time to the first *compiled* result (the step called in a loop until it switched) and the
  calls the interpreter ran; the steady-state time of one call afterwards (median of 10) in
  both settings; the short programs' wall time cold and warm.
* ``parallel``: jitnet alone, cold and warm import -> first result with the hand-written
  kernels a program needs compiled in the process, then by child processes beside it
  (``JITNET_PARALLEL_COMPILE`` 0 / 1, interleaved; ``runtime/c_kernel.py``).
* ``random``: import -> first result (fresh process each) of programs drawing random
  numbers (``RANDOM_CASES``): a Keras ``fit`` of Dense-Dropout-Dense (jitnet only), a chain
  of 3 ``fold_in``s then ``normal``, a dropout MLP training step; cold (empty cache), and as
  a new program on a machine that has run another one (its cache filled by a process that
  drew ``bits``: the hand-written kernels it compiled are there).
Reported: medians over ``--repeats`` and the jitnet / JAX ratio. Times on a loaded machine
vary a lot: compare runs made together.
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FRAMEWORKS = ("jitnet", "jax")
BATCHES = (16, 40, 77, 128)
EAGER_OPS = {
    "tanh": lambda m, x: m.numpy.tanh(x), "exp": lambda m, x: m.numpy.exp(x),
    "log": lambda m, x: m.numpy.log(x), "sigmoid": lambda m, x: m.nn.sigmoid(x),
    "+": lambda m, x: x + x, "@": lambda m, x: x @ x, "sum": lambda m, x: m.numpy.sum(x),
    "max": lambda m, x: m.numpy.max(x, axis=0), "softmax": lambda m, x: m.nn.softmax(x)}


def _import(fw):
    if fw == "jitnet":
        import jitnet as mod
    else:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax as mod
    return mod


def _step_inputs(mod, key, batch=None):
    import numpy as np
    sys.path.insert(0, HERE)
    import workloads as W
    w = W.BY_KEY[key]
    if batch is not None:
        w = W.Workload(w.key, w.title, w.kind, w.model, dict(w.shape, batch=batch))
    data = W.make_data(w)
    step = W.jax_models(mod).train_step(w.model)
    return step, [mod.numpy.asarray(p) for p in data["params"]], \
        [np.asarray(x) for x in data["inputs"]]


def _block(x):
    import numpy as np
    return float(np.asarray(x))


# -- child programs: each prints one JSON line ------------------------------------------------

def child_step(fw, key, with_batches, follow=False):
    t0 = time.perf_counter()
    mod = _import(fw)
    step, params, inputs = _step_inputs(mod, key)
    _block(step(params, *inputs)[1])
    out = {"first_s": time.perf_counter() - t0}
    if follow:  # until the tiered start switched to compiled code, then the steady state
        exe = step.lower(params, *inputs).traced.executable
        while not getattr(exe, "switched", True):
            _block(step(params, *inputs)[1])
        out["calls"] = getattr(exe, "calls", {}).get("interpreter", 0)
        _block(step(params, *inputs)[1])
        out["compiled_s"] = time.perf_counter() - t0
        times = []
        for _ in range(10):
            t = time.perf_counter()
            _block(step(params, *inputs)[1])
            times.append(time.perf_counter() - t)
        out["steady_s"] = statistics.median(times)
    if with_batches:
        for b in BATCHES:
            _, p, x = _step_inputs(mod, key, b)
            t = time.perf_counter()
            _block(step(params, *x)[1])
            out[f"batch{b}_s"] = time.perf_counter() - t
    return out


def child_eager(fw):
    import numpy as np
    mod = _import(fw)
    jnp = mod.numpy
    out = {}
    for rank in (1, 2):
        x = jnp.asarray(np.linspace(0.5, 1.5, 8 ** rank, dtype=np.float32).reshape((8,) * rank))
        for op, f in EAGER_OPS.items():
            t = time.perf_counter()
            np.asarray(f(mod, x))
            out[f"{op}_rank{rank}_s"] = time.perf_counter() - t
    if fw == "jitnet":
        from jitnet.runtime import compile_log
        out["compiles"] = compile_log.counts["compile"]
    return out


def _programs(mod):
    """Short programs as a JAX user writes them; returns a checksum."""
    import numpy as np
    jnp, lax = mod.numpy, mod.lax
    r = np.random.default_rng(0)
    total = 0.0
    # gradient check against a finite difference
    f = lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x ** 2))  # noqa: E731
    x = jnp.asarray(r.normal(size=5).astype(np.float32))
    g = mod.jit(mod.grad(f))(x)
    total += float(jnp.sum(g))
    # vmap of a per-example function, the jacobian of a small map
    total += float(jnp.sum(mod.jit(mod.vmap(lambda v: jnp.dot(v, v)))(jnp.ones((7, 3)))))
    total += float(jnp.sum(mod.jacrev(lambda v: jnp.tanh(v) * v[0])(x)))
    # a 20-step MLP fit
    w1 = jnp.asarray(r.normal(size=(4, 16)).astype(np.float32) * 0.5)
    w2 = jnp.asarray(r.normal(size=(16, 1)).astype(np.float32) * 0.5)
    xs = jnp.asarray(r.normal(size=(32, 4)).astype(np.float32))
    ys = jnp.sum(xs, axis=1, keepdims=True)

    def loss(p, x, y):
        return jnp.mean((jnp.tanh(x @ p[0]) @ p[1] - y) ** 2)

    @mod.jit
    def step(p, x, y):
        v, gr = mod.value_and_grad(loss)(p, x, y)
        return [a - 0.05 * b for a, b in zip(p, gr)], v

    p = [w1, w2]
    for _ in range(20):
        p, v = step(p, xs, ys)
    total += float(v)
    # a scan RNN
    wh = jnp.asarray(r.normal(size=(8, 8)).astype(np.float32) * 0.3)
    seq = jnp.asarray(r.normal(size=(10, 2, 8)).astype(np.float32))

    def rnn(wh, seq):
        h, _ = lax.scan(lambda h, s: (jnp.tanh(h @ wh + s), None), jnp.zeros((2, 8)), seq)
        return jnp.sum(h)

    total += float(mod.jit(mod.grad(rnn))(wh, seq).sum())
    # a small CNN loss gradient
    k = jnp.asarray(r.normal(size=(4, 1, 3, 3)).astype(np.float32))
    img = jnp.asarray(r.normal(size=(2, 1, 8, 8)).astype(np.float32))

    def cnn(k, img):
        y = lax.conv_general_dilated(img, k, (1, 1), "SAME",
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return jnp.mean(jnp.maximum(y, 0.0))

    total += float(jnp.sum(mod.jit(mod.grad(cnn))(k, img)))
    return total


def child_programs(fw):
    t0 = time.perf_counter()
    mod = _import(fw)
    check = _programs(mod)
    return {"wall_s": time.perf_counter() - t0, "check": check}


def _random_fit(mod):
    """A Keras fit of Dense-Dropout-Dense, one epoch of 4 batches (jitnet only)."""
    import numpy as np
    from jitnet import layers, losses, models
    r = np.random.default_rng(0)
    x = r.normal(size=(256, 20)).astype(np.float32)
    y = r.integers(0, 10, 256).astype(np.int32)
    model = models.Sequential([layers.Input((20,)), layers.Dense(64, activation="relu"),
                               layers.Dropout(0.3), layers.Dense(10)])
    model.compile(optimizer=mod.optim.get("adam", learning_rate=1e-3),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True), seed=0)
    hist = model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    return float(hist.history["loss"][-1])


def _random_fold_in(mod):
    """normal() of a key folded three times, jitted."""
    rnd = mod.random
    f = mod.jit(lambda k: rnd.normal(rnd.fold_in(rnd.fold_in(rnd.fold_in(k, 1), 2), 3), (16,)))
    return float(f(rnd.PRNGKey(0)).sum())


def _random_dropout_step(mod):
    """A jitted MLP training step with dropout (a fresh key per step by split)."""
    import numpy as np
    jnp, rnd = mod.numpy, mod.random
    r = np.random.default_rng(0)
    p = [jnp.asarray(r.normal(size=s).astype(np.float32) * 0.3) for s in ((32, 64), (64, 10))]
    x = jnp.asarray(r.normal(size=(64, 32)).astype(np.float32))
    y = jnp.asarray(r.normal(size=(64, 10)).astype(np.float32))

    def loss(p, x, y, key):
        h = jnp.tanh(x @ p[0])
        keep = rnd.bernoulli(key, 0.9, h.shape)
        return jnp.mean((jnp.where(keep, h / 0.9, 0.0) @ p[1] - y) ** 2)

    @mod.jit
    def step(p, key):
        key, sub = rnd.split(key)
        g = mod.grad(loss)(p, x, y, sub)
        return [a - 0.1 * b for a, b in zip(p, g)], key

    p, key = step(p, rnd.PRNGKey(0))
    return float(p[0].sum())


def _random_other(mod):
    """Another program drawing random numbers (fills the cache for the second row)."""
    return float(mod.jit(lambda k: mod.random.bits(k, (3,)))(mod.random.PRNGKey(1)).sum())


RANDOM_CASES = {"keras fit, Dense-Dropout-Dense": _random_fit,
                "3 fold_ins then normal": _random_fold_in,
                "dropout MLP step": _random_dropout_step}
JITNET_ONLY = ("keras fit, Dense-Dropout-Dense",)


def child_random(fw, case):
    t0 = time.perf_counter()
    check = (RANDOM_CASES.get(case) or _random_other)(_import(fw))
    return {"first_s": time.perf_counter() - t0, "check": check}


CHILDREN = {"step": lambda a: child_step(a.fw, a.workload, a.batches, a.follow),
            "random": lambda a: child_random(a.fw, a.case),
            "eager": lambda a: child_eager(a.fw), "programs": lambda a: child_programs(a.fw)}


# -- the parent --------------------------------------------------------------------------------

def _run(kind, fw, cache, timeout, env=(), **extra):
    env = dict(os.environ, JITNET_CACHE_DIR=cache, PYTHONPATH=ROOT, **dict(env))
    # as a user's machine: bytecode caches on (without them each process compiles every
    # module it imports from source, ~0.3 s of jitnet's alone; warm_start.py does the same)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, __file__, "--child", kind, "--fw", fw]
    for k, v in extra.items():
        if v is True:
            cmd.append(f"--{k}")
        elif v not in (None, False):
            cmd += [f"--{k}", str(v)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("LATENCY ")]
    if p.returncode or not lines:
        raise RuntimeError(f"{kind} {fw} failed:\n{p.stderr[-2000:]}")
    return json.loads(lines[-1][len("LATENCY "):])


def _fresh_cache(tmp, name):
    path = os.path.join(tmp, name)
    os.makedirs(path, mode=0o700)
    return path


def measure(opts) -> dict:
    rows: dict = {}   # row name -> fw -> list of seconds

    def add(name, fw, v):
        rows.setdefault(name, {}).setdefault(fw, []).append(v)
        print(f"{name:55} {fw:7} {v:9.3f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="jitnet-latency-") as tmp:
        for rep in range(opts.repeats):
            for fw in FRAMEWORKS:
                if "cold" in opts.only or "batch" in opts.only:
                    for key in opts.workloads:
                        cache = _fresh_cache(tmp, f"{fw}-{key}-{rep}")
                        cold = _run("step", fw, cache, opts.timeout, workload=key)
                        add(f"{key} cold: import -> 1st result", fw, cold["first_s"])
                        warm = _run("step", fw, cache, opts.timeout, workload=key,
                                    batches="batch" in opts.only)
                        add(f"{key} warm: import -> 1st result", fw, warm["first_s"])
                        for b in BATCHES if "batch" in opts.only else ():
                            add(f"{key} new batch size {b}: 1st call", fw, warm[f"batch{b}_s"])
                if "eager" in opts.only:
                    cache = _fresh_cache(tmp, f"{fw}-eager-{rep}")
                    _run("eager", fw, cache, opts.timeout)  # the warm-up process
                    res = _run("eager", fw, cache, opts.timeout)
                    if "compiles" in res:
                        n = res.pop("compiles")
                        print(f"eager, 2nd process: {n} compilation(s)", file=sys.stderr)
                    for k, v in res.items():
                        op, rank = k[:-2].rsplit("_", 1)
                        add(f"eager 1st {op}, {rank} (2nd process)", fw, v)
                if "programs" in opts.only:
                    cache = _fresh_cache(tmp, f"{fw}-programs-{rep}")
                    add("short programs, cold", fw,
                        _run("programs", fw, cache, opts.timeout)["wall_s"])
                    add("short programs, warm", fw,
                        _run("programs", fw, cache, opts.timeout)["wall_s"])
            if "random" in opts.only:
                _random(tmp, rep, opts, add)
            if "tiered" in opts.only:
                _tiered(tmp, rep, opts, add)
            if "parallel" in opts.only:
                _parallel(tmp, rep, opts, add)
            print(f"repeat {rep + 1}/{opts.repeats} done", file=sys.stderr, flush=True)
    return rows


def _random(tmp, rep, opts, add):
    """The ``random`` rows: each case cold, then in a fresh cache that another program
    drawing random numbers has filled."""
    for case in RANDOM_CASES:
        for fw in [f for f in opts.frameworks if case not in JITNET_ONLY or f == "jitnet"]:
            for when in ("cold", "kernels cached"):
                cache = _fresh_cache(tmp, f"{fw}-random-{len(case)}-{len(when)}-{rep}")
                if when != "cold":
                    _run("random", fw, cache, opts.timeout, case="other")
                add(f"{case}, {when}: import -> 1st result", fw,
                    _run("random", fw, cache, opts.timeout, case=case)["first_s"])


def _tiered(tmp, rep, opts, add):
    """The ``tiered`` rows: each measurement with the tier off, then on (interleaved)."""
    for key in opts.workloads:
        for tier in ("off", "on"):
            env = {"JITNET_TIERED": "1" if tier == "on" else "0"}
            cache = _fresh_cache(tmp, f"tiered-{tier}-{key}-{rep}")
            for when in ("cold", "warm"):
                res = _run("step", "jitnet", cache, opts.timeout, env, workload=key,
                           follow=True)
                add(f"{key} {when}, tier {tier}: import -> 1st result", "jitnet",
                    res["first_s"])
                if tier == "on":
                    add(f"{key} {when}, tier on: import -> 1st compiled result", "jitnet",
                        res["compiled_s"])
                    add(f"{key} {when}, tier on: interpreted calls", "jitnet", res["calls"])
                add(f"{key} {when}, tier {tier}: steady call", "jitnet", res["steady_s"])
    for tier in ("off", "on"):
        env = {"JITNET_TIERED": "1" if tier == "on" else "0"}
        cache = _fresh_cache(tmp, f"tiered-{tier}-programs-{rep}")
        for when in ("cold", "warm"):
            add(f"short programs {when}, tier {tier}", "jitnet",
                _run("programs", "jitnet", cache, opts.timeout, env)["wall_s"])


def _parallel(tmp, rep, opts, add):
    """The ``parallel`` rows: cold and warm import -> first result with the kernels a
    program needs compiled in this process, then in child processes beside the program
    (``JITNET_PARALLEL_COMPILE`` 0, then 1: interleaved)."""
    for key in opts.workloads:
        for par in ("off", "on"):
            env = {"JITNET_PARALLEL_COMPILE": "1" if par == "on" else "0"}
            cache = _fresh_cache(tmp, f"parallel-{par}-{key}-{rep}")
            for when in ("cold", "warm"):
                res = _run("step", "jitnet", cache, opts.timeout, env, workload=key)
                add(f"{key} {when}, parallel kernels {par}: import -> 1st result", "jitnet",
                    res["first_s"])


def report(rows, opts) -> str:
    def fmt(s):
        if s is None:
            return "-"
        return f"{s * 1e3:.2f} ms" if s < 0.01 else f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s"

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    out = [f"command: `python benchmarks/latency.py {' '.join(sys.argv[1:])}`",
           f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; cores: "
           f"{os.cpu_count()}; load average at the end: {load:.1f}; medians of "
           f"{opts.repeats} run(s)", "",
           "| measurement | jitnet | jax.jit | jitnet / jax |", "|---|---|---|---|"]
    for name, by in rows.items():
        med = {fw: statistics.median(v) for fw, v in by.items()}
        j, x = med.get("jitnet"), med.get("jax")
        ratio = "-" if j is None or not x else "< 0.01x" if j < 0.01 * x else f"{j / x:.2g}x"
        if name.endswith("calls"):  # a count, not a time
            out.append(f"| {name} | {j:g} | - | - |")
            continue
        out.append(f"| {name} | {fmt(j)} | {fmt(x)} | {ratio} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="cold,batch,eager,programs",
                    help="comma-separated: cold, batch, eager, programs, tiered, parallel, "
                         "random")
    ap.add_argument("--workloads", default="W2a,W4", help="training steps for cold/warm/batch")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--frameworks", default="jitnet,jax", help="for the random rows")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per process")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--fw", help=argparse.SUPPRESS)
    ap.add_argument("--workload", help=argparse.SUPPRESS)
    ap.add_argument("--batches", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--follow", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.child:
        print("LATENCY " + json.dumps(CHILDREN[opts.child](opts)), flush=True)
        return
    opts.only = set(opts.only.split(","))
    opts.workloads = opts.workloads.split(",")
    opts.frameworks = opts.frameworks.split(",")
    text = report(measure(opts), opts)
    print(text)
    if opts.markdown:
        with open(opts.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()

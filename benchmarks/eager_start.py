"""The first eager ops of a new process once the disk cache holds their kernels (issue 14).

    python benchmarks/eager_start.py --repeats 9

A warm-up process fills a fresh cache; then, in fresh processes alternating the two ways of
linking a cached kernel (``elf``: ``runtime/elf_loader.py``; ``mcjit``: llvmlite's MCJIT, as
before it, importing ``llvmlite.binding``):
* ``phases``: the first eager float32 ``tanh`` split into its steps (wall and CPU ms);
* ``ops``: ``import jitnet`` and the first of each of ``OPS`` (wall ms), with the number of
  compilations in the process (should be 0) and whether LLVM was loaded.
Medians over ``--repeats``; bytecode caches on, as on a user's machine.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPS = ("tanh f32 (3, 4)", "exp f32 (3, 4)", "log f32 (3, 4)", "tanh f64 (5,)", "nn.sigmoid f32")


class _Clock:
    def __init__(self):
        self.marks = [("", time.perf_counter(), time.process_time())]

    def __call__(self, name):
        self.marks.append((name, time.perf_counter(), time.process_time()))

    def phases(self):
        return {n: ((p - q[1]) * 1e3, (c - q[2]) * 1e3)
                for q, (n, p, c) in zip(self.marks, self.marks[1:])}


def child_phases(mode):
    import numpy as np

    import jitnet.numpy as jnp
    from jitnet.runtime import disk_cache, eager_kernels as ek
    x = jnp.ones((3, 4), "float32")
    m = _Clock()
    st = disk_cache.store()
    m("cache store (directory and key checks)")
    disk_cache.host_cpu()
    m("CPU for the key (/proc/cpuinfo)")
    disk_cache.environment_tag()
    m("rest of the key's environment tag")
    stem = ek._stem("tanh", np.dtype("float32"))
    m("key hash")
    head, obj = st.read_signed(stem + ".eager").split(b"\n", 1)
    meta = json.loads(head)
    m("file read + HMAC check + header")
    if mode == "elf":
        from jitnet.runtime import elf_loader
        m("import elf_loader")
        address = elf_loader.link(obj, meta["symbol"], ek._process_symbol)
        m("link: copy, relocate, mprotect")
    else:
        import llvmlite.binding  # noqa: F401  (its import is the phase timed)
        m("import llvmlite.binding")
        ek._mcjit()
        m("LLVM initialize, target machine, MCJIT engine")
        address = ek._link_mcjit(obj, meta["symbol"])
        m("link: add object, finalize")
    ek._fns[("tanh", np.dtype("float32"))] = ek._CTYPE(address)
    np.asarray(jnp.tanh(x))
    m("dispatch + run")
    out = m.phases()
    out["total"] = tuple(map(sum, zip(*out.values())))
    return out


def child_ops(mode):
    import numpy as np
    t = time.perf_counter()
    import jitnet
    import jitnet.numpy as jnp
    out = {"import jitnet": (time.perf_counter() - t) * 1e3}
    from jitnet.runtime import compile_log, elf_loader
    if mode == "mcjit":
        def refuse(*args):
            raise elf_loader.Unsupported("benchmark")
        elf_loader.link = refuse
    jitnet.config.update("jax_enable_x64", True)
    x, x64 = jnp.ones((3, 4), "float32"), jnp.ones((5,), "float64")
    calls = [lambda: jnp.tanh(x), lambda: jnp.exp(x), lambda: jnp.log(x),
             lambda: jnp.tanh(x64), lambda: jitnet.nn.sigmoid(x)]
    for name, f in zip(OPS, calls):
        t = time.perf_counter()
        np.asarray(f())
        out[name] = (time.perf_counter() - t) * 1e3
    out["compiles"] = compile_log.counts["compile"]
    out["LLVM loaded"] = "llvmlite.binding" in sys.modules
    return out


def _run(kind, mode, cache):
    env = dict(os.environ, JITNET_CACHE_DIR=cache, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    p = subprocess.run([sys.executable, __file__, "--child", kind, "--mode", mode],
                       capture_output=True, text=True, env=env, timeout=600)
    if p.returncode:
        raise RuntimeError(p.stderr[-2000:])
    return json.loads(p.stdout.splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--child", choices=("phases", "ops"), help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=("elf", "mcjit"), help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.child:
        fn = child_phases if opts.child == "phases" else child_ops
        print(json.dumps(fn(opts.mode)))
        return
    modes = ("elf", "mcjit")
    with tempfile.TemporaryDirectory(prefix="jitnet-eager-start-") as tmp:
        cache = os.path.join(tmp, "cache")
        for mode in modes * 2:   # compiles the kernels, then writes bytecode caches
            _run("ops", mode, cache)
        load0 = os.getloadavg()[0]
        res = {(k, m): [] for k in ("phases", "ops") for m in modes}
        for i in range(opts.repeats):
            for mode in modes[::1 if i % 2 == 0 else -1]:
                for kind in ("phases", "ops"):
                    res[(kind, mode)].append(_run(kind, mode, cache))
    print(f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}; medians of "
          f"{opts.repeats}\n")
    med = lambda rs, k, i=None: statistics.median(r[k] if i is None else r[k][i]  # noqa: E731
                                                  for r in rs)
    print("| phase of the first eager tanh | " + " | ".join(
        f"{m} wall ms | {m} CPU ms" for m in modes) + " |\n|---|---|---|---|---|")
    names = list(dict.fromkeys(n for m in modes for n in res[("phases", m)][0] if n != "total"))
    names.append("total")
    for n in names:
        cells = []
        for m in modes:
            rs = res[("phases", m)]
            cells += [f"{med(rs, n, 0):.2f}", f"{med(rs, n, 1):.2f}"] if n in rs[0] else \
                ["-", "-"]
        print(f"| {n} | " + " | ".join(cells) + " |")
    print("\n| new process | " + " | ".join(modes) + " |\n|---|---|---|")
    for n in ("import jitnet",) + OPS:
        print(f"| {n} | " + " | ".join(f"{med(res[('ops', m)], n):.2f} ms" for m in modes)
              + " |")
    for n in ("compiles", "LLVM loaded"):
        print(f"| {n} | " + " | ".join(str(max(r[n] for r in res[("ops", m)]))
                                       for m in modes) + " |")


if __name__ == "__main__":
    main()

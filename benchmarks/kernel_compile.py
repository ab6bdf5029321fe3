"""Compile seconds of small jitted programs using one heavy op (the kernels2 branch's
figures: linear algebra and sort as C kernels compiled once per machine).

Per family, in a fresh cache directory, process 1 runs program 1 (nothing cached: a kernel
compiles too), process 2 runs program 2 (another program text using the same op: kernels
load from the disk cache, the program compiles). Printed per process: the seconds of each
compile_log event (kernels and the program), the first call's wall time, and the
steady-state call time.

    cd <tree> && python benchmarks/kernel_compile.py [family ...]
    (families: trivial cholesky svd sort scatter; the children import jitnet from the cwd)
"""
import json
import os
import subprocess
import sys
import tempfile

# two program texts per family using the same kernels
PROGRAMS = {
    "trivial": ["lambda x: x * 2", "lambda x: x + 2"],  # what any program costs
    "cholesky": ["lambda x: jnp.linalg.cholesky(x)", "lambda x: jnp.linalg.cholesky(x) * 2"],
    "svd": ["lambda x: jnp.linalg.svd(x)[1]", "lambda x: jnp.linalg.svd(x)[1] * 2"],
    "sort": ["lambda x: jnp.sort(x, axis=-1)", "lambda x: jnp.sort(x, axis=0) * 2"],
    "scatter": ["lambda x: x.at[jnp.array([0, 2, 2])].add(1.0)",
                "lambda x: x.at[jnp.array([1, 0])].max(x[0]) * 2"],
}
SHAPES = {"trivial": (8, 5), "cholesky": (4, 6, 6), "svd": (4, 6, 6), "sort": (64, 33),
          "scatter": (8, 5)}

CHILD = r"""
import json, logging, re, sys, time
import numpy as np
import jitnet as jax
import jitnet.numpy as jnp
fam, prog, shape = sys.argv[1], sys.argv[2], tuple(json.loads(sys.argv[3]))
x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
if fam == "cholesky":
    x = x @ np.swapaxes(x, -1, -2) + 6 * np.eye(x.shape[-1], dtype=np.float32)
events = []
class H(logging.Handler):
    def emit(self, r):
        m = re.match(r"jitnet (compile|cache_load): (kernel \S+|m_\w+) in ([0-9.]+) s",
                     r.getMessage())
        if m:
            what = "program" if m[2].startswith("m_") else m[2][7:]
            events.append((m[1] + " " + what, float(m[3])))
logging.getLogger("jitnet").addHandler(H())
jax.config.update("log_compiles", True)
f = jax.jit(eval(prog))
t = time.perf_counter()
jax.block_until_ready(f(x))
out = {k: round(v, 2) for k, v in events}
out["first call"] = round(time.perf_counter() - t, 2)
t = time.perf_counter()
for _ in range(50):
    jax.block_until_ready(f(x))
out["steady ms"] = round((time.perf_counter() - t) / 50 * 1e3, 3)
print(json.dumps(out))
"""

def run(fam):
    res = []
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, JITNET_CACHE_DIR=d)
        for prog in PROGRAMS[fam][:2]:
            p = subprocess.run([sys.executable, "-c", CHILD, fam, prog, json.dumps(SHAPES[fam])],
                               env=env, capture_output=True, text=True, check=True)
            res.append(json.loads(p.stdout.strip().splitlines()[-1]))
    return res


if __name__ == "__main__":
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    for fam in sys.argv[1:] or list(PROGRAMS):
        print(fam, json.dumps(run(fam)), f"(load {load})", flush=True)

"""Compile seconds of small jitted programs using one heavy op (the kernels2 branch's
figures: linear algebra, sort, scatter as C kernels compiled once per machine).

For each family, in a fresh cache directory: process 1 compiles program 1 (nothing cached:
kernels compile too) and program 2 (another program, same op); process 2 compiles program 3
(a new program; kernels load from the disk cache). Then a steady-state call time.

    PYTHONPATH=<tree> python benchmarks/kernel_compile.py [family ...]   # cholesky svd sort scatter
"""
import json
import os
import subprocess
import sys
import tempfile

# three programs per family using the same kernels (program 3 in a new process)
PROGRAMS = {
    "cholesky": ["lambda x: jnp.linalg.cholesky(x)", "lambda x: jnp.linalg.cholesky(x) * 2",
                 "lambda x: jnp.linalg.cholesky(x) + 1"],
    "svd": ["lambda x: jnp.linalg.svd(x)[1]", "lambda x: jnp.linalg.svd(x)[1] * 2",
            "lambda x: jnp.linalg.svd(x)[1] + 1"],
    "sort": ["lambda x: jnp.sort(x, axis=-1)", "lambda x: jnp.sort(x, axis=0) * 2",
             "lambda x: jax.lax.sort((x, -x), num_keys=1)[1] + 1"],
    "scatter": ["lambda x: x.at[jnp.array([0, 2, 2])].add(1.0)",
                "lambda x: x.at[jnp.array([1, 0])].max(x[0]) * 2",
                "lambda x: x.at[jnp.array([3, 1, 1])].add(2.0) + 1"],
}
SHAPES = {"cholesky": (4, 6, 6), "svd": (4, 6, 6), "sort": (64, 33), "scatter": (8, 5)}

CHILD = r"""
import json, sys, time
import numpy as np
import jitnet as jax
import jitnet.numpy as jnp
fam, idx = sys.argv[1], [int(i) for i in sys.argv[2].split(",")]
progs = json.loads(sys.argv[3])
x = np.random.default_rng(0).standard_normal(tuple(json.loads(sys.argv[4]))).astype(np.float32)
if fam == "cholesky":
    x = x @ np.swapaxes(x, -1, -2) + 6 * np.eye(x.shape[-1], dtype=np.float32)
out = {}
for i in idx:
    f = jax.jit(eval(progs[i]))
    t = time.perf_counter()
    jax.block_until_ready(f(x))
    out[f"program {i + 1}"] = round(time.perf_counter() - t, 2)
t = time.perf_counter()
for _ in range(20):
    jax.block_until_ready(f(x))
out["steady ms"] = round((time.perf_counter() - t) / 20 * 1e3, 3)
print(json.dumps(out))
"""


def run(fam):
    progs = json.dumps(PROGRAMS[fam])
    shape = json.dumps(SHAPES[fam])
    res = {}
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, JITNET_CACHE_DIR=d)
        for idx in ("0,1", "2"):
            p = subprocess.run([sys.executable, "-c", CHILD, fam, idx, progs, shape], env=env,
                               capture_output=True, text=True, check=True)
            res.update(json.loads(p.stdout.strip().splitlines()[-1]))
    return res


if __name__ == "__main__":
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    for fam in sys.argv[1:] or list(PROGRAMS):
        print(fam, json.dumps(run(fam)), f"(load {load})", flush=True)

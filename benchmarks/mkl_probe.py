"""Is Intel MKL (PyPI ``mkl``) a faster sgemm than the OpenBLAS jitnet calls, on the gemms of
W2a and W6 (issue 16 items 2, 4)? Measurement only: jitnet has no MKL binding.

    pip install --prefix /tmp/mklenv mkl        # not into the project's environment
    python benchmarks/mkl_probe.py --mkl /tmp/mklenv/lib/libmkl_rt.so.3 [--rounds 5]

Each gemm goes through ``jn_gemm_f32`` (the helper generated code calls: same layouts,
transpose flags and by-reference integer arguments); in the MKL child process its symbol is
bound to MKL's Fortran ``sgemm_`` instead of the configured OpenBLAS. Every measurement runs
in a fresh process per library, the two alternating with the order flipped every round
(A/B interleaved); reported: the median over rounds of each round's best-of-7.

* 1 thread: the child is pinned to one CPU; MKL runs its sequential layer
  (``MKL_THREADING_LAYER=SEQUENTIAL``: no OpenMP pool), OpenBLAS one thread. CPU time.
* 2 threads: the library's own threads (OpenBLAS 2, MKL's Intel OpenMP layer with 2), wall
  time. jitnet itself never asks for this (it calls gemm on one thread per call).
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))
import gemm_probe as G  # noqa: E402

LIBS = ("openblas", "mkl")


def _rate(fn, seconds, clock):
    """Best of 7 samples of ~seconds/7 each: seconds per call (``clock``: CPU or wall)."""
    fn()
    t = clock()
    fn()
    reps = max(1, int(seconds / 7 / max(clock() - t, 1e-6)))
    best = float("inf")
    for _ in range(7):
        t = clock()
        for _ in range(reps):
            fn()
        best = min(best, (clock() - t) / reps)
    return best


def _tasks() -> int:
    return len(os.listdir("/proc/self/task"))


def _jit_status(mkl) -> int:
    """MKL's small-gemm JIT for W6's 32x128x128 NN sgemm (row-major, LP64): 0 a generated
    kernel, 1 none on this CPU (its kernel pointer is plain sgemm), 2 an error."""
    create = mkl.mkl_cblas_jit_create_sgemm   # the C API (``mkl_jit_create_sgemm`` is Fortran's)
    create.argtypes = ([ctypes.POINTER(ctypes.c_void_p)] + [ctypes.c_int] * 6 + [ctypes.c_float]
                       + [ctypes.c_int] * 2 + [ctypes.c_float, ctypes.c_int])
    jitter = ctypes.c_void_p()
    status = create(ctypes.byref(jitter), 101, 111, 111, 32, 128, 128, 1.0, 128, 128, 0.0, 128)
    mkl.mkl_jit_destroy(jitter)
    return status


def child(lib: str, mkl_path: str, threads: int, workloads: list) -> dict:
    """One library's figures, in this fresh process."""
    info = {}
    if lib == "mkl":
        mkl = ctypes.CDLL(mkl_path, mode=ctypes.RTLD_GLOBAL)
        buf = ctypes.create_string_buffer(256)
        mkl.mkl_get_version_string(buf, 256)
        info["version"] = buf.value.decode().strip()
        info["jit_status"] = _jit_status(mkl)
        from jitnet.runtime import blas   # bind jn_gemm_f32 to MKL's sgemm_ before it compiles
        blas.gemm_address = lambda name: ctypes.cast(getattr(mkl, name + "_"),
                                                     ctypes.c_void_p).value
    from threadpoolctl import threadpool_info, threadpool_limits

    from jitnet.runtime.numba_math import jn_gemm_f32
    clock = time.process_time if threads == 1 else time.perf_counter
    rng = np.random.default_rng(0)
    scratch = np.empty(8, np.int64)
    res = {"lib": lib, "us": {}, "tasks_before": _tasks()}
    with threadpool_limits(threads, user_api="blas"):
        n = 1536
        a, b, c = G._operands(n, n, n, 0, 0, rng)
        res["peak_gflops"] = 2 * n ** 3 / _rate(
            lambda: jn_gemm_f32(a, b, c, False, False, scratch), 1.0, clock) / 1e9
        for key in workloads:
            for name, m, k, nn, ta, tb, _calls in G.WORKLOADS[key]:
                a, b, c = G._operands(m, k, nn, ta, tb, rng)
                s = _rate(lambda: jn_gemm_f32(a, b, c, bool(ta), bool(tb), scratch), 0.3,
                          clock)
                res["us"][f"{key}:{name}"] = s * 1e6
        res["tasks_after"] = _tasks()   # threads of the process: a pool shows here
        res["blas"] = [f"{i['internal_api']} {i['version']} {i.get('threading_layer', '')} "
                       f"{i['num_threads']} thr ({os.path.basename(i['filepath'])})"
                       for i in threadpool_info() if i.get("user_api") in ("blas", "openmp")]
    res.update(info)
    maps = open("/proc/self/maps").read()
    res["mkl_kernels"] = sorted({os.path.basename(ln.split()[-1]) for ln in maps.splitlines()
                                 if "libmkl_" in ln and "libmkl_rt" not in ln})
    return res


def run_child(lib, args, threads):
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    if lib == "mkl":
        env.update(MKL_THREADING_LAYER="SEQUENTIAL" if threads == 1 else "INTEL",
                   MKL_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cpus = {max(os.sched_getaffinity(0))} if threads == 1 else os.sched_getaffinity(0)
    cmd = [sys.executable, __file__, "--child", lib, "--mkl", args.mkl, "--threads",
           str(threads), "--only", args.only]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    if out.returncode:
        sys.exit(f"{lib} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mkl", required=True, help="path of libmkl_rt.so")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", default="W2a,W6")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    workloads = args.only.split(",")
    if args.child:
        print(json.dumps(child(args.child, args.mkl, int(args.threads), workloads)))
        return
    for threads in map(int, args.threads.split(",")):
        load0 = open("/proc/loadavg").read().split()[:3]
        runs = {lib: [] for lib in LIBS}
        for r in range(args.rounds):
            for lib in (LIBS if r % 2 == 0 else LIBS[::-1]):
                runs[lib].append(run_child(lib, args, threads))
        load1 = open("/proc/loadavg").read().split()[:3]
        for lib in LIBS:
            x = runs[lib][-1]
            print(f"{lib}: {x.get('version', '')} {x['blas']} mkl kernels {x['mkl_kernels']} "
                  f"jit status {x.get('jit_status')} threads {x['tasks_before']} -> "
                  f"{x['tasks_after']}")

        def med(lib, field, key=None):
            return float(np.median([x[field] if key is None else x[field][key]
                                    for x in runs[lib]]))
        print(f"\n### {threads} thread(s), {args.rounds} rounds, load {load0} -> {load1}\n")
        print("| gemm | M x K x N | flags | calls | OpenBLAS us | MKL us | MKL/OpenBLAS |")
        print("|---|---|---|---|---|---|---|")
        print(f"| sgemm peak (GFLOP/s) | 1536^3 | NN | | {med('openblas', 'peak_gflops'):.1f} | "
              f"{med('mkl', 'peak_gflops'):.1f} | |")
        for key in workloads:
            tot = {lib: 0.0 for lib in LIBS}
            for name, m, k, n, ta, tb, calls in G.WORKLOADS[key]:
                o, k_ = med("openblas", "us", f"{key}:{name}"), med("mkl", "us", f"{key}:{name}")
                tot["openblas"] += calls * o
                tot["mkl"] += calls * k_
                print(f"| {key} {name} | {m}x{k}x{n} | {'NT'[ta]}{'NT'[tb]} | {calls} | "
                      f"{o:.1f} | {k_:.1f} | {k_ / o:.2f} |")
            print(f"| **{key} step's gemms (sum x calls)** | | | | "
                  f"**{tot['openblas']:.0f}** | **{tot['mkl']:.0f}** | "
                  f"**{tot['mkl'] / tot['openblas']:.2f}** |")


if __name__ == "__main__":
    main()

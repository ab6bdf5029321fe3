"""Dump the generated CPU and CUDA source of a few programs (W2a's and W4's training steps,
W6's scan step, a cond, a while loop) into a folder, to compare code generation before and
after a compiler change: ``python benchmarks/dump_source.py OUT_DIR`` then ``diff -r``.

Only text is generated: nothing is compiled, so it runs in seconds without a GPU."""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402

import jitnet as jax  # noqa: E402
import jitnet.numpy as jnp  # noqa: E402
from jitnet.codegen.cpu import program  # noqa: E402
from jitnet.codegen.cuda import program as cuda  # noqa: E402
from jitnet.compiler import lower, prepare  # noqa: E402
from jitnet.runtime.numba_backend import DECORATOR  # noqa: E402
from jitnet.runtime.numba_support import check_supported  # noqa: E402
from jitnet.transforms.low_precision import widen_low_precision  # noqa: E402


def programs():
    M = W.jax_models(jax)
    for key in ("W2a", "W4", "W6"):
        w = W.BY_KEY[key]
        d = W.make_data(w)
        yield key, M.train_step(w.model), (d["params"], *d["inputs"])

    def cond(p, x):
        return jax.lax.cond(p > 0, lambda x: jnp.sin(x) * 2.0, lambda x: x / 3.0, x)
    yield "cond", jax.jit(cond), (np.float32(1.0), np.ones(8, np.float32))

    def loop(x):
        return jax.lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 1.5),
                                  (0, x))[1]
    yield "while", jax.jit(loop), (np.ones(4, np.float32),)


def main(out: str):
    os.makedirs(out, exist_ok=True)
    for name, fn, args in programs():
        ir = prepare(fn.lower(*args).traced.ir)
        wide = widen_low_precision(ir)
        check_supported(wide)
        src = program.generate(lower(wide, epilogues=True), "entry", DECORATOR, generic=True).source
        with open(os.path.join(out, f"{name}.cpu.py"), "w") as f:
            f.write(src)
        with open(os.path.join(out, f"{name}.cuda.py"), "w") as f:
            f.write(cuda.generate(lower(ir)).source)
        print(name, len(src.splitlines()), "lines")


if __name__ == "__main__":
    main(sys.argv[1])

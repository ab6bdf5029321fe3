"""Dump the generated CPU and CUDA source of a few programs (W1, the training steps of W2a, W4
and W8, W6's scan step, a cond, a while loop) into a folder, to compare code generation before
and after a compiler change: ``python benchmarks/dump_source.py OUT_DIR`` then ``diff -r``.
``--records`` adds every conformance record of ``jitnet.testing.records`` (its call and the
gradient of its sum, float32 and float64): every primitive's code on both backends, named by
record (a program a backend refuses is written as its error message).

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
    for key in ("W1", "W2a", "W4", "W6", "W8"):
        w = W.BY_KEY[key]
        d = W.make_data(w)
        if w.model == "w1":
            yield key, M.w1, tuple(d["inputs"])
        else:
            yield key, M.train_step(w.model), (d["params"], *d["inputs"])

    def cond(p, x):
        return jax.lax.cond(p > 0, lambda x: jnp.sin(x) * 2.0, lambda x: x / 3.0, x)
    yield "cond", jax.jit(cond), (np.float32(1.0), np.ones(8, np.float32))

    def loop(x):
        return jax.lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 1.5),
                                  (0, x))[1]
    yield "while", jax.jit(loop), (np.ones(4, np.float32),)


def record_programs():
    from jitnet.testing.records import RECORDS
    x64 = jax.config.read("jax_enable_x64")
    for r in RECORDS:
        for dt in (np.float32, np.float64):
            jax.config.update("jax_enable_x64", dt == np.float64)  # while the program is written
            args = r.draw(np.random.RandomState(0), dt)
            name = f"record_{r.id}_{np.dtype(dt).name}"
            yield name, jax.jit(r.fun), args
            floats = tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f")
            if r.grad_order and floats:
                loss = (lambda f: lambda *a: jnp.sum(jnp.real(f(*a))))(r.fun)
                yield name + "_grad", jax.jit(jax.grad(loss, argnums=floats)), args
    jax.config.update("jax_enable_x64", x64)


def write(out: str, name: str, fn, args):
    def source(generate):
        try:
            return generate()
        except (NotImplementedError, TypeError, ValueError) as err:
            return f"# {type(err).__name__}: {err}\n"

    def cpu():
        wide = widen_low_precision(ir)
        check_supported(wide)
        return program.generate(lower(wide, epilogues=True), "entry", DECORATOR,
                                generic=True).source

    ir = prepare(fn.lower(*args).traced.ir)
    src = source(cpu)
    with open(os.path.join(out, f"{name}.cpu.py"), "w") as f:
        f.write(src)
    with open(os.path.join(out, f"{name}.cuda.py"), "w") as f:
        f.write(source(lambda: cuda.generate(lower(ir)).source))
    return src


def main(out: str, records: bool = False):
    os.makedirs(out, exist_ok=True)
    for name, fn, args in programs():
        print(name, len(write(out, name, fn, args).splitlines()), "lines")
    if records:
        n = 0
        for name, fn, args in record_programs():
            write(out, name, fn, args)
            n += 1
        print(n, "record programs")


if __name__ == "__main__":
    main(sys.argv[1], "--records" in sys.argv[2:])

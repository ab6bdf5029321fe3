"""Compile every kernel the CUDA backend generates for the op records and the programs of
``cuda_programs.py`` to PTX with the real CUDA compiler (NVVM), without a GPU: checks that the
generated kernels type and lower in numba.cuda (the simulator would accept any Python).

    python tests/cuda/ptx_check.py [name-substring ...]

Runs without NUMBA_ENABLE_CUDASIM; prints one line per program, exits 1 if any failed.
"""
from __future__ import annotations

import os
import sys
import traceback

assert not os.environ.get("NUMBA_ENABLE_CUDASIM"), "run without the simulator"


def kernels_of(fun, args):
    import jitnet
    from jitnet.codegen.cuda.program import generate
    from jitnet.compiler import lower, prepare
    ir = jitnet.make_jaxpr(fun)(*args).ir
    gen = generate(lower(prepare(ir)))
    return gen


def _no_driver(cc):
    """Device functions compile for the current device's compute capability; without a GPU
    (no driver) pretend one of ``cc`` (compilation itself needs only NVVM)."""
    import types

    import numba.cuda.dispatcher as disp
    fake = types.SimpleNamespace(compute_capability=cc)
    disp.get_current_device = lambda: fake


def compile_all(gen, cc=(7, 5)):
    from numba import cuda
    _no_driver(cc)
    from jitnet.runtime.cuda_backend import HEADER
    src = (HEADER.format(name="check") + gen.source).replace("@jn_kernel\n", "")
    ns = {}
    exec(compile(src, "<generated>", "exec"), ns)
    errors = []
    for name, sig in gen.signatures.items():
        try:
            cuda.compile_ptx(ns[name], sig, cc=cc)
        except Exception as err:  # noqa: BLE001
            errors.append((name, sig, f"{type(err).__name__}: {str(err)[:1500]}"))
    return errors


def programs():
    import numpy as np
    from jitnet.codegen.cuda.ops import LINALG
    from jitnet.testing.records import RECORDS
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cuda_programs import PROGRAMS
    for rec in RECORDS:
        if rec.prim not in LINALG:
            yield rec.id, rec.fun, rec.draw(np.random.RandomState(0))
    for name, fun, make in PROGRAMS:
        yield name, fun, make(np.random.RandomState(0))


def main(argv):
    try:
        from numba.cuda.cudadrv import nvvm
        nvvm.NVVM()
    except Exception as err:  # noqa: BLE001
        print(f"NVVM (the CUDA toolkit's compiler library) is needed and was not found: "
              f"{type(err).__name__}: {err}")
        return 2
    bad = 0
    for pname, fun, args in programs():
        if argv and not any(a in pname for a in argv):
            continue
        gen = kernels_of(fun, args)
        errs = compile_all(gen)
        if errs:
            bad += 1
            print(f"== {pname}: {len(errs)} kernel(s) failed")
            for name, sig, msg in errs:
                print(f"  {name} {sig}\n    {msg}")
        else:
            print(f"{pname}: {len(gen.signatures)} kernel(s) ok")
    return bad


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)

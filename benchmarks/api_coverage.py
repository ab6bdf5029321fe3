"""How many of JAX's public callables jitnet has, module by module (issue 18, item 4).

    PYTHONPATH=. python benchmarks/api_coverage.py [--missing]

Needs JAX installed (it is the list of names); prints, per module pair, the count of
JAX's public functions (callables that are not classes: dtypes and dimension-number types
are left out) that jitnet's module also has, and with ``--missing`` their names.
``jax.lax``'s elementwise functions and reductions are the lax names that are neither
control flow, collectives, sharding nor linear-algebra/conv/FFT operations.
"""
from __future__ import annotations

import argparse
import importlib
import inspect

PAIRS = [("jax.numpy", "jitnet.numpy"), ("jax.scipy.special", "jitnet.scipy.special"),
         ("jax.nn", "jitnet.nn"), ("jax.lax", "jitnet.lax"),
         ("jax.tree_util", "jitnet.tree_util"), ("jax.tree", "jitnet.tree"),
         ("jax.random", "jitnet.random")]

# lax names outside "elementwise and reductions": structure, control flow, parallelism
_LAX_OTHER = ("cond", "switch", "while_loop", "fori_loop", "scan", "map", "associative_scan",
              "p", "psum", "pmax", "pmin", "pmean", "ppermute", "all_gather", "all_to_all",
              "axis_index", "pshuffle", "pswapaxes", "psum_scatter", "pbroadcast", "conv",
              "fft", "linalg", "dot", "ragged", "sharding", "with_sharding", "custom",
              "optimization_barrier", "infeed", "outfeed", "rng", "create_token", "after_all",
              "reduce_precision", "platform_dependent", "composite", "stop_gradient",
              "axis_size", "pvary", "pcast", "psend", "precv", "split", "empty",
              "top_k", "approx", "sort", "gather", "scatter", "dynamic", "slice", "pad",
              "reshape", "broadcast", "concatenate", "transpose", "squeeze", "expand_dims",
              "rev", "select", "iota", "full", "zeros", "collapse", "tie_in", "index",
              "batch_matmul", "GatherDimensionNumbers", "ScatterDimensionNumbers")


def public_callables(modname: str) -> set:
    mod = importlib.import_module(modname)
    names = getattr(mod, "__all__", None) or dir(mod)
    return {n for n in names if not n.startswith("_") and callable(getattr(mod, n, None))
            and not inspect.ismodule(getattr(mod, n)) and not inspect.isclass(getattr(mod, n))}


def coverage(jax_mod: str, ours: str, keep=None):
    theirs = public_callables(jax_mod)
    if keep is not None:
        theirs = {n for n in theirs if keep(n)}
    mine = importlib.import_module(ours)
    have = {n for n in theirs if hasattr(mine, n)}
    return have, theirs - have


def _lax_elementwise(name: str) -> bool:
    return not any(name == o or name.startswith(o + "_") or name.startswith(o)
                   for o in _LAX_OTHER) and name[0].islower()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--missing", action="store_true", help="list the missing names")
    args = ap.parse_args()
    rows = [(j, o, None) for j, o in PAIRS]
    rows.append(("jax.lax", "jitnet.lax", _lax_elementwise))
    print(f"{'JAX module':<34} {'jitnet has':>10} {'of':>5} {'%':>6}")
    for j, o, keep in rows:
        label = j + (" (elementwise, reductions)" if keep else "")
        have, missing = coverage(j, o, keep)
        total = len(have) + len(missing)
        print(f"{label:<34} {len(have):>10} {total:>5} {100 * len(have) / max(total, 1):>5.0f}%")
        if args.missing and missing:
            print("    missing:", ", ".join(sorted(missing)))


if __name__ == "__main__":
    main()

"""Record jax.random / jax.nn.initializers reference values for jitnet's tests.

Run with JAX 0.10.2 (default configuration: threefry2x32, jax_threefry_partitionable=True):

    /tmp/jaxenv/bin/python tests/data/record_random_reference.py

It rewrites tests/data/random_reference.json next to this script. Each case names a
function, a key recipe, encoded arguments, the x64 flag it ran under and the output
(dtype, shape, flat values). The tests replay the cases with jitnet; they never import jax.
"""
from __future__ import annotations

import json
import os

import numpy as np

# -- encoding shared with the tests ------------------------------------------------


def arr(values, dtype):
    a = np.asarray(values, dtype)
    return {"__array__": a.ravel().tolist(), "dtype": str(a.dtype), "shape": list(a.shape)}


def npscalar(value, dtype):
    return {"__np__": dtype, "value": value}


def decode(v):
    if isinstance(v, dict) and "__array__" in v:
        return np.asarray(v["__array__"], v["dtype"]).reshape(v["shape"])
    if isinstance(v, dict) and "__np__" in v:
        return np.dtype(v["__np__"]).type(v["value"])
    if isinstance(v, list):
        return tuple(decode(x) for x in v)
    if isinstance(v, dict):
        return {k: decode(x) for k, x in v.items()}
    return v


def make_key(random, spec):
    seed = decode(spec["seed"])
    k = random.key(seed) if spec.get("typed") else random.PRNGKey(seed)
    for d in spec.get("fold", []):
        k = random.fold_in(k, d)
    if "split" in spec:
        n, i = spec["split"]
        k = random.split(k, n)[i]
    return k


def run_case(random, initializers, case):
    fn = case["fn"]
    args, kwargs = decode(case.get("args", [])), decode(case.get("kwargs", {}))
    if fn == "PRNGKey":
        return random.PRNGKey(*args)
    if fn == "key_data(key)":
        return random.key_data(random.key(*args))
    key = make_key(random, case["key"])
    if fn.startswith("init:"):
        factory = getattr(initializers, fn[5:])
        init = factory(**decode(case.get("factory", {}))) if "factory" in case else factory
        return init(key, *args, **kwargs)
    out = getattr(random, fn)(key, *args, **kwargs)
    if case["key"].get("typed") and fn in ("split", "fold_in"):
        out = random.key_data(out)
    return out


def encode_out(x):
    a = np.asarray(x)
    # shortest decimal that rounds back to the same value in the array's own precision
    short = (lambda z: float(str(z))) if a.dtype.itemsize < 8 or a.dtype.kind == "c" else float
    if a.dtype.kind == "c":
        vals = [[short(z.real), short(z.imag)] for z in a.ravel()]
    elif a.dtype.kind == "f":
        vals = [short(z) for z in a.ravel()]
    elif a.dtype.kind == "b":
        vals = [bool(z) for z in a.ravel()]
    else:
        vals = [int(z) for z in a.ravel()]
    return {"dtype": str(a.dtype), "shape": list(a.shape), "values": vals}


# -- the cases --------------------------------------------------------------------------

SEEDS = [0, 42, 1701, -7, 2 ** 35 + 11]


def K(seed=0, typed=False, fold=(), split=None):
    spec = {"seed": seed, "typed": typed}
    if fold:
        spec["fold"] = list(fold)
    if split:
        spec["split"] = list(split)
    return spec


KEYS = [K(0), K(42), K(1701, typed=True), K(-7, fold=(3,)), K(2 ** 35 + 11, split=(4, 2))]


def cases_x32_and_x64(x64: bool):
    c = []

    def add(fn, key=None, args=(), kwargs=None, **extra):
        case = {"fn": fn, "args": list(args), "kwargs": kwargs or {}, "x64": x64}
        if key is not None:
            case["key"] = key
        case.update(extra)
        c.append(case)

    # key construction and key operations
    for s in [0, 1, 42, -1, -7, 2 ** 31, 2 ** 32 + 7, 2 ** 40 + 5, 2 ** 63 - 1, -2 ** 63, True,
              npscalar(5, "uint32"), npscalar(-3, "int8"), npscalar(-3, "int32"),
              npscalar(2 ** 40 + 5, "int64"), npscalar(2 ** 64 - 3, "uint64")]:
        add("PRNGKey", args=[s])
    add("key_data(key)", args=[1234])
    for key in KEYS:
        for num in (2, 5, [2, 3], [0], 1):
            add("split", key, kwargs={"num": num})
        for d in (0, 1, 7, 2 ** 31, 2 ** 32 - 1, npscalar(-1, "int32")):
            add("fold_in", key, args=[d])
    udefault = "uint64" if x64 else "uint32"
    for key in KEYS:
        for shape in ([], [7], [3, 5], [2, 0, 3]):
            add("bits", key, kwargs={"shape": shape})
        for dt in ("uint8", "uint16", "uint32", udefault):
            add("bits", key, kwargs={"shape": [11], "dtype": dt})

    fdefault = "float64" if x64 else "float32"
    fdts = ["float32", "float16"] + (["float64"] if x64 else [])
    for key in KEYS:
        for shape in ([], [5], [3, 4], [2, 3, 4]):
            add("uniform", key, kwargs={"shape": shape})
        for dt in fdts:
            add("uniform", key, kwargs={"shape": [64], "dtype": dt, "minval": -2.5,
                                        "maxval": 3.0})
        add("uniform", key, kwargs={"shape": [2, 3], "minval": arr([0., 1., -4.], fdefault),
                                    "maxval": arr([[1.], [10.]], fdefault)})
        for dt in fdts + ["complex64"] + (["complex128"] if x64 else []):
            add("normal", key, kwargs={"shape": [200], "dtype": dt})
        add("normal", key, kwargs={"shape": [3, 4]})
        for lo, hi in ((-2., 2.), (0., 1.), (-1., 3.5), (-10., -3.)):
            add("truncated_normal", key, args=[lo, hi], kwargs={"shape": [100]})
        add("truncated_normal", key, args=[arr([-1., 0., -3.], fdefault), 2.])
        add("truncated_normal", key, args=[-2., 2.], kwargs={"shape": [2, 5],
                                                             "dtype": "float16"})
        for lo, hi, dt in ((0, 10, None), (-5, 5, "int32"), (0, 2 ** 31 - 1, "int32"),
                           (-2 ** 31, 2 ** 31 - 1, "int32"), (7, 3, "int32"),
                           (0, 256, "uint8"), (-128, 128, "int8"), (-1000, 1000, "int16"),
                           (3, 2 ** 31 - 1, "uint32"), (0, 300, "uint16")):
            kw = {"shape": [50]}
            if dt:
                kw["dtype"] = dt
            add("randint", key, args=[], kwargs=dict(kw, minval=lo, maxval=hi))
        add("randint", key, kwargs={"shape": [2, 3], "minval": arr([0, 10, 100], "int32"),
                                    "maxval": arr([[5], [1000]], "int32")})
        if x64:
            add("randint", key, kwargs={"shape": [20], "minval": -2 ** 40, "maxval": 2 ** 50,
                                        "dtype": "int64"})
            # full uint32 range: the span wraps to 0 and XLA's x % 0 == x rule decides
            add("randint", key, kwargs={"shape": [20], "minval": 0, "maxval": 2 ** 32,
                                        "dtype": "uint32"})
            add("randint", key, kwargs={"shape": [20], "minval": -5, "maxval": 2 ** 40,
                                        "dtype": "uint32"})
        for p in (0.5, 0.1, 0.97):
            add("bernoulli", key, args=[p], kwargs={"shape": [64]})
        add("bernoulli", key, args=[arr([0.1, 0.5, 0.9], fdefault)])
        add("bernoulli", key, args=[arr([0.1, 0.5, 0.9], "float32")], kwargs={"shape": [4, 3]})
        add("bernoulli", key, args=[0.3], kwargs={"shape": [64], "mode": "high"})
        add("bernoulli", key)
        logits = arr(np.log([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1], [0.25] * 4]), "float32")
        add("categorical", key, args=[logits])
        add("categorical", key, args=[logits], kwargs={"axis": 0})
        add("categorical", key, args=[logits], kwargs={"shape": [50, 3]})
        add("categorical", key, args=[arr([0., 1., 2., 3., -1.], fdefault)],
            kwargs={"shape": [40]})
        add("categorical", key, args=[logits], kwargs={"shape": [2, 3], "replace": False})
        add("categorical", key, args=[logits], kwargs={"shape": [4, 3], "replace": False})
        add("categorical", key, args=[logits], kwargs={"axis": 0, "shape": [3, 4],
                                                      "replace": False})
        add("choice", key, args=[10], kwargs={"shape": [20]})
        add("choice", key, args=[10, [3, 2]], kwargs={"replace": False})
        a2 = arr(np.arange(24.).reshape(4, 6), "float32")
        add("choice", key, args=[a2, [3]])
        add("choice", key, args=[a2, [2, 2]], kwargs={"axis": 1, "replace": False})
        p = arr([0.1, 0.2, 0.3, 0.0, 0.4], "float32")
        add("choice", key, args=[5, [30]], kwargs={"p": p})
        add("choice", key, args=[5, [3]], kwargs={"p": p, "replace": False})
        add("choice", key, args=[arr([10, 20, 30, 40, 50], "int32"), [2, 2]],
            kwargs={"p": p, "replace": False})
        add("choice", key, args=[7])
        add("permutation", key, args=[10])
        add("permutation", key, args=[2000])
        x = arr(np.arange(12).reshape(3, 4), "int32")
        add("permutation", key, args=[x])
        add("permutation", key, args=[x], kwargs={"axis": 1})
        add("permutation", key, args=[x], kwargs={"axis": 1, "independent": True})
        add("permutation", key, args=[arr(np.arange(2000.), "float32")])
        for fn in ("gumbel", "exponential", "laplace", "logistic"):
            add(fn, key, kwargs={"shape": [100]})
            add(fn, key, kwargs={"shape": [3, 4], "dtype": "float16"})
        add("gumbel", key, kwargs={"shape": [100], "mode": "high"})
        add("rademacher", key, kwargs={"shape": [40]})
        add("rademacher", key, kwargs={"shape": [2, 5], "dtype": "float32"})
        add("orthogonal", key, args=[4])
        add("orthogonal", key, args=[3], kwargs={"m": 5})
        add("orthogonal", key, args=[6], kwargs={"m": 2, "shape": [2]})

    # nn.initializers
    for key in KEYS[:3]:
        add("init:zeros", key, args=[[2, 3]])
        add("init:ones", key, args=[[2, 3], "float16"])
        add("init:constant", key, factory={"value": -0.5}, args=[[3]])
        add("init:uniform", key, factory={}, args=[[4, 5]])
        add("init:uniform", key, factory={"scale": 3.0}, args=[[4, 5], "float16"])
        add("init:normal", key, factory={"stddev": 0.5}, args=[[4, 5]])
        add("init:truncated_normal", key, factory={"stddev": 2.0, "lower": -1.0, "upper": 3.0},
            args=[[4, 5]])
        for name in ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
                     "lecun_normal", "lecun_uniform", "xavier_uniform", "kaiming_normal"):
            add(f"init:{name}", key, factory={}, args=[[16, 8]])
            add(f"init:{name}", key, factory={}, args=[[3, 3, 4, 6]])
        for mode in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
            for dist in ("truncated_normal", "normal", "uniform"):
                add("init:variance_scaling", key,
                    factory={"scale": 1.7, "mode": mode, "distribution": dist,
                             "in_axis": 1, "out_axis": [0, 3], "batch_axis": 2},
                    args=[[3, 5, 2, 4]])
        add("init:orthogonal", key, factory={}, args=[[4, 4]])
        add("init:orthogonal", key, factory={"scale": 2.0}, args=[[3, 6]])
        add("init:orthogonal", key, factory={}, args=[[6, 3]])
        add("init:orthogonal", key, factory={"column_axis": 0}, args=[[3, 2, 4]])
        add("init:orthogonal", key, factory={}, args=[[16, 16], fdefault])
    return c


def main():
    import jax
    from jax import random
    from jax.nn import initializers
    assert jax.__version__ == "0.10.2", jax.__version__
    out = {"jax_version": jax.__version__,
           "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
           "jax_default_prng_impl": str(jax.config.jax_default_prng_impl),
           "cases": []}
    for x64 in (False, True):
        jax.config.update("jax_enable_x64", x64)
        for case in cases_x32_and_x64(x64):
            res = run_case(random, initializers, case)
            case["out"] = encode_out(res)
            out["cases"].append(case)
    jax.config.update("jax_enable_x64", False)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "random_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {path}")


if __name__ == "__main__":
    main()

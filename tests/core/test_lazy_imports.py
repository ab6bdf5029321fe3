"""`import jitnet` leaves ml_dtypes and scipy unimported (they cost most of its time), and
every way of reaching bfloat16 loads ml_dtypes on demand. Fresh interpreters: the test
process itself has imported them long ago."""
import json
import math
import subprocess
import sys
import textwrap

import pytest

_HEAVY = ("ml_dtypes", "scipy", "scipy.special", "scipy.linalg", "numba", "llvmlite")


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_module_and_bfloat16_loads_ml_dtypes_when_reached():
    got = _run(f"""
        import json, sys
        import numpy as np
        import jitnet, jitnet.numpy as jnp, jitnet.lax, jitnet.nn, jitnet.random
        from jitnet.core import dtypes
        r = {{"heavy": [m for m in {_HEAVY!r} if m in sys.modules],
             "f16_is_low": dtypes.is_low_precision(np.float16),
             "f16_sum": float(jnp.sum(jnp.ones(3, np.float16))),
             "still_unloaded": "ml_dtypes" in sys.modules}}
        x = jnp.arange(4.0).astype("bfloat16")             # a dtype name
        import ml_dtypes
        r["astype"] = [str(x.dtype), np.asarray(x).astype(np.float32).tolist()]
        r["scalar"] = str(jnp.bfloat16(1.5).dtype)
        r["eps"] = float(jnp.finfo("bfloat16").eps)
        r["promote"] = str(jnp.promote_types(jnp.bfloat16, np.float16))
        r["kind"] = dtypes.kind_of("bfloat16")
        r["sub"] = bool(jnp.issubdtype(jnp.bfloat16, jnp.floating))
        r["add"] = np.asarray(jnp.zeros(2, jnp.bfloat16) + 1.25).astype(np.float32).tolist()
        print(json.dumps(r))
    """)
    assert got == {"heavy": [], "f16_is_low": True, "f16_sum": 3.0, "still_unloaded": False,
                   "astype": ["bfloat16", [0.0, 1.0, 2.0, 3.0]], "scalar": "bfloat16",
                   "eps": 2.0 ** -7, "promote": "float32", "kind": "f", "sub": True,
                   "add": [1.25, 1.25]}


def test_bfloat16_array_of_a_user_imported_ml_dtypes():
    """The user imports ml_dtypes first and hands jitnet its array: jitnet registers bfloat16
    on meeting the dtype (it never touched its own bfloat16 before)."""
    got = _run("""
        import json
        import ml_dtypes, numpy as np
        import jitnet.numpy as jnp
        a = np.array([1.0, 2.5], ml_dtypes.bfloat16)
        y = jnp.asarray(a) * 2
        print(json.dumps([str(y.dtype), np.asarray(y).astype(np.float32).tolist(),
                          str(jnp.result_type(a, np.float32))]))
    """)
    assert got == ["bfloat16", [2.0, 5.0], "float32"]


def test_import_leaves_the_libraries_above_the_core_unloaded_and_reaches_them_on_use():
    """``import jitnet`` loads the core (tracing, transforms, jitnet.numpy, jitnet.lax); the
    libraries users reach as attributes load on first use, under every spelling."""
    got = _run("""
        import json, sys
        import jitnet
        lazy = [f"jitnet.{n}" for n in jitnet._LAZY] + ["jitnet.lax.special"]
        r = {"loaded": [m for m in lazy if m in sys.modules],
             "core": all(m in sys.modules for m in ("jitnet.numpy", "jitnet.lax"))}
        r["dir"] = sorted(n for n in ("nn", "random", "scipy", "P", "io_callback")
                          if n in dir(jitnet))
        r["relu"] = float(jitnet.nn.relu(-2.0) + jitnet.nn.relu(3.0))
        r["after_nn"] = sorted(m for m in lazy if m in sys.modules)
        r["lse"] = float(jitnet.nn.logsumexp(jitnet.numpy.zeros(2)))  # jitnet.scipy's
        r["after_lse"] = "jitnet.scipy" in sys.modules
        from jitnet import random
        import jitnet.scipy.special
        r["erf0"] = float(jitnet.scipy.special.erf(0.0))
        r["key"] = random.key_data(random.PRNGKey(7)).shape[0]
        r["P"] = jitnet.P is jitnet.sharding.PartitionSpec
        r["remat"] = float(jitnet.checkpoint(lambda x: x * 2)(1.5))
        r["grad"] = float(jitnet.grad(lambda x: jitnet.nn.sigmoid(x))(0.0))
        r["igamma"] = float(jitnet.lax.igamma(2.0, 1.0))   # 1 - 2/e
        r["lax_dir"] = "igamma" in dir(jitnet.lax)
        try:
            jitnet.no_such_name
        except AttributeError as e:
            r["missing"] = str(e)
        print(json.dumps(r))
    """)
    assert got == {"loaded": [], "core": True, "dir": ["P", "io_callback", "nn", "random", "scipy"],
                   "relu": 3.0, "after_nn": ["jitnet.nn", "jitnet.random"],
                   "lse": pytest.approx(math.log(2), rel=1e-6), "after_lse": True,
                   "erf0": 0.0, "key": 2, "P": True, "remat": 3.0, "grad": 0.25,
                   "igamma": pytest.approx(1 - 2 / math.e, rel=1e-6), "lax_dir": True,
                   "missing": "module 'jitnet' has no attribute 'no_such_name'"}


def test_the_lazy_modules_define_no_primitive_generator_or_pytree_node_of_the_core():
    """Why loading them on first use is sound: importing every lazy module adds no primitive
    and no code generator (a traced, lowered, interpreted, exported or cached program only
    meets those of the core), and registers pytree nodes only for its own classes."""
    got = _run("""
        import importlib, json
        import jitnet
        from jitnet.codegen import registry as generators
        from jitnet.core import pytree
        from jitnet.core.primitive import registry
        def tables():
            return {k: set(v) for k, v in vars(generators).items() if isinstance(v, dict)}
        prims, nodes, gens = set(registry), set(pytree._registry), tables()
        lazy = [f"jitnet.{n}" for n in jitnet._LAZY] + ["jitnet.lax.special"]
        for name in lazy:
            importlib.import_module(name)
        new_nodes = set(pytree._registry) - nodes
        print(json.dumps({
            "prims": sorted(set(registry) - prims),
            "generators": sorted(k for k, v in tables().items() if v - gens.get(k, set())),
            "nodes_of_the_core": sorted(t.__qualname__ for t in new_nodes
                                        if not t.__module__.startswith(tuple(lazy))),
            "key_array": any(t.__qualname__ == "KeyArray" for t in new_nodes)}))
    """)
    assert got == {"prims": [], "generators": [], "nodes_of_the_core": [], "key_array": True}

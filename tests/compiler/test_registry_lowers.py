"""Every primitive of the registry lowers on both backends: it is removed before code
generation, or it is a kind the loop generators handle (remap, reduction), or an
elementwise primitive with a scalar template, or it has an op generator. A primitive added
without its lowering fails here, by name, instead of at a user's first jit. The numeric
correctness of each lowering is the conformance tests' job (tests/prims, tests/cuda)."""
import jitnet  # noqa: F401  (registers the primitives)
from jitnet.codegen import scalar
from jitnet.codegen.cpu import ops
from jitnet.codegen.cuda import gen as cuda, ops as cuda_ops
from jitnet.core.primitive import registry
from jitnet.fuse.cluster import REDUCTIONS, REMAPS
from jitnet.transforms.inline import INLINABLE

# removed by the compiler's passes before any code is written (jitnet/compiler/pipeline.py)
REMOVED = set(INLINABLE) | {"stop_gradient"}

# primitives without a lowering on one backend, each with the reason
_LIN = ("custom_lin: the linearized custom_vjp call exists only between jvp and transpose "
        "(reverse mode replaces it by the user's bwd rule); forward mode through a custom_vjp "
        "is an error, as in JAX")
_LINALG = ("linear algebra runs on the CPU backend only (LAPACK); the cuda backend's error "
           "says so (codegen/cuda/ops.LINALG)")
EXEMPT = {
    "cpu": {"custom_lin": _LIN},
    "cuda": {"custom_lin": _LIN, **{n: _LINALG for n in cuda_ops.LINALG}},
}


def _lowers(prim, scalars: dict, generators: dict) -> bool:
    if prim.name in REMOVED or prim.name in REMAPS or prim.name in REDUCTIONS:
        return True
    if prim.lowering.get("elementwise") and not prim.multiple_results:
        return prim.name in scalars
    return prim.name in generators


def _missing(scalars, generators, backend):
    return sorted(name for name, p in registry.items()
                  if not _lowers(p, scalars, generators) and name not in EXEMPT[backend])


def test_every_primitive_lowers_on_cpu():
    assert not _missing(scalar.SCALAR, ops.GENERATORS, "cpu")


def test_every_primitive_lowers_on_cuda():
    assert not _missing(cuda.CUDA_SCALAR, cuda_ops.GENERATORS, "cuda")


def test_exemptions_are_still_needed():
    for backend, scalars, generators in (("cpu", scalar.SCALAR, ops.GENERATORS),
                                         ("cuda", cuda.CUDA_SCALAR, cuda_ops.GENERATORS)):
        for name in EXEMPT[backend]:
            assert name in registry and not _lowers(registry[name], scalars, generators), name

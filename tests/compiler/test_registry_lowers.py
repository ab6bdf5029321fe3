"""Every primitive of the registry declares its kind and lowers on both backends: it is
removed before code generation, or it is a kind the loop generators handle from its
declaration alone (remap, reduction), or an elementwise primitive with a scalar template
(or a declared ``math`` call), or it has an op generator. A primitive added without its
lowering fails here, by name, instead of at a user's first jit. The numeric correctness of
each lowering is the conformance tests' job (tests/prims, tests/cuda); the declarations'
own contents are checked against the primitives' NumPy implementations below."""
import numpy as np
import pytest

import jitnet  # noqa: F401  (registers the primitives)
from jitnet.codegen.cpu import ops, scalar
from jitnet.codegen.cuda import ops as cuda_ops, scalar as cuda
from jitnet.core.aval import ShapedArray
from jitnet.core.primitive import Elementwise, Op, Reduce, Remap, registry
from jitnet.testing.records import RECORDS
from jitnet.trace.make_ir import make_ir
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


BACKENDS = {"cpu": (scalar.lookup, ops.GENERATORS), "cuda": (cuda.lookup, cuda_ops.GENERATORS)}


def _lowers(prim, backend: str) -> bool:
    template, generators = BACKENDS[backend]
    if prim.name in REMOVED or isinstance(prim.kind, (Remap, Reduce)):
        return True
    if isinstance(prim.kind, Elementwise):
        return template(prim) is not None
    return prim.name in generators


def _missing(backend):
    return sorted(name for name, p in registry.items()
                  if not _lowers(p, backend) and name not in EXEMPT[backend])


def test_every_primitive_declares_a_kind():
    kinds = (Elementwise, Remap, Reduce, Op)
    undeclared = sorted(n for n, p in registry.items() if not isinstance(p.kind, kinds))
    assert not undeclared


def test_every_primitive_lowers_on_cpu():
    assert not _missing("cpu")


def test_every_primitive_lowers_on_cuda():
    assert not _missing("cuda")


def test_exemptions_are_still_needed():
    for backend in BACKENDS:
        for name in EXEMPT[backend]:
            assert name in registry and not _lowers(registry[name], backend), name


def test_elementwise_primitives_are_single_result():
    assert not [n for n, p in registry.items()
                if isinstance(p.kind, Elementwise) and p.multiple_results]


def test_reductions_combine_with_an_elementwise_primitive():
    for name, p in registry.items():
        if isinstance(p.kind, Reduce):
            assert isinstance(p.kind.combine.kind, Elementwise), name


# -- the declarations against NumPy --------------------------------------------------------

# the index maps' other branches: a reshape moving only size-1 dims, an unstrided slice
_MORE = {"reshape_size1": (lambda x: jitnet.lax.reshape(x, (1, 3, 4)), np.zeros((3, 1, 4))),
         "slice_offset": (lambda x: jitnet.lax.slice(x, (1, 1), (3, 4)), np.zeros((4, 5)))}


def _remap_eqns():
    """The remap equations of the records' calls (float32), each with the params it got."""
    calls = [(r.id, r.fun, r.draw(np.random.RandomState(0))) for r in RECORDS
             if isinstance(getattr(registry.get(r.prim), "kind", None), Remap)]
    calls += [(name, f, (x,)) for name, (f, x) in _MORE.items()]
    for name, f, args in calls:
        ir = make_ir(f, *args)[0]
        yield from (pytest.param(e, id=name) for e in ir.eqns if isinstance(e.prim.kind, Remap))


@pytest.mark.parametrize("e", list(_remap_eqns()))
def test_remap_index_map_reads_what_numpy_computes(e):
    """Each output element of a remap is the operand element its index map names: the map's
    source text is evaluated at every output index and compared with the NumPy impl."""
    x = np.arange(np.prod(e.inputs[0].aval.shape)).reshape(e.inputs[0].aval.shape) \
        if e.inputs else None
    out = np.asarray(e.prim.impl(*([x] if e.inputs else []), **e.params))
    names = tuple(f"i{d}" for d in range(out.ndim))
    src = e.prim.kind.index(e, names)
    for at in np.ndindex(out.shape):
        where = tuple(int(eval(s, {}, dict(zip(names, at)))) for s in src)
        assert out[at] == (x[where] if e.inputs else where[0]), (e, at, where)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8, np.bool_])
def test_reduce_identity_and_combine_match_numpy(dtype):
    """``identity`` is the reduction of nothing (the NumPy impl on an empty axis), and
    combining two elements with ``combine`` is the reduction of the pair."""
    rng = np.random.RandomState(0)
    for name, p in registry.items():
        if not isinstance(p.kind, Reduce):
            continue
        try:
            p.shape_rule(ShapedArray((2,), np.dtype(dtype)), axes=(0,))
        except (TypeError, ValueError):
            continue  # a dtype this reduction does not take
        empty = p.impl(np.zeros((0,), dtype), axes=(0,))
        assert empty == p.kind.identity(np.dtype(dtype)), (name, dtype)
        pair = (rng.randint(-5, 5, 2) if dtype != np.bool_ else rng.rand(2) > 0.5).astype(dtype)
        combined = p.kind.combine.impl(pair[:1], pair[1:])[0]
        assert combined == p.impl(pair, axes=(0,)), (name, dtype)

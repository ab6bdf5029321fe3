"""The per-element template tables: ``codegen/scalar.SCALAR`` holds what both backends
compile, ``cpu/scalar.CPU_SCALAR`` and ``cuda/scalar.CUDA_SCALAR`` what only one does, so
a backend never runs another's template (the generated text itself is checked by the
conformance tests of both backends and by ``benchmarks/dump_source.py`` before/after)."""
import jitnet  # noqa: F401  (registers the primitives)
from jitnet.codegen import scalar
from jitnet.codegen.cpu import scalar as cpu
from jitnet.codegen.cuda import scalar as cuda
from jitnet.core.primitive import Elementwise, registry

ELEMENTWISE = [p for p in registry.values() if isinstance(p.kind, Elementwise)]


def test_backend_tables_do_not_override_the_shared_one():
    """An entry of a backend table beside a shared one would hide it on that backend only:
    then the shared template is not shared, and belongs in the other backend's table."""
    assert not set(cpu.CPU_SCALAR) & set(scalar.SCALAR)
    assert not set(cuda.CUDA_SCALAR) & set(scalar.SCALAR)


def test_no_backend_reads_the_other_backends_table(monkeypatch):
    """With every name in one backend's table poisoned, the other finds none of them."""
    def poison(e, a, d):
        raise AssertionError("read the other backend's table")
    for own, other, table in ((cpu, cuda, "CPU_SCALAR"), (cuda, cpu, "CUDA_SCALAR")):
        with monkeypatch.context() as m:
            m.setattr(own, table, {p.name: poison for p in ELEMENTWISE})
            assert own.lookup(ELEMENTWISE[0]) is poison
            assert not [p.name for p in ELEMENTWISE if other.lookup(p) is poison]


def test_shared_templates_and_declared_calls_are_written_per_backend():
    """The same shared template on both; a declared math call as each backend spells it."""
    by_name = {p.name: p for p in ELEMENTWISE}
    assert cpu.lookup(by_name["add"]) is cuda.lookup(by_name["add"]) is scalar.SCALAR["add"]
    sin = by_name["sin"]
    assert sin.kind.math == "sin"
    assert cpu.lookup(sin)(None, ["x"], "float32") == "np.float32(math.sin(x))"
    assert cuda.lookup(sin)(None, ["x"], "float32") == "np.float32(jn_sin(x))"
    exp = by_name["exp"]
    assert cpu.lookup(exp)(None, ["x"], "float64") == "jn_exp_f64(x)"
    assert cuda.lookup(exp) is cuda.CUDA_SCALAR["exp"]

"""The compiler stage: the named pass list, recursion into sub-IRs, fused bodies, the
verifier after every pass, constant folding."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.compiler import PASSES, fold_constants, lower, prepare
from jitnet.compiler import pipeline
from jitnet.core.ir import IR, Eqn, Literal, Var, sub_irs
from jitnet.core.verify import IRError
from jitnet.fuse.kernels import FusedProgram, OpKernel
from jitnet.runtime.compile import compile_ir


def _ir(f, *args):
    return jax.make_jaxpr(f)(*args).ir


def _all_eqns(ir):
    for e in ir.eqns:
        yield e
        for s in sub_irs(e):
            yield from _all_eqns(s)


def test_pass_list_is_named_and_ordered():
    assert [p.name for p in PASSES] == ["inline_calls", "strip_stop_gradient",
                                        "fold_constants", "hoist_scan_invariants",
                                        "hoist_scan_accumulators", "transpose_scan_consts",
                                        "contract_summed_batch",
                                        "absorb_transposes", "join_pads", "cleanup"]
    assert all(p.why for p in PASSES)


def test_prepare_reaches_sub_irs():
    """A jit call and a stop_gradient inside a scan body are gone before code generation."""
    inner = jax.jit(lambda c, x: c * 2.0 + x)

    def f(xs):
        def body(c, x):
            c = lax.stop_gradient(inner(c, x))
            return c, c
        return lax.scan(body, jnp.float32(0.0), xs)

    xs = np.arange(4, dtype=np.float32)
    ir = prepare(_ir(f, xs))
    names = {e.prim.name for e in _all_eqns(ir)}
    assert "scan" in names and not names & {"jit_call", "stop_gradient"}
    # a NumPy loop as the reference
    c, ys = 0.0, []
    for x in xs:
        c = c * 2.0 + x
        ys.append(c)
    out = compile_ir(_ir(f, xs))(xs)
    np.testing.assert_allclose(out[0], c)
    np.testing.assert_allclose(out[1], ys)


def test_lower_fuses_bodies():
    def f(p, x):
        return lax.cond(p > 0, lambda x: jnp.sin(x) * 2.0 + 1.0, lambda x: x / 3.0, x)

    program = lower(prepare(_ir(f, np.float32(1.0), np.ones(8, np.float32))))
    conds = [k for k in program.kernels if isinstance(k, OpKernel) and
             k.eqn.prim.name == "cond"]
    assert len(conds) == 1
    branches = conds[0].eqn.params["branches"]
    assert all(isinstance(b, FusedProgram) for b in branches)
    # sin, mul, add: one loop in the true branch
    assert [len(b.kernels) for b in branches] == [1, 1]


def _broken(ir):
    """A pass that reads a variable nothing defines."""
    ghost = Var(ir.outvars[0].aval)
    e = ir.eqns[0]
    return IR(ir.invars, [e.replace(inputs=(ghost,) + e.inputs[1:])] + list(ir.eqns[1:]),
              ir.outvars, ir.num_consts)


def test_verifier_names_the_pass(monkeypatch):
    monkeypatch.setattr(pipeline, "PASSES", PASSES + (pipeline.Pass("broken", _broken, "test"),))
    ir = _ir(lambda x: jnp.sin(x) + 1.0, np.ones(3, np.float32))
    with pytest.raises(IRError, match="after pass 'broken'.*not defined"):
        prepare(ir)
    jax.config.update("verify_ir", False)
    try:
        prepare(ir)  # unchecked: the broken IR goes through
    finally:
        jax.config.update("verify_ir", True)


# -- constant folding ----------------------------------------------------------------------

def _literal_eqns(ir):
    """Scalar equations over literals (a broadcast of a literal to an array is not one)."""
    return [e for e in _all_eqns(ir) if e.inputs and e.outputs[0].aval.shape == ()
            and all(isinstance(a, Literal) for a in e.inputs)]


def _without_fold(monkeypatch):
    monkeypatch.setattr(pipeline, "PASSES",
                        tuple(p for p in PASSES if p.name != "fold_constants"))


def test_fold_gradient_of_mean(monkeypatch):
    """grad(mean(sin x)) holds ``-1/n``-style scalar arithmetic on literals: folded, it is no
    kernel; the results equal the unfolded program's and the closed form cos(x)/n."""
    def f(x):
        return jnp.mean(jnp.sin(x) ** 2)
    x = np.linspace(-2, 2, 128, dtype=np.float32)
    ir = _ir(jax.grad(f), x)
    folded = prepare(ir)
    assert not _literal_eqns(folded)
    with monkeypatch.context() as m:
        _without_fold(m)
        unfolded = prepare(ir)
        assert _literal_eqns(unfolded)
        out_unfolded = compile_ir(ir)(x)[0]
        n_unfolded = len(lower(unfolded, epilogues=True).kernels)
    from jitnet.runtime.compile import clear_cache
    clear_cache()
    out = compile_ir(ir)(x)[0]
    assert len(lower(folded, epilogues=True).kernels) < n_unfolded
    np.testing.assert_array_equal(out, out_unfolded)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(out, 2 * np.sin(x64) * np.cos(x64) / 128, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, args, ref", [
    ("div", (1.0, 128.0), 1.0 / 128.0),
    ("exp", (0.5,), np.exp(np.float32(0.5))),
    ("max", (3, 7), 7),
    ("lt", (2.0, 1.0), False),
])
def test_fold_each_scalar_equation(name, args, ref):
    prim = getattr(lax, name)
    ir = _ir(lambda: prim(*[np.float32(a) if isinstance(a, float) else np.int32(a)
                            for a in args]))
    folded = fold_constants(ir)
    assert not folded.eqns
    (out,) = folded.outvars
    assert isinstance(out, Literal) and out.aval.dtype == ir.outvars[0].aval.dtype
    assert np.asarray(out.value) == pytest.approx(ref, rel=1e-6)


def test_fold_keeps_array_results_and_errors():
    """Only scalar results become literals; an equation that cannot run now stays."""
    ir = _ir(lambda: lax.broadcast_in_dim(np.float32(2.0), (3,), ()) * 2.0)
    assert fold_constants(ir) is ir

    class Failing:
        name = "failing"
        multiple_results = False
        lowering = {}

        @staticmethod
        def impl(x):
            raise ZeroDivisionError

    from jitnet.core import primitive
    from jitnet.core.aval import ShapedArray
    prim = Failing()
    primitive.registry["failing"] = prim
    try:
        v = Var(ShapedArray((), np.float32))
        e = Eqn(prim, [Literal(1.0, ShapedArray((), np.float32))], [v], {})
        ir = IR([], [e], [v])
        assert fold_constants(ir) is ir
    finally:
        del primitive.registry["failing"]

"""reduce_window (max, min, add): impl, lax wrapper, jvp, transpose, batching, errors.

References: a nested-loop reduction written from the definition, values pinned
from JAX 0.10.2, central finite differences, the dot-product test and a loop for vmap.
"""
import numpy as np
import pytest

import jitnet
from jitnet import lax
from jitnet.core.adtypes import UndefinedPrimal, Zero
from jitnet.core.aval import ShapedArray
from jitnet.core.ir import Literal
from jitnet.prims import window as pw
from jitnet.prims import reduce as red
from jitnet.trace.make_ir import literal_value, make_ir
from jitnet.trace.tracer import bind

rw_p = pw.reduce_window_p
OPS = {"max": lax.max, "min": lax.min, "add": lax.add}


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def rand(generator, shape, dtype=np.float64):
    return generator.standard_normal(shape).astype(dtype)


def naive_reduce_window(x, computation, window, strides, padding, base_dilation,
                        window_dilation):
    """Reduce x at o*s + k*r - lo of the padded, base-dilated operand (holes are skipped)."""
    f = {"max": max, "min": min, "add": lambda a, b: a + b}[computation]
    init = {"max": -np.inf, "min": np.inf, "add": 0.0}[computation]
    out_sp = []
    for d, w, s, (lo, hi), b, r in zip(x.shape, window, strides, padding, base_dilation,
                                       window_dilation):
        size, eff = ((d - 1) * b + 1 if d else 0) + lo + hi, (w - 1) * r + 1
        out_sp.append((size - eff) // s + 1 if size >= eff else 0)
    out = np.empty(out_sp)
    for o in np.ndindex(*out_sp):
        acc = init
        for k in np.ndindex(*window):
            q = [oo * s + kk * r - lo for oo, s, kk, r, (lo, _)
                 in zip(o, strides, k, window_dilation, padding)]
            if all(qq % b == 0 and 0 <= qq // b < d for qq, b, d in zip(q, base_dilation,
                                                                         x.shape)):
                acc = f(acc, float(x[tuple(qq // b for qq, b in zip(q, base_dilation))]))
        out[o] = acc
    return out


def params(computation, window, strides=None, padding=None, base_dilation=None,
           window_dilation=None):
    return dict(computation=computation, **pw.normalize_window(
        len(window), window, strides, padding, base_dilation, window_dilation))


# name: (operand shape, window, strides, explicit padding, base_dilation, window_dilation)
CASES = {
    "maxpool-2x2-s2": ((2, 3, 6, 4), (1, 1, 2, 2), (1, 1, 2, 2), None, None, None),
    "overlap-3x3-s1-same": ((5, 6), (3, 3), (1, 1), ((1, 1), (1, 1)), None, None),
    "1d-asym-negative": ((9,), (3,), (2,), ((2, -1),), None, None),
    "base-dilation": ((4, 5), (3, 2), (2, 1), ((1, 1), (0, 1)), (2, 3), None),
    "window-dilation": ((7, 6), (2, 3), (1, 2), ((0, 2), (1, 0)), None, (3, 2)),
    "all-options-3d": ((3, 4, 5), (2, 2, 3), (2, 1, 2), ((1, 0), (0, 1), (2, 1)), (1, 2, 1),
                       (2, 1, 1)),
    "window-too-big": ((2, 3), (3, 3), None, None, None, None),
}


def case_params(name, computation):
    return params(computation, *CASES[name][1:])


# -- impl -------------------------------------------------------------------------

@pytest.mark.parametrize("computation", ["max", "min", "add"])
@pytest.mark.parametrize("name", list(CASES))
def test_impl_matches_naive_loops(name, computation, dtype, generator):
    x = rand(generator, CASES[name][0], dtype)
    p = case_params(name, computation)
    out = bind(rw_p, x, **p)
    win = [p[k] for k in pw.WINDOW_PARAMS]
    ref = naive_reduce_window(x, computation, *win)
    assert out.dtype == dtype and out.shape == ref.shape
    np.testing.assert_allclose(np.asarray(out), ref, **tol(dtype))


@pytest.mark.parametrize("computation", ["max", "add"])
def test_integer_operands(computation, generator):
    x = generator.integers(-50, 50, (6, 5)).astype(np.int32)
    out = lax.reduce_window(x, 0 if computation == "add" else np.iinfo(np.int32).min,
                            OPS[computation], (2, 3), (2, 1), "SAME")
    pads = lax.padtype_to_pads(x.shape, (2, 3), (2, 1), "SAME")
    ref = naive_reduce_window(x, computation, (2, 3), (2, 1), pads, (1, 1), (1, 1))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ref)


def test_lax_pools_pinned_from_jax():
    x = np.arange(16.0, dtype=np.float32).reshape(4, 4) % 7
    out = lax.reduce_window(x, -np.inf, lax.max, (3, 3), (1, 1), "SAME")
    np.testing.assert_array_equal(out, [[5, 6, 6, 6], [5, 6, 6, 6], [6, 6, 6, 6], [6, 6, 6, 4]])
    a5 = np.arange(5.0, dtype=np.float32)
    np.testing.assert_array_equal(lax.reduce_window(a5, -np.inf, lax.max, (2,), (1,),
                                                    "SAME_LOWER"), [0, 1, 2, 3, 4])
    a7 = np.arange(7.0, dtype=np.float32)
    np.testing.assert_array_equal(lax.reduce_window(a7, 0.0, lax.add, (3,), (1,), "SAME",
                                                    window_dilation=(2,)),
                                  [2, 4, 6, 9, 12, 8, 10])


def test_string_padding_uses_the_undilated_operand_like_jax():
    out = lax.reduce_window(np.arange(4.0, dtype=np.float32), 0.0, lax.add, (3,), (2,), "SAME",
                            base_dilation=(2,))
    np.testing.assert_array_equal(out, [1, 3, 5])


def test_maxpool_2x2_stride_2_nchw(dtype, generator):
    x = rand(generator, (2, 3, 4, 6), dtype)
    out = lax.reduce_window(x, -np.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    ref = x.reshape(2, 3, 2, 2, 3, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(np.asarray(out), ref)


def test_sum_pool_defaults_to_unit_strides_and_valid():
    x = np.arange(6.0, dtype=np.float32)
    np.testing.assert_array_equal(lax.reduce_window(x, 0.0, lax.add, (2,)), [1, 3, 5, 7, 9])


def test_non_identity_init_value_is_combined_once_like_jax():
    ones = np.ones(4, np.float32)
    np.testing.assert_array_equal(lax.reduce_window(ones, 1.0, lax.add, (3,), (1,), "SAME"),
                                  [3, 4, 4, 3])
    np.testing.assert_array_equal(
        lax.reduce_window(ones, 1.0, lax.add, (3,), (1,), "SAME", base_dilation=(2,)),
        [2, 3, 2, 3, 2, 3, 2])
    a5 = np.arange(5.0, dtype=np.float32)
    np.testing.assert_array_equal(lax.reduce_window(a5, 2.5, lax.max, (2,), (1,), "SAME"),
                                  [2.5, 2.5, 3, 4, 4])
    init = jitnet.numpy.asarray(1.5, np.float32)
    np.testing.assert_array_equal(lax.reduce_window(a5, init, lax.min, (2,), (1,), "VALID"),
                                  [0, 1, 1.5, 1.5])


def test_traced_init_value_is_combined():
    a5 = np.arange(5.0, dtype=np.float32)
    f = jitnet.make_jaxpr(lambda x, i: lax.reduce_window(x, i, lax.max, (2,), (1,), "VALID"))
    jaxpr = f(a5, np.float32(2.5))
    assert [e.prim.name for e in jaxpr.eqns][:1] == ["reduce_window"]
    np.testing.assert_array_equal(jaxpr(a5, np.float32(2.5))[0], [2.5, 2.5, 3, 4])


# -- jvp ----------------------------------------------------------------------------

@pytest.mark.parametrize("computation", ["max", "min", "add"])
@pytest.mark.parametrize("name", [n for n in CASES if n != "window-too-big"])
def test_jvp_matches_central_differences(name, computation, x64, generator):
    # continuous values: no ties
    x, t = rand(generator, CASES[name][0]), rand(generator, CASES[name][0])
    p = case_params(name, computation)
    out, tout = rw_p.jvp((x,), (t,), **p)
    f = lambda a: np.asarray(bind(rw_p, a, **p))  # noqa: E731
    eps = 1e-6  # piecewise linear: exact away from ties
    with np.errstate(invalid="ignore"):  # inf - inf in windows of padding only
        fd = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
    finite = np.isfinite(f(x))  # windows of padding only: -inf/inf, tangent 0
    np.testing.assert_allclose(np.asarray(out), f(x))
    np.testing.assert_allclose(np.asarray(tout)[finite], fd[finite], rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(tout)[~finite], 0)


def test_jvp_splits_ties_evenly(x64):
    x, t = np.array([1.0, 3.0, 3.0, 2.0]), np.array([10.0, 20.0, 40.0, 80.0])
    _, tout = rw_p.jvp((x,), (t,), **params("max", (2,)))
    np.testing.assert_array_equal(tout, [20.0, 30.0, 40.0])


def test_jvp_over_the_whole_array_matches_reduce_max(x64, generator):
    x, t = np.round(rand(generator, (3, 4))), rand(generator, (3, 4))  # rounded: many ties
    _, tout = rw_p.jvp((x,), (t,), **params("max", (3, 4)))
    _, tref = red.reduce_max_p.jvp((x,), (t,), axes=(0, 1))
    np.testing.assert_allclose(np.asarray(tout).reshape(()), np.asarray(tref), rtol=1e-14)


def test_jvp_of_zero_tangent_is_symbolic(generator):
    x = rand(generator, (4,), np.float32)
    _, t = rw_p.jvp((x,), (Zero(ShapedArray(x.shape, x.dtype)),), **params("max", (2,)))
    assert type(t) is Zero and t.aval.shape == (3,)


# -- transpose ----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_add_transpose_dot_product(name, dtype, generator):
    x = rand(generator, CASES[name][0], dtype)
    p = case_params(name, "add")
    out = np.asarray(bind(rw_p, x, **p))
    ct = rand(generator, out.shape, dtype)
    (g,) = rw_p.transpose(ct, UndefinedPrimal(ShapedArray(x.shape, x.dtype)), **p)
    assert g.shape == x.shape and g.dtype == dtype
    lhs = np.vdot(ct.astype(np.float64), out.astype(np.float64))
    rhs = np.vdot(np.asarray(g, np.float64), x.astype(np.float64))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-12)


def test_max_has_no_transpose():
    x = ShapedArray((4,), np.float32)
    with pytest.raises(NotImplementedError, match="not linear"):
        rw_p.transpose(np.zeros(3, np.float32), UndefinedPrimal(x), **params("max", (2,)))


# -- batching -----------------------------------------------------------------------

@pytest.mark.parametrize("d", [0, 1, 3])
@pytest.mark.parametrize("computation", ["max", "min", "add"])
def test_batch_rule_matches_loop(computation, d, dtype, generator):
    shape = CASES["all-options-3d"][0]
    x = rand(generator, shape[:d] + (3,) + shape[d:], dtype)
    p = case_params("all-options-3d", computation)
    out, od = rw_p.batch([x], [d], **p)
    ref = np.stack([np.asarray(bind(rw_p, np.take(x, i, d), **p)) for i in range(3)])
    np.testing.assert_allclose(np.moveaxis(np.asarray(out), od, 0), ref, **tol(dtype))


def vmap_by_rules(f, args, dims):
    """Batching by walking f's IR with each primitive's batch rule (stands in for vmap)."""
    ir, consts, _ = make_ir(f, *[a if d is None else np.take(a, 0, d)
                                 for a, d in zip(args, dims)])
    env = {}

    def read(a):
        return (literal_value(a), None) if isinstance(a, Literal) else env[id(a)]

    for v, x, d in zip(ir.invars, list(consts) + list(args), [None] * len(consts) + list(dims)):
        env[id(v)] = (x, d)
    for e in ir.eqns:
        vals, ds = zip(*[read(a) for a in e.inputs])
        if all(d is None for d in ds):
            env[id(e.outputs[0])] = (bind(e.prim, *vals, **e.params), None)
        else:
            env[id(e.outputs[0])] = e.prim.batch(list(vals), list(ds), **e.params)
    return [np.moveaxis(np.asarray(x), d, 0) for x, d in map(read, ir.outvars)]


@pytest.mark.parametrize("computation", ["max", "add"])
def test_vmap_of_the_jvp_rule(computation, x64, generator):
    """The tangent rule (patches, eq, counts; or reduce_window) batched by the batch rules."""
    p = case_params("base-dilation", computation)
    shape = (3,) + CASES["base-dilation"][0]
    x, t = np.round(rand(generator, shape)), rand(generator, shape)  # rounded: ties
    [out] = vmap_by_rules(lambda a, b: rw_p.jvp((a,), (b,), **p)[1], [x, t], [0, 0])
    ref = np.stack([np.asarray(rw_p.jvp((x[i],), (t[i],), **p)[1]) for i in range(3)])
    np.testing.assert_allclose(out, ref, rtol=1e-14)


# -- errors -------------------------------------------------------------------------

def test_error_window_rank_mismatch():
    with pytest.raises(ValueError, match=r"reduce_window: .*operand of shape \(4, 5\)") as info:
        pw.reduce_window(np.zeros((4, 5), np.float32), "max", (2,))
    assert "test_reduce_window.py" in str(info.value)


def test_error_bad_stride():
    with pytest.raises(ValueError, match="strides and dilations >= 1"):
        pw.reduce_window(np.zeros((4,), np.float32), "add", (2,), (0,))


def test_error_unknown_computation():
    with pytest.raises(ValueError, match="computation must be one of"):
        pw.reduce_window(np.zeros((4,), np.float32), "mul", (2,))
    with pytest.raises(NotImplementedError, match="lax.max, lax.min and lax.add"):
        lax.reduce_window(np.zeros((4,), np.float32), 1.0, lax.mul, (2,), (1,), "VALID")


def test_error_add_of_bools():
    with pytest.raises(TypeError, match="does not accept dtype bool"):
        pw.reduce_window(np.zeros((4,), np.bool_), "add", (2,))


def test_error_non_scalar_init_value():
    with pytest.raises(ValueError, match="init_value must be a scalar"):
        lax.reduce_window(np.zeros((4,), np.float32), jitnet.numpy.ones(2), lax.max, (2,))


def test_error_pytree_operand():
    with pytest.raises(NotImplementedError, match="pytree"):
        lax.reduce_window((np.zeros(4), np.zeros(4)), (0.0, 0.0), lax.add, (2,))

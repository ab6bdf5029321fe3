"""Parity for the primitive rules beyond what the layers use, exported from plain functions
with a dynamic batch; and the errors: unmapped primitive, batch-size arithmetic, bad calls."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.export import ExportError, to_onnx

onnx = pytest.importorskip("onnx", reason="onnx is not installed (the 'export' extra)")

W = np.random.RandomState(7).randn(4, 3).astype(np.float32)


def _scan_fn(x):
    def step(c, xt):
        c = jnp.tanh(c * 0.5 + xt @ W)            # W: a constant read inside the loop
        return c, c * 2.0
    c, ys = lax.scan(step, jnp.zeros((x.shape[0], 3)), jnp.transpose(x, (2, 0, 1)),
                     reverse=True)
    return c, ys


def _scan_no_xs(x):
    return lax.scan(lambda c, _: (c * 1.5 + 1.0, c), x, None, length=3)


@jitnet.custom_vjp
def _clip_grad(x):
    return jnp.sin(x)


_clip_grad.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (g,))


CASES = {
    "compare_logic": (lambda x, y: jnp.where(((x > 0) & ~(x < 0.5)) | (x == y) | (x >= y * 2)
                                             ^ (x <= -1.0) | (x != x), x, y), ["f", "f"]),
    "unary_math": (lambda x: [jnp.exp2(x), jnp.log1p(jnp.abs(x)), jnp.expm1(x),
                              jitnet.scipy.special.erfc(x), jnp.sign(x) * jnp.floor(x),
                              jnp.ceil(x), lax.rsqrt(jnp.abs(x) + 1), jnp.arcsinh(x),
                              jnp.arctan(x), jnp.cosh(x), jnp.sin(x) + jnp.cos(x)],
                   ["f"]),
    "powers_rounding": (lambda x: [x ** 3, (jnp.abs(x) + 1) ** -2, x ** 2,
                                   jnp.power(jnp.abs(x) + 1, x), lax.rem(x * 7, 2.5),
                                   jnp.round(x * 3), lax.round(x * 3 + 0.5, 0),
                                   lax.clamp(-0.5, x, 0.7), jnp.maximum(x, 0.1),
                                   jnp.isfinite(jnp.log(x))], ["f"]),
    "reductions": (lambda x: [jnp.sum(x, 1), jnp.max(x, (1, 2)), jnp.min(x, 2),
                              jnp.prod(x, 1), jnp.all(x > -1, 1), jnp.any(x > 1, 2),
                              jnp.argmax(x, 1), jnp.argmin(x, 2), jnp.mean(x),
                              jnp.cumsum(x, 1), lax.cumsum(x, 2, reverse=True)], ["f3"]),
    "shapes": (lambda x: [lax.pad(x, 0.5, ((1, 2, 0), (0, -1, 1), (2, 0, 2))),
                          jnp.flip(x, (1, 2)), x[:, ::2, 1:], jnp.concatenate([x, 2 * x], 1),
                          jnp.transpose(x, (0, 2, 1)), x.reshape(x.shape[0], -1),
                          x + jnp.arange(5.0), x.astype(jnp.int32).astype(jnp.float32),
                          jnp.expand_dims(x, 1)[:, 0], jnp.broadcast_to(x[:, :1], x.shape),
                          jnp.broadcast_to(x[:, :1], x.shape) + jnp.broadcast_to(x[:1], x.shape),
                          x.reshape(-1) * 2, x + lax.broadcasted_iota(jnp.float32, x.shape, 0),
                          x[-2:], x[1:]],
               ["f3"]),
    "indexing": (lambda x, i: [jnp.take(x, i, axis=1, mode="clip"),
                               jnp.take(x, i, axis=2, mode="fill", fill_value=-7.0),
                               x[:, 2], x[:, jnp.array([0, 2, 2])],
                               lax.dynamic_slice(x, (0, i[0, 0], 1), (x.shape[0], 2, 2)),
                               lax.select_n(jnp.clip(i, 0, 2), x[:, 0, :3],
                                            x[:, 1, :3], x[:, 2, :3])],
                 ["f3", "i"]),
    "einsum_batched": (lambda x, y: [jnp.einsum("bij,bkj->bik", x, y), jnp.einsum("bij->b", x),
                                     jnp.swapaxes(x, 1, 2) @ W], ["f3", "f3"]),
    "scan_reverse_consts": (_scan_fn, ["f3"]),
    "scan_without_xs": (_scan_no_xs, ["f"]),
    "calls": (lambda x: [jitnet.jit(lambda y: jnp.tanh(y) * 2)(x),
                         jitnet.checkpoint(lambda y: jnp.sin(y) ** 2)(x), _clip_grad(x),
                         jitnet.nn.relu(x), jitnet.nn.softmax(x)], ["f"]),
    "windows": (lambda x: [lax.reduce_window(x, jnp.inf, lax.min, (1, 2, 2), (1, 1, 2),
                                             ((0, 0), (1, 0), (0, 1))),
                           lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2), (1, 1, 1),
                                             "VALID", window_dilation=(1, 2, 1)),
                           lax.reduce_window(x, 0.0, lax.add, (1, 3, 1), (1, 2, 1), "SAME",
                                             base_dilation=(1, 2, 1))], ["f3"]),
    "conv_layouts": (lambda x: lax.conv_general_dilated(
        x[:, None], jnp.asarray(W[:3, :2].reshape(1, 1, 3, 2)), (1, 1), ((-1, 2), (1, 1)),
        lhs_dilation=(2, 1), rhs_dilation=(1, 2)), ["f3"]),
}


def sample(spec, batch, rs):
    if spec == "i":
        return rs.randint(-1, 5, (batch, 3)).astype(np.int32)
    shape = (batch, 4, 5) if spec == "f3" else (batch, 5)
    return rs.randn(*shape).astype(np.float32)


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_parity(name, ort_run):
    fn, specs = CASES[name]
    rs = np.random.RandomState(1)
    proto = to_onnx(fn, *[sample(s, 3, rs) for s in specs])
    for batch in (3, 4):
        xs = [sample(s, batch, rs) for s in specs]
        want = jitnet.tree_util.tree_leaves(fn(*xs))
        got = ort_run(proto, *xs)
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            w = np.asarray(w)
            assert g.dtype == w.dtype and g.shape == w.shape, (k, g.dtype, w.dtype, g.shape)
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5, err_msg=f"output {k}")


def test_unmapped_primitive_names_it_and_the_line():
    def f(x):
        return jnp.sort(x, axis=1)       # the line the error must name

    with pytest.raises(ExportError, match=r"primitive 'sort' has no ONNX mapping \(at .*"
                                          r"test_onnx_prims.py:\d+ \(f\)\)"):
        to_onnx(f, np.zeros((2, 3), np.float32))


def test_batch_size_as_a_number(ort_run):
    ones = np.ones((2, 3), np.float32)
    proto = to_onnx(lambda x: x / x.shape[0] + jnp.mean(x, 0), ones)       # B is computed
    np.testing.assert_allclose(ort_run(proto, np.ones((5, 3), np.float32))[0], 1.2)

    def f(x):
        return x * (1.0 / x.shape[0])       # not an integer function of B: can't follow

    with pytest.raises(ValueError, match="batch size as a number.*dynamic_batch=False"):
        to_onnx(f, ones)
    proto = to_onnx(f, ones, dynamic_batch=False)
    np.testing.assert_allclose(ort_run(proto, ones)[0], 0.5)


def test_what_a_dynamic_batch_cannot_follow():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="changes with the batch size"):
        to_onnx(lambda x: x * 2 if x.shape[0] > 6 else x, x)        # a Python branch on B
    with pytest.raises(ExportError, match="'reduce_window' over the batch axis"):
        to_onnx(lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (2, 1), (1, 1), "VALID"), x)
    with pytest.raises(ValueError, match="constant the function builds depends on the batch"):
        to_onnx(lambda x: x + jnp.arange(x.shape[0], dtype=jnp.float32)[:, None], x)


def test_newer_opset(ort_run):
    x = np.random.RandomState(3).randn(2, 4, 5).astype(np.float32)
    fn = CASES["reductions"][0]
    proto = to_onnx(fn, x, opset=21)
    assert proto.opset_import[0].version == 21
    for g, w in zip(ort_run(proto, x), fn(x)):
        np.testing.assert_allclose(g, np.asarray(w), rtol=2e-5, atol=2e-5)


def test_bad_calls():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="same leading"):
        to_onnx(lambda a, b: a + b[0], x, np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="opset must be 18"):
        to_onnx(jnp.sin, x, opset=13)
    with pytest.raises(TypeError, match="example inputs"):
        to_onnx(jnp.sin)
    with pytest.raises(TypeError, match="function or a jitnet.layers model"):
        to_onnx(3, x)
    with pytest.raises(ValueError, match="'x' is used twice"):
        to_onnx(jnp.sin, x, input_names=["x"], output_names=["x"])


def test_names_chosen_by_the_user(ort_run):
    x = np.random.RandomState(0).randn(2, 3).astype(np.float32)
    proto = to_onnx(lambda a, b: (a + b, a * b), x, x, input_names=["add", "mul"],
                    output_names=["sum", "add_1"])      # names the ops would take themselves
    assert [i.name for i in proto.graph.input] == ["add", "mul"]
    assert [o.name for o in proto.graph.output] == ["sum", "add_1"]
    s, p = ort_run(proto, x, 2 * x)
    np.testing.assert_allclose(s, 3 * x)
    np.testing.assert_allclose(p, 2 * x * x)

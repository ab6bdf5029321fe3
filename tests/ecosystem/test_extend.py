"""User-defined primitives (``jitnet.extend.core.Primitive``) with rules in JAX's tables and
Numba lowerings: eager, jit, jvp, grad (transpose), vmap, against NumPy and closed forms."""
import numba
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.core.aval import ShapedArray
from jitnet.extend.core import Primitive
from jitnet.interpreters import ad, batching, mlir

X = np.linspace(-2.0, 2.0, 7).astype(np.float32)
Y = np.arange(7, dtype=np.float32) - 3.0


# -- an elementwise primitive, softplus(x) * y, lowered by a scalar Numba function ----------

@numba.njit
def _softplus_mul(x, y):
    return np.log1p(np.exp(x)) * y


def _np_softplus_mul(x, y):
    return np.log1p(np.exp(np.float64(x))) * y


def _softplus_mul_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    terms = []
    if type(tx) is not ad.Zero:
        terms.append(jitnet.nn.sigmoid(x) * y * tx)
    if type(ty) is not ad.Zero:
        terms.append(jnp.log1p(jnp.exp(x)) * ty)
    return softplus_mul_p.bind(x, y), sum(terms[1:], terms[0])


softplus_mul_p = Primitive("softplus_mul")
softplus_mul_p.def_numba_elementwise(_softplus_mul)
ad.primitive_jvps[softplus_mul_p] = _softplus_mul_jvp


def test_elementwise_eager_jit_and_fusion():
    ref = _np_softplus_mul(X, Y)
    np.testing.assert_allclose(softplus_mul_p.bind(X, Y), ref, rtol=1e-6)   # eager
    f = jitnet.jit(lambda x, y: jnp.sum(softplus_mul_p.bind(x, y) * 2.0))
    np.testing.assert_allclose(f(X, Y), 2 * ref.sum(), rtol=1e-5)
    # the user function is fused with the multiply and the sum: one loop kernel
    assert f.lower(X, Y).compile().kernel_count() == 1


def test_elementwise_jvp_grad_and_vmap():
    sig = 1 / (1 + np.exp(-X.astype(np.float64)))
    _, t = jitnet.jvp(lambda x: softplus_mul_p.bind(x, Y), (X,), (np.ones_like(X),))
    np.testing.assert_allclose(t, sig * Y, rtol=1e-5, atol=1e-6)
    g = jitnet.jit(jitnet.grad(lambda x, y: jnp.sum(softplus_mul_p.bind(x, y)), (0, 1)))(X, Y)
    np.testing.assert_allclose(g[0], sig * Y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g[1], np.log1p(np.exp(X.astype(np.float64))), rtol=1e-5)
    xs = np.stack([X, -X])
    out = jitnet.vmap(lambda x: softplus_mul_p.bind(x, 2.0), in_axes=0)(xs)
    np.testing.assert_allclose(out, _np_softplus_mul(xs, 2.0), rtol=1e-6)


# -- a linear array primitive, cumsum, lowered by an array Numba function ---------------------

@numba.njit
def _cumsum(x):
    out = np.empty_like(x)
    acc = x.dtype.type(0)
    for i in range(x.shape[0]):
        acc += x[i]
        out[i] = acc
    return out


cumsum_p = Primitive("my_cumsum")
cumsum_p.def_abstract_eval(lambda x: ShapedArray(x.shape, x.dtype))
cumsum_p.def_numba_op(_cumsum)
ad.primitive_jvps[cumsum_p] = lambda p, t: (cumsum_p.bind(*p), cumsum_p.bind(ad.instantiate_zeros(t[0])))
ad.primitive_transposes[cumsum_p] = lambda ct, x: [jnp.flip(cumsum_p.bind(jnp.flip(ct)))]


def _cumsum_batch(args, dims):
    (x,), (d,) = args, dims
    return jnp.stack([cumsum_p.bind(r) for r in jnp.moveaxis(x, d, 0)]), 0


batching.primitive_batchers[cumsum_p] = _cumsum_batch


def test_array_op_eager_jit_grad_vmap():
    np.testing.assert_allclose(cumsum_p.bind(X), np.cumsum(X), rtol=1e-6)
    np.testing.assert_allclose(jitnet.jit(lambda x: cumsum_p.bind(x * 2.0))(X),
                               np.cumsum(2 * X), rtol=1e-6)
    w = np.arange(1, 8, dtype=np.float32)
    loss = lambda x: jnp.sum(w * cumsum_p.bind(x))   # noqa: E731
    expect = np.cumsum(w[::-1])[::-1]                # transpose of cumsum: reverse cumsum
    np.testing.assert_allclose(jitnet.grad(loss)(X), expect, rtol=1e-6)
    np.testing.assert_allclose(jitnet.jit(jitnet.grad(loss))(X), expect, rtol=1e-6)
    xs = np.stack([X, Y, X * Y])
    np.testing.assert_allclose(jitnet.vmap(cumsum_p.bind)(xs), np.cumsum(xs, 1), rtol=1e-6)
    np.testing.assert_allclose(jitnet.vmap(cumsum_p.bind, in_axes=1)(xs.T),
                               np.cumsum(xs, 1), rtol=1e-6)


def test_array_op_shape_mismatch_is_reported():
    bad = Primitive("bad_shape")
    bad.def_abstract_eval(lambda x: ShapedArray((x.shape[0] + 1,), x.dtype))
    bad.def_numba_op(_cumsum)
    with pytest.raises(RuntimeError, match="another shape than its abstract eval"):
        jitnet.jit(bad.bind)(X)


# -- a primitive defined JAX-style: def_impl + lower_fun, multiple results ------------------

def test_lower_fun_multiple_results_and_errors():
    p = Primitive("minmax")
    p.multiple_results = True
    p.def_abstract_eval(lambda x, *, axis: [ShapedArray(np.delete(x.shape, axis), x.dtype)] * 2)
    calls = []

    def impl(x, *, axis):
        calls.append(type(x))
        return [jnp.min(x, axis), jnp.max(x, axis)]
    mlir.register_lowering(p, mlir.lower_fun(impl, multiple_results=True))
    m = X.reshape(7, 1) * np.array([1.0, -1.0], np.float32)
    lo, hi = p.bind(m, axis=1)                      # eager: the lowering function runs
    np.testing.assert_array_equal(lo, -np.abs(X))
    lo, hi = jitnet.jit(lambda m: p.bind(m, axis=0))(m)
    np.testing.assert_array_equal(hi, [X.max(), -X.min()])
    body = lambda c, row: (c + p.bind(row[None], axis=1)[1], None)   # noqa: E731
    total = jitnet.jit(lambda m: jitnet.lax.scan(body, jnp.zeros(1), m)[0])(m.T)
    np.testing.assert_allclose(total, [X.max() - X.min()], rtol=1e-6)     # inside a loop body
    assert issubclass(calls[0], jitnet.Array)       # eager impls see jitnet arrays, as in JAX
    q = Primitive("mlir_only")
    q.def_impl(lambda x: x + 1)
    q.def_abstract_eval(lambda x: x)

    def mlir_rule(ctx, x):
        return [x]
    mlir.register_lowering(q, mlir_rule)            # accepted (libraries do this at import)
    np.testing.assert_allclose(q.bind(X), X + 1)    # eager still runs def_impl
    with pytest.raises(TypeError, match="MLIR rule .*mlir_rule.*lower_fun"):
        jitnet.jit(q.bind)(X)
    with pytest.raises(ValueError, match="jitnet's own primitives"):
        ad.primitive_jvps[jitnet.core.primitive.registry["exp"]] = lambda p, t: None


def test_eager_only_primitive_and_rule_tables():
    p = Primitive("twice")
    p.def_impl(lambda x: x * 2)
    p.def_abstract_eval(lambda x: x)
    np.testing.assert_allclose(p.bind(X), 2 * X)
    with pytest.raises(TypeError, match="has no lowering for the numba backend; give it"):
        jitnet.jit(p.bind)(X)
    with pytest.raises(NotImplementedError, match="no jvp rule"):
        jitnet.grad(lambda x: jnp.sum(p.bind(x)))(X)
    assert p not in ad.primitive_jvps and cumsum_p in ad.primitive_transposes
    assert Primitive("twice").name != "twice"       # distinct names in IRs and caches
    bare = Primitive("bare")
    with pytest.raises(NotImplementedError, match="'bare' needs an abstract eval"):
        jitnet.jit(bare.bind)(X)
    bare.def_abstract_eval(lambda x: x)
    with pytest.raises(NotImplementedError, match="define it with def_impl"):
        bare.bind(X)
    with pytest.raises(TypeError, match="@numba.njit function"):
        Primitive("plain").def_numba_elementwise(lambda x: x)


def test_defjvp_and_deflinear_helpers():
    """JAX's helpers: defjvp (one rule per argument) and deflinear (jvp and transpose of a
    linear primitive from its transpose), checked against closed forms."""
    mul_p = Primitive("mul2")
    mul_p.def_impl(lambda x, y: x * y)
    mul_p.def_abstract_eval(lambda x, y: x)
    ad.defjvp(mul_p, lambda tx, x, y: tx * y, lambda ty, x, y: x * ty)
    _, t = jitnet.jvp(lambda x: mul_p.bind(x, Y), (X,), (np.ones_like(X),))
    np.testing.assert_allclose(t, Y)                # d(x*y)/dx = y; y's rule is skipped
    scale_p = Primitive("scale3")
    scale_p.def_impl(lambda x: x * 3)
    scale_p.def_abstract_eval(lambda x: x)
    ad.deflinear(scale_p, lambda ct: [scale_p.bind(ct)])
    np.testing.assert_allclose(jitnet.grad(lambda x: jnp.sum(scale_p.bind(x) * Y))(X), 3 * Y)

"""The IR: printer (golden), structural hashing, the verifier."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.core.ir import IR, Eqn, Var
from jitnet.core.aval import ShapedArray
from jitnet.core.verify import IRError, verify
from jitnet.prims.elementwise import sin_p


def test_printer_golden():
    listing = str(jax.make_jaxpr(lambda x: jnp.sin(x) * 2.0 + x[1])(jnp.ones(4)))
    assert listing == """{ lambda ; a:f32[4]. let
    b:f32[4] = sin a
    c:f32[4] = mul b 2.0:f32[]
    d:f32[1] = slice[limit_indices=(2,) start_indices=(1,) strides=None] a
    e:f32[] = reshape[dimensions=None new_sizes=()] d
    f:f32[4] = add c e
  in (f,) }"""


def test_printer_consts_and_multiple_outputs():
    w = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    listing = str(jax.make_jaxpr(lambda x: (x @ w, jnp.sum(x)))(jnp.ones((4, 2))))
    assert listing.startswith("{ lambda a:f32[2,3]; b:f32[4,2]. let")
    assert "dot_general" in listing and listing.rstrip().endswith("in (c, d) }")


def test_structural_hash_ignores_variable_identity():
    f = lambda x: jnp.tanh(x) * x
    a = jax.make_jaxpr(f)(jnp.ones(3)).ir
    b = jax.make_jaxpr(f)(jnp.ones(3)).ir
    assert a is not b and a == b and hash(a) == hash(b)
    c = jax.make_jaxpr(f)(jnp.ones(4)).ir
    d = jax.make_jaxpr(lambda x: jnp.sin(x) * x)(jnp.ones(3)).ir
    assert a != c and a != d
    e = jax.make_jaxpr(lambda x: x * 2.0)(jnp.ones(3)).ir
    g = jax.make_jaxpr(lambda x: x * 3.0)(jnp.ones(3)).ir
    assert e != g  # literals are part of the structure


def test_verifier_accepts_traced_and_transformed_irs():
    f = lambda x: jnp.sum(jnp.sin(x) ** 2)
    for g in (f, jax.grad(f), jax.vmap(jax.grad(f))):
        verify(jax.make_jaxpr(g)(jnp.ones((2, 3)) if g is not f and g is not jax.grad(f)
                                 else jnp.ones(3)).ir)


def test_verifier_rejects_bad_irs():
    a = ShapedArray((3,), np.float32)
    x, y = Var(a), Var(a)
    with pytest.raises(IRError, match="not defined"):
        verify(IR([x], [Eqn(sin_p, [y], [Var(a)], {})], [x]))
    with pytest.raises(IRError, match="SSA"):
        verify(IR([x], [Eqn(sin_p, [x], [x], {})], [x]))
    with pytest.raises(IRError, match="shape rule"):
        verify(IR([x], [Eqn(sin_p, [x], [Var(ShapedArray((4,), np.float32))], {})], [x]))

"""jnp.einsum against np.einsum: subscript forms, dtypes, contraction order, errors."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.core.aval import ShapedArray

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),             # implicit output
    ("Ba,aC", [(2, 3), (3, 4)]),             # implicit output sorts upper case first
    ("ii->i", [(3, 3)]),                     # diagonal
    ("ii", [(3, 3)]),                        # trace
    ("iij->ji", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]),
    ("ijij->ij", [(2, 3, 2, 3)]),
    ("aab,bcc->ac", [(2, 2, 3), (3, 4, 4)]),  # diagonals in both operands
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,i", [(3,), (3,)]),
    ("i,j", [(3,), (4,)]),                   # outer product
    ("ij,j", [(2, 3), (1,)]),                # a size-1 label broadcasts
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...i,...i", [(2, 1, 3), (4, 3)]),
    ("i...->...", [(2, 3, 4)]),
    ("...,...", [(2, 3), (3,)]),
    ("bij,bjk,bkl->bil", [(2, 2, 3), (2, 3, 4), (2, 4, 5)]),
    ("ij,jk,kl,lm->mi", [(2, 3), (3, 4), (4, 5), (5, 2)]),
    ("ab,bc,ca->", [(3, 4), (4, 5), (5, 3)]),
    ("ab,cd,ef->", [(2, 3), (4, 5), (6, 7)]),
    ("ijk,ikl->", [(2, 3, 4), (2, 4, 5)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    (",i->i", [(), (3,)]),
    (",", [(), ()]),
    ("i,i,->", [(3,), (3,), ()]),
    ("a b , b c -> a c", [(2, 3), (3, 2)]),  # spaces are ignored
]


@pytest.fixture
def rng():
    return np.random.default_rng(2)


def operands(rng, shapes, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("optimize", ["auto", False, "optimal"])
@pytest.mark.parametrize("spec,shapes", CASES)
def test_matches_numpy(rng, spec, shapes, optimize):
    ops = operands(rng, shapes)
    out = jnp.einsum(spec, *ops, optimize=optimize)
    ref = np.einsum(spec, *ops)
    assert out.shape == ref.shape and out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-5, atol=1e-5)


def test_float64_with_x64(rng):
    old = jitnet.config.read("jax_enable_x64")
    jitnet.config.update("jax_enable_x64", True)
    try:
        ops = operands(rng, [(3, 4), (4, 5), (5,)], np.float64)
        out = jnp.einsum("ij,jk,k->i", *ops)
        assert out.dtype == np.float64
        np.testing.assert_allclose(np.asarray(out), np.einsum("ij,jk,k->i", *ops), rtol=1e-13)
    finally:
        jitnet.config.update("jax_enable_x64", old)


def test_sublist_form(rng):
    x, y = operands(rng, [(2, 3, 4), (4, 5)])
    np.testing.assert_allclose(np.asarray(jnp.einsum(x, [0, 1, 2], y, [2, 3], [3, 0])),
                               np.einsum(x, [0, 1, 2], y, [2, 3], [3, 0]), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jnp.einsum(x, [Ellipsis, 2], y, [2, 3])),
                               np.einsum(x, [Ellipsis, 2], y, [2, 3]), rtol=1e-5)


def test_explicit_path_is_accepted(rng):
    ops = operands(rng, [(2, 3), (3, 4), (4, 5)])
    out = jnp.einsum("ij,jk,kl->il", *ops, optimize=["einsum_path", (1, 2), (0, 1)])
    np.testing.assert_allclose(np.asarray(out), np.einsum("ij,jk,kl->il", *ops), rtol=1e-5)


def test_dtype_promotion_like_jnp():
    i32 = jnp.arange(3)
    assert jnp.einsum("i,i->", i32, i32).dtype == np.int32
    assert int(jnp.einsum("i,i->", i32, i32)) == 5
    assert jnp.einsum("i,i->i", i32, jnp.ones(3)).dtype == np.float32
    assert jnp.einsum("i,->i", i32, 2.0).dtype == np.float32
    assert jnp.einsum("i,->i", jnp.ones(3), 2).dtype == np.float32
    assert jnp.einsum("i,i->", jnp.ones(3, jnp.int8), jnp.ones(3, jnp.int8),
                      preferred_element_type=jnp.int32).dtype == np.int32


def test_bool_operands_give_bool():
    t, f = jnp.array([True, False]), jnp.array([True, True])
    out = jnp.einsum("i,i->", t, f)
    assert out.dtype == np.bool_ and bool(out)
    assert not bool(jnp.einsum("ii->", jnp.array([[False, True], [True, False]])))


def test_jnp_einsum_stays_callable_after_the_submodule_is_imported(rng):
    ops = operands(rng, [(2, 2)])
    for _ in range(2):
        np.testing.assert_allclose(np.asarray(jnp.einsum("ij->j", *ops)), ops[0].sum(0),
                                   rtol=1e-6)


def lowered(spec, *shapes):
    fn = jitnet.make_jaxpr(lambda *xs: jnp.einsum(spec, *xs))
    return fn(*[ShapedArray(s, np.float32) for s in shapes])


def test_contraction_order_follows_einsum_path():
    # (a @ b) @ c would build a 100x100 intermediate; a @ (b @ c) never does
    jaxpr = lowered("ij,jk,kl->il", (100, 2), (2, 100), (100, 3))
    dots = [e for e in jaxpr.eqns if e.prim.name == "dot_general"]
    assert len(dots) == 2
    assert all(max(v.aval.size for v in e.outputs) <= 300 for e in jaxpr.eqns)


def test_pure_contraction_is_only_dot_generals():
    jaxpr = lowered("bij,bjk->bik", (2, 3, 4), (2, 4, 5))
    assert [e.prim.name for e in jaxpr.eqns] == ["dot_general"]
    assert jaxpr.out_avals[0].shape == (2, 3, 5)


@pytest.mark.parametrize("spec,shapes,match", [
    ("ij,jk", [(2, 3)], "2 subscript terms .* for 1 operands"),
    ("ijk", [(2, 3)], r"operand 0 has shape \(2, 3\) \(2 dims\) but its subscripts 'ijk' name 3"),
    ("ij,jk", [(2, 3), (2, 3)], "label 'j' has size 2 in operand 1 but 3"),
    ("ij->q", [(2, 3)], "output subscript 'q' does not appear"),
    ("ij->ii", [(2, 2)], "output subscript 'i' appears more than once"),
    ("i1", [(2, 3)], "invalid subscript characters"),
    ("i..j", [(2, 3)], "malformed subscripts"),
])
def test_errors(spec, shapes, match):
    with pytest.raises(ValueError, match=match) as info:
        jnp.einsum(spec, *[np.ones(s, np.float32) for s in shapes])
    assert "test_einsum.py" in str(info.value)


def test_list_operand_is_rejected():
    with pytest.raises(TypeError, match="requires ndarray"):
        jnp.einsum("i,i", [1.0, 2.0], np.ones(2))

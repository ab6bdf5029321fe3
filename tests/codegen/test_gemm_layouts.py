"""dot_general on the CPU backend for operand layouts the gemm reads in place (batch dims
anywhere, one strided matrix per batch element), the copies it still makes, and transposes
folded into the product (compiler/dot_operands.py): against NumPy's float64 einsum."""
from __future__ import annotations

import numpy as np
import jitnet as jax
from jitnet import lax
from jitnet.compiler import prepare

# (lhs subscripts, rhs subscripts, batch letters in result order, sizes); result dims are
# (batch, lhs free, rhs free) as in lax.dot_general
CASES = [
    ("bthd", "bshd", "bh", dict(b=3, t=5, h=2, d=7, s=6)),      # attention scores, strided
    ("bhts", "bshd", "bh", dict(b=2, h=3, t=4, s=5, d=9)),      # P @ V: rhs rows transposed
    ("tbk", "kbn", "b", dict(t=11, b=3, k=13, n=1)),            # batch between the matrix dims
    ("mkl", "lkn", "", dict(m=4, k=3, l=5, n=2)),               # contract pairs reversed: copy
    ("kmb", "knb", "b", dict(k=6, m=5, b=3, n=4)),              # batch last: copies
    ("aibk", "akjb", "ab", dict(a=1, i=7, b=1, k=16, j=3)),     # size-1 batch dims
    ("btkh", "bhtn", "bh", dict(b=2, t=0, k=3, h=2, n=4)),      # an empty free dim
    ("bthd", "bshd", "bh", dict(b=8, t=64, h=4, d=64, s=64)),   # parallel, per (b, h) gemms
    ("tbk", "bnk", "b", dict(t=256, b=1, k=128, n=128)),        # parallel row blocks, strided
]


def _dn(ls, rs, batch):
    contract = [c for c in ls if c in rs and c not in batch]
    return (((tuple(ls.index(c) for c in contract), tuple(rs.index(c) for c in contract)),
             (tuple(ls.index(c) for c in batch), tuple(rs.index(c) for c in batch))))


def _operands(cases, dtype):
    rng = np.random.default_rng(16)
    out = []
    for ls, rs, batch, sz in cases:
        x = rng.standard_normal([sz[c] for c in ls]).astype(dtype)
        y = rng.standard_normal([sz[c] for c in rs]).astype(dtype)
        out.append((x, y))
    return out


def _reference(ls, rs, batch, x, y):
    free_l = "".join(c for c in ls if c not in rs)
    free_r = "".join(c for c in rs if c not in ls)
    return np.einsum(f"{ls},{rs}->{batch}{free_l}{free_r}", x.astype(np.float64),
                     y.astype(np.float64))


def _check(cases, dtype):
    """All of ``cases`` as one program (one compilation)."""
    ops = _operands(cases, dtype)

    def products(*xs):
        return [lax.dot_general(x, y, _dn(ls, rs, b))
                for (ls, rs, b, _), x, y in zip(cases, xs[0::2], xs[1::2])]
    got = jax.jit(products)(*[a for pair in ops for a in pair])
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for (ls, rs, b, _), (x, y), g in zip(cases, ops, got):
        assert g.dtype == dtype
        np.testing.assert_allclose(np.asarray(g), _reference(ls, rs, b, x, y), rtol=tol,
                                   atol=tol, err_msg=f"{ls},{rs} batch {b!r}")


def test_layouts_float32():
    _check(CASES, np.float32)


def test_layouts_float64(x64):
    _check([CASES[i] for i in (1, 2, 5)], np.float64)   # strided, transposed-strided, copies


def _attention(q, k, v):
    """softmax(q k^T) v with heads as JAX models write it: (B, T, H, D) transposed to
    (B, H, T, D) before the products, and back after."""
    q, k, v = (z.transpose(0, 2, 1, 3) for z in (q, k, v))
    s = q @ k.transpose(0, 1, 3, 2)
    p = jax.nn.softmax(s, axis=-1)
    return (p @ v).transpose(0, 2, 1, 3)


def _attention_np(q, k, v):
    s = np.einsum("bthd,bshd->bhts", q, k)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return np.einsum("bhts,bshd->bthd", p, v)


def test_transposes_fold_into_products():
    q = k = v = np.zeros((2, 5, 3, 4), np.float32)
    ir = prepare(jax.jit(_attention).lower(q, k, v).traced.ir)
    prims = [e.prim.name for e in ir.eqns]
    # q, k and v are read in their (B, T, H, D) layout; the result's transpose stays
    assert prims.count("transpose") == 1, prims
    dots = [e.params["dimension_numbers"] for e in ir.eqns if e.prim.name == "dot_general"]
    assert dots[0] == (((3,), (3,)), ((0, 2), (0, 2)))


def test_transpose_reordering_free_dims_is_kept():
    """The result orders the free dims as the operand does: a transpose that swaps two free
    dims cannot be folded."""
    x, y = np.zeros((3, 4, 5), np.float32), np.zeros((5, 2), np.float32)

    def f(x, y):
        return lax.dot_general(x.transpose(1, 0, 2), y, (((2,), (0,)), ((), ())))
    ir = prepare(jax.jit(f).lower(x, y).traced.ir)
    assert [e.prim.name for e in ir.eqns].count("transpose") == 1


def test_attention_grads_through_folded_transposes(x64):
    """The attention block's value, and its reverse mode (whose products read transposed
    operands too) against float64 central differences."""
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((1, 3, 2, 2)) for _ in range(3))
    w = rng.standard_normal((1, 3, 2, 2))

    def loss(q, k, v):
        return jax.numpy.sum(_attention(q, k, v) * w)
    value, grads = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))(q, k, v)

    def loss_np(q, k, v):
        return float(np.sum(_attention_np(q, k, v) * w))
    np.testing.assert_allclose(float(value), loss_np(q, k, v), rtol=1e-12)
    eps = 1e-6
    for i, g in enumerate(grads):
        args = [q, k, v]
        num = np.zeros_like(args[i])
        for j in np.ndindex(num.shape):
            up = [a.copy() for a in args]
            dn = [a.copy() for a in args]
            up[i][j] += eps
            dn[i][j] -= eps
            num[j] = (loss_np(*up) - loss_np(*dn)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(g), num, rtol=1e-6, atol=1e-8)

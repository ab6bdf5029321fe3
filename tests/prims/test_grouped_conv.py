"""Gradients of grouped and depthwise convolutions (``feature_group_count`` > 1), whose rules
in ``prims/conv.py`` are convolutions themselves: the input gradient a grouped convolution
with the per-group transposed kernel, the weight gradient a convolution whose window spans
the batch (small groups) or one grouped convolution of the regrouped input.

References, independent of those rules: the ungrouped convolution with the equivalent
block-diagonal dense kernel (its gradients are the ungrouped rules'), float64 central
finite differences (``check_grads``: first and second order) and a Python loop for vmap.
Both weight-gradient formulations are checked on every case, whichever the shape picks.
The finite-difference checks trace the programs onto the reference interpreter (each
compiled program is a compile of seconds): the first-order programs of their cases are
compiled in the block-diagonal test, the second-order ones in ``test_second_order``.
"""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.core.aval import ShapedArray
from jitnet.prims import conv as pc
from jitnet.testing import check_grads

# (lhs shape NC..., rhs shape OI..., strides, padding, lhs_dilation, rhs_dilation, groups)
CASES = {
    "depthwise-3x3": ((2, 5, 7, 6), (5, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), 5),
    "depthwise-mult3-stride-dil": ((3, 4, 9, 7), (12, 1, 3, 3), (2, 2), ((1, 2), (2, 1)),
                                   (1, 1), (2, 1), 4),
    "groups2-neg-pad": ((2, 6, 8, 9), (4, 3, 2, 3), (2, 1), ((0, 1), (-1, 2)), (1, 1), (1, 2),
                        2),
    "groups3-lhs-dil": ((1, 6, 5, 4), (9, 2, 3, 2), (1, 2), ((2, 1), (1, 1)), (2, 1), (1, 1), 3),
    "groups1": ((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), ((1, 1), (0, 0)), (1, 1), (1, 1), 1),
    "kernel-sized-groups": ((2, 16, 7, 5), (32, 8, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1),
                            (1, 1), 2),
    "ones": ((1, 3, 1, 1), (6, 1, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 3),
    "1d-depthwise-stride3": ((2, 7, 11), (14, 1, 3), (3,), ((1, 1),), (1,), (1,), 7),
    "3d-groups": ((1, 4, 4, 3, 5), (4, 2, 2, 2, 3), (1, 2, 1), ((1, 0), (0, 1), (1, 1)),
                  (1, 1, 2), (2, 1, 1), 2),
}
# array axis order of each canonical (N, C, spatial...) / (O, I, spatial...) operand
LAYOUTS = {"canonical": None, "NHWC-HWIO": ((0, 2, 3, 1), (2, 3, 1, 0), (0, 2, 3, 1)),
           "mixed": ((1, 3, 0, 2), (3, 0, 2, 1), (2, 1, 3, 0))}
FORMULATIONS = {"batch-window": pc._conv_rhs_grad_batch_window,
                "grouped-conv": pc._conv_rhs_grad_as_conv}


def force(monkeypatch, formulation):
    """Every grouped weight gradient (the gradients' own ones too) in ``formulation``."""
    rule, chosen = pc._rhs_grad_rule, FORMULATIONS[formulation]
    monkeypatch.setattr(pc, "_rhs_grad_rule", lambda ct, lhs, aval, p: chosen
                        if p["feature_group_count"] > 1 else rule(ct, lhs, aval, p))


def rand(rng, shape):
    return rng.standard_normal(shape)


def block_diagonal(w, groups, features):
    """The dense (O, C, ks...) kernel equal to the grouped ``w`` (O, C/G, ks...)."""
    o, i = w.shape[:2]
    dense = np.zeros((o, features) + w.shape[2:])
    for g in range(groups):
        rows = slice(g * (o // groups), (g + 1) * (o // groups))
        dense[rows, g * i:(g + 1) * i] = w[rows]
    return dense


def diagonal_blocks(dense, groups, i):
    """The inverse of ``block_diagonal``: each group's block of a dense (O, C, ...) array."""
    o = dense.shape[0]
    return np.concatenate([dense[g * (o // groups):(g + 1) * (o // groups), g * i:(g + 1) * i]
                           for g in range(groups)])


def conv_fn(case, layout):
    """f(x, w, r) = sum(sin(conv(x, w)) * r) on arrays in ``layout``, and the arrays' perms."""
    xs, ws, strides, padding, ld, rd, _ = case
    nd = len(xs)
    perms = (tuple(range(nd)),) * 3 if layout is None else layout
    dn = lax.ConvDimensionNumbers(*(tuple(int(a) for a in np.argsort(p)) for p in perms))

    def f(x, w, r, groups):
        y = lax.conv_general_dilated(x, w, strides, padding, lhs_dilation=ld, rhs_dilation=rd,
                                     dimension_numbers=dn, feature_group_count=groups)
        return jnp.sum(jnp.sin(y) * r)
    return f, perms


def out_shape(case):
    xs, ws, strides, padding, ld, rd, _ = case
    sp = []
    for x, k, s, (lo, hi), a, b in zip(xs[2:], ws[2:], strides, padding, ld, rd):
        sp.append(((x - 1) * a + 1 + lo + hi - (k - 1) * b - 1) // s + 1)
    return (xs[0], ws[0]) + tuple(sp)


def layouts_for(name):
    """Other layouts on two cases (compile time: one program per case)."""
    return (["canonical", "NHWC-HWIO", "mixed"]
            if name in ("depthwise-mult3-stride-dil", "groups2-neg-pad") else ["canonical"])


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("name,layout", [(n, lo) for n in CASES for lo in layouts_for(n)])
def test_grads_equal_the_block_diagonal_dense_convolution(name, layout, formulation,
                                                          monkeypatch, x64):
    force(monkeypatch, formulation)
    case = CASES[name]
    rng = np.random.default_rng(16)
    groups = case[-1]
    x, w, r = rand(rng, case[0]), rand(rng, case[1]), rand(rng, out_shape(case))
    f, (px, pw, po) = conv_fn(case, LAYOUTS[layout])
    gx, gw = jitnet.jit(jitnet.grad(f, argnums=(0, 1)), static_argnums=3)(
        x.transpose(px), w.transpose(pw), r.transpose(po), groups)
    dense = block_diagonal(w, groups, case[0][1])
    ref, _ = conv_fn(case, None)
    dx, dw = jitnet.grad(ref, argnums=(0, 1))(x, dense, r, 1)   # eager, ungrouped rules
    np.testing.assert_allclose(np.asarray(gx), np.asarray(dx).transpose(px), rtol=1e-10,
                               atol=1e-10)
    np.testing.assert_allclose(np.asarray(gw),
                               diagonal_blocks(np.asarray(dw), groups, w.shape[1]).transpose(pw),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("name", ["depthwise-mult3-stride-dil", "groups3-lhs-dil",
                                  "1d-depthwise-stride3"])
def test_grads_match_finite_differences(name, formulation, monkeypatch, x64):
    force(monkeypatch, formulation)
    case = CASES[name]
    rng = np.random.default_rng(3)
    r = rand(rng, out_shape(case))
    f, _ = conv_fn(case, None)
    check_grads(jitnet.jit(lambda x, w: f(x, w, r, case[-1]), backend="interpreter"),
                (rand(rng, case[0]), rand(rng, case[1])), order=1, modes=("rev",))


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_second_order(formulation, monkeypatch, x64):
    """grad of grad: the gradients' own convolutions (a rank-5 one for the batch window)
    differentiated again, against finite differences on the interpreter; compiled, the
    reverse-over-reverse Hessian-vector product (the same convolutions) against the
    interpreter's."""
    force(monkeypatch, formulation)
    case = ((2, 4, 5, 4), (8, 1, 2, 3), (1, 2), ((1, 0), (1, 1)), (1, 1), (1, 1), 4)
    rng = np.random.default_rng(5)
    r = rand(rng, out_shape(case))
    f, _ = conv_fn(case, None)
    x, w, vx, vw = (rand(rng, s) for s in (case[0], case[1], case[0], case[1]))
    check_grads(jitnet.jit(lambda x, w: f(x, w, r, 4), backend="interpreter"), (x, w),
                order=2, modes=("rev",))

    def hvp(x, w):
        gx, gw = jitnet.grad(f, argnums=(0, 1))(x, w, r, 4)
        return jnp.sum(gx * vx) + jnp.sum(gw * vw)
    got = jitnet.jit(jitnet.grad(hvp, argnums=(0, 1)))(x, w)
    want = jitnet.jit(jitnet.grad(hvp, argnums=(0, 1)), backend="interpreter")(x, w)
    for g, v in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(v), rtol=1e-10, atol=1e-10)


def test_vmapped_weight_gradient_equals_a_loop(x64):
    """vmap over the input of the depthwise weight gradient (the batch-window convolution's
    lhs batched: its batch is the group's in-features)."""
    case = CASES["depthwise-mult3-stride-dil"]
    rng = np.random.default_rng(7)
    xs, w, r = rand(rng, (3,) + case[0]), rand(rng, case[1]), rand(rng, out_shape(case))
    f, _ = conv_fn(case, None)
    g = jitnet.grad(lambda x, w: f(x, w, r, case[-1]), argnums=1)
    got = jitnet.jit(jitnet.vmap(g, in_axes=(0, None)))(xs, w)
    for k in range(3):
        np.testing.assert_allclose(np.asarray(got[k]), np.asarray(g(xs[k], w)), rtol=1e-10,
                                   atol=1e-10)


def test_weight_gradient_formulation_follows_the_group_size():
    """Groups of one out feature and at most GROUP_WINDOW_MAX_MACS multiply-adds per output
    position (I * kernel size) let the window span the batch; others regroup the input."""
    def rule(o, i, k, groups):
        c = ShapedArray((8, o, 14, 14), np.dtype(np.float32))
        x = ShapedArray((8, i * groups, 14, 14), np.dtype(np.float32))
        p = dict(window_strides=(1, 1), padding=((1, 1), (1, 1)), lhs_dilation=(1, 1),
                 rhs_dilation=(1, 1), dimension_numbers=((0, 1, 2, 3),) * 3,
                 feature_group_count=groups)
        return pc._rhs_grad_rule(c, x, ShapedArray((o, i, k, k), np.dtype(np.float32)), p)
    assert rule(32, 1, 3, 32) is pc._conv_rhs_grad_batch_window        # depthwise 3x3
    assert rule(32, 1, 5, 32) is pc._conv_rhs_grad_batch_window        # 5x5: 25
    assert rule(8, 8, 3, 8) is pc._conv_rhs_grad_batch_window          # 8 -> 1 per group: 72
    assert rule(64, 1, 3, 32) is pc._conv_rhs_grad_as_conv             # multiplier 2
    assert rule(32, 4, 3, 8) is pc._conv_rhs_grad_as_conv              # 4 -> 4 per group
    assert rule(8, 9, 3, 8) is pc._conv_rhs_grad_as_conv               # 9 -> 1: 81

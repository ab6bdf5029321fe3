"""Shape manipulation against NumPy: reshape, transpose, stacking, splitting, tile, pad..."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
from jnp_testutil import check, jax_dtype, rand, rng_for, traced

DTS = [np.float32, np.int8, np.bool_]


def _x(shape, dt=np.float32, tag=""):
    return rand(rng_for("manip", shape, np.dtype(dt).name, tag), shape, dt)


@pytest.mark.parametrize("src,new", [
    ((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((2, 3, 4), (4, -1)), ((2, 3, 4), (-1, 3, 2)),
    ((24,), (2, 3, 4)), ((), (1, 1)), ((1,), ()), ((0, 3), (3, 0)), ((0, 3), (-1, 3)),
    ((2, 3), 6), ((2, 3), [3, 2]), ((2, 3), np.array([3, 2])), ((6,), (np.int64(2), 3)),
])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dt", DTS)
def test_reshape(src, new, order, dt):
    x = _x(src, dt)
    want = np.reshape(x, tuple(new) if not isinstance(new, int) else new, order=order)
    check(jnp.reshape(x, new, order=order), want, dtype=dt)
    jx = jnp.asarray(x)
    check(jx.reshape(new, order=order), want, dtype=dt)
    if isinstance(new, tuple) and new:
        check(jx.reshape(*new), np.reshape(x, new), dtype=dt)
    check(traced(lambda a: jnp.reshape(a, new, order=order))(x), want)


def test_reshape_errors_name_the_source_shape():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        jnp.reshape(x, (4, -1))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        jnp.reshape(x, (4, 2))
    with pytest.raises(ValueError):
        jnp.reshape(x, (-1, -1))
    with pytest.raises(ValueError):
        jnp.reshape(np.ones((0, 3)), (0, -1))
    with pytest.raises(ValueError):
        jnp.reshape(x, (6,), order="Z")


@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), (), (0, 2)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_ravel_flatten(shape, order):
    x = _x(shape)
    check(jnp.ravel(x, order), np.ravel(x, order))
    check(jnp.asarray(x).ravel(order), np.ravel(x, order))
    check(jnp.asarray(x).flatten(order), x.flatten(order))


@pytest.mark.parametrize("shape,axes", [
    ((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (-1, 0, -2)), ((5,), None),
    ((), None), ((2, 3), (1, 0)), ((0, 2, 1), (2, 0, 1)), ((2, 3, 4), [2, 1, 0])])
def test_transpose(shape, axes):
    x = _x(shape)
    check(jnp.transpose(x, axes), np.transpose(x, axes))
    jx = jnp.asarray(x)
    check(jx.transpose(axes), x.transpose(axes))
    if axes is not None:
        check(jx.transpose(*axes), x.transpose(*axes))
        check(jnp.permute_dims(x, axes), np.transpose(x, axes))
    check(jx.T, x.T)
    if len(shape) >= 2:
        check(jx.mT, np.swapaxes(x, -1, -2))
        check(jnp.matrix_transpose(x), np.swapaxes(x, -1, -2))


def test_transpose_errors():
    x = np.ones((2, 3, 4))
    for bad in [(0, 1), (0, 1, 1), (0, 1, 3)]:
        with pytest.raises(ValueError):
            jnp.transpose(x, bad)
    with pytest.raises(ValueError):
        jnp.matrix_transpose(np.ones(3))


@pytest.mark.parametrize("a1,a2", [(0, 1), (0, -1), (2, 2), (-3, 1), (1, 2)])
def test_swapaxes(a1, a2):
    x = _x((2, 3, 4))
    check(jnp.swapaxes(x, a1, a2), np.swapaxes(x, a1, a2))
    check(jnp.asarray(x).swapaxes(a1, a2), np.swapaxes(x, a1, a2))


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), (1, -1), ((0, 1), (2, 3)),
                                     ((0, 3), (1, 0)), ([2, 0], [0, 1]), ((), ()),
                                     ((0, 1, 2, 3), (3, 2, 1, 0))])
def test_moveaxis(src, dst):
    x = _x((2, 3, 4, 5))
    check(jnp.moveaxis(x, src, dst), np.moveaxis(x, src, dst))


def test_moveaxis_errors():
    x = np.ones((2, 3))
    with pytest.raises(ValueError):
        jnp.moveaxis(x, (0, 1), (0,))
    with pytest.raises(ValueError):
        jnp.moveaxis(x, 2, 0)
    with pytest.raises(ValueError):
        jnp.moveaxis(x, (0, 0), (0, 1))


@pytest.mark.parametrize("shape,axis", [((2, 3), 0), ((2, 3), -1), ((2, 3), 2), ((2, 3), (0, 2)),
                                        ((2, 3), (-1, 0)), ((), 0), ((), (0, 1)), ((4,), -2),
                                        ((2, 3), (1, 3, 0))])
def test_expand_dims(shape, axis):
    x = _x(shape)
    check(jnp.expand_dims(x, axis), np.expand_dims(x, axis))


def test_expand_dims_errors():
    with pytest.raises(ValueError):
        jnp.expand_dims(np.ones((2, 3)), 3)
    with pytest.raises(ValueError):
        jnp.expand_dims(np.ones((2, 3)), (0, 0))


@pytest.mark.parametrize("shape,axis", [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), -1),
                                        ((1, 3, 1), (0, 2)), ((3,), None), ((1,), 0),
                                        ((1, 1), None), ((), None), ((0, 1), 1)])
def test_squeeze(shape, axis):
    x = _x(shape)
    check(jnp.squeeze(x, axis), np.squeeze(x, axis))
    check(jnp.asarray(x).squeeze(axis), np.squeeze(x, axis))


def test_squeeze_errors():
    with pytest.raises(ValueError):
        jnp.squeeze(np.ones((1, 3)), 1)
    with pytest.raises(ValueError):
        jnp.squeeze(np.ones((1, 3)), 2)


@pytest.mark.parametrize("src,dst", [((3,), (2, 3)), ((1, 3), (4, 3)), ((), (2, 2)),
                                     ((2, 1), (2, 5)), ((3,), (3,)), ((1,), (0,)),
                                     ((2, 1, 1), (3, 2, 4, 5)), ((), ()), ((3,), 3)])
@pytest.mark.parametrize("dt", DTS)
def test_broadcast_to(src, dst, dt):
    x = _x(src, dt)
    check(jnp.broadcast_to(x, dst), np.broadcast_to(x, dst), dtype=dt)
    check(traced(lambda a: jnp.broadcast_to(a, dst))(x), np.broadcast_to(x, dst))


def test_broadcast_to_errors():
    for src, dst in [((3,), (4,)), ((2, 3), (3,)), ((2,), (2, 3))]:
        with pytest.raises(ValueError, match="broadcast_to"):
            jnp.broadcast_to(np.ones(src), dst)


def test_broadcast_arrays():
    shapes = [(3, 1), (4,), (), (1, 1)]
    xs = [_x(s, tag=i) for i, s in enumerate(shapes)]
    got = jnp.broadcast_arrays(*xs)
    want = np.broadcast_arrays(*xs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        check(g, w)
    with pytest.raises(ValueError):
        jnp.broadcast_arrays(np.ones(3), np.ones(4))
    ints = jnp.broadcast_arrays(np.arange(3, dtype=np.int8), np.ones((2, 1), np.float32))
    assert ints[0].dtype == np.int8 and ints[1].dtype == np.float32  # no dtype promotion


@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 0)], 1), ([(2, 3), (2, 5)], -1),
    ([(2, 3), (1, 2)], None), ([(3,)], 0), ([(0, 3), (2, 3)], 0), ([(2, 3, 4)] * 3, 1)])
def test_concatenate(shapes, axis):
    xs = [_x(s, tag=i) for i, s in enumerate(shapes)]
    check(jnp.concatenate(xs, axis=axis), np.concatenate(xs, axis=axis))
    check(jnp.concatenate(tuple(jnp.asarray(x) for x in xs), axis=axis),
          np.concatenate(xs, axis=axis))


@pytest.mark.parametrize("dts", [(np.int8, np.uint8), (np.int32, np.float32),
                                 (np.bool_, np.int16), (np.float16, np.int8, np.uint16),
                                 (np.bool_, np.bool_)])
def test_concatenate_and_stack_promote_like_jax(dts):
    xs = [_x((2, 2), dt, tag=i) for i, dt in enumerate(dts)]
    want_dt = jax_dtype(*dts)
    check(jnp.concatenate(xs), np.concatenate([x.astype(want_dt) for x in xs]), dtype=want_dt)
    check(jnp.stack(xs), np.stack([x.astype(want_dt) for x in xs]), dtype=want_dt)
    check(jnp.vstack(xs), np.vstack([x.astype(want_dt) for x in xs]), dtype=want_dt)
    check(jnp.concatenate(xs, dtype=np.float32),
          np.concatenate([x.astype(np.float32) for x in xs]), dtype=np.float32)


def test_concatenate_errors():
    with pytest.raises(ValueError):
        jnp.concatenate([])
    with pytest.raises(ValueError):
        jnp.concatenate([np.float32(1), np.float32(2)])
    with pytest.raises(ValueError):
        jnp.concatenate([np.ones((2, 3)), np.ones((3, 3))], axis=1)
    with pytest.raises((ValueError, TypeError)):
        jnp.concatenate([np.ones((2, 3)), np.ones(3)])
    with pytest.raises(ValueError):
        jnp.concatenate([np.ones((2, 3))], axis=2)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0, 2)])
@pytest.mark.parametrize("axis", [0, -1, 1])
def test_stack(shape, axis):
    if not -len(shape) - 1 <= axis <= len(shape):
        return
    xs = [_x(shape, tag=i) for i in range(3)]
    check(jnp.stack(xs, axis=axis), np.stack(xs, axis=axis))
    with pytest.raises(ValueError):
        jnp.stack([xs[0], np.ones((7,) + shape)], axis=axis)


@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (2,)], [(2, 3), (2, 1)], [(2,), ()],
                                    [(1, 2, 3), (1, 2, 3)], [(3,), (3,)], [(2, 3), (4, 3)]])
def test_hstack_vstack_dstack_column_stack(shapes):
    xs = [_x(s, tag=i) for i, s in enumerate(shapes)]
    for jf, nf in [(jnp.hstack, np.hstack), (jnp.vstack, np.vstack), (jnp.dstack, np.dstack),
                   (jnp.column_stack, np.column_stack), (jnp.row_stack, np.vstack)]:
        try:
            want = nf(xs)
        except ValueError:
            with pytest.raises(ValueError):
                jf(xs)
            continue
        check(jf(xs), want)


@pytest.mark.parametrize("fn", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 4)])
def test_atleast(fn, shape):
    x = _x(shape)
    check(getattr(jnp, fn)(x), getattr(np, fn)(x))
    outs = getattr(jnp, fn)(x, x[..., None] if shape else 1.0)
    wants = getattr(np, fn)(x, x[..., None] if shape else 1.0)
    for g, w in zip(outs, wants):
        check(g, w)
    out = getattr(jnp, fn)(2.0)
    assert out.weak_type  # Python scalars stay weak


@pytest.mark.parametrize("n,ios", [(6, 3), (6, 1), (6, [2, 4]), (6, [1, 1, 5]), (6, [-2]),
                                   (6, [0, 10]), (6, [4, 2]), (0, 2), (6, np.array([3])),
                                   (6, []), (7, 3), (5, 7)])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_array_split(n, ios, axis):
    shape = [2, 2]
    shape[axis] = n
    x = _x(tuple(shape))
    try:
        want = np.split(x, ios, axis=axis)
    except ValueError:
        with pytest.raises(ValueError):
            jnp.split(x, ios, axis=axis)
    else:
        got = jnp.split(x, ios, axis=axis)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            check(g, w)
    got = jnp.array_split(x, ios, axis=axis)
    want = np.array_split(x, ios, axis=axis)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        check(g, w)


def test_hsplit_vsplit():
    x = _x((4, 6))
    for g, w in zip(jnp.hsplit(x, 3), np.hsplit(x, 3)):
        check(g, w)
    for g, w in zip(jnp.vsplit(x, [1, 3]), np.vsplit(x, [1, 3])):
        check(g, w)
    v = _x((6,))
    for g, w in zip(jnp.hsplit(v, 2), np.hsplit(v, 2)):
        check(g, w)
    with pytest.raises(ValueError):
        jnp.split(v, 0)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0, 2)])
@pytest.mark.parametrize("reps", [2, 0, (2,), (2, 1), (1, 3), (2, 2, 2), (3, 0, 1), ()])
def test_tile(shape, reps):
    x = _x(shape, np.int8)
    check(jnp.tile(x, reps), np.tile(x, reps), dtype=np.int8)


@pytest.mark.parametrize("shape,repeats,axis", [
    ((3,), 2, None), ((2, 3), 2, 0), ((2, 3), 3, 1), ((2, 3), 2, -1), ((2, 3), 0, 1),
    ((2, 3), [1, 0, 2], 1), ((2, 3), [2, 1], 0), ((2, 3), np.array([1, 2, 0, 1, 1, 3]), None),
    ((), 3, None), ((0, 2), 2, 0), ((2, 3), [2], 1)])
def test_repeat(shape, repeats, axis):
    x = _x(shape, np.int32)
    check(jnp.repeat(x, repeats, axis=axis), np.repeat(x, repeats, axis=axis), dtype=np.int32)
    check(jnp.asarray(x).repeat(repeats, axis=axis), np.repeat(x, repeats, axis=axis))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), ()])
def test_flip(axis):
    x = _x((2, 3, 4))
    check(jnp.flip(x, axis), np.flip(x, axis))
    check(jnp.fliplr(x), np.fliplr(x))
    check(jnp.flipud(x), np.flipud(x))


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, -1, 5])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (1, 2), (-1, 0)])
def test_rot90(k, axes):
    x = _x((2, 3, 4))
    check(jnp.rot90(x, k, axes), np.rot90(x, k, axes))


@pytest.mark.parametrize("shift,axis", [(1, None), (-2, None), (7, None), (1, 0), (-1, 1),
                                        (5, -1), ((1, 2), (0, 1)), (2, (0, 1)), (0, 0),
                                        ((1, -1), (1, 1)), (100, 2), (-13, 0)])
def test_roll(shift, axis):
    x = _x((3, 4, 5))
    check(jnp.roll(x, shift, axis), np.roll(x, shift, axis))


def test_roll_traced_shift_and_empty():
    x = _x((3, 4))
    for s in (0, 1, -1, 5, -7):
        check(traced(lambda a, sh: jnp.roll(a, sh, 1))(x, np.int32(s)), np.roll(x, s, 1))
        check(traced(lambda a, sh: jnp.roll(a, sh))(x, np.int32(s)), np.roll(x, s))
    e = np.zeros((0, 3), np.float32)
    check(jnp.roll(e, 2, 0), np.roll(e, 2, 0))
    check(jnp.roll(e, 2), np.roll(e, 2))


PAD_WIDTHS = [1, (2,), (1, 2), ((1, 0), (2, 3)), ((0, 0), (0, 0)), ((3, 4), (5, 1)),
              [[7, 6], [0, 9]]]


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("pw", PAD_WIDTHS, ids=str)
@pytest.mark.parametrize("shape", [(3, 4), (1, 2), (2, 1)])
def test_pad(mode, pw, shape):
    x = _x(shape, np.int32)
    check(jnp.pad(x, pw, mode=mode), np.pad(x, pw, mode=mode), dtype=np.int32)


@pytest.mark.parametrize("cv", [5, 2.7, (1, 2), ((1, 2), (3, 4)), [[-1, -2]], np.int32(9)])
def test_pad_constant_values(cv):
    x = _x((2, 3), np.int32)
    check(jnp.pad(x, ((1, 2), (2, 1)), constant_values=cv),
          np.pad(x, ((1, 2), (2, 1)), constant_values=cv), dtype=np.int32)
    xf = _x((2, 3), np.float32)
    check(jnp.pad(xf, 2, constant_values=cv), np.pad(xf, 2, constant_values=cv))


def test_pad_1d_0d_and_empty():
    v = _x((5,))
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap"):
        check(jnp.pad(v, (2, 3), mode=mode), np.pad(v, (2, 3), mode=mode))
        check(jnp.pad(v, 12, mode=mode), np.pad(v, 12, mode=mode))
    check(jnp.pad(np.float32(3), 2), np.pad(np.float32(3), 2))
    e = np.zeros((0, 2), np.float32)
    check(jnp.pad(e, 1), np.pad(e, 1))
    for mode in ("edge", "reflect", "wrap"):
        with pytest.raises(ValueError):
            jnp.pad(e, 1, mode=mode)
    with pytest.raises(ValueError):
        jnp.pad(v, -1)
    with pytest.raises((ValueError, NotImplementedError)):
        jnp.pad(v, 1, mode="bogus")


def test_append_shape_ndim_size():
    x = _x((2, 3))
    check(jnp.append(x, x), np.append(x, x))
    check(jnp.append(x, x[:1], axis=0), np.append(x, x[:1], axis=0))
    assert jnp.shape(x) == (2, 3) and jnp.ndim(x) == 2 and jnp.size(x) == 6
    assert jnp.size(x, 1) == 3 and jnp.shape(3.0) == () and jnp.ndim(3.0) == 0


def test_roll_broadcasts_shift_and_axis():
    x = _x((3, 4, 5))
    v = np.arange(5)
    check(jnp.roll(v, (1, 2)), np.roll(v, (1, 2)))
    check(jnp.roll(x, (1, 2), 1), np.roll(x, (1, 2), 1))
    check(jnp.roll(x, (1, -1, 4), (0, 2, 0)), np.roll(x, (1, -1, 4), (0, 2, 0)))
    with pytest.raises(ValueError):
        jnp.roll(x, (1, 2, 3), (0, 1))


def test_rot90_errors():
    with pytest.raises(ValueError):
        jnp.rot90(np.ones((2, 3)), 1, (0, 0))
    with pytest.raises(ValueError):
        jnp.rot90(np.ones((2, 3)), 1, (0, -2))
    with pytest.raises(ValueError):
        jnp.rot90(np.ones(3))


def test_ravel_order_k():
    x = _x((2, 3, 4))
    check(jnp.ravel(x, "K"), np.ravel(x, "K"))
    check(jnp.ravel(x, "A"), np.ravel(x, "A"))


@pytest.mark.parametrize("fn", ["take", "take_along_axis", "cumsum", "flip", "sort", "argsort",
                                "argmax", "split", "concatenate", "expand_dims", "squeeze"])
def test_axis_out_of_range(fn):
    x = np.ones((2, 3, 4), np.float32)
    f = getattr(jnp, fn)
    call = {"take": lambda ax: f(x, np.array([0]), axis=ax),
            "take_along_axis": lambda ax: f(x, np.zeros((2, 3, 4), np.int32), axis=ax),
            "split": lambda ax: f(x, 1, axis=ax),
            "concatenate": lambda ax: f([x, x], axis=ax),
            "expand_dims": lambda ax: f(x, ax + 1 if ax > 0 else ax - 1)}.get(
        fn, lambda ax: f(x, axis=ax))
    for ax in (3, -4, 7):
        with pytest.raises(ValueError):
            call(ax)

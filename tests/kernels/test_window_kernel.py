"""The window kernels (jitnet/kernels/window.py): reduce_window, patches and
patches_transpose; their plans, their values against NumPy references written here and
against the generated loop nests, NaN and infinities, the edge sizes of windows."""
from __future__ import annotations

import itertools
import os

import numpy as np

import jitnet
from jitnet import lax
from jitnet.codegen.cpu import conv as ops_conv
from jitnet.codegen import kernel_plan as kp
from jitnet.prims.window import patches, patches_transpose

OPS = {"max": lax.max, "min": lax.min, "add": lax.add}
INIT = {"max": -np.inf, "min": np.inf, "add": 0.0}

# (operand shape, window, strides, padding, window dilation)
CASES = [
    ((2, 6, 6, 3), (1, 2, 2, 1), (1, 2, 2, 1), ((0, 0),) * 4, (1,) * 4),  # W4's max-pool
    ((1, 1, 1, 1), (1, 1, 1, 1), (1,) * 4, ((0, 0),) * 4, (1,) * 4),      # all sizes 1
    ((3, 2, 7, 5), (1, 1, 3, 2), (1, 1, 2, 3), ((0, 0), (0, 0), (1, 2), (0, 1)), (1,) * 4),
    ((2, 3, 5, 5), (1, 1, 2, 2), (1, 1, 1, 1), ((0, 0), (0, 0), (4, 3), (3, 5)), (1,) * 4),
    ((2, 3, 11, 7), (1, 1, 2, 3), (1, 1, 5, 4), ((0, 0),) * 4, (1,) * 4),  # strides > window
    ((1, 2, 9, 7), (1, 1, 3, 2), (1, 1, 1, 2), ((0, 0), (0, 0), (2, 2), (1, 1)), (1, 1, 2, 3)),
    ((3, 5, 4, 2), (2, 3, 1, 2), (1, 2, 1, 1), ((1, 0), (1, 1), (0, 0), (0, 1)), (1,) * 4),
    ((10,), (3,), (2,), ((2, 1),), (1,)),                                 # rank 1
    ((2, 3, 7, 9), (1, 1, 2, 2), (1, 1, 2, 2), ((0, 0),) * 4, (1,) * 4),  # NCHW pool, odd
    ((5, 8), (2, 2), (2, 2), ((0, 0),) * 2, (1,) * 2),                    # rank 2 pool
]


def ref_reduce_window(x, computation, window, strides, padding, dilation):
    """float64 reduce_window: the operand padded with the identity, then every output
    element reduced over its window gathered by index arithmetic."""
    init = INIT[computation]
    xp = np.pad(x.astype(np.float64), padding, constant_values=init)
    span = [(w - 1) * d + 1 for w, d in zip(window, dilation)]
    oshape = [(n - s) // st + 1 for n, s, st in zip(xp.shape, span, strides)]
    out = np.empty(oshape)
    fold = {"max": np.max, "min": np.min, "add": np.sum}[computation]
    for o in itertools.product(*map(range, oshape)):
        idx = np.ix_(*[o[i] * strides[i] + np.arange(window[i]) * dilation[i]
                       for i in range(x.ndim)])
        out[o] = fold(xp[idx]) if xp[idx].size else init
    return out


def program(cases, computation):
    def f(*xs):
        return [lax.reduce_window(x, INIT[computation], OPS[computation], w, s, p,
                                  window_dilation=d) for x, (_, w, s, p, d) in zip(xs, cases)]
    return f


def operands(generator, cases, dtype):
    return [generator.standard_normal(c[0]).astype(dtype) for c in cases]


# -- plan -------------------------------------------------------------------------------------

def _params(n, computation="max", base=1):
    return dict(computation=computation, window_dimensions=(2,) * n, window_strides=(2,) * n,
                padding=((1, 0),) * n, base_dilation=(base,) * n, window_dilation=(1,) * n)


def test_plan_takes_float_windows_up_to_rank_4_and_leaves_the_rest():
    p = kp.plan_reduce_window(_params(2, "add"), (5, 6), (3, 3), np.float32, 1 << 20)
    cores = os.cpu_count() or 1
    assert p.args() == ((1, 1, 2, 2) + (1, 1, 2, 2) + (0, 0, 1, 1) + (1,) * 4
                        + (cores, 1 << 20, 0))
    assert p.computation == "add" and p.dtype == "float32"
    four = kp.plan_reduce_window(_params(4, "min"), (64, 9, 9, 16), (32, 5, 5, 8),
                                 np.float64, 1)
    assert four.args()[:4] == (2,) * 4 and four.args()[-1] == 2 and four.dtype == "float64"
    for args in [(_params(5), (2,) * 5, (2,) * 5, np.float32),      # rank 5
                 (_params(2), (4, 4), (2, 2), np.int32),              # integer
                 (_params(2, base=2), (4, 4), (4, 4), np.float32),    # base dilation
                 (_params(2), (0, 4), (1, 2), np.float32)]:           # empty operand
        assert kp.plan_reduce_window(*args, 1) is None, args


# -- values -----------------------------------------------------------------------------------

def test_kernel_matches_numpy_reference(dtype, generator):
    """max and add on every case in float32, min (the same loops as max) and float64 (the
    same kernel source) on the NaN/inf ones."""
    cases = CASES if dtype == np.float32 else CASES[2:4]
    xs = operands(generator, cases, dtype)
    nan, inf = cases.index(CASES[2]), cases.index(CASES[3])
    xs[nan][0, 1, 3, :] = np.nan             # NaN propagates through max and min (and add)
    xs[inf][1, 0, 2, 2] = np.inf
    xs[inf][1, 2, 1, 1] = -np.inf
    comps = ("max", "min", "add")
    sub = {c: [i for i, case in enumerate(cases) if c != "min" or case in CASES[2:4]]
           for c in comps}
    fs = [program([cases[i] for i in sub[c]], c) for c in comps]
    f = jitnet.jit(lambda *xs: [f(*[xs[i] for i in sub[c]]) for c, f in zip(comps, fs)])
    src = f.lower(*xs).source()
    assert src.count(f"jn_reduce_window_{np.dtype(dtype).name}(") == sum(map(len, sub.values()))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for c, got in zip(comps, f(*xs)):
        for i, g in zip(sub[c], got):
            x, case = xs[i], cases[i]
            want = ref_reduce_window(x, c, *case[1:])
            assert g.shape == want.shape and g.dtype == dtype, (c, i)
            np.testing.assert_allclose(np.asarray(g), want, rtol=tol, atol=tol,
                                       err_msg=f"{c} {i}")
        # padding larger than the window: a window of padding only gives the identity
        assert np.asarray(got[sub[c].index(inf)])[0, 0, 0, 0] == INIT[c]


def test_kernel_matches_generated_loops(monkeypatch, generator):
    """Bit for bit, the kernel's work split over threads (any work is enough here)."""
    cases = CASES[:1] + CASES[5:6]
    xs = operands(generator, cases, np.float32)
    xs[0][0, 2, 3, 1] = np.nan
    f = program(cases, "max")
    monkeypatch.setattr(ops_conv, "_parallel_work", lambda: 1)
    assert ", 1, 1)" in jitnet.jit(f).lower(*xs).source()   # threshold 1, max (code 1)
    kernel = [np.asarray(v) for v in jitnet.jit(f)(*xs)]
    monkeypatch.setattr(ops_conv, "plan_reduce_window", lambda *a: None)
    g = jitnet.jit(lambda *xs: f(*xs) + [xs[0]])   # another program: generated again
    assert "jn_reduce_window" not in g.lower(*xs).source()
    for a, b in zip(kernel, g(*xs)[:-1]):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_pool_2x2_fast_path_matches_generated_loops(monkeypatch, generator):
    """The unrolled 2x2 stride-2 windows, bit for bit, NaN, infinities and ties included."""
    cases = CASES[-2:]
    xs = [np.round(x) for x in operands(generator, cases, np.float32)]  # ties
    xs[0][1, 2, 3, 4] = np.nan
    xs[0][0, 1, 0, 0], xs[1][2, 5] = np.inf, -np.inf
    fs = [program(cases, c) for c in ("max", "min", "add")]
    f = lambda *xs: [y for fn in fs for y in fn(*xs)]  # noqa: E731
    monkeypatch.setattr(ops_conv, "_parallel_work", lambda: 1)
    kernel = [np.asarray(v) for v in jitnet.jit(f)(*xs)]
    monkeypatch.setattr(ops_conv, "plan_reduce_window", lambda *a: None)
    g = jitnet.jit(lambda *xs: f(*xs) + [xs[0]])
    assert "jn_reduce_window" not in g.lower(*xs).source()
    for a, b in zip(kernel, g(*xs)[:-1]):
        np.testing.assert_array_equal(a, np.asarray(b))


# -- patches (im2col) and patches_transpose (col2im) ------------------------------------------

# (operand shape, window, strides, padding, base dilation, window dilation)
PATCH_CASES = [
    ((2, 3, 6, 6), (1, 1, 2, 2), (1, 1, 2, 2), ((0, 0),) * 4, (1,) * 4, (1,) * 4),  # W4's pool
    ((1, 1, 1, 1), (1, 1, 1, 1), (1,) * 4, ((0, 0),) * 4, (1,) * 4, (1,) * 4),  # all sizes 1
    ((2, 7, 5, 3), (1, 3, 2, 1), (1, 2, 3, 1), ((0, 0), (1, 2), (0, 1), (0, 0)), (1,) * 4,
     (1,) * 4),                                                             # NHWC, primes
    ((2, 2, 5, 5), (1, 1, 2, 2), (1,) * 4, ((0, 0), (0, 0), (4, 3), (3, 5)), (1,) * 4,
     (1,) * 4),                                                             # padding > window
    ((2, 3, 11, 7), (1, 1, 2, 3), (1, 1, 5, 4), ((0, 0),) * 4, (1,) * 4, (1,) * 4),  # strides
    ((1, 2, 9, 7), (1, 1, 3, 2), (1, 1, 1, 2), ((0, 0), (0, 0), (2, 2), (1, 1)), (1,) * 4,
     (1, 1, 2, 3)),                                                         # window dilation
    ((2, 2, 4, 3), (1, 1, 3, 2), (1, 1, 2, 1), ((0, 0), (0, 0), (1, 1), (2, 0)),
     (1, 1, 2, 3), (1,) * 4),                                               # base dilation
    ((3, 5, 4), (2, 3, 2), (1, 2, 1), ((1, 0), (1, 1), (0, 1)), (1,) * 3, (1,) * 3),  # rank 3
    ((11,), (3,), (2,), ((2, 1),), (1,), (1,)),                             # rank 1
]


def _padded(x, padding, base, fill):
    """``x`` with ``base - 1`` holes between its elements and ``padding`` around it, all
    ``fill``."""
    dil = np.full([(n - 1) * b + 1 for n, b in zip(x.shape, base)], fill, np.float64)
    dil[tuple(slice(None, None, b) for b in base)] = x
    return np.pad(dil, padding, constant_values=fill)


def _window_index(xp, window, strides, dilation):
    """Output positions and, per position and window offset, the index of the padded
    operand it reads."""
    span = [(w - 1) * d + 1 for w, d in zip(window, dilation)]
    oshape = tuple((n - s) // st + 1 for n, s, st in zip(xp.shape, span, strides))
    for o in itertools.product(*map(range, oshape)):
        for k in itertools.product(*map(range, window)):
            yield oshape, o, k, tuple(oi * s + ki * d for oi, ki, s, d
                                      in zip(o, k, strides, dilation))


def ref_patches(x, window, strides, padding, base, dilation, pad):
    """float64 patches: the operand dilated and padded with ``pad`` (np.pad), then each
    window element read by index arithmetic."""
    xp = _padded(x, padding, base, pad)
    cells = list(_window_index(xp, window, strides, dilation))
    out = np.empty(cells[0][0] + tuple(window)) if cells else None
    for _, o, k, p in cells:
        out[o + k] = xp[p]
    return out


def ref_patches_transpose(ct, shape, window, strides, padding, base, dilation):
    """float64 col2im: every window element added into a dilated, padded zero operand,
    which is then cropped and its holes dropped."""
    buf = _padded(np.zeros(shape), padding, base, 0.0)
    for _, o, k, p in _window_index(buf, window, strides, dilation):
        buf[p] += ct[o + k]
    crop = tuple(slice(lo, n - hi) for (lo, hi), n in zip(padding, buf.shape))
    return buf[crop][tuple(slice(None, None, b) for b in base)]


def _win(case):
    _, w, s, p, b, d = case
    return dict(window_dimensions=w, window_strides=s, padding=p, base_dilation=b,
                window_dilation=d)


def patches_shape(case):
    """Positions (the closed form: padded dilated size less the window span, over the
    stride, plus one) then the window."""
    x, w, s, p, b, d = case
    o = [((n - 1) * bi + 1 + lo + hi - (wi - 1) * di - 1) // si + 1
         for n, wi, si, (lo, hi), bi, di in zip(x, w, s, p, b, d)]
    return tuple(o) + tuple(w)


def patch_program(cases, pads):
    """patches of each operand with its pad value, and patches_transpose of each
    cotangent, in one program."""
    def f(xs, cts):
        return ([patches(x, pad_value=pv, **_win(c)) for x, c, pv in zip(xs, cases, pads)]
                + [patches_transpose(ct, c[0], **_win(c)) for ct, c in zip(cts, cases)])
    return f


def test_patches_plan_takes_float_operands_up_to_rank_4_and_leaves_the_rest():
    win = dict(window_dimensions=(2, 3), window_strides=(2, 1), padding=((1, 0), (0, 2)),
               base_dilation=(1, 2), window_dilation=(3, 1))
    p = kp.plan_patches(win, (5, 6), (2, 11, 2, 3), np.float32, 1 << 20)
    cores = os.cpu_count() or 1
    assert p.args() == ((1, 1, 2, 3) + (1, 1, 2, 1) + (0, 0, 1, 0) + (1, 1, 1, 2)
                        + (1, 1, 3, 1) + (cores, 1 << 20))
    assert not p.transpose and p.dtype == "float32"
    t = kp.plan_patches(win, (5, 6), (2, 11, 2, 3), np.float64, 7, transpose=True)
    assert t.transpose and t.dtype == "float64" and t.args()[-1] == 7
    five = dict((k, v * 5 if k != "padding" else ((0, 0),) * 5) for k, v in
                dict(window_dimensions=(1,), window_strides=(1,), padding=None,
                     base_dilation=(1,), window_dilation=(1,)).items())
    assert kp.plan_patches(five, (2,) * 5, (2,) * 5 + (1,) * 5, np.float32, 1) is None
    assert kp.plan_patches(win, (5, 6), (2, 11, 2, 3), np.int32, 1) is None
    assert kp.plan_patches(win, (0, 6), (0, 11, 2, 3), np.float32, 1) is None


def test_patches_kernels_match_numpy_reference(dtype, generator):
    """float32 on the rank-4 cases: NaN and infinities pass through, pad values -inf
    (max-pool's gradient), 0 and NaN. float64 (the same kernel source) on the padding and
    dilation cases and the lower ranks, pad value 0 but on the first: there the adjoint
    identity <patches(x), c> == <x, patches_transpose(c)> holds too."""
    cases = ([c for c in PATCH_CASES if len(c[0]) == 4] if dtype == np.float32
             else PATCH_CASES[3:4] + PATCH_CASES[5:])
    xs = operands(generator, cases, dtype)
    n = len(xs)
    cts = [generator.standard_normal(patches_shape(c)).astype(dtype) for c in cases]
    if dtype == np.float32:
        pads = [[-np.inf, 0.0, np.nan][i % 3] for i in range(n)]
        xs[0][0, 1, 2, :] = np.nan
        xs[3][1, 0, 2, 2] = np.inf
        xs[3][1, 1, 1, 1] = -np.inf
        cts[0].flat[5] = np.nan
        cts[3].flat[:2] = [np.inf, -np.inf]
    else:
        pads = [-np.inf] + [0.0] * (n - 1)
    f = jitnet.jit(patch_program(cases, pads))
    src = f.lower(xs, cts).source()
    name = np.dtype(dtype).name
    assert src.count(f"jn_patches_{name}(") == n
    assert src.count(f"jn_patches_transpose_{name}(") == n
    got = f(xs, cts)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for i, (x, ct, c) in enumerate(zip(xs, cts, cases)):
        p, t = np.asarray(got[i]), np.asarray(got[n + i])
        assert p.dtype == dtype and t.dtype == dtype
        np.testing.assert_array_equal(p, ref_patches(x, *c[1:], pads[i]).astype(dtype),
                                      err_msg=f"patches {i}")
        want = ref_patches_transpose(ct.astype(np.float64), x.shape, *c[1:])
        assert t.shape == want.shape
        np.testing.assert_allclose(t, want, rtol=tol, atol=tol, err_msg=f"transpose {i}")
        if dtype == np.float64 and pads[i] == 0.0:
            np.testing.assert_allclose(np.vdot(p, ct), np.vdot(x, t), rtol=1e-12)


def test_patches_kernels_match_generated_loops(monkeypatch, generator):
    """Bit for bit (col2im sums in the generated loops' order), the kernels' work split
    over threads (any work is enough here); a negative padding too."""
    cases = PATCH_CASES[:1] + [
        ((2, 3, 9, 8), (1, 1, 3, 2), (1, 1, 2, 2), ((0, 0), (0, 0), (-1, 2), (1, -2)),
         (1,) * 4, (1, 1, 1, 2))]
    xs = operands(generator, cases, np.float32)
    xs[0][1, 2, 3, 4] = np.inf
    cts = [generator.standard_normal(patches_shape(c)).astype(np.float32) for c in cases]
    cts[0].flat[7] = np.nan
    f = patch_program(cases, [-np.inf, 0.5])
    monkeypatch.setattr(ops_conv, "_parallel_work", lambda: 1)
    src = jitnet.jit(f).lower(xs, cts).source()
    assert src.count(", 1)") == 2 * len(cases)  # threshold 1
    kernel = [np.asarray(v) for v in jitnet.jit(f)(xs, cts)]
    # the generated loops, sequential (their order does not depend on it; cheaper to build)
    monkeypatch.setattr(ops_conv, "_parallel_work", lambda: 1 << 62)
    monkeypatch.setattr(ops_conv, "plan_patches", lambda *a, **k: None)
    g = jitnet.jit(lambda xs, cts: f(xs, cts) + [xs[0]])   # another program: generated again
    assert "jn_patches" not in g.lower(xs, cts).source()
    for a, b in zip(kernel, g(xs, cts)[:-1]):
        np.testing.assert_array_equal(a, np.asarray(b))

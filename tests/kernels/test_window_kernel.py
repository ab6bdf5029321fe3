"""The reduce_window kernel (jitnet/kernels/window.py): its plan, its values against a
NumPy reference written here and against the generated loop nests, NaN and infinities,
the edge sizes of pooling windows."""
from __future__ import annotations

import itertools
import os

import numpy as np

import jitnet
from jitnet import lax
from jitnet.codegen.cpu import conv as ops_conv
from jitnet.codegen import kernel_plan as kp

RNG = np.random.default_rng(0)
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


def operands(cases, dtype):
    return [RNG.standard_normal(c[0]).astype(dtype) for c in cases]


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

def test_kernel_matches_numpy_reference(dtype):
    """max and add on every case in float32, min (the same loops as max) and float64 (the
    same kernel source) on the NaN/inf ones."""
    cases = CASES if dtype == np.float32 else CASES[2:4]
    xs = operands(cases, dtype)
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


def test_kernel_matches_generated_loops(monkeypatch):
    """Bit for bit, the kernel's work split over threads (any work is enough here)."""
    cases = CASES[:1] + CASES[5:6]
    xs = operands(cases, np.float32)
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

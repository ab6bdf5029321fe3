"""Elementwise jnp functions against NumPy: values from NumPy, dtypes from JAX's rules."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
from jnp_testutil import (check, default_int, eager, inexact_of, jax_result,
                          numeric_of, rand, rng_for, traced)

f16, f32, i8, i16, i32 = np.float16, np.float32, np.int8, np.int16, np.int32
u8, u16, u32, b1 = np.uint8, np.uint16, np.uint32, np.bool_

MODES = {"eager": eager, "traced": traced}


def _run(mode, fn, *args):
    """Apply ``fn``: arrays become (traced) arguments, Python scalars stay constants."""
    arr_pos = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]

    def g(*arrs):
        full = list(args)
        for i, a in zip(arr_pos, arrs):
            full[i] = a
        return fn(*full)
    return MODES[mode](g)(*[args[i] for i in arr_pos])


# -- binary ---------------------------------------------------------------------------

# name: (numpy function, result rule, domain)
#   rule "same": JAX's promoted dtype; "numeric": the same but bool becomes the default int;
#   "inexact": the promoted dtype, or the default float for int/bool; "bool": comparisons.
BINARY = {
    "add": (np.add, "same", None), "subtract": (np.subtract, "same", None),
    "multiply": (np.multiply, "same", None), "true_divide": (np.true_divide, "inexact", None),
    "divide": (np.divide, "inexact", None),
    "floor_divide": (np.floor_divide, "numeric", "nonzero_y"),
    "remainder": (np.remainder, "numeric", "nonzero_y"),
    "mod": (np.mod, "numeric", "nonzero_y"),
    "fmod": (np.fmod, "numeric", "nonzero_y"), "power": (np.power, "numeric", "power"),
    "maximum": (np.maximum, "same", None), "minimum": (np.minimum, "same", None),
    "arctan2": (np.arctan2, "inexact", None), "hypot": (np.hypot, "inexact", None),
    "logaddexp": (np.logaddexp, "inexact", None), "logaddexp2": (np.logaddexp2, "inexact", None),
    "copysign": (np.copysign, "inexact", None), "nextafter": (np.nextafter, "inexact", None),
    "heaviside": (np.heaviside, "inexact", None),
    "float_power": (np.float_power, "inexact", "power"),
    "equal": (np.equal, "bool", None), "not_equal": (np.not_equal, "bool", None),
    "less": (np.less, "bool", None), "less_equal": (np.less_equal, "bool", None),
    "greater": (np.greater, "bool", None), "greater_equal": (np.greater_equal, "bool", None),
    "logical_and": (np.logical_and, "bool", None), "logical_or": (np.logical_or, "bool", None),
    "logical_xor": (np.logical_xor, "bool", None),
    "bitwise_and": (np.bitwise_and, "same", "int"), "bitwise_or": (np.bitwise_or, "same", "int"),
    "bitwise_xor": (np.bitwise_xor, "same", "int"),
    "left_shift": (np.left_shift, "numeric", "shift"),
    "right_shift": (np.right_shift, "numeric", "shift"),
}
# ops whose weak type follows the plain lattice rule in JAX (others have quirks)
WEAK_RULE = {"add", "subtract", "multiply", "true_divide", "divide", "floor_divide", "remainder",
             "mod", "fmod", "maximum", "minimum", "arctan2", "logaddexp", "copysign",
             "nextafter", "bitwise_and", "bitwise_or", "bitwise_xor"}

PAIRS = [(f32, f32), (f16, f32), (f16, f16), (i32, i32), (i8, u8), (u8, u16), (u32, i32),
         (i16, f16), (i32, f32), (b1, i32), (b1, b1), (u8, b1), (f32, float), (i8, int),
         (u8, int), (b1, float), (b1, int), (f16, int), (int, int), (int, float), (float, i8)]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((0, 3), (1, 3)),
          ((), ())]


def _name(t):
    return t.__name__ if isinstance(t, type) and t in (int, float) else np.dtype(t).name


def _pyval(t, op):
    if op in ("power", "float_power", "left_shift", "right_shift"):
        return 2 if t is int else 1.5
    return 3 if t is int else 1.5


def _operand(rng, t, shape, op, side):
    if t in (int, float):
        return _pyval(t, op)
    dom = BINARY[op][2]
    d = np.dtype(t)
    if dom == "shift" and side == 1 and d.kind in "iu":
        return rng.integers(0, 8, shape).astype(d)
    if dom == "power" and side == 1 and d.kind in "iu":
        return rng.integers(0, 4, shape).astype(d)
    if dom == "power" and side == 0 and d.kind in "iu":
        return rng.integers(-3 if d.kind == "i" else 0, 4, shape).astype(d)
    if dom == "power" and side == 0 and d.kind == "f":
        return rng.uniform(0.1, 3.0, shape).astype(d)
    x = rand(rng, shape, d)
    if dom == "nonzero_y" and side == 1 and d.kind in "iub":
        x = np.where(x == 0, np.ones((), d), x)
    return x


def _expected_dtype(op, ta, tb):
    rule = BINARY[op][1]
    if op == "power" and tb is int and ta not in (int, float):
        return numeric_of(ta), False  # a static int exponent keeps the base's dtype
    d, w = jax_result(ta, tb)
    if rule == "bool":
        return np.dtype(bool), None
    if rule == "inexact":
        return inexact_of(d), w
    if rule == "numeric":
        return numeric_of(d), w
    return d, w


def _invalid(op, ta, tb):
    """Combinations JAX rejects with TypeError."""
    d, _ = jax_result(ta, tb)
    if op == "subtract" and d == np.bool_:
        return True
    if BINARY[op][2] in ("int", "shift") and d.kind in "fc":
        return True
    return False


def _numpy_binary(op, x, y, compute, out):
    npf = BINARY[op][0]
    xs = np.asarray(x).astype(compute)
    ys = np.asarray(y).astype(compute)
    with np.errstate(all="ignore"):
        r = npf(xs, ys)
    return np.asarray(r).astype(out) if out != np.bool_ else np.asarray(r)


@pytest.mark.parametrize("mode", ["eager", "traced"])
@pytest.mark.parametrize("ta,tb", PAIRS, ids=[f"{_name(a)}-{_name(b)}" for a, b in PAIRS])
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary(op, ta, tb, mode):
    rng = rng_for(op, _name(ta), _name(tb))
    fn = getattr(jnp, op)
    if _invalid(op, ta, tb):
        x, y = _operand(rng, ta, (3,), op, 0), _operand(rng, tb, (3,), op, 1)
        with pytest.raises(TypeError):
            _run(mode, fn, x, y)
        return
    out_dtype, weak = _expected_dtype(op, ta, tb)
    promoted, _ = jax_result(ta, tb)
    compute = promoted if BINARY[op][1] == "bool" else out_dtype
    for sa, sb in SHAPES:
        if ta in (int, float) and tb in (int, float) and (sa, sb) != ((), ()):
            continue
        x, y = _operand(rng, ta, sa, op, 0), _operand(rng, tb, sb, op, 1)
        got = _run(mode, fn, x, y)
        want = _numpy_binary(op, x, y, compute, out_dtype)
        tol = {}
        if op in ("float_power", "power", "logaddexp2", "hypot") and out_dtype == f16:
            tol = dict(rtol=1e-2, atol=1e-2)
        check(got, want, dtype=out_dtype, weak=weak if op in WEAK_RULE else None, **tol)


@pytest.mark.parametrize("op", ["add", "multiply", "maximum", "minimum", "logical_and",
                                "bitwise_or", "equal"])
def test_binary_bool(op):
    x = np.array([True, True, False, False])
    y = np.array([True, False, True, False])
    check(getattr(jnp, op)(x, y), getattr(np, op)(x, y), dtype=np.bool_)


FLOAT_SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-30,
                           3e38], np.float32)


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "true_divide", "floor_divide",
                                "remainder", "fmod", "power", "maximum", "minimum", "arctan2",
                                "hypot", "logaddexp", "logaddexp2", "copysign", "nextafter",
                                "heaviside", "equal", "less", "greater_equal", "not_equal"])
def test_binary_float_specials(op):
    """Every pair of IEEE special values, as NumPy computes them in float32."""
    x = np.repeat(FLOAT_SPECIALS, len(FLOAT_SPECIALS))
    y = np.tile(FLOAT_SPECIALS, len(FLOAT_SPECIALS))
    got = getattr(jnp, op)(x, y)
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x, y)
    if op in ("logaddexp2", "hypot", "logaddexp"):
        check(got, want, rtol=1e-5, atol=1e-5)
    else:
        check(got, want)


@pytest.mark.parametrize("op", ["floor_divide", "remainder", "fmod"])
@pytest.mark.parametrize("dt", [i8, i32, u8, u32])
def test_int_division_signs(op, dt):
    """All sign combinations of integer floor division and remainders (non-zero divisors)."""
    vals = np.arange(-7, 8) if np.dtype(dt).kind == "i" else np.arange(0, 15)
    x = np.repeat(vals, len(vals)).astype(dt)
    y = np.tile(vals, len(vals)).astype(dt)
    keep = y != 0
    x, y = x[keep], y[keep]
    check(getattr(jnp, op)(x, y), getattr(np, op)(x, y), dtype=dt)


def test_int_extremes():
    info = np.iinfo(np.int32)
    x = np.array([info.min, info.max, info.min + 1, -1, 0], np.int32)
    y = np.array([7, -7, 3, 5, 2], np.int32)
    for op in ("floor_divide", "remainder", "fmod", "add", "subtract", "multiply"):
        with np.errstate(all="ignore"):
            check(getattr(jnp, op)(x, y), getattr(np, op)(x, y), dtype=np.int32)


def test_divmod():
    rng = np.random.default_rng(0)
    x = rng.integers(-20, 20, (4, 5)).astype(np.int32)
    y = rng.integers(1, 6, (5,)).astype(np.int32) * np.array([1, -1, 1, -1, 1], np.int32)
    q, r = jnp.divmod(x, y)
    nq, nr = np.divmod(x, y)
    check(q, nq, dtype=np.int32)
    check(r, nr, dtype=np.int32)
    xf = rng.standard_normal((4, 5)).astype(np.float32) * 5
    yf = rng.standard_normal((5,)).astype(np.float32)
    q, r = jnp.divmod(xf, yf)
    nq, nr = np.divmod(xf, yf)
    check(q, nq, dtype=np.float32, rtol=1e-5, atol=1e-5)
    check(r, nr, dtype=np.float32, rtol=1e-5, atol=1e-5)
    q, r = divmod(jnp.asarray(x), 3)
    check(q, x // 3)
    check(r, x % 3)


@pytest.mark.parametrize("dt", [i8, i16, i32, u8, u32])
def test_shift_out_of_range(dt):
    """JAX semantics for shifts by >= the bit width or negative amounts (NumPy: undefined)."""
    bits = np.dtype(dt).itemsize * 8
    x = np.array([5, 1, 3, 2], dt) if np.dtype(dt).kind == "u" else np.array([5, -1, -8, 3], dt)
    for s in (bits, bits + 3):
        sh = np.full(4, s, dt)
        check(jnp.left_shift(x, sh), np.zeros(4, dt), dtype=dt)
        want_r = np.where(x < 0, -1, 0).astype(dt)
        check(jnp.right_shift(x, sh), want_r, dtype=dt)
    sh = np.array([bits - 1] * 4, dt)
    check(jnp.left_shift(x, sh), np.left_shift(x, sh), dtype=dt)
    check(jnp.right_shift(x, sh), np.right_shift(x, sh), dtype=dt)


def test_integer_power_exact():
    """Integer powers are exact (no float round trip), including wrap-around like NumPy."""
    x = np.array([3, -3, 7, 2, 0, 1, -1], np.int32)
    y = np.array([19, 19, 11, 31, 0, 100, 7], np.int32)
    check(jnp.power(x, y), np.power(x, y), dtype=np.int32)
    for k in range(0, 9):
        check(jnp.power(x, k), np.power(x, k), dtype=np.int32)
        check(jnp.asarray(x) ** k, np.power(x, k), dtype=np.int32)
    xb = np.array([True, False])
    check(jnp.power(xb, 2), np.array([1, 0]), dtype=np.int32)
    check(jnp.power(xb, 0), np.array([1, 1]), dtype=np.int32)


def test_power_scalar_exponents_and_bases():
    x = np.array([0.5, 1.0, 2.0, 3.5], np.float32)
    for k in (-3, -1, 0, 1, 2, 5):
        check(jnp.power(x, k), np.power(x, np.float32(k)), dtype=np.float32, weak=False)
    check(jnp.power(x, 0.5), np.sqrt(x), dtype=np.float32)
    xi = np.arange(5, dtype=np.int32)
    check(2 ** jnp.asarray(xi), 2 ** xi, dtype=np.int32)
    check(2.0 ** jnp.asarray(xi), 2.0 ** xi, dtype=np.float32)
    check(jnp.asarray(xi) ** 2.0, xi ** 2.0, dtype=np.float32)
    with pytest.raises((ValueError, TypeError)):
        jnp.power(xi, -1)


# -- unary ----------------------------------------------------------------------------

# name: (numpy function, rule, domain); rules as for BINARY plus "keep_int" (ints unchanged)
UNARY = {
    "exp": (np.exp, "inexact", None), "exp2": (np.exp2, "inexact", None),
    "expm1": (np.expm1, "inexact", None), "log": (np.log, "inexact", "pos"),
    "log1p": (np.log1p, "inexact", "gt-1"), "log2": (np.log2, "inexact", "pos"),
    "log10": (np.log10, "inexact", "pos"), "sqrt": (np.sqrt, "inexact", "nonneg"),
    "cbrt": (np.cbrt, "inexact", None), "sin": (np.sin, "inexact", None),
    "cos": (np.cos, "inexact", None), "tan": (np.tan, "inexact", "small"),
    "arcsin": (np.arcsin, "inexact", "unit"), "arccos": (np.arccos, "inexact", "unit"),
    "arctan": (np.arctan, "inexact", None), "sinh": (np.sinh, "inexact", None),
    "cosh": (np.cosh, "inexact", None), "tanh": (np.tanh, "inexact", None),
    "arcsinh": (np.arcsinh, "inexact", None), "arccosh": (np.arccosh, "inexact", "ge1"),
    "arctanh": (np.arctanh, "inexact", "unit"), "deg2rad": (np.deg2rad, "inexact", None),
    "rad2deg": (np.rad2deg, "inexact", None), "radians": (np.radians, "inexact", None),
    "degrees": (np.degrees, "inexact", None), "sinc": (np.sinc, "inexact", None),
    "fabs": (np.fabs, "inexact", None), "reciprocal": (np.reciprocal, "inexact", "nonzero"),
    "rint": (np.rint, "inexact", None),
    "negative": (np.negative, "same", "nobool"),
    "positive": (lambda x: np.array(x, copy=True), "same", None),
    "absolute": (np.absolute, "same", None), "abs": (np.abs, "same", None),
    "sign": (np.sign, "same", "nobool"), "square": (np.square, "numeric", None),
    "floor": (np.floor, "same", None), "ceil": (np.ceil, "same", None),
    "trunc": (np.trunc, "same", None), "fix": (np.fix, "same", None),
    "invert": (np.invert, "same", "int"), "bitwise_not": (np.bitwise_not, "same", "int"),
    "logical_not": (np.logical_not, "bool", None), "isnan": (np.isnan, "bool", None),
    "isinf": (np.isinf, "bool", None), "isfinite": (np.isfinite, "bool", None),
    "isposinf": (np.isposinf, "bool", None), "isneginf": (np.isneginf, "bool", None),
    "signbit": (np.signbit, "bool", None), "conj": (np.conj, "same", None),
    "conjugate": (np.conjugate, "same", None), "real": (np.real, "same", None),
}
UNARY_DTYPES = [b1, i8, u8, i16, i32, u32, f16, f32]


def _unary_input(rng, shape, dt, dom):
    d = np.dtype(dt)
    if d == np.bool_:
        return rng.random(shape) < 0.5
    if d.kind in "iu":
        lo, hi = {"pos": (1, 6), "nonneg": (0, 6), "gt-1": (0, 6), "ge1": (1, 6),
                  "unit": (0, 1), "nonzero": (1, 6)}.get(dom, (-5 if d.kind == "i" else 0, 6))
        if dom in ("small",):
            lo, hi = -1, 2
        return rng.integers(lo, hi, shape).astype(d)
    if dom in ("pos", "nonzero"):
        return rng.uniform(0.1, 4.0, shape).astype(d)
    if dom == "nonneg":
        return rng.uniform(0.0, 4.0, shape).astype(d)
    if dom == "gt-1":
        return rng.uniform(-0.9, 4.0, shape).astype(d)
    if dom == "ge1":
        return rng.uniform(1.0, 5.0, shape).astype(d)
    if dom == "unit":
        return rng.uniform(-0.95, 0.95, shape).astype(d)
    if dom == "small":
        return rng.uniform(-1.2, 1.2, shape).astype(d)
    return (rng.standard_normal(shape) * 2).astype(d)


@pytest.mark.parametrize("mode", ["eager", "traced"])
@pytest.mark.parametrize("dt", UNARY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op, dt, mode):
    npf, rule, dom = UNARY[op]
    d = np.dtype(dt)
    rng = rng_for(op, d.name)
    fn = getattr(jnp, op)
    if (dom == "nobool" and d == np.bool_) or (dom == "int" and d.kind == "f"):
        with pytest.raises(TypeError):
            _run(mode, fn, _unary_input(rng, (3,), d, dom))
        return
    if rule == "inexact":
        out = inexact_of(d)
    elif rule == "numeric":
        out = numeric_of(d)
    elif rule == "bool":
        out = np.dtype(bool)
    else:
        out = d
    for shape in [(3, 4), (), (0,), (2, 1, 3)]:
        x = _unary_input(rng, shape, d, dom)
        got = _run(mode, fn, x)
        xc = x.astype(out) if rule != "bool" else x
        with np.errstate(all="ignore"):
            want = np.asarray(npf(xc))
        if rule != "bool":
            want = want.astype(out)
        tol = dict(rtol=3e-3, atol=3e-3) if out == f16 else {}
        if op in ("tan", "sinc") and out == f32:
            tol = dict(rtol=1e-5, atol=1e-5)
        check(got, want, dtype=out, **tol)


UNARY_FLOAT_OPS = [k for k, v in UNARY.items() if v[2] != "int"]


@pytest.mark.parametrize("op", sorted(UNARY_FLOAT_OPS))
def test_unary_float_specials(op):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-30,
                  3e38, -3e38, 1e-45], np.float32)
    with np.errstate(all="ignore"):
        want = UNARY[op][0](x)
    got = getattr(jnp, op)(x)
    tol = dict(rtol=1e-5, atol=1e-6) if op in ("sinc", "expm1", "tan", "log1p") else {}
    check(got, want, dtype=np.float32 if UNARY[op][1] != "bool" else np.bool_, **tol)


@pytest.mark.parametrize("op", ["sin", "exp", "sqrt", "negative", "square", "abs", "floor"])
@pytest.mark.parametrize("val", [2, 2.5])
def test_unary_python_scalar_is_weak(op, val):
    out = getattr(jnp, op)(val)
    with np.errstate(all="ignore"):
        want = getattr(np, op)(np.float32(val) if UNARY[op][1] == "inexact" or
                               isinstance(val, float) else np.int32(val))
    exp_dtype = np.float32 if (UNARY[op][1] == "inexact" or isinstance(val, float)) else np.int32
    check(out, want, dtype=exp_dtype, weak=True, shape=())


def test_round():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.125, 0.375, 1234.5678, -2.675], np.float32)
    for dec in (0, 1, 2, 3, -1, -2):
        check(jnp.round(x, dec), np.round(x, dec), dtype=np.float32, rtol=1e-6, atol=1e-6)
        check(jnp.around(x, dec), np.around(x, dec), dtype=np.float32, rtol=1e-6, atol=1e-6)
    xi = np.array([14, 15, 16, 25, 35, -15, -25, 149, 150, 151, 250, -250, 5, -5, 0, 7],
                  np.int32)
    for dec in (0, 2, -1, -2, -3, -12):
        check(jnp.round(xi, dec), np.round(xi, dec), dtype=np.int32)
    x8 = np.array([-128, -65, -50, -49, 0, 49, 50, 51, 127], np.int8)
    check(jnp.round(x8, -2), np.round(x8.astype(np.int32), -2).astype(np.int8), dtype=np.int8)
    check(jnp.round(x8, -3), np.zeros(9, np.int8), dtype=np.int8)
    check(round(jnp.asarray(np.float32(2.5))), np.float32(2.0))


@pytest.mark.parametrize("shape", [(3, 4), (4,), ()])
def test_where(shape):
    rng = np.random.default_rng(1)
    c = rng.random((3, 4)) < 0.5
    x = rand(rng, shape, np.float32)
    y = rand(rng, (3, 1), np.int32)
    check(jnp.where(c, x, y), np.where(c, x, y.astype(np.float32)), dtype=np.float32)
    check(jnp.where(c, 1, 2.0), np.where(c, 1.0, 2.0), dtype=np.float32, weak=True)
    check(jnp.where(c.astype(np.int32), x, 0), np.where(c, x, 0), dtype=np.float32, weak=False)
    check(jnp.where(True, 1, 2), np.int32(1), dtype=np.int32, weak=True)
    ci = rng.integers(-1, 2, (4,))
    check(jnp.where(ci, 1.0, -1.0), np.where(ci, 1.0, -1.0), dtype=np.float32)
    e = np.zeros((0, 4), np.float32)
    check(jnp.where(e > 0, e, 1.0), np.where(e > 0, e, 1.0), dtype=np.float32)
    t = traced(lambda c, x, y: jnp.where(c, x, y))(c, x, y)
    check(t, np.where(c, x, y), dtype=np.float32)


def test_where_one_argument_is_nonzero():
    x = np.array([[0, 1, 0], [2, 0, 3]])
    got = jnp.where(x)
    want = np.nonzero(x)
    assert len(got) == 2
    for g, w in zip(got, want):
        check(g, w, dtype=default_int())
    with pytest.raises(ValueError):
        jnp.where(x, 1)


@pytest.mark.parametrize("dt", [np.float32, np.int32, np.uint8])
def test_clip(dt):
    rng = np.random.default_rng(2)
    x = rand(rng, (5, 4), dt, low=0 if np.dtype(dt).kind == "u" else None)
    lo, hi = (1, 4) if np.dtype(dt).kind in "iu" else (-0.5, 0.5)
    check(jnp.clip(x, lo, hi), np.clip(x, lo, hi), dtype=dt)
    check(jnp.clip(x, lo), np.clip(x, lo, None), dtype=dt)
    check(jnp.clip(x, None, hi), np.clip(x, None, hi), dtype=dt)
    check(jnp.clip(x, max=hi), np.clip(x, None, hi), dtype=dt)
    check(jnp.clip(x, a_min=lo, a_max=hi), np.clip(x, lo, hi), dtype=dt)
    bounds = rand(rng, (4,), dt)
    check(jnp.clip(x, bounds, None), np.clip(x, bounds, None), dtype=dt)
    check(jnp.asarray(x).clip(lo, hi), np.clip(x, lo, hi), dtype=dt)
    check(jnp.clip(x), x, dtype=dt)


def test_clip_lower_above_upper_follows_numpy():
    x = np.arange(6, dtype=np.float32)
    check(jnp.clip(x, 4, 2), np.clip(x, 4, 2))


def test_clip_promotes_like_jax():
    x = np.arange(5, dtype=np.int32)
    check(jnp.clip(x, 1, 3.5), np.clip(x.astype(np.float32), 1, 3.5), dtype=np.float32)


@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose(equal_nan):
    a = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 0.0, 1e-9, 100.0, -np.inf, np.nan],
                 np.float32)
    b = np.array([1.0 + 1e-6, 1.1, np.inf, -np.inf, np.nan, 1e-9, 0.0, 100.001, -np.inf, 1.0],
                 np.float32)
    check(jnp.isclose(a, b, equal_nan=equal_nan), np.isclose(a, b, equal_nan=equal_nan),
          dtype=np.bool_)
    check(jnp.isclose(a, b, rtol=0.2, atol=0.0), np.isclose(a, b, rtol=0.2, atol=0.0))
    check(jnp.isclose(a[:, None], b[None, :]), np.isclose(a[:, None], b[None, :]))
    ai, bi = np.array([1, 2, 3]), np.array([1, 3, 3])
    check(jnp.isclose(ai, bi), np.isclose(ai, bi), dtype=np.bool_)
    assert bool(jnp.allclose(a[:2], a[:2])) and not bool(jnp.allclose(a, b))
    assert bool(jnp.allclose(a, a, equal_nan=True)) and not bool(jnp.allclose(a, a))
    assert isinstance(jnp.allclose(a, b), jnp.ndarray)


def test_array_equal():
    a = np.array([[1.0, np.nan], [2.0, 3.0]], np.float32)
    for x, y, kw in [(a, a, {}), (a, a, {"equal_nan": True}), (a, a[:1], {}),
                     (a, a.T, {}), (np.arange(3), np.arange(3.0), {}), (a[:0], a[:0], {}),
                     (np.arange(3), np.array([0, 1, 3]), {})]:
        got = jnp.array_equal(x, y, **kw)
        assert isinstance(got, jnp.ndarray) and got.dtype == np.bool_ and got.shape == ()
        assert bool(got) == np.array_equal(x, y, **kw), (x, y, kw)
    assert bool(jnp.array_equiv(np.ones(3), np.ones((2, 3))))
    assert not bool(jnp.array_equiv(np.ones(3), np.ones((2, 4))))


def test_nan_to_num():
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0], np.float32)
    check(jnp.nan_to_num(x), np.nan_to_num(x), dtype=np.float32)
    check(jnp.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0),
          np.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0))
    xi = np.array([1, 2], np.int32)
    check(jnp.nan_to_num(xi), xi, dtype=np.int32)


@pytest.mark.parametrize("mode", ["eager", "traced"])
def test_logaddexp_extremes(mode):
    x = np.array([1000.0, -1000.0, np.inf, -np.inf, np.inf, 0.0, np.nan, 5.0], np.float32)
    y = np.array([1000.0, -1000.0, np.inf, -np.inf, -np.inf, -np.inf, 1.0, np.nan], np.float32)
    with np.errstate(all="ignore"):
        want = np.logaddexp(x, y)
        want2 = np.logaddexp2(x, y)
    check(MODES[mode](jnp.logaddexp)(x, y), want, dtype=np.float32)
    check(MODES[mode](jnp.logaddexp2)(x, y), want2, dtype=np.float32, rtol=1e-6)


def test_methods_and_operators_match_functions():
    rng = np.random.default_rng(3)
    x = rand(rng, (3, 4), np.float32)
    y = rand(rng, (4,), np.float32)
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    for got, want in [(jx + jy, x + y), (jx - jy, x - y), (jx * jy, x * y), (jx / jy, x / y),
                      (jx // jy, x // y), (jx % jy, x % y), (abs(jx), abs(x)), (-jx, -x),
                      (+jx, +x), (jx ** 2, x ** 2), (jx < jy, x < y), (jx <= jy, x <= y),
                      (jx > jy, x > y), (jx >= jy, x >= y), (jx == jy, x == y),
                      (jx != jy, x != y), (1 - jx, 1 - x), (2 / jx, 2 / x), (y + jx, y + x),
                      (x * jy, x * y)]:
        check(got, want, rtol=1e-5, atol=1e-6)
    xi = rng.integers(0, 16, (5,)).astype(np.int32)
    yi = rng.integers(0, 4, (5,)).astype(np.int32)
    ji, ki = jnp.asarray(xi), jnp.asarray(yi)
    for got, want in [(ji & ki, xi & yi), (ji | ki, xi | yi), (ji ^ ki, xi ^ yi), (~ji, ~xi),
                      (ji << ki, xi << yi), (ji >> ki, xi >> yi), (3 & ji, 3 & xi),
                      (1 << ki, 1 << yi), (100 >> ki, 100 >> yi), (7 - ji, 7 - xi),
                      (20 // (ki + 1), 20 // (yi + 1)), (20 % (ki + 1), 20 % (yi + 1)),
                      (2 ** ki, 2 ** yi)]:
        check(got, want, dtype=np.int32)


def test_numpy_array_on_the_left_defers_to_jitnet():
    x = np.arange(3, dtype=np.float32)
    out = x + jnp.asarray(x)
    assert isinstance(out, jnp.ndarray)
    check(out, 2 * x)


def test_bool_arithmetic():
    x = np.array([True, False, True])
    jx = jnp.asarray(x)
    check(jx + jx, x + x, dtype=np.bool_)
    check(jx * jx, x * x, dtype=np.bool_)
    check(jx + 1, x + 1, dtype=np.int32, weak=True)
    check(jx * 2.5, x * 2.5, dtype=np.float32, weak=True)
    with pytest.raises(TypeError):
        jx - jx
    with pytest.raises(TypeError):
        -jx
    check(~jx, ~x, dtype=np.bool_)


def _jax_int_division_by_zero(op, x, dt):
    """JAX's values for an integer divisor of 0, written out per element: XLA divides to all
    ones (-1 / the unsigned max); floor_divide then subtracts 1 where sign(x) != sign(0) and
    the remainder (x) is non-zero; remainder and fmod use a divisor of 1 instead (-> 0)."""
    if op in ("remainder", "fmod"):
        return 0
    if np.dtype(dt).kind == "u":
        return int(np.iinfo(dt).max)
    return -1 if x == 0 else -2


@pytest.mark.parametrize("op", ["floor_divide", "remainder", "fmod"])
@pytest.mark.parametrize("dt", [i8, i32, u8, u32])
def test_int_division_by_zero_eager_and_jit_agree_with_jax(op, dt):
    import jitnet
    info = np.iinfo(dt)
    x = np.array(sorted({0, 1, 7, int(info.max), int(info.min)} | ({-7} if info.min else set())),
                 dt)
    y = np.zeros_like(x)
    want = np.array([_jax_int_division_by_zero(op, int(v), dt) for v in x]).astype(dt)
    f = getattr(jnp, op)
    check(f(x, y), want, dtype=dt)
    check(jitnet.jit(f)(x, y), want, dtype=dt)

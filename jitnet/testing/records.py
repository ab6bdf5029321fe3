"""Op records: sample calls of every primitive, shared by the conformance tests.

Each ``Record`` says how to call one primitive (with fixed params) and how to draw
arguments. The conformance tests walk ``RECORDS`` to check, for every primitive,
that eager results match the shape rule, derivatives match finite differences,
vmap matches a loop, and (later) jit matches eager. A primitive without a record
fails the coverage test, so new primitives must add one here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import lax
from ..prims import elementwise as _ew
from ..prims.random import threefry2x32_iota as _threefry2x32_iota


# -- argument specs --------------------------------------------------------------------

@dataclass(frozen=True)
class Arg:
    """How to draw one argument: kind in normal/pos/unit/int/bool/const."""
    kind: str
    shape: tuple = ()
    lo: float = 0
    hi: float = 1
    value: object = None

    def draw(self, rng, dtype):
        s = self.shape
        if self.kind == "normal":
            return rng.standard_normal(s).astype(dtype)
        if self.kind == "pos":
            return rng.uniform(0.5, 2.0, s).astype(dtype)
        if self.kind == "unit":
            return rng.uniform(-0.9, 0.9, s).astype(dtype)
        if self.kind == "uniform":
            return rng.uniform(self.lo, self.hi, s).astype(dtype)
        if self.kind == "int":
            return rng.randint(int(self.lo), int(self.hi), s).astype(np.int32)
        if self.kind == "bool":
            return rng.rand(*s) > 0.5
        if self.kind == "perm":  # distinct indices (scatter without collisions)
            n = int(np.prod(s[:-1])) if s else 1
            return rng.permutation(int(self.hi))[:n].reshape(s).astype(np.int32)
        if self.kind == "const":
            return self.value
        raise ValueError(self.kind)


def F(*shape):
    return Arg("normal", shape)


def Pos(*shape):
    return Arg("pos", shape)


def Unit(*shape):
    return Arg("unit", shape)


def U(lo, hi, *shape):
    return Arg("uniform", shape, lo, hi)


def I(lo, hi, *shape):  # noqa: E743
    return Arg("int", shape, lo, hi)


def B(*shape):
    return Arg("bool", shape)


def Perm(n, *shape):
    return Arg("perm", shape, 0, n)


@dataclass
class Record:
    prim: str                    # the primitive this record exercises
    fun: Callable                # called with the drawn arguments
    args: list                   # Arg specs
    grad_order: int = 2          # 0: not differentiable
    vmap: bool = True
    tol: float | None = None     # float64 tolerance override for check_grads
    name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.name or self.prim

    def draw(self, rng, dtype=np.float32):
        return tuple(a.draw(rng, dtype) for a in self.args)


def _r(prim, fun, args, **kw):
    return Record(prim, fun, list(args), **kw)


# -- elementwise ------------------------------------------------------------------------

_UNARY = [
    ("neg", lax.neg, F), ("sign", lax.sign, F), ("floor", lax.floor, F), ("ceil", lax.ceil, F),
    ("exp", lax.exp, F), ("exp2", lax.exp2, F), ("log", lax.log, Pos), ("log1p", lax.log1p, Pos),
    ("expm1", lax.expm1, F), ("tanh", lax.tanh, F), ("logistic", lax.logistic, F),
    ("sin", lax.sin, F), ("cos", lax.cos, F), ("tan", lax.tan, Unit), ("asin", lax.asin, Unit),
    ("acos", lax.acos, Unit), ("atan", lax.atan, F), ("sinh", lax.sinh, F),
    ("cosh", lax.cosh, F), ("asinh", lax.asinh, F), ("atanh", lax.atanh, Unit),
    ("sqrt", lax.sqrt, Pos), ("rsqrt", lax.rsqrt, Pos), ("cbrt", lax.cbrt, Pos),
    ("abs", lax.abs, F), ("erf", lax.erf, F), ("erfc", lax.erfc, F),
    ("erf_inv", lax.erf_inv, Unit),
]

RECORDS: list[Record] = [_r(n, f, [a(3, 4)]) for n, f, a in _UNARY]
RECORDS += [
    _r("acosh", lax.acosh, [U(1.5, 3.0, 3, 4)]),
    _r("lgamma", lax.lgamma, [Pos(3, 4)]),
    _r("digamma", lax.digamma, [Pos(3, 4)]),
    _r("is_finite", lax.is_finite, [F(3, 4)], grad_order=0),
    _r("round", lambda x: lax.round(x, 0), [F(3, 4)], name="round_away"),
    _r("round", lambda x: lax.round(x, 1), [F(3, 4)], name="round_even"),
    _r("integer_pow", lambda x: lax.integer_pow(x, 3), [F(3, 4)], name="integer_pow_3"),
    _r("integer_pow", lambda x: lax.integer_pow(x, -2), [Pos(3, 4)], name="integer_pow_-2"),
    _r("not", lax.bitwise_not, [I(-50, 50, 3, 4)], grad_order=0),
    _r("population_count", lax.population_count, [I(-1000, 1000, 3, 4)], grad_order=0),
]

_BINARY = [
    ("add", lax.add, F, F), ("sub", lax.sub, F, F), ("mul", lax.mul, F, F),
    ("div", lax.div, F, Pos), ("rem", lax.rem, Unit, Pos), ("pow", lax.pow, Pos, F),
    ("max", lax.max, F, F), ("min", lax.min, F, F), ("atan2", lax.atan2, F, F),
]
RECORDS += [_r(n, f, [a(3, 4), b(3, 4)]) for n, f, a, b in _BINARY]
RECORDS += [
    _r("mul", lax.mul, [F(3, 4), F()], name="mul_scalar_rhs"),
    _r("add", lax.add, [F(), F(3, 4)], name="add_scalar_lhs"),
    _r("div", lax.div, [I(-20, 20, 3, 4), I(1, 5, 3, 4)], grad_order=0, name="div_int"),
    _r("rem", lax.rem, [I(-20, 20, 3, 4), I(1, 5, 3, 4)], grad_order=0, name="rem_int"),
    _r("nextafter", lax.nextafter, [F(3, 4), F(3, 4)], grad_order=0),
]
for _n, _f in [("and", lax.bitwise_and), ("or", lax.bitwise_or), ("xor", lax.bitwise_xor)]:
    RECORDS.append(_r(_n, _f, [I(-100, 100, 3, 4), I(-100, 100, 3, 4)], grad_order=0))
    RECORDS.append(_r(_n, _f, [B(3, 4), B(3, 4)], grad_order=0, name=_n + "_bool"))
for _n, _f in [("shift_left", lax.shift_left), ("shift_right_logical", lax.shift_right_logical),
               ("shift_right_arithmetic", lax.shift_right_arithmetic)]:
    RECORDS.append(_r(_n, _f, [I(-1000, 1000, 3, 4), I(0, 40, 3, 4)], grad_order=0))
for _n, _f in [("eq", lax.eq), ("ne", lax.ne), ("lt", lax.lt), ("le", lax.le), ("gt", lax.gt),
               ("ge", lax.ge)]:
    RECORDS.append(_r(_n, _f, [I(0, 3, 3, 4), I(0, 3, 3, 4)], grad_order=0))
RECORDS += [
    _r("select_n", lambda p, a, b: lax.select_n(p, a, b), [B(3, 4), F(3, 4), F(3, 4)]),
    _r("select_n", lambda p, a, b, c: lax.select_n(p, a, b, c),
       [I(0, 3, 3, 4), F(3, 4), F(3, 4), F(3, 4)], name="select_n_3"),
    _r("select_n", lambda p, a, b: lax.select_n(p, a, b), [B(), F(3, 4), F(3, 4)],
       name="select_n_scalar_pred"),
    _r("clamp", lambda lo, x, hi: lax.clamp(lo, x, hi), [U(-2, -1, 3, 4), F(3, 4), U(1, 2, 3, 4)]),
    _r("clamp", lambda x: lax.clamp(np.asarray(-0.5, x.dtype), x, np.asarray(0.5, x.dtype)),
       [F(3, 4)],
       name="clamp_scalar_bounds", grad_order=1),
    _r("convert_element_type", lambda x: lax.convert_element_type(x, np.int32), [U(-9, 9, 3, 4)],
       grad_order=0, name="convert_to_int"),
    _r("convert_element_type", lambda x: lax.convert_element_type(x, np.float32), [F(3, 4)],
       tol=1e-2, name="convert_to_f32"),
    _r("bitcast_convert_type",
       lambda x: lax.bitcast_convert_type(x, np.dtype(f"i{np.dtype(x.dtype).itemsize}")),
       [U(-5, 5, 3, 4)], grad_order=0),
    # a step function: finite differences cannot see its (rounded identity) derivative
    _r("round_to_dtype", lambda x: _ew.round_to_dtype(x, np.float16), [F(3, 4)], grad_order=0),
    # finite differences cannot see stop_gradient; tests/transforms checks its derivative
    _r("stop_gradient", lambda x: lax.mul(lax.stop_gradient(x), x), [F(3, 4)], grad_order=0),
]

# complex parts: drawn as real floats, the complex values built inside, so the derivative
# checks see real functions (x^2 - y^2, 2xy, |x + iy|) that pass through complex ones
RECORDS += [
    _r("complex", lax.complex, [F(3, 4), F(3, 4)], grad_order=0, name="complex_out"),
    _r("complex", lambda x, y: lax.imag(lax.mul(lax.complex(x, y), lax.complex(y, x))),
       [F(3, 4), F(3, 4)]),
    _r("real", lambda x, y: lax.real(lax.integer_pow(lax.complex(x, y), 2)), [F(3, 4), F(3, 4)]),
    _r("imag", lambda x, y: lax.imag(lax.integer_pow(lax.complex(x, y), 2)), [F(3, 4), F(3, 4)]),
    _r("conj", lambda x, y: lax.imag(lax.mul(lax.conj(lax.complex(x, y)), lax.complex(y, x))),
       [F(3, 4), F(3, 4)]),
    _r("abs", lambda x, y: lax.abs(lax.complex(x, y)), [F(3, 4), F(3, 4)], name="abs_complex"),
]

# -- shape ------------------------------------------------------------------------------

RECORDS += [
    _r("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1, 2)), [F(3, 1)]),
    _r("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3), ()), [F()],
       name="broadcast_scalar"),
    _r("reshape", lambda x: lax.reshape(x, (4, 3)), [F(2, 6)]),
    _r("transpose", lambda x: lax.transpose(x, (2, 0, 1)), [F(2, 3, 4)]),
    _r("squeeze", lambda x: lax.squeeze(x, (1,)), [F(3, 1, 4)]),
    _r("rev", lambda x: lax.rev(x, (0, 2)), [F(2, 3, 4)]),
    _r("concatenate", lambda x, y: lax.concatenate([x, y], 1), [F(2, 3), F(2, 2)]),
    _r("pad", lambda x, v: lax.pad(x, v, [(1, 2, 1), (-1, 1, 0)]), [F(3, 4), F()]),
    _r("slice", lambda x: lax.slice(x, (1, 0), (5, 4), (2, 3)), [F(6, 4)]),
    _r("iota", lambda: lax.broadcasted_iota(np.int32, (3, 4), 1), [], grad_order=0, vmap=False),
]

# -- reductions and cumulative ops -------------------------------------------------------

RECORDS += [
    _r("reduce_sum", lambda x: lax.reduce_sum(x, (0, 2)), [F(2, 3, 4)]),
    _r("reduce_max", lambda x: lax.reduce_max(x, (1,)), [F(3, 4)]),
    _r("reduce_min", lambda x: lax.reduce_min(x, (0,)), [F(3, 4)]),
    _r("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), [F(3, 4)]),
    _r("reduce_and", lambda x: lax.reduce_and(x, (1,)), [B(3, 4)], grad_order=0),
    _r("reduce_or", lambda x: lax.reduce_or(x, (0,)), [B(3, 4)], grad_order=0),
    _r("argmax", lambda x: lax.argmax(x, 1, np.int32), [F(3, 4)], grad_order=0),
    _r("argmin", lambda x: lax.argmin(x, 0, np.int32), [F(3, 4)], grad_order=0),
    _r("cumsum", lambda x: lax.cumsum(x, 1), [F(3, 5)]),
    _r("cumsum", lambda x: lax.cumsum(x, 0, reverse=True), [F(3, 5)], name="cumsum_rev"),
    _r("cumprod", lambda x: lax.cumprod(x, 1), [F(3, 5)]),
    _r("cumprod", lambda x: lax.cumprod(x, 1, reverse=True), [F(3, 5)], name="cumprod_rev"),
    _r("cummax", lambda x: lax.cummax(x, 1), [F(3, 5)]),
    _r("cummin", lambda x: lax.cummin(x, 0, reverse=True), [F(4, 3)]),
]

# -- indexing ------------------------------------------------------------------------------

from ..prims import indexing as _ix  # noqa: E402

RECORDS += [
    _r("dynamic_slice", lambda x, i, j: _ix.dynamic_slice(x, (i, j), (2, 3)),
       [F(5, 6), I(-1, 5, ), I(0, 6)]),
    _r("dynamic_update_slice", lambda x, u, i, j: _ix.dynamic_update_slice(x, u, (i, j)),
       [F(5, 6), F(2, 3), I(-1, 5), I(0, 6)]),
    _r("gather", lambda x, idx: _ix.gather(x, idx, (0,), "clip"), [F(5, 3), I(-2, 7, 4, 1)]),
    _r("gather", lambda x, idx: _ix.gather(x, idx, (0, 2), "fill", 0.0),
       [F(4, 3, 5), I(-1, 6, 2, 3, 2)], name="gather_fill_2axes"),
    _r("scatter", lambda x, idx, u: _ix.scatter(x, idx, u, (0,), "add", "drop"),
       [F(5, 3), I(-1, 6, 7, 1), F(7, 3)], name="scatter_add"),
    _r("scatter", lambda x, idx, u: _ix.scatter(x, idx, u, (1,), "set", "clip"),
       [F(3, 6), I(0, 6, 4, 1), F(4, 3)], name="scatter_set_dups"),
    _r("scatter", lambda x, idx, u: _ix.scatter(x, idx, u, (0,), "max", "drop"),
       [F(6, 2), Perm(6, 4, 1), F(4, 2)], name="scatter_max"),
    _r("scatter", lambda x, idx, u: _ix.scatter(x, idx, u, (0,), "min", "drop"),
       [F(6, 2), Perm(6, 4, 1), F(4, 2)], name="scatter_min"),
    _r("scatter", lambda x, idx: _ix.scatter(x, idx, np.full((4, 2), 1.5, x.dtype), (0,),
                                             "mul", "drop"),
       [F(6, 2), Perm(6, 4, 1)], name="scatter_mul"),
]

# -- dot_general and sort ------------------------------------------------------------------

RECORDS += [
    _r("dot_general", lambda a, b: lax.dot_general(a, b, (((1,), (0,)), ((), ()))),
       [F(3, 4), F(4, 5)], name="matmul"),
    _r("dot_general", lambda a, b: lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))),
       [F(2, 3, 4), F(2, 4, 5)], name="batched_matmul"),
    _r("dot_general", lambda a, b: lax.dot_general(a, b, (((0, 2), (2, 1)), ((1,), (0,)))),
       [F(3, 2, 4, 5), F(2, 4, 3, 6)], name="dot_general_mixed"),
    _r("sort", lambda x: lax.sort(x, 1), [F(3, 5)]),
    _r("sort", lambda x, y: lax.sort((x, y), 0, num_keys=1)[1], [F(5, 2), F(5, 2)],
       name="sort_two_operands"),
]


def _threefry(key, start):
    """Both words of the hash (``threefry2x32_iota``) as one array, from int32 draws."""
    u32 = np.dtype(np.uint32)
    words = _threefry2x32_iota(lax.convert_element_type(key, u32), (3, 5),
                               lax.convert_element_type(start, u32))
    return lax.concatenate(words, 0)


RECORDS += [_r("threefry2x32_iota", _threefry, [I(0, 2 ** 31 - 1, 2), I(0, 2 ** 31 - 1)],
               grad_order=0)]


def records_for(prim_name: str) -> list[Record]:
    return [r for r in RECORDS if r.prim == prim_name]

# -- linear algebra ------------------------------------------------------------------------

from ..lax import linalg as _la  # noqa: E402


def _spd(a):
    n = a.shape[-1]
    return lax.add(lax.dot_general(a, a, (((a.ndim - 1,), (a.ndim - 1,)), ((), ()))),
                   np.asarray(n * np.eye(n), a.dtype))


def _well_conditioned(a):
    n = a.shape[-1]
    return lax.add(a, np.asarray(3 * np.eye(n), a.dtype))


RECORDS += [
    _r("cholesky", lambda a: _la.cholesky(_spd(a)), [F(4, 4)]),
    _r("lu", lambda a: _la.lu(_well_conditioned(a))[0], [F(4, 4)]),
    _r("triangular_solve", lambda a, b: _la.triangular_solve(
        _well_conditioned(a), b, left_side=True, lower=True), [F(4, 4), F(4, 2)]),
    _r("eigh", lambda a: _la.eigh(_spd(a))[1], [F(3, 3)], grad_order=1),
    _r("qr", lambda a: _la.qr(a, full_matrices=False)[1], [F(5, 3)], grad_order=1),
    _r("svd", lambda a: _la.svd(a, full_matrices=False, compute_uv=False), [F(4, 3)],
       grad_order=1),
]

# -- convolution and windows -----------------------------------------------------------------

from ..prims import window as _cv  # noqa: E402
from ..lax.conv import conv_general_dilated as _conv, reduce_window as _reduce_window  # noqa: E402,E501

RECORDS += [
    _r("patches", lambda x: _cv.patches(x, (2, 3), (1, 2), ((1, 0), (0, 1)), (1, 1), (1, 1)),
       [F(4, 5)]),
    _r("patches_transpose", lambda c: _cv.patches_transpose(c, (4, 5), (2, 2), (2, 1)),
       [F(2, 4, 2, 2)]),
    _r("conv_general_dilated", lambda x, w: _conv(
        x, w, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW")),
       [F(2, 3, 5, 5), F(4, 3, 3, 3)], name="conv_same"),
    _r("conv_general_dilated", lambda x, w: _conv(
        x, w, (2, 1), ((1, 0), (0, 2)), lhs_dilation=(1, 2), rhs_dilation=(2, 1),
        dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=2),
       [F(2, 6, 5, 4), F(2, 3, 2, 6)], name="conv_nhwc_groups_dilated"),
    _r("reduce_window", lambda x: _reduce_window(x, -np.inf, lax.max, (1, 2, 2), (1, 2, 2),
                                                   "VALID"), [F(2, 4, 6)], name="max_pool"),
    _r("reduce_window", lambda x: _reduce_window(x, 0.0, lax.add, (1, 3, 3), (1, 1, 1),
                                                   "SAME"), [F(2, 4, 5)], name="sum_pool_same"),
    _r("reduce_window", lambda x: _reduce_window(x, np.inf, lax.min, (2, 2), (1, 1),
                                                   "VALID"), [F(4, 5)], name="min_window"),
]

# -- special points --------------------------------------------------------------------------
# Where a derivative rule is most easily lost: zeros, ties, an exponent of 0. The
# differential test (tests/transforms/test_special_points.py) checks second derivatives
# there against float64 finite differences, for the elementwise records above at the
# points their argument kinds give, and for the composite functions below, whose rules are
# their own (as JAX's custom_jvp rules) rather than derived from the pieces.

# per argument kind: special values of a scalar argument
SPECIAL_VALUES = {"normal": (0.0, 0.7), "pos": (1.0,), "unit": (0.0,)}
# records whose special points are kinks or singular (no derivative to compare there)
NONSMOOTH = {
    "sign": "step at 0", "floor": "step", "ceil": "step", "round_away": "step",
    "round_even": "step", "abs": "kink at 0", "max": "kink at ties", "min": "kink at ties",
    "rem": "kink", "clamp": "kinks", "cbrt": "singular at 0",
    "convert_to_f32": "rounds to float32 (finite differences in float64 see the steps)",
}


@dataclass
class SpecialPoint:
    """A scalar function of floats and the points (tuples) where its derivatives are
    checked to second order."""
    name: str
    fun: Callable
    points: list


def _special_points():
    from .. import nn
    from .. import numpy as jnp
    from ..scipy import special as sp
    return [
        SpecialPoint("logaddexp", jnp.logaddexp, [(0.0, 0.0), (2.0, 2.0), (-1.0, 1.0)]),
        SpecialPoint("logaddexp2", jnp.logaddexp2, [(0.0, 0.0), (3.0, 3.0)]),
        SpecialPoint("softplus", nn.softplus, [(0.0,), (-2.0,)]),
        SpecialPoint("log_sigmoid", nn.log_sigmoid, [(0.0,)]),
        SpecialPoint("sinc", jnp.sinc, [(0.0,), (1e-3,), (0.5,)]),
        SpecialPoint("hypot", jnp.hypot, [(0.0, 1.5), (-2.0, 0.0), (1.0, 1.0)]),
        SpecialPoint("power", jnp.power, [(1.3, 0.0), (2.0, 0.0), (0.5, 1.0)]),
        SpecialPoint("logit", sp.logit, [(0.5,), (0.1,), (0.9,)]),
        SpecialPoint("xlogy", sp.xlogy, [(0.0, 1.5), (1.0, 1.0)]),
        SpecialPoint("xlog1py", sp.xlog1py, [(0.0, 0.5), (1.0, 0.0)]),
        SpecialPoint("entr", sp.entr, [(1.0,), (0.3,)]),
        SpecialPoint("gammaln", sp.gammaln, [(1.0,), (2.0,), (0.5,)]),
        SpecialPoint("digamma", sp.digamma, [(1.0,), (-0.5,)]),
        SpecialPoint("ndtri", sp.ndtri, [(0.5,), (0.3,)]),
        SpecialPoint("log_ndtr", sp.log_ndtr, [(0.0,), (-5.0,)]),
        SpecialPoint("logsumexp", lambda x, y: sp.logsumexp(jnp.stack([x, y])),
                     [(0.0, 0.0), (1.0, 1.0)]),
        SpecialPoint("norm2", lambda x, y: jnp.linalg.norm(jnp.stack([x, y])), [(0.0, 2.0)]),
        SpecialPoint("squareplus", nn.squareplus, [(0.0,)]),
        SpecialPoint("gelu", nn.gelu, [(0.0,)]),
        SpecialPoint("silu", nn.silu, [(0.0,)]),
        SpecialPoint("celu", nn.celu, [(0.5,), (-0.5,)]),
    ]

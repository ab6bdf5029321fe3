"""The CPU backend's per-element templates: those of ``codegen/scalar.py`` (shared with
CUDA) plus ``CPU_SCALAR``, the ones that only CPU Numba compiles: NumPy calls (``np.floor``,
``np.fmod``...) and the float32/float64 transcendentals of
``runtime/numba_transcendental.py`` (``jn_exp_f32``..., written branch-free so fused loops
vectorize). A declared ``math`` primitive is the ``math`` module's call, cast back to its
dtype; a user primitive calls its scalar ``@njit`` function (``def_numba_elementwise``).
"""
from __future__ import annotations

import numpy as np

from ..scalar import cast, exp2_via_exp, float_fn
from ..scalar import lookup as shared_lookup


def _rem(e, a, d):
    if np.dtype(d).kind in "iu":
        return f"{cast(d)}(jn_irem({a[0]}, {a[1]}))"
    return f"{cast(d)}(np.fmod({a[0]}, {a[1]}))"


def _round(e, a, d):
    return (f"{cast(d)}(np.rint({a[0]}))" if e.params["rounding_method"] == 1
            else f"{cast(d)}(jn_round_away({a[0]}))")


CPU_SCALAR = {
    "floor": lambda e, a, d: f"{cast(d)}(np.floor({a[0]}))",
    "ceil": lambda e, a, d: f"{cast(d)}(np.ceil({a[0]}))",
    "round": _round,
    "is_finite": lambda e, a, d: f"np.isfinite({a[0]})",
    "exp": float_fn("exp"),
    "exp2": exp2_via_exp,
    "log": float_fn("log"),
    "log1p": float_fn("log1p"),
    "expm1": float_fn("expm1"),
    "tanh": float_fn("tanh"),
    "logistic": float_fn("logistic"),
    "sqrt": lambda e, a, d: f"{cast(d)}(np.sqrt({a[0]}))",
    "rsqrt": lambda e, a, d: f"{cast(d)}({cast(d)}(1) / np.sqrt({a[0]}))",
    "cbrt": lambda e, a, d: f"{cast(d)}(np.cbrt({a[0]}))",
    # erf has its own vectorizable float32/float64 form; erfc is the plain math call its
    # declaration names
    "erf": float_fn("erf"),
    "erf_inv": lambda e, a, d: f"{cast(d)}(jn_erf_inv({a[0]}))",
    "lgamma": lambda e, a, d: f"{cast(d)}(jn_lgamma({a[0]}))",
    "digamma": lambda e, a, d: f"{cast(d)}(jn_digamma({a[0]}))",
    "rem": _rem,
    "pow": lambda e, a, d: f"{cast(d)}(jn_pow({a[0]}, {a[1]}))",
    "nextafter": lambda e, a, d: f"{cast(d)}(np.nextafter({a[0]}, {a[1]}))",
}


def _math_call(name):
    """A declared ``math`` call, cast back to the output dtype."""
    return lambda e, a, d: f"{cast(d)}(math.{name}({', '.join(a)}))"


def lookup(prim):
    """``prim``'s CPU template, or None."""
    return shared_lookup(prim, CPU_SCALAR, _math_call)


def _user_call(e, a, d):
    """A user primitive's scalar Numba function (``Primitive.def_numba_elementwise``)."""
    return f"{cast(d)}({e.prim.lowering['scalar_call']}({', '.join(a)}))"


def expr(eqn, args: list[str]) -> str:
    """The source of one element of ``eqn``'s output, given one element of each input."""
    rule = lookup(eqn.prim)
    if rule is None:
        if "scalar_call" not in eqn.prim.lowering:
            raise NotImplementedError(f"no scalar lowering for primitive '{eqn.prim.name}'")
        rule = _user_call
    return rule(eqn, args, eqn.outputs[0].aval.dtype)

"""The CUDA backend's per-element templates: those of ``codegen/scalar.py`` (shared with the
CPU) plus ``CUDA_SCALAR``: every math function goes through a ``jn_*`` helper of
``runtime/cuda_math.py`` (libdevice on the GPU), since the NumPy calls CPU Numba accepts
do not compile in a CUDA kernel. A declared ``math`` primitive calls ``jn_<name>``, which
``cuda_math`` makes from the declaration.

No numba import here: this module only writes text.
"""
from __future__ import annotations

import numpy as np

from ..scalar import cast, exp2_via_exp, float_fn, float_suffix
from ..scalar import lookup as shared_lookup


def _fn(name):
    """``jn_<name>`` of ``cuda_math``, cast back to the output dtype."""
    return lambda e, a, d: f"{cast(d)}(jn_{name}({', '.join(a)}))"


def _per_dtype(name, dtype_of=None):
    """A helper that exists per float dtype on the GPU (libdevice): jn_<name>_f32 / _f64."""
    def f(e, a, d):
        dt = dtype_of(e) if dtype_of else d
        s = float_suffix(dt)
        if not s:
            raise NotImplementedError(f"{e.prim.name} on {np.dtype(dt).name} (cuda backend)")
        return f"{cast(d)}(jn_{name}_{s}({', '.join(a)}))"
    return f


def _round(e, a, d):
    name = "rint" if e.params["rounding_method"] == 1 else "round_away"
    return _per_dtype(name)(e, a, d)


def _rem(e, a, d):
    if np.dtype(d).kind in "iu":
        return f"{cast(d)}(jn_irem({a[0]}, {a[1]}))"
    return f"{cast(d)}(jn_fmod({a[0]}, {a[1]}))"


CUDA_SCALAR = {
    "floor": _fn("floor"), "ceil": _fn("ceil"), "round": _round,
    "is_finite": lambda e, a, d: f"jn_isfinite({a[0]})",
    # cuda_math's per-dtype names of its exp, log, ... (jn_exp_f32 = jn_exp)
    "exp": float_fn("exp"), "exp2": exp2_via_exp, "log": float_fn("log"),
    "log1p": float_fn("log1p"), "expm1": float_fn("expm1"), "tanh": float_fn("tanh"),
    "logistic": float_fn("logistic"),
    "sqrt": _fn("sqrt"),
    "rsqrt": lambda e, a, d: f"{cast(d)}({cast(d)}(1) / jn_sqrt({a[0]}))",
    "cbrt": _per_dtype("cbrt"), "erf_inv": _per_dtype("erf_inv"),
    "erf": _fn("erf"),
    "nextafter": _per_dtype("nextafter"),
    "rem": _rem,
    "lgamma": _fn("lgamma"), "digamma": _fn("digamma"),
    "pow": _fn("pow"),
}


def lookup(prim):
    """``prim``'s CUDA template, or None; a declared ``math`` call becomes its ``jn_`` helper
    (``runtime/cuda_math.py`` defines one per declared name)."""
    return shared_lookup(prim, CUDA_SCALAR, _fn)


def expr(eqn, args: list[str]) -> str:
    """The source of one element of ``eqn``'s output, given one element of each input."""
    rule = lookup(eqn.prim)
    if rule is None:
        raise NotImplementedError(f"no scalar lowering for primitive '{eqn.prim.name}' "
                                  f"(cuda backend)")
    return rule(eqn, args, eqn.outputs[0].aval.dtype)

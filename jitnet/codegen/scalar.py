"""Per-element expressions of the elementwise primitives, as Python source templates: the
part both backends share.

A template ``(eqn, args, dtype) -> source`` returns the source of one element of ``eqn``'s
output given the source of one element of each input. ``SCALAR`` holds the templates whose
text both backends compile (operators, comparisons, casts and ``jn_*`` helpers that
``runtime/numba_math.py`` and ``runtime/cuda_math.py`` both define); a template only one
backend can compile lives in that backend's table (``cpu/scalar.py``, ``cuda/scalar.py``),
which ``lookup`` reads first, so a backend never inherits another's template. Integer
results are cast back to their dtype so arithmetic wraps like XLA's fixed-width integers.
A primitive whose element is a plain ``math`` call declares it (``Elementwise(math="sin")``)
and needs no template: each backend writes the call its own way (``lookup``'s ``math_call``).
"""
from __future__ import annotations

import numpy as np


def cast(dtype) -> str:
    """Source of the scalar constructor for ``dtype`` (np.float32, np.int32, np.bool_...)."""
    d = np.dtype(dtype)
    return "np.bool_" if d == np.bool_ else f"np.{d.name}"


def lit(v) -> str:
    """Source text of a Python scalar, including inf and nan."""
    if isinstance(v, float) and not np.isfinite(v):
        return "np.nan" if v != v else ("np.inf" if v > 0 else "-np.inf")
    return repr(v)


def float_suffix(dtype) -> str:
    """``f32``/``f64``: the suffix of a helper that exists per float dtype ('' otherwise)."""
    return {"float32": "f32", "float64": "f64"}.get(np.dtype(dtype).name, "")


def float_fn(name):
    """Template of a helper that exists per float dtype, returning that dtype:
    ``jn_<name>_f32`` / ``_f64`` (what each backend's math module defines it as is its own
    business: a backend lists the template in its table when it defines the helpers)."""
    def f(e, a, d):
        s = float_suffix(d)
        if not s:
            raise NotImplementedError(f"{name} on {np.dtype(d).name}")
        return f"jn_{name}_{s}({a[0]})"
    return f


def exp2_via_exp(e, a, d):
    """exp2(x) as the backend's per-dtype exp of x * ln 2."""
    return float_fn("exp")(e, [f"({a[0]} * {cast(d)}({np.log(2.0)!r}))"], d)


def _binop(op):
    """Integer results are cast back to their width (so they wrap); float32 op float32 is
    already float32 in Numba, so floats need no cast (less code to compile)."""
    def f(e, a, d):
        if np.dtype(d).kind in "fc":
            return f"({a[0]} {op} {a[1]})"
        return f"{cast(d)}({a[0]} {op} {a[1]})"
    return f


def _div(e, a, d):
    if np.dtype(d).kind == "u":  # x / 0 is all ones (XLA); jn_idiv's -1 and an unsigned
        #                          quotient would unify to float64 in Numba
        return (f"({cast(d)}({a[0]} // {a[1]}) if {a[1]} != 0 "
                f"else {cast(d)}({np.iinfo(d).max}))")
    if np.dtype(d).kind == "i":
        return f"{cast(d)}(jn_idiv({a[0]}, {a[1]}))"
    return f"({a[0]} / {a[1]})"


def _not(e, a, d):
    return f"(not {a[0]})" if np.dtype(d) == np.bool_ else f"{cast(d)}(~{a[0]})"


def _logic(op_bool, op_int):
    def f(e, a, d):
        if np.dtype(d) == np.bool_:
            return f"({a[0]} {op_bool} {a[1]})"
        return f"{cast(d)}({a[0]} {op_int} {a[1]})"
    return f


def _integer_pow(e, a, d):
    y = e.params["y"]
    x = a[0]
    if y == 0:
        return f"{cast(d)}(1)"
    base = "*".join([x] * abs(y)) if abs(y) <= 4 else f"{x} ** {abs(y)}"
    if y < 0:
        return f"{cast(d)}({cast(d)}(1) / ({base}))"
    return f"{cast(d)}({base})"


def _select(e, a, d):
    which, cases = a[0], a[1:]
    if len(cases) == 1:
        return cases[0]
    if e.inputs[0].aval.dtype == np.bool_:
        return f"({cases[1]} if {which} else {cases[0]})"
    out = cases[-1]
    for i in range(len(cases) - 2, -1, -1):
        out = f"({cases[i]} if {which} == {i} else {out})"
    return out


def _convert(e, a, d):
    src = e.inputs[0].aval.dtype
    dst = np.dtype(d)
    if dst == np.bool_:
        return f"({a[0]} != 0)"
    x = f"{a[0]}.real" if src.kind == "c" and dst.kind != "c" else a[0]  # as NumPy casts
    if src.kind in "fc" and dst.kind in "iu":
        return f"{cast(d)}(jn_f2i_{dst.name}({x}))"
    return f"{cast(d)}({x})"


def _shift(name):
    def f(e, a, d):
        bits = np.dtype(d).itemsize * 8
        return f"{cast(d)}(jn_{name}({a[0]}, {a[1]}, {bits}))"
    return f


SCALAR = {
    "neg": lambda e, a, d: (f"(-{a[0]})" if np.dtype(d).kind in "fc"
                            else f"{cast(d)}(-{a[0]})"),
    "sign": lambda e, a, d: f"{cast(d)}(jn_sign({a[0]}))",
    "abs": lambda e, a, d: f"{cast(d)}(abs({a[0]}))",
    "not": _not,
    "population_count": lambda e, a, d: (f"{cast(d)}(jn_popcount({a[0]}, "
                                         f"{np.dtype(d).itemsize * 8}))"),
    "integer_pow": _integer_pow,
    "add": _binop("+"), "sub": _binop("-"), "mul": _binop("*"),
    "div": _div,
    "max": lambda e, a, d: f"jn_max({a[0]}, {a[1]})",
    "min": lambda e, a, d: f"jn_min({a[0]}, {a[1]})",
    "and": _logic("and", "&"), "or": _logic("or", "|"),
    "xor": lambda e, a, d: (f"({a[0]} != {a[1]})" if np.dtype(d) == np.bool_
                            else f"{cast(d)}({a[0]} ^ {a[1]})"),
    "shift_left": _shift("shl"),
    "shift_right_logical": _shift("shrl"),
    "shift_right_arithmetic": _shift("shra"),
    "eq": lambda e, a, d: f"({a[0]} == {a[1]})", "ne": lambda e, a, d: f"({a[0]} != {a[1]})",
    "lt": lambda e, a, d: f"({a[0]} < {a[1]})", "le": lambda e, a, d: f"({a[0]} <= {a[1]})",
    "gt": lambda e, a, d: f"({a[0]} > {a[1]})", "ge": lambda e, a, d: f"({a[0]} >= {a[1]})",
    "select_n": _select,
    "clamp": lambda e, a, d: f"jn_min(jn_max({a[1]}, {a[0]}), {a[2]})",
    "convert_element_type": _convert,
    "bitcast_convert_type": lambda e, a, d: f"jn_bitcast_{np.dtype(d).name}({a[0]})",
    "round_to_dtype": lambda e, a, d: f"jn_round_{e.params['dtype'].name}_f32({a[0]})",
    "stop_gradient": lambda e, a, d: a[0],
    "real": lambda e, a, d: f"{a[0]}.real", "imag": lambda e, a, d: f"{a[0]}.imag",
    "conj": lambda e, a, d: f"{a[0]}.conjugate()",
    "complex": lambda e, a, d: f"{cast(d)}(complex({a[0]}, {a[1]}))",
}


def lookup(prim, table: dict, math_call):
    """The template of elementwise ``prim`` on a backend, or None: its entry in the
    backend's ``table``, else in the shared ``SCALAR`` (both keyed by the primitive's name),
    else the plain call its kind declares (``Elementwise.math``), as ``math_call`` writes it."""
    rule = table.get(prim.name) or SCALAR.get(prim.name)
    if rule is None and getattr(prim.kind, "math", None):
        rule = math_call(prim.kind.math)
    return rule

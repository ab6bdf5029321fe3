"""Per-element expressions of the elementwise primitives, as Python source templates.

``expr(eqn, args)`` returns the source of one element of ``eqn``'s output given the
source of one element of each input. Helpers named ``jn_*`` come from the target's
math module (``jitnet/runtime/numba_math.py`` on CPU), which implements them so that
float32 stays float32 and loops vectorize. Integer results are cast back to their dtype
so arithmetic wraps like XLA's fixed-width integers. A primitive whose element is a plain
``math`` call declares it (``Elementwise(math="sin")``) and needs no entry in ``SCALAR``
(``lookup``).
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


def _suffix(dtype) -> str:
    return {"float32": "f32", "float64": "f64"}.get(np.dtype(dtype).name, "")


def _float_fn(name):
    """Math function with our own float32/float64 implementation (jn_<name>_f32 / _f64)."""
    def f(e, a, d):
        s = _suffix(d)
        if not s:
            raise NotImplementedError(f"{name} on {np.dtype(d).name}")
        return f"jn_{name}_{s}({a[0]})"
    return f


def _lib(fn):
    """A math-library call, cast back to the output dtype."""
    return lambda e, a, d: f"{cast(d)}({fn}({', '.join(a)}))"


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


def _rem(e, a, d):
    if np.dtype(d).kind in "iu":
        return f"{cast(d)}(jn_irem({a[0]}, {a[1]}))"
    return f"{cast(d)}(np.fmod({a[0]}, {a[1]}))"


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


def _round(e, a, d):
    return (f"{cast(d)}(np.rint({a[0]}))" if e.params["rounding_method"] == 1
            else f"{cast(d)}(jn_round_away({a[0]}))")


def _shift(name):
    def f(e, a, d):
        bits = np.dtype(d).itemsize * 8
        return f"{cast(d)}(jn_{name}({a[0]}, {a[1]}, {bits}))"
    return f


SCALAR = {
    "neg": lambda e, a, d: (f"(-{a[0]})" if np.dtype(d).kind in "fc"
                            else f"{cast(d)}(-{a[0]})"),
    "sign": lambda e, a, d: f"{cast(d)}(jn_sign({a[0]}))",
    "floor": lambda e, a, d: f"{cast(d)}(np.floor({a[0]}))",
    "ceil": lambda e, a, d: f"{cast(d)}(np.ceil({a[0]}))",
    "round": _round,
    "is_finite": lambda e, a, d: f"np.isfinite({a[0]})",
    "exp": _float_fn("exp"),
    "exp2": lambda e, a, d: _float_fn("exp")(e, [f"({a[0]} * {cast(d)}({np.log(2.0)!r}))"], d),
    "log": _float_fn("log"),
    "log1p": _float_fn("log1p"),
    "expm1": _float_fn("expm1"),
    "tanh": _float_fn("tanh"),
    "logistic": _float_fn("logistic"),
    "sqrt": lambda e, a, d: f"{cast(d)}(np.sqrt({a[0]}))",
    "rsqrt": lambda e, a, d: f"{cast(d)}({cast(d)}(1) / np.sqrt({a[0]}))",
    "cbrt": lambda e, a, d: f"{cast(d)}(np.cbrt({a[0]}))",
    "abs": lambda e, a, d: f"{cast(d)}(abs({a[0]}))",
    # erf has its own vectorizable float32/float64 form (runtime/numba_transcendental.py);
    # erfc is the plain math call its declaration names
    "erf": _float_fn("erf"),
    "erf_inv": lambda e, a, d: f"{cast(d)}(jn_erf_inv({a[0]}))",
    "lgamma": lambda e, a, d: f"{cast(d)}(jn_lgamma({a[0]}))",
    "digamma": lambda e, a, d: f"{cast(d)}(jn_digamma({a[0]}))",
    "not": _not,
    "population_count": lambda e, a, d: (f"{cast(d)}(jn_popcount({a[0]}, "
                                         f"{np.dtype(d).itemsize * 8}))"),
    "integer_pow": _integer_pow,
    "add": _binop("+"), "sub": _binop("-"), "mul": _binop("*"),
    "div": _div, "rem": _rem,
    "pow": lambda e, a, d: f"{cast(d)}(jn_pow({a[0]}, {a[1]}))",
    "max": lambda e, a, d: f"jn_max({a[0]}, {a[1]})",
    "min": lambda e, a, d: f"jn_min({a[0]}, {a[1]})",
    "nextafter": lambda e, a, d: f"{cast(d)}(np.nextafter({a[0]}, {a[1]}))",
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


def _user_call(e, a, d):
    """A user primitive's scalar Numba function (``Primitive.def_numba_elementwise``)."""
    return f"{cast(d)}({e.prim.lowering['scalar_call']}({', '.join(a)}))"


def _math_call(name):
    return _lib(f"math.{name}")


def lookup(prim, table: dict = SCALAR, math_call=_math_call):
    """The template ``(eqn, args, dtype) -> source`` of elementwise ``prim``, or None: its
    entry in ``table`` (keyed by the primitive's name), else the plain call its kind
    declares (``Elementwise.math``), as ``math_call`` writes it (the CUDA backend passes its
    own table and call)."""
    rule = table.get(prim.name)
    if rule is None and getattr(prim.kind, "math", None):
        rule = math_call(prim.kind.math)
    return rule


def expr(eqn, args: list[str]) -> str:
    rule = lookup(eqn.prim)
    if rule is None:
        if "scalar_call" not in eqn.prim.lowering:
            raise NotImplementedError(f"no scalar lowering for primitive '{eqn.prim.name}'")
        rule = _user_call
    return rule(eqn, args, eqn.outputs[0].aval.dtype)

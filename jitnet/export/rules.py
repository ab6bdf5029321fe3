"""The ONNX translation of each primitive: ``RULES[name](graph, eqn, input_names)``.

A rule adds nodes to ``graph`` (see ``graph.Graph``) and returns the ONNX name of each of the
equation's results. Rules take dimensions from ``graph.shape(var)``, never from size params,
so dimensions that follow the batch size become run-time shape tensors.
"""
from __future__ import annotations

import math

import numpy as np
from onnx import helper

from ..codegen.registry import generator_table
from ..core.ir import IR
from .batch import BatchDim
from .errors import ExportError
from .graph import at, onnx_dtype

RULES, rule = generator_table()       # the same kind of table as the code generators'


def _unsupported(eqn, what: str):
    return ExportError(f"to_onnx: '{eqn.prim.name}' {what} has no ONNX mapping{at(eqn)}")


def _dtype(atom):
    return atom.aval.dtype


# -- elementwise ----------------------------------------------------------------------

_SAME = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "max": "Max",
         "min": "Min", "neg": "Neg", "abs": "Abs", "sign": "Sign", "floor": "Floor",
         "ceil": "Ceil", "exp": "Exp", "log": "Log", "tanh": "Tanh", "logistic": "Sigmoid",
         "sin": "Sin", "cos": "Cos", "tan": "Tan", "asin": "Asin", "acos": "Acos",
         "atan": "Atan", "sinh": "Sinh", "cosh": "Cosh", "asinh": "Asinh", "acosh": "Acosh",
         "atanh": "Atanh", "sqrt": "Sqrt", "erf": "Erf", "eq": "Equal", "lt": "Less",
         "le": "LessOrEqual", "gt": "Greater", "ge": "GreaterOrEqual",
         "stop_gradient": "Identity"}


def _same(op_type):
    return lambda g, e, ins: g.op(op_type, *ins)


for _name, _op in _SAME.items():
    RULES[_name] = _same(_op)


def _logical(bool_op, int_op):
    def f(g, e, ins):
        return g.op(bool_op if _dtype(e.outputs[0]).kind == "b" else int_op, *ins)
    return f


RULES["and"] = _logical("And", "BitwiseAnd")
RULES["or"] = _logical("Or", "BitwiseOr")
RULES["xor"] = _logical("Xor", "BitwiseXor")
RULES["not"] = _logical("Not", "BitwiseNot")


def _one(g, atom):
    return g.const(np.ones((), _dtype(atom)))


@rule("ne")
def _ne(g, e, ins):
    return g.op("Not", g.op("Equal", *ins))


@rule("rsqrt")
def _rsqrt(g, e, ins):
    return g.op("Reciprocal", g.op("Sqrt", ins[0]))


@rule("log1p")
def _log1p(g, e, ins):
    return g.op("Log", g.op("Add", ins[0], _one(g, e.inputs[0])))


@rule("expm1")
def _expm1(g, e, ins):
    return g.op("Sub", g.op("Exp", ins[0]), _one(g, e.inputs[0]))


@rule("exp2")
def _exp2(g, e, ins):
    return g.op("Pow", g.const(np.asarray(2, _dtype(e.inputs[0]))), ins[0])


@rule("erfc")
def _erfc(g, e, ins):
    return g.op("Sub", _one(g, e.inputs[0]), g.op("Erf", ins[0]))


@rule("is_finite")
def _is_finite(g, e, ins):
    return g.op("Not", g.op("Or", g.op("IsNaN", ins[0]), g.op("IsInf", ins[0])))


@rule("rem")
def _rem(g, e, ins):
    return g.op("Mod", *ins, fmod=1)      # C's fmod: the sign of the dividend, like lax.rem


@rule("integer_pow")
def _integer_pow(g, e, ins):
    y = e.params["y"]
    x = ins[0]
    if y == 2:
        return g.op("Mul", x, x)
    if y == 1:
        return g.op("Identity", x)
    out = g.op("Pow", x, g.const(np.asarray(abs(y), _dtype(e.inputs[0]))))
    return g.op("Reciprocal", out) if y < 0 else out


@rule("round")
def _round(g, e, ins):
    if e.params["rounding_method"] == 1:
        return g.op("Round", ins[0])           # half to even
    x = ins[0]                                  # half away from zero: sign(x) floor(|x| + .5)
    half = g.const(np.asarray(0.5, _dtype(e.inputs[0])))
    return g.op("Mul", g.op("Sign", x), g.op("Floor", g.op("Add", g.op("Abs", x), half)))


@rule("select_n")
def _select_n(g, e, ins):
    which, cases = ins[0], ins[1:]
    if _dtype(e.inputs[0]).kind == "b":
        return g.op("Where", which, cases[1], cases[0])
    out = cases[-1]
    for k in range(len(cases) - 2, -1, -1):
        k_ = g.const(np.asarray(k, _dtype(e.inputs[0])))
        out = g.op("Where", g.op("Equal", which, k_), cases[k], out)
    return out


@rule("clamp")
def _clamp(g, e, ins):
    lo, x, hi = ins
    return g.op("Min", g.op("Max", x, lo), hi)


@rule("convert_element_type")
def _convert(g, e, ins):
    src, dst = _dtype(e.inputs[0]), _dtype(e.outputs[0])
    if src == dst:
        return g.op("Identity", ins[0])
    return g.op("Cast", ins[0], to=onnx_dtype(dst))


# -- shapes ---------------------------------------------------------------------------

@rule("reshape")
def _reshape(g, e, ins):
    x = ins[0]
    if e.params.get("dimensions") is not None:
        x = _permute(g, x, e.params["dimensions"])
    return _reshape_to(g, x, g.shape(e.outputs[0]))


def _reshape_to(g, x, dims):
    """Reshape to ``dims``: one dimension that follows the batch becomes -1 (a constant)."""
    dims = tuple(dims)
    dyn = [i for i, d in enumerate(dims) if isinstance(d, BatchDim)]
    if len(dyn) == 1 and 0 not in dims:
        dims = tuple(-1 if i == dyn[0] else d for i, d in enumerate(dims))
    return g.op("Reshape", x, g.shape_tensor(dims))


@rule("broadcast_in_dim")
def _broadcast_in_dim(g, e, ins):
    out = g.shape(e.outputs[0])
    bd = e.params["broadcast_dimensions"]
    x = ins[0]
    new = [i for i in range(len(out)) if i not in bd]
    if new:
        x = g.op("Unsqueeze", x, g.ints(new))
    if tuple(g.shape(e.inputs[0])) == tuple(out[i] for i in bd) and not new:
        return g.op("Identity", x)
    if g.broadcasts_implicitly(e.outputs[0], _BROADCASTING):
        return x                  # e.g. a bias: Add broadcasts it, no tensor of full size
    return g.op("Expand", x, g.shape_tensor(out))


# the primitives whose ONNX ops broadcast their operands NumPy-style
_BROADCASTING = {"add", "sub", "mul", "div", "pow", "max", "min", "rem", "and", "or", "xor",
                 "eq", "ne", "lt", "le", "gt", "ge", "select_n", "clamp"}


@rule("squeeze")
def _squeeze(g, e, ins):
    return g.op("Squeeze", ins[0], g.ints(e.params["dimensions"]))


def _permute(g, x: str, perm):
    """``Transpose``; one of a transpose folds into it (to nothing when they cancel, as the
    layout changes around consecutive convolutions and pools do)."""
    perm = [int(i) for i in perm]
    src = g.root._transposes.get(x)
    if src is not None:
        x, perm = src[0], [src[1][i] for i in perm]
    if perm == list(range(len(perm))):
        return x
    out = g.op("Transpose", x, perm=perm)
    g.root._transposes[out] = (x, perm)
    return out


@rule("transpose")
def _transpose(g, e, ins):
    return _permute(g, ins[0], e.params["permutation"])


@rule("concatenate")
def _concatenate(g, e, ins):
    return g.op("Concat", *ins, axis=e.params["dimension"])


@rule("rev")
def _rev(g, e, ins):
    axes = list(e.params["dimensions"])
    if not axes:
        return g.op("Identity", ins[0])
    n = len(axes)
    return g.op("Slice", ins[0], g.ints([-1] * n), g.ints([-(2 ** 62)] * n), g.ints(axes),
                g.ints([-1] * n))


@rule("slice")
def _slice(g, e, ins):
    shape, out = g.shape(e.inputs[0]), g.shape(e.outputs[0])
    starts, limits = g.param(e, "start_indices"), g.param(e, "limit_indices")
    strides = e.params["strides"] or (1,) * len(shape)
    axes = [i for i, d in enumerate(shape)
            if not (starts[i] == 0 and strides[i] == 1 and out[i] == d)]
    if not axes:
        return g.op("Identity", ins[0])
    return g.op("Slice", ins[0], g.shape_tensor(starts[i] for i in axes),
                g.shape_tensor(limits[i] for i in axes), g.ints(axes),
                g.ints(strides[i] for i in axes))


def _dilate(g, x, shape, axis: int, factor: int, value=None):
    """Insert ``factor - 1`` zeros (or the scalar ``value``) between the elements of ``x``
    along ``axis``."""
    n = shape[axis]
    if factor == 1 or n == 0:
        return x, shape
    if isinstance(n, BatchDim):
        raise ExportError("to_onnx: dilating the batch axis has no ONNX mapping")
    y = g.op("Unsqueeze", x, g.ints([axis + 1]))
    pads = [0] * (2 * (len(shape) + 1))
    pads[len(shape) + 1 + axis + 1] = factor - 1
    y = g.op("Pad", y, g.ints(pads), *([value] if value is not None else []))
    merged = shape[:axis] + (n * factor,) + shape[axis + 1:]
    y = _reshape_to(g, y, merged)
    y = g.op("Slice", y, g.ints([0]), g.ints([(n - 1) * factor + 1]), g.ints([axis]))
    return y, shape[:axis] + ((n - 1) * factor + 1,) + shape[axis + 1:]


@rule("pad")
def _pad(g, e, ins):
    x, value = ins
    shape = tuple(g.shape(e.inputs[0]))
    cfg = e.params["padding_config"]
    for i, (_, _, interior) in enumerate(cfg):
        x, shape = _dilate(g, x, shape, i, interior + 1, value)
    pads = [lo for lo, _, _ in cfg] + [hi for _, hi, _ in cfg]
    if not any(pads):
        return g.op("Identity", x)
    return g.op("Pad", x, g.ints(pads), value)


@rule("iota")
def _iota(g, e, ins):
    shape, dim = g.shape(e.outputs[0]), e.params["dimension"]
    dtype = _dtype(e.outputs[0])
    if isinstance(shape[dim], BatchDim):
        r = g.op("Range", g.const(np.zeros((), dtype)),
                 g.op("Cast", g.op("Squeeze", g.dim_tensor(shape[dim])), to=onnx_dtype(dtype)),
                 g.const(np.ones((), dtype)))
    else:
        r = g.const(np.arange(shape[dim], dtype=dtype))
    rest = [i for i in range(len(shape)) if i != dim]
    if rest:
        r = g.op("Unsqueeze", r, g.ints(rest))
    return g.op("Expand", r, g.shape_tensor(shape))


# -- reductions -------------------------------------------------------------------------

def _reduce(op_type):
    def f(g, e, ins):
        axes = e.params["axes"]
        if not axes:
            return g.op("Identity", ins[0])
        return g.op(op_type, ins[0], g.ints(axes), keepdims=0)
    return f


RULES["reduce_sum"] = _reduce("ReduceSum")
RULES["reduce_max"] = _reduce("ReduceMax")
RULES["reduce_min"] = _reduce("ReduceMin")
RULES["reduce_prod"] = _reduce("ReduceProd")


def _reduce_bool(op_type):
    def f(g, e, ins):
        x = g.op("Cast", ins[0], to=onnx_dtype(np.int32))
        r = g.op(op_type, x, g.ints(e.params["axes"]), keepdims=0)
        return g.op("Cast", r, to=onnx_dtype(np.bool_))
    return f


RULES["reduce_and"] = _reduce_bool("ReduceMin")
RULES["reduce_or"] = _reduce_bool("ReduceMax")


def _arg(op_type):
    def f(g, e, ins):
        (axis,) = e.params["axes"]
        r = g.op(op_type, ins[0], axis=axis, keepdims=0)
        return g.op("Cast", r, to=onnx_dtype(e.params["index_dtype"]))
    return f


RULES["argmax"] = _arg("ArgMax")
RULES["argmin"] = _arg("ArgMin")


@rule("cumsum")
def _cumsum(g, e, ins):
    return g.op("CumSum", ins[0], g.const(np.asarray(e.params["axis"], np.int64)),
                reverse=int(bool(e.params["reverse"])))


# -- products, convolutions, pooling -----------------------------------------------------

@rule("dot_general")
def _dot_general(g, e, ins):
    (lc, rc), (lb, rb) = e.params["dimension_numbers"]
    nl, nr = len(e.inputs[0].aval.shape), len(e.inputs[1].aval.shape)
    if not lb and nr == 2 and tuple(lc) == (nl - 1,) and tuple(rc) == (0,):
        return g.op("MatMul", *ins)             # x[..., k] @ w[k, n]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    lhs, rhs = [None] * nl, [None] * nr
    for i, j in zip(lb, rb):
        lhs[i] = rhs[j] = next(letters)
    for i, j in zip(lc, rc):
        lhs[i] = rhs[j] = next(letters)
    lhs = [c or next(letters) for c in lhs]
    rhs = [c or next(letters) for c in rhs]
    out = ([lhs[i] for i in lb] + [c for i, c in enumerate(lhs) if i not in lb and i not in lc]
           + [c for i, c in enumerate(rhs) if i not in rb and i not in rc])
    eq = f"{''.join(lhs)},{''.join(rhs)}->{''.join(out)}"
    return g.op("Einsum", *ins, equation=eq)


def _nc_first(g, x, shape, spec):
    """``x`` transposed so that the dimensions named by ``spec`` come in its order."""
    return _permute(g, x, spec), tuple(shape[i] for i in spec)


def _pad_or_crop(g, x, shape, first: int, padding, value=None):
    """Apply (lo, hi) ``padding`` to the dimensions from ``first`` on: negative entries crop
    now; the non-negative rest is returned as ONNX ``pads`` for the op that follows."""
    crop = [(lo, hi) for lo, hi in padding]
    if any(lo < 0 or hi < 0 for lo, hi in crop):
        axes = list(range(first, first + len(crop)))
        starts = [max(-lo, 0) for lo, _ in crop]
        ends = [shape[a] - max(-hi, 0) for a, (_, hi) in zip(axes, crop)]
        x = g.op("Slice", x, g.ints(starts), g.ints(ends), g.ints(axes))
        shape = shape[:first] + tuple(e - s for s, e in zip(starts, ends)) + shape[
            first + len(crop):]
    pads = [max(lo, 0) for lo, _ in crop] + [max(hi, 0) for _, hi in crop]
    return x, shape, pads


@rule("conv_general_dilated")
def _conv(g, e, ins):
    p = e.params
    if p["batch_group_count"] != 1:
        raise _unsupported(e, "with batch_group_count > 1")
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    x, shape = _nc_first(g, ins[0], g.shape(e.inputs[0]), lhs_spec)
    w, wshape = _nc_first(g, ins[1], g.shape(e.inputs[1]), rhs_spec)
    for i, f in enumerate(p["lhs_dilation"]):            # transposed convolutions
        x, shape = _dilate(g, x, shape, 2 + i, f)
    x, shape, pads = _pad_or_crop(g, x, shape, 2, p["padding"])
    y = g.op("Conv", x, w, kernel_shape=list(wshape[2:]), strides=list(p["window_strides"]),
             dilations=list(p["rhs_dilation"]), group=p["feature_group_count"], pads=pads)
    return _permute(g, y, np.argsort(out_spec))


@rule("reduce_window")
def _reduce_window(g, e, ins):
    p = e.params
    comp = p["computation"]
    shape = tuple(g.shape(e.inputs[0]))
    n = len(shape)
    win, strides, pad = p["window_dimensions"], p["window_strides"], p["padding"]
    pooled = [i for i in range(n) if win[i] != 1 or strides[i] != 1 or pad[i] != (0, 0)
              or p["base_dilation"][i] != 1]
    if not pooled:
        return g.op("Identity", ins[0])
    if any(isinstance(shape[i], BatchDim) for i in pooled):
        raise _unsupported(e, "over the batch axis (with a dynamic batch)")
    if _dtype(e.inputs[0]).kind != "f":
        raise _unsupported(e, f"on {_dtype(e.inputs[0]).name}")
    if comp == "add" and any(p["window_dilation"][i] != 1 for i in pooled):
        raise _unsupported(e, "of a sum with window dilation")
    rest = [i for i in range(n) if i not in pooled]
    perm = rest + pooled
    x = _permute(g, ins[0], perm)
    pshape = tuple(shape[i] for i in pooled)
    as_nc = len(rest) == 2          # (N, C, spatial...) already: cancels a conv's transposes
    if as_nc:
        xs = tuple(shape[i] for i in perm)
    else:
        x = g.op("Reshape", x, g.ints((1, -1) + pshape))     # (1, everything else, pooled...)
        xs = (1, -1) + pshape
    for k, i in enumerate(pooled):
        x, xs = _dilate(g, x, xs, 2 + k, p["base_dilation"][i])
    pads = [pad[i][0] for i in pooled] + [pad[i][1] for i in pooled]
    kw = dict(kernel_shape=[win[i] for i in pooled], strides=[strides[i] for i in pooled],
              pads=pads)
    if comp == "max":
        y = g.op("MaxPool", x, dilations=[p["window_dilation"][i] for i in pooled], **kw)
    elif comp == "min":
        y = g.op("Neg", g.op("MaxPool", g.op("Neg", x),
                             dilations=[p["window_dilation"][i] for i in pooled], **kw))
    else:
        # the sum is the mean over the zero-padded window times its size
        y = g.op("AveragePool", x, count_include_pad=1, **kw)
        size = math.prod(win[i] for i in pooled)
        y = g.op("Mul", y, g.const(np.asarray(size, _dtype(e.inputs[0]))))
    if not as_nc:
        out = g.shape(e.outputs[0])
        y = _reshape_to(g, y, tuple(out[i] for i in perm))
    inv = [int(i) for i in np.argsort(perm)]
    return _permute(g, y, inv)


# -- indexing ---------------------------------------------------------------------------

@rule("gather")
def _gather(g, e, ins):
    x, idx = ins
    axes = e.params["axes"]
    shape = g.shape(e.inputs[0])
    n = len(shape)
    if any(isinstance(shape[a], BatchDim) for a in axes):
        raise _unsupported(e, "along the batch axis (with a dynamic batch)")
    perm = list(axes) + [i for i in range(n) if i not in axes]
    if perm != list(range(n)):
        x = _permute(g, x, perm)
    idx = g.op("Cast", idx, to=onnx_dtype(np.int64))
    dims = np.asarray([shape[a] for a in axes], np.int64)
    clipped = g.op("Max", g.op("Min", idx, g.const(np.maximum(dims - 1, 0))), g.ints([0]))
    out = g.op("GatherND", x, clipped)
    if e.params["mode"] == "clip":
        return out
    # mode 'fill': out-of-range index rows give fill_value
    ok = g.op("And", g.op("GreaterOrEqual", idx, g.ints([0])), g.op("Less", idx, g.ints(dims)))
    ok = g.op("Cast", g.op("ReduceMin", g.op("Cast", ok, to=onnx_dtype(np.int32)),
                           g.ints([-1]), keepdims=0), to=onnx_dtype(np.bool_))
    extra = n - len(axes)
    if extra:
        ok = g.op("Unsqueeze", ok, g.ints(list(range(-extra, 0))))
    fill = g.const(np.asarray(e.params["fill_value"], _dtype(e.inputs[0])))
    return g.op("Where", ok, out, fill)


@rule("dynamic_slice")
def _dynamic_slice(g, e, ins):
    x, starts = ins[0], ins[1:]
    shape, sizes = g.shape(e.inputs[0]), g.shape(e.outputs[0])
    s = g.op("Concat", *[g.op("Reshape", g.op("Cast", a, to=onnx_dtype(np.int64)), g.ints([1]))
                         for a in starts], axis=0)
    size = g.shape_tensor(sizes)
    hi = g.op("Sub", g.shape_tensor(shape), size)
    s = g.op("Min", g.op("Max", s, g.ints([0] * len(shape))), hi)      # lax's clamping
    return g.op("Slice", x, s, g.op("Add", s, size), g.ints(range(len(shape))))


# -- calls and loops ----------------------------------------------------------------------

def _inline(key):
    def f(g, e, ins):
        return g.emit(e.params[key], ins)
    return f


RULES["custom_jvp_call"] = _inline("fun_ir")     # inference needs only the primal
RULES["custom_vjp_call"] = _inline("fun_ir")
RULES["jit_call"] = _inline("ir")
RULES["remat"] = _inline("ir")


@rule("scan")
def _scan(g, e, ins):
    """``lax.scan`` as ONNX ``Scan``: consts are read from the outer graph by name."""
    p = e.params
    body, nc, nk = p["body"], p["num_consts"], p["num_carry"]
    consts, carry, xs = ins[:nc], ins[nc:nc + nk], ins[nc + nk:]
    sub = g.subgraph()
    for v, name in zip(body.invars[:nc], consts):
        sub.bind(v, name)
    in_names = []
    for v in body.invars[nc:]:
        name = sub.fresh("scan_in")
        sub.inputs.append(sub.value_info(name, v))
        in_names.append(name)
    dummy = not xs
    if dummy:          # ONNX's Scan iterates over at least one input: a counter of the length
        xs = [g.const(np.zeros((p["length"], 1), np.float32))]
        name = sub.fresh("scan_in")
        sub.inputs.append(helper.make_tensor_value_info(name, onnx_dtype(np.float32), [1]))
    outs = sub.emit(_ir_without_consts(body, nc), in_names)
    for v, o in zip(body.outvars, outs):
        name = sub.fresh("scan_out")
        sub.nodes.append(helper.make_node("Identity", [o], [name]))
        sub.outputs.append(sub.value_info(name, v))
    nys = len(body.outvars) - nk
    direction = 1 if p["reverse"] else 0
    names = [g.fresh("scan") for _ in e.outputs]
    g.nodes.append(helper.make_node(
        "Scan", list(carry) + list(xs), names, name=names[0], num_scan_inputs=len(xs),
        body=sub.to_graph(names[0] + "_body"),
        scan_input_directions=[direction] * len(xs),
        scan_output_directions=[direction] * nys))
    return names


def _ir_without_consts(ir, nc):
    """``ir`` with its first ``nc`` inputs already bound (the Scan body reads them outside)."""
    return IR(ir.invars[nc:], ir.eqns, ir.outvars)

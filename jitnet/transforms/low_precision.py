"""``widen_low_precision``: float16 and bfloat16 become float32 storage with per-op rounding.

Numba has no float16 or bfloat16 on the CPU. Before code generation the compiler rewrites
a program so that every float16/bfloat16 value is held in a float32 (exactly: both types
are subsets of float32) and every equation that computes such a value runs in float32 and
rounds its result to the narrow type (``round_to_dtype``). That is what XLA does on the CPU
and what jitnet's eager mode does (``core.dtypes.widen_params``), so jitted and eager
results agree bit for bit. Data movement and other ops whose results are already
representable are not rounded. The executable casts narrow arguments to float32 and
float32 results back at the boundary (``to_wide`` / ``from_wide``).
"""
from __future__ import annotations

import sys

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.ir import IR, Literal, Var, sub_irs
from ..prims import elementwise as ew
from ..trace.make_ir import literal_value, trace_to_ir
from ..trace.tracer import bind

F32 = dtypes.float32

# results that are exactly representable whenever the operands are: no rounding needed
EXACT = frozenset({
    "neg", "abs", "sign", "floor", "ceil", "round", "max", "min", "clamp", "select_n",
    "stop_gradient", "reduce_max", "reduce_min", "sort", "broadcast_in_dim", "reshape",
    "transpose", "rev", "slice", "squeeze", "concatenate", "pad", "gather", "dynamic_slice",
    "dynamic_update_slice", "cond", "while", "scan", "copy",
})


def uses_low_precision(ir: IR) -> bool:
    for v in ir.invars:
        if dtypes.is_low_precision(v.aval.dtype):
            return True
    for e in ir.eqns:
        for a in list(e.inputs) + list(e.outputs):
            if dtypes.is_low_precision(a.aval.dtype):
                return True
        if any(uses_low_precision(s) for s in sub_irs(e)):
            return True
    return False


def _wide_aval(aval: ShapedArray) -> ShapedArray:
    if dtypes.is_low_precision(aval.dtype):
        return ShapedArray(aval.shape, F32, aval.weak_type)
    return aval


def widen_low_precision(ir: IR) -> IR:
    """``ir`` with float32 in place of float16/bfloat16 everywhere, inputs and outputs
    included, each narrow result rounded where it is computed."""
    if not uses_low_precision(ir):
        return ir
    new, consts = trace_to_ir(lambda *args: _eval(ir, args),
                              [_wide_aval(v.aval) for v in ir.invars],
                              transform="low_precision", name="widen")
    assert not consts, "widening captured values"
    return IR(new.invars, new.eqns, new.outvars, ir.num_consts)


def _read_literal(a: Literal):
    if dtypes.is_low_precision(a.aval.dtype):
        return np.float32(a.value)
    return literal_value(a)


def _eval(ir: IR, args) -> list:
    env = {id(v): x for v, x in zip(ir.invars, args)}

    def read(a):
        return _read_literal(a) if isinstance(a, Literal) else env[id(a)]

    for e in ir.eqns:
        outs = _widen_eqn(e, [read(a) for a in e.inputs])
        for v, o in zip(e.outputs, outs):
            env[id(v)] = o
    return [read(a) for a in ir.outvars]


def _widen_eqn(e, ins) -> list:
    name = e.prim.name
    in_dt = [a.aval.dtype for a in e.inputs]
    out_dt = [v.aval.dtype for v in e.outputs]
    if name == "bitcast_convert_type" and (dtypes.is_low_precision(in_dt[0]) or
                                           dtypes.is_low_precision(out_dt[0])):
        return [_bitcast(ins[0], in_dt[0], out_dt[0])]
    params = {k: _widen_param(v) for k, v in e.params.items()}
    out = bind(e.prim, *ins, **params)
    outs = out if e.prim.multiple_results else [out]
    if name in EXACT:
        return outs
    if name == "convert_element_type" and dtypes.is_low_precision(in_dt[0]) and \
            in_dt[0] == out_dt[0]:
        return outs
    return [ew.round_to_dtype(o, d) if dtypes.is_low_precision(d) else o
            for o, d in zip(outs, out_dt)]


def _widen_param(v):
    if isinstance(v, IR):
        return widen_low_precision(v)
    if isinstance(v, tuple) and any(isinstance(s, IR) for s in v):
        return tuple(widen_low_precision(s) if isinstance(s, IR) else s for s in v)
    return dtypes.widen_param(v)


# -- bitcasts between 16-bit integers and float16/bfloat16 bits, on float32 storage ------

def _u32(v):
    return np.uint32(v)


def _bitcast(x, src, dst):
    if dtypes.is_low_precision(dst):          # integer bits -> a float16/bfloat16 value
        if src != np.uint16:
            x = ew.bitcast_convert_type(x, np.uint16)
        h = ew.convert_element_type(x, np.uint32)
        return _decode_bf16(h) if dtypes.is_bfloat16(dst) else _decode_f16(h)
    bits = _encode_bf16(x) if dtypes.is_bfloat16(src) else _encode_f16(x)
    bits = ew.convert_element_type(bits, np.uint16)
    return bits if dst == np.uint16 else ew.bitcast_convert_type(bits, dst)


def _decode_bf16(h):
    return ew.bitcast_convert_type(ew.shift_left(h, _u32(16)), F32)


def _encode_bf16(x):
    return ew.shift_right_logical(ew.bitcast_convert_type(x, np.uint32), _u32(16))


def _decode_f16(h):
    sign = ew.shift_left(ew.bitwise_and(h, _u32(0x8000)), _u32(16))
    exp = ew.bitwise_and(ew.shift_right_logical(h, _u32(10)), _u32(0x1F))
    man = ew.shift_left(ew.bitwise_and(h, _u32(0x3FF)), _u32(13))
    normal = ew.bitwise_or(ew.shift_left(ew.add(exp, _u32(112)), _u32(23)), man)
    special = ew.bitwise_or(_u32(0x7F800000), man)                       # inf and NaN
    sub = ew.mul(ew.convert_element_type(ew.bitwise_and(h, _u32(0x3FF)), F32),
                 np.float32(2.0 ** -24))                           # subnormals and zero
    sub_bits = ew.bitcast_convert_type(sub, np.uint32)
    bits = ew.select_n(ew.eq(exp, _u32(0)),
                       ew.select_n(ew.eq(exp, _u32(31)), normal, special), sub_bits)
    return ew.bitcast_convert_type(ew.bitwise_or(bits, sign), F32)


def _encode_f16(x):
    b = ew.bitcast_convert_type(x, np.uint32)
    sign = ew.bitwise_and(ew.shift_right_logical(b, _u32(16)), _u32(0x8000))
    a = ew.bitwise_and(b, _u32(0x7FFFFFFF))
    normal = ew.shift_right_logical(ew.sub(a, _u32(112 << 23)), _u32(13))
    sub = ew.convert_element_type(ew.mul(ew.abs(x), np.float32(2.0 ** 24)), np.uint32)
    man = ew.bitwise_and(ew.shift_right_logical(a, _u32(13)), _u32(0x3FF))
    nan_man = ew.select_n(ew.eq(man, _u32(0)), man, _u32(0x200))
    special = ew.bitwise_or(_u32(0x7C00), ew.select_n(ew.gt(a, _u32(0x7F800000)), man, nan_man))
    bits = ew.select_n(ew.lt(a, _u32(0x38800000)),
                       ew.select_n(ew.ge(a, _u32(0x7F800000)), normal, special), sub)
    return ew.bitwise_or(bits, sign)


# -- casts at the executable's boundary (NumPy) ----------------------------------------

def to_wide(v: np.ndarray) -> np.ndarray:
    """A float16/bfloat16 array as float32 (exact); bfloat16 by a shift of its bits."""
    if dtypes.is_bfloat16(v.dtype):
        if sys.byteorder == "little":     # the bits become the high half of each float32
            out = np.zeros(v.shape + (2,), np.uint16)
            out[..., 1] = v.view(np.uint16)
            return out.view(np.float32).reshape(v.shape)
        return np.asarray(v.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return v.astype(np.float32)


def from_wide(v: np.ndarray, dtype) -> np.ndarray:
    """A float32 array of values representable in ``dtype`` back in ``dtype`` (the
    compiled code rounded them already, NaNs quieted: bfloat16 keeps the top 16 bits)."""
    if dtypes.is_bfloat16(dtype):
        top = np.asarray(np.asarray(v, np.float32).view(np.uint32) >> 16)
        return top.astype(np.uint16).view(dtypes.bfloat16)
    return np.asarray(v).astype(dtype)

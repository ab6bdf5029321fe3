"""Scalar helpers the generated CUDA kernels call (``jn_*``): the CUDA twin of ``numba_math``.

Kernels written by ``codegen/cuda/`` only use operators, casts (``np.float32(x)``) and these
helpers, so the same kernel text runs on a GPU and under Numba's CUDA simulator:

* the plain ``math`` calls elementwise primitives declare (``Elementwise(math="sin")``) get
  their helper here from the declaration (``jn_sin``), with no code of their own;
* on a GPU each helper is a ``cuda.jit(device=True)`` function built on ``math`` (which Numba
  lowers to the float32 libdevice variant for float32 arguments, so float32 stays float32) or
  on ``numba.cuda.libdevice`` where ``math`` has no equivalent (rint, round, cbrt, nextafter,
  erfinv) - those come per dtype (``_f32`` / ``_f64`` names);
* under the simulator (``NUMBA_ENABLE_CUDASIM=1``) kernels are plain Python on NumPy scalars,
  so the helpers use NumPy ufuncs: they keep float32 in float32 and give IEEE results (inf,
  nan) where Python's ``math`` would raise.

Semantics follow XLA as on the CPU backend: NaN-propagating max/min, C-style integer division
(division by zero gives -1, remainder by zero gives the dividend), saturating float->int casts,
shifts by >= the bit width give 0 or the sign.
"""
from __future__ import annotations

import inspect
import math

import numba
import numpy as np
from numba import cuda

from .. import prims as _prims  # noqa: F401  (registers the primitives read below)
from ..core import primitive as _primitive
from ..core.threefry import threefry2x32_20
from . import numba_math as _cpu

SIM = bool(numba.config.ENABLE_CUDASIM)

if SIM:
    def _device(f):
        return f  # simulated kernels call Python functions directly
else:
    _device = cuda.jit(device=True)


# -- written once for both targets (operators and casts only) ---------------------------
# The CPU helpers' Python source, compiled as device functions (under the simulator: called
# as they are), so integer division, float->int saturation and NaN-propagating max/min
# cannot drift apart between the backends.

jn_max, jn_min, jn_idiv, jn_irem, jn_popcount = (
    _device(f.py_func) for f in (_cpu.jn_max, _cpu.jn_min, _cpu.jn_idiv, _cpu.jn_irem,
                                 _cpu.jn_popcount))
(jn_f2i_int8, jn_f2i_int16, jn_f2i_int32, jn_f2i_int64,
 jn_f2i_uint8, jn_f2i_uint16, jn_f2i_uint32, jn_f2i_uint64) = (
    _device(getattr(_cpu, f"jn_f2i_{t}").py_func)
    for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"))


@_device
def jn_sign(x):  # not the CPU form: NumPy booleans (the simulator) cannot be subtracted
    if x != x:
        return x
    return 1 if x > 0 else (-1 if x < 0 else 0)


@_device
def jn_clamp_index(i, hi):
    """``i`` clamped to [0, hi] (builtin min/max do not type reliably in CUDA kernels)."""
    return 0 if i < 0 else (hi if i > hi else i)


@_device
def jn_argbetter_max(v, i, bv, bi):
    """Does (value v, index i) beat the running best (bv, bi) of an argmax? NaN wins (the first
    NaN, as NumPy), ties go to the smaller index; bi < 0 means no best yet."""
    if bi < 0:
        return True
    if v != v:
        return bv == bv or i < bi
    if bv != bv:
        return False
    return v > bv or (v == bv and i < bi)


@_device
def jn_argbetter_min(v, i, bv, bi):
    if bi < 0:
        return True
    if v != v:
        return bv == bv or i < bi
    if bv != bv:
        return False
    return v < bv or (v == bv and i < bi)


jn_threefry2x32 = _device(threefry2x32_20)  # the hash the CPU kernel compiles


@_device
def jn_sort_lt(a, b):
    """Total order of a sort key: NaN after everything (NumPy's sort order)."""
    return a < b or (a == a and b != b)


if SIM:
    # -- simulator: NumPy scalars ---------------------------------------------------------
    jn_tanh = np.tanh
    jn_exp, jn_log, jn_log1p, jn_expm1 = np.exp, np.log, np.log1p, np.expm1
    jn_sqrt, jn_floor, jn_ceil, jn_trunc = np.sqrt, np.floor, np.ceil, np.trunc
    jn_fmod, jn_isfinite = np.fmod, np.isfinite
    jn_rint_f32 = jn_rint_f64 = np.rint
    jn_cbrt_f32 = jn_cbrt_f64 = np.cbrt
    jn_nextafter_f32 = jn_nextafter_f64 = np.nextafter

    def jn_pow(a, b):
        return np.power(a, b)

    jn_round_away_f32 = jn_round_away_f64 = _cpu.jn_round_away.py_func

    def jn_lgamma(x):
        if x != x:
            return x
        if x == -np.inf:
            return np.inf
        try:
            return math.lgamma(x)
        except (ValueError, OverflowError):  # poles
            return np.inf

    def jn_erf_inv_f32(x):  # the CPU backend's algorithm, in float64 as there
        return _cpu.jn_erf_inv.py_func(float(x))

    jn_erf_inv_f64 = jn_erf_inv_f32

    def jn_digamma(x):
        return _cpu.jn_digamma.py_func(float(x))

    def _bitcast(dtype):
        t = np.dtype(dtype)
        return lambda x: np.asarray(x).view(t)[()]

    def _wrap(v, dtype):
        return np.array(v).astype(dtype)[()]  # Python int -> fixed width, wrapping

    def jn_shl(x, y, bits):
        return 0 if (y < 0 or y >= bits) else _wrap(int(x) << int(y), np.asarray(x).dtype)

    def jn_shrl(x, y, bits):
        if y < 0 or y >= bits:
            return 0
        return _wrap((int(x) & ((1 << bits) - 1)) >> int(y), np.asarray(x).dtype)

    jn_shra = _cpu.jn_shra.py_func

    def jn_round_float16_f32(x):  # float16/bfloat16 values kept in float32 (as the CPU's)
        return np.float32(np.float16(x))

    def jn_round_bfloat16_f32(x):
        import ml_dtypes
        return np.float32(ml_dtypes.bfloat16(np.float32(x)))
else:
    # -- GPU: math (float32 variants chosen by argument type) and libdevice ----------------
    from numba.core import types as _nbt
    from numba.cuda import libdevice as _ld
    from numba.extending import intrinsic

    def _math1(f):
        return cuda.jit(device=True)(lambda x: f(x))

    jn_tanh = _math1(math.tanh)
    jn_exp, jn_log = _math1(math.exp), _math1(math.log)
    jn_log1p, jn_expm1 = _math1(math.log1p), _math1(math.expm1)
    jn_sqrt, jn_floor = _math1(math.sqrt), _math1(math.floor)
    jn_ceil, jn_trunc = _math1(math.ceil), _math1(math.trunc)
    jn_lgamma = _math1(math.lgamma)
    jn_isfinite = _math1(math.isfinite)
    jn_fmod = cuda.jit(device=True)(lambda a, b: math.fmod(a, b))
    jn_pow = cuda.jit(device=True)(lambda a, b: a ** b)
    jn_rint_f32, jn_rint_f64 = _ld.rintf, _ld.rint
    jn_round_away_f32, jn_round_away_f64 = _ld.roundf, _ld.round  # C round: half away
    jn_cbrt_f32, jn_cbrt_f64 = _ld.cbrtf, _ld.cbrt
    jn_nextafter_f32, jn_nextafter_f64 = _ld.nextafterf, _ld.nextafter
    jn_erf_inv_f32, jn_erf_inv_f64 = _ld.erfinvf, _ld.erfinv
    jn_digamma = cuda.jit(device=True)(_cpu.jn_digamma.py_func)

    def _bitcast(dtype):
        target = numba.from_dtype(np.dtype(dtype))

        @intrinsic
        def cast(typingctx, x):
            if getattr(x, "bitwidth", None) != target.bitwidth:
                return None
            sig = target(x)

            def codegen(context, builder, signature, args):
                return builder.bitcast(args[0], context.get_value_type(target))
            return sig, codegen
        return cast

    jn_shl, jn_shrl, jn_shra = (cuda.jit(device=True)(f.py_func) for f in
                                (_cpu.jn_shl, _cpu.jn_shrl, _cpu.jn_shra))
    # integer ops and LLVM bitcasts only (the CPU kernels' code; not yet run on a GPU)
    jn_round_float16_f32, jn_round_bfloat16_f32 = (
        cuda.jit(device=True)(f.py_func) for f in (_cpu.jn_round_float16_f32,
                                                   _cpu.jn_round_bfloat16_f32))

    del _nbt




def _declared_math(prim):
    """``jn_<name>`` for a primitive declaring ``Elementwise(math=name)``: its NumPy impl
    under the simulator (IEEE results on NumPy scalars), ``math.<name>`` on the GPU."""
    if SIM:
        return prim.impl
    f = getattr(math, prim.kind.math)
    if len(inspect.signature(f).parameters) == 2:
        return cuda.jit(device=True)(lambda a, b: f(a, b))
    return cuda.jit(device=True)(lambda x: f(x))


for _p in _primitive.registry.values():
    if isinstance(_p.kind, _primitive.Elementwise) and _p.kind.math:
        globals()[f"jn_{_p.kind.math}"] = _declared_math(_p)


jn_bitcast_int32, jn_bitcast_uint32, jn_bitcast_float32 = (_bitcast(t) for t in
                                                           (np.int32, np.uint32, np.float32))
jn_bitcast_int64, jn_bitcast_uint64, jn_bitcast_float64 = (_bitcast(t) for t in
                                                           (np.int64, np.uint64, np.float64))

# the float kernels scalar.py names per dtype (jn_<name>_f32 / _f64)
jn_exp_f32 = jn_exp_f64 = jn_exp
jn_log_f32 = jn_log_f64 = jn_log
jn_log1p_f32 = jn_log1p_f64 = jn_log1p
jn_expm1_f32 = jn_expm1_f64 = jn_expm1
jn_tanh_f32 = jn_tanh_f64 = jn_tanh


@_device
def jn_logistic_f32(x):
    e = jn_exp(-abs(x))  # never overflows; e/(1+e) keeps the tiny values of the left tail
    one = np.float32(1.0)
    return one / (one + e) if x >= np.float32(0.0) else e / (one + e)


@_device
def jn_logistic_f64(x):
    e = jn_exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)


__all__ = [n for n in dir() if n.startswith("jn_")] + ["numba", "cuda"]

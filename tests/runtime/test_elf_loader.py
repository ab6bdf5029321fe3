"""runtime/elf_loader: objects LLVM emits for x86-64 link and run without LLVM; anything it
does not handle raises Unsupported (the eager kernels then link through MCJIT)."""
import ctypes
import math
import platform

import llvmlite.binding as llvm
import numpy as np
import pytest

from jitnet.runtime import eager_kernels, elf_loader

X86 = platform.machine() == "x86_64"
TABLE = (1.5, -2.25, 3.0, 0.125)
FACTOR = (1.0, 2.0, 3.0, 5.0, 5.0)
# a constant table, an internal call, a libm call, a float literal and a jump table
IR = r"""
declare double @tanh(double)
@table = internal constant [4 x double] [double 1.5, double -2.25, double 3.0, double 0.125]
define internal double @inner(double %x, i64 %i) noinline {
  %p = getelementptr [4 x double], [4 x double]* @table, i64 0, i64 %i
  %t = load double, double* %p
  %y = fmul double %x, %t
  ret double %y
}
define double @outer(double %x, i64 %i) {
  %j = urem i64 %i, 4
  %a = call double @inner(double %x, i64 %j)
  %b = call double @tanh(double %a)
  %c = fadd double %b, 0.3
  switch i64 %i, label %d [ i64 0, label %l0  i64 1, label %l1  i64 2, label %l2
                            i64 3, label %l3  i64 4, label %l3 ]
l0: ret double %c
l1: %c1 = fmul double %c, 2.0
  ret double %c1
l2: %c2 = fmul double %c, 3.0
  ret double %c2
l3: %c3 = fmul double %c, 5.0
  ret double %c3
d: ret double 0.0
}
"""
IR_LOCAL = IR.replace("declare double @tanh(double)", """
define internal double @tanh(double %x) noinline {
  %y = fmul double %x, 0.5
  ret double %y
}""")
_FN = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_int64)


def _object(ir, codemodel, reloc):
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    tm = llvm.Target.from_default_triple().create_target_machine(codemodel=codemodel,
                                                                  reloc=reloc)
    return tm.emit_object(llvm.parse_assembly(ir))


def _want(x, i, inner):
    return (inner(x * TABLE[i % 4]) + 0.3) * FACTOR[i] if i < 5 else 0.0


def _check(address, inner):
    f = _FN(address)
    r = np.random.default_rng(3)
    for x in list(r.uniform(-4, 4, 5)) + [0.0, -0.0, 1e-300]:
        for i in range(7):
            assert f(x, i) == pytest.approx(_want(x, i, inner), rel=1e-15, abs=1e-300)


def _mapping_of(address):
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
            if lo <= address < hi:
                return line.split()[1]
    raise AssertionError(f"{address:#x} is not mapped")


def test_large_code_model_links_with_libm_and_is_not_writable():
    """Numba's objects: the large code model (absolute 64-bit and PC-relative 64-bit
    relocations), calling libm by address."""
    obj = _object(IR, "large", "static")
    if not X86:
        with pytest.raises(elf_loader.Unsupported):
            elf_loader.link(obj, "outer", eager_kernels._process_symbol)
        return
    address = elf_loader.link(obj, "outer", eager_kernels._process_symbol)
    _check(address, math.tanh)
    assert _mapping_of(address).startswith("r-x")


def test_small_code_model_pc_relative_references():
    obj = _object(IR_LOCAL, "small", "pic")   # PC32 and PLT32 relocations, all internal
    if not X86:
        with pytest.raises(elf_loader.Unsupported):
            elf_loader.link(obj, "outer", lambda name: None)
        return
    _check(elf_loader.link(obj, "outer", lambda name: None), lambda v: v * 0.5)


TLS_IR = """
@counter = internal thread_local global i64 0
define i64 @outer(i64 %x) {
  %c = load i64, i64* @counter
  %y = add i64 %c, %x
  store i64 %y, i64* @counter
  ret i64 %y
}
"""


def _as_rel(obj):
    """``obj`` with its RELA sections marked REL (addends in the code, not handled)."""
    b = bytearray(obj)
    shoff = int.from_bytes(b[40:48], "little")
    for i in range(int.from_bytes(b[60:62], "little")):
        at = shoff + 64 * i + 4
        if b[at:at + 4] == (4).to_bytes(4, "little"):
            b[at:at + 4] = (9).to_bytes(4, "little")
    return bytes(b)


@pytest.mark.parametrize("case", ["not_elf", "machine", "abs32", "got", "unresolved",
                                  "far_call", "no_symbol", "tls", "rel"])
def test_what_it_does_not_handle_raises_unsupported(case):
    resolve = eager_kernels._process_symbol
    symbol = "outer"
    if case == "not_elf":
        obj = b"\x7fELF planted"
    elif case == "machine":
        obj = bytearray(_object(IR, "large", "static"))
        obj[18:20] = (183).to_bytes(2, "little")   # EM_AARCH64
        obj = bytes(obj)
    elif case == "abs32":
        obj = _object(IR, "small", "static")      # R_X86_64_32S (jump table)
    elif case == "got":
        obj = _object(IR, "large", "pic")         # GOT-relative relocations
    elif case == "unresolved":
        obj, resolve = _object(IR, "large", "static"), lambda name: None
    elif case == "far_call":                      # a PLT32 call 2**46 bytes away
        obj, resolve = _object(IR, "small", "pic"), lambda name: 1 << 46
    elif case == "tls":
        obj = _object(TLS_IR, "large", "static")
    elif case == "rel":
        obj = _as_rel(_object(IR, "large", "static"))
    else:
        obj, symbol = _object(IR, "large", "static"), "no_such_function"
    with pytest.raises(elf_loader.Unsupported):
        elf_loader.link(obj, symbol, resolve)

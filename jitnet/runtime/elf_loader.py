"""Link a small x86-64 ELF relocatable object into executable memory, without LLVM.

The eager float kernels (``eager_kernels.py``) are cached as object files whose code refers
only to its own sections and to libm. Linking one through llvmlite's MCJIT costs ~22 ms in
a new process, nearly all of it importing ``llvmlite.binding`` (loading libllvmlite); this
linker does the same job for such a file in well under a millisecond: it copies the
allocated sections into one anonymous mapping, applies the relocations, then makes the
mapping read+execute (never writable and executable at once).

It reads only bytes whose signature the caller has checked. Anything it does not know (not
ELF64 x86-64 little-endian, a relocation type other than absolute 64-bit or PC-relative 32-
or 64-bit, a value out of range, an unresolved symbol) raises ``Unsupported``: the caller
links through MCJIT instead.
"""
from __future__ import annotations

import ctypes
import mmap
import struct

_EM_X86_64 = 62
_SHF_ALLOC, _SHF_TLS = 0x2, 0x400
_SHT_NOBITS, _SHT_RELA, _SHT_REL, _SHT_SYMTAB = 8, 4, 9, 2
_STT_GNU_IFUNC = 10
_R_64, _R_PC32, _R_PLT32, _R_PC64 = 1, 2, 4, 24
_SHN_ABS = 0xFFF1

_maps: list = []   # the mappings of linked objects (their code must stay in memory)


class Unsupported(ValueError):
    """The object uses something this linker does not handle."""


def link(obj: bytes, symbol: str, externals) -> int:
    """Load ``obj`` and return the address of its ``symbol``. ``externals(name)`` gives the
    address of an undefined symbol, or None."""
    if obj[:4] != b"\x7fELF" or obj[4:7] != b"\x02\x01\x01":  # 64-bit, little-endian, v1
        raise Unsupported("not a 64-bit little-endian ELF file")
    etype, machine = struct.unpack_from("<HH", obj, 16)
    if etype != 1 or machine != _EM_X86_64:  # ET_REL
        raise Unsupported(f"ELF type {etype}, machine {machine}: not an x86-64 object")
    shoff, = struct.unpack_from("<Q", obj, 40)
    shentsize, shnum = struct.unpack_from("<HH", obj, 58)
    if shentsize != 64 or shoff + 64 * shnum > len(obj):
        raise Unsupported("bad section header table")
    # (name, type, flags, addr, offset, size, link, info, align, entsize)
    secs = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + 64 * i) for i in range(shnum)]

    # place the allocated sections, each at its alignment, in one mapping
    place, size = {}, 0
    for i, s in enumerate(secs):
        if s[2] & _SHF_TLS or s[1] == _SHT_REL:
            raise Unsupported("thread-local data or implicit-addend relocations")
        if s[2] & _SHF_ALLOC and s[5]:
            align = max(s[8], 1)
            if align > mmap.PAGESIZE:  # (the mapping's start is only page-aligned)
                raise Unsupported(f"a section aligned to {align} bytes")
            size = -(-size // align) * align
            place[i] = size
            size += s[5]
    mem = mmap.mmap(-1, max(size, 1), prot=mmap.PROT_READ | mmap.PROT_WRITE)
    for i, off in place.items():
        s = secs[i]
        if s[1] != _SHT_NOBITS:
            if s[4] + s[5] > len(obj):
                raise Unsupported("a section lies outside the file")
            mem[off:off + s[5]] = obj[s[4]:s[4] + s[5]]
    view = ctypes.c_char.from_buffer(mem)  # (pins the mapping: it is never closed)
    base = ctypes.addressof(view)

    symtab = next((i for i, s in enumerate(secs) if s[1] == _SHT_SYMTAB), None)
    if symtab is None:
        raise Unsupported("no symbol table")
    syms = _symbols(obj, secs, symtab)

    def address(k):
        name, shndx, value = syms[k]
        if shndx == 0:
            a = externals(name)
            if not a:
                raise Unsupported(f"unresolved symbol {name!r}")
            return a
        if shndx == _SHN_ABS:
            return value
        if shndx not in place:
            raise Unsupported(f"symbol {name!r} in an unallocated section")
        return base + place[shndx] + value

    for s in secs:
        if s[1] != _SHT_RELA or s[7] not in place:
            continue  # relocations of debug sections: not loaded
        if s[6] != symtab or s[9] != 24:
            raise Unsupported("relocations against another symbol table")
        target, end = place[s[7]], secs[s[7]][5]
        for off, info, addend in struct.iter_unpack("<QQq", obj[s[4]:s[4] + s[5]]):
            kind, value = info & 0xFFFFFFFF, address(info >> 32) + addend
            if off + (8 if kind in (_R_64, _R_PC64) else 4) > end:
                raise Unsupported("a relocation outside its section")
            at = target + off
            if kind == _R_64:
                struct.pack_into("<Q", mem, at, value & 0xFFFFFFFFFFFFFFFF)
            elif kind == _R_PC64:
                struct.pack_into("<q", mem, at, value - (base + at))
            elif kind in (_R_PC32, _R_PLT32):
                rel = value - (base + at)
                if not -2**31 <= rel < 2**31:
                    raise Unsupported(f"a PC-relative reference out of range ({rel:#x})")
                struct.pack_into("<i", mem, at, rel)
            else:
                raise Unsupported(f"relocation type {kind}")

    entry = next((k for k, (name, shndx, _) in enumerate(syms)
                  if name == symbol and shndx not in (0, _SHN_ABS)), None)
    if entry is None:
        raise Unsupported(f"no symbol {symbol!r}")
    fn = address(entry)
    _protect(base, len(mem), mmap.PROT_READ | mmap.PROT_EXEC)
    _maps.append((mem, view))
    return fn


def _symbols(obj: bytes, secs, symtab: int) -> list:
    """[(name, section index, value)] of the symbol table."""
    s = secs[symtab]
    strs = secs[s[6]]
    names = obj[strs[4]:strs[4] + strs[5]]
    out = []
    for name, info, _, shndx, value, _ in struct.iter_unpack("<IBBHQQ", obj[s[4]:s[4] + s[5]]):
        if info & 0xF == _STT_GNU_IFUNC:
            raise Unsupported("an indirect function")
        end = names.find(b"\0", name)
        out.append((names[name:end].decode("ascii", "replace"), shndx, value))
    return out


def _protect(address: int, size: int, prot: int) -> None:
    mprotect = ctypes.CDLL(None, use_errno=True).mprotect
    mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    if mprotect(address, size, prot) != 0:
        raise Unsupported(f"mprotect failed (errno {ctypes.get_errno()})")

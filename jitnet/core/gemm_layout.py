"""Which ``dot_general`` operand layouts a BLAS gemm reads in place, shared by the CPU code
generator (which writes the views) and the compiler pass that folds transposes into the
product's dimension numbers (which must not fold one into a layout that needs a copy).

A gemm reads one matrix per batch element: rows and columns at fixed strides, one of them 1.
An operand is read in place when its free dims sit next to each other in memory, so do its
contract dims (in the order they pair with the other operand's), and its last dim is one of
them; its batch dims may be anywhere else (attention's (B, T, H, D) with batch dims B and H).
"""
from __future__ import annotations


def contract_pairs(lc, rc) -> tuple[tuple, tuple]:
    """The contract dims paired in the lhs's memory order, so both operands' K runs alike."""
    pairs = sorted(zip(lc, rc))
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def free_dims(ndim: int, contract, batch) -> tuple:
    return tuple(i for i in range(ndim) if i not in contract and i not in batch)


def canonical(ndim: int, batch, free, contract) -> bool:
    """(batch..., free..., contract...) or (batch..., contract..., free...) in order: a plain
    reshape gives the (B, rows, K) or (B, K, rows) stack of matrices."""
    every = tuple(range(ndim))
    b, f, c = tuple(batch), tuple(free), tuple(contract)
    return b + f + c == every or b + c + f == every


def _consecutive(dims) -> bool:
    return all(b == a + 1 for a, b in zip(dims, dims[1:]))


def strided(ndim: int, batch, free, contract) -> bool:
    """Readable in place with the batch dims indexed one by one (not canonical)."""
    return bool(free and contract and _consecutive(free) and _consecutive(contract)
                and (ndim - 1) not in batch)


def in_place(ndim: int, batch, free, contract) -> bool:
    return canonical(ndim, batch, free, contract) or strided(ndim, batch, free, contract)

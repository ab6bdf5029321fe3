"""The typed SSA IR: Var, Literal, Eqn and IR.

An ``IR`` is a list of equations over variables: ``invars`` come in, each
``Eqn`` applies one primitive to atoms (variables or literals) and defines new
variables, ``outvars`` go out. The first ``num_consts`` invars hold values
captured from the traced function's closure (printed like JAX's constvars).

IRs are immutable once built. Equality and hashing are *structural*: two IRs
that differ only in variable identity are equal, which is what cache keys need.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .aval import ShapedArray


class Var:
    """An SSA variable. Identity matters; names are assigned only when printing."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant inlined in an equation (Python scalars, 0-d values)."""

    __slots__ = ("value", "aval")

    def __init__(self, value, aval: ShapedArray):
        self.value = value
        self.aval = aval

    def key(self):
        return ("lit", self.aval, np.asarray(self.value, self.aval.dtype).tobytes())

    def __repr__(self):
        return f"Literal({self.value!r}:{self.aval.str_short()})"


Atom = Var | Literal


class Params(dict):
    """Primitive parameters: a read-only, hashable dict of hashable values."""

    __slots__ = ("_hash",)

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = h = hash(tuple(sorted(self.items())))
            return h

    def _readonly(self, *a, **k):
        raise TypeError("primitive params are immutable")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _readonly


class Eqn:
    """``outputs = prim(*inputs, **params)``; ``source`` is the user line that traced it."""

    __slots__ = ("prim", "inputs", "outputs", "params", "source")

    def __init__(self, prim, inputs: Sequence[Atom], outputs: Sequence[Var],
                 params: dict, source=None):
        self.prim = prim
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.params = params if isinstance(params, Params) else Params(params)
        self.source = source

    def replace(self, **kw) -> "Eqn":
        fields = dict(prim=self.prim, inputs=self.inputs, outputs=self.outputs,
                      params=self.params, source=self.source)
        fields.update(kw)
        return Eqn(**fields)

    def __repr__(self):
        return f"Eqn({self.prim.name}, {len(self.inputs)} in, {len(self.outputs)} out)"


def sub_irs(eqn: Eqn):
    """The IRs held in ``eqn``'s params (the branches of a cond, a loop's body...)."""
    return sub_irs_of(eqn.params)


def sub_irs_of(params):
    """The IRs among a primitive's ``params``."""
    for p in params.values():
        for s in (p if isinstance(p, tuple) else (p,)):
            if isinstance(s, IR):
                yield s


def split(seq, *sizes) -> list[list]:
    """``seq`` cut into consecutive pieces of ``sizes`` (plus the rest): an equation's
    operands by role (a loop's constants, carries, scanned inputs)."""
    out, start = [], 0
    for n in sizes:
        out.append(list(seq[start:start + n]))
        start += n
    out.append(list(seq[start:]))
    return out


def map_sub_irs(eqn: Eqn, fn) -> Eqn:
    """``eqn`` with each IR in its params (alone or in a tuple) replaced by ``fn(ir)``; the
    same equation when there is none or ``fn`` returns each one unchanged."""
    def one(p):
        if isinstance(p, IR):
            return fn(p)
        if isinstance(p, tuple) and any(isinstance(s, IR) for s in p):
            return tuple(fn(s) if isinstance(s, IR) else s for s in p)
        return p
    params = {k: one(p) for k, p in eqn.params.items()}
    if all(params[k] is p for k, p in eqn.params.items()):
        return eqn
    return eqn.replace(params=params)


class IR:
    """A traced program: ``(invars) -> eqns -> (outvars)``, immutable."""

    __slots__ = ("invars", "eqns", "outvars", "num_consts", "_key", "_hash")

    def __init__(self, invars: Sequence[Var], eqns: Sequence[Eqn], outvars: Sequence[Atom],
                 num_consts: int = 0):
        self.invars = tuple(invars)
        self.eqns = tuple(eqns)
        self.outvars = tuple(outvars)
        self.num_consts = num_consts

    in_avals = property(lambda self: [v.aval for v in self.invars])
    out_avals = property(lambda self: [v.aval for v in self.outvars])

    def structural_key(self) -> tuple:
        """A hashable description of the program independent of variable identity."""
        try:
            return self._key
        except AttributeError:
            pass
        ids: dict[int, int] = {}

        def atom(a: Atom):
            return a.key() if isinstance(a, Literal) else ids[id(a)]

        for v in self.invars:
            ids[id(v)] = len(ids)
        body = []
        for e in self.eqns:
            ins = tuple(atom(a) for a in e.inputs)
            for v in e.outputs:
                ids[id(v)] = len(ids)
            body.append((e.prim.name, ins, tuple(v.aval for v in e.outputs), e.params))
        self._key = key = (tuple(self.in_avals), self.num_consts, tuple(body),
                           tuple(atom(a) for a in self.outvars))
        return key

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = h = hash(self.structural_key())
            return h

    def __eq__(self, other):
        return self is other or (isinstance(other, IR) and hash(self) == hash(other)
                                 and self.structural_key() == other.structural_key())

    def __str__(self):
        from .printer import pp_ir
        return pp_ir(self)

    __repr__ = __str__

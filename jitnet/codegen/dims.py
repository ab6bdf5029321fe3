"""Shape-generic generated code: sizes read at run time instead of baked-in literals.

A new batch size should not recompile a program. While a program is generated, the sizes
that vary between calls (``choose``: the leading axis of the inputs, unless that size also
appears on another axis) are ``Dim`` objects: ints with their concrete value, which every
decision of the generator sees, that print as a name (``S0``) or an expression of names
(``(S0 * 32)``). The entry function binds each name to the input axis it came from.

Why this is safe whatever the generator does with sizes: the compiled code is looked up by
the exact text generated for the call's own shapes. Text generated for batch 16 is reused
for batch 40 only if generating for batch 40 gives the same text, and that text, with its
names bound at run time, is by construction the program for batch 40. A decision that
depends on a size (a parallel loop from some size on, a tail loop, a size baked in by
``int()``) shows in the text and so only costs a compilation, never a wrong result; so
the generator asks ``decide`` and, where the answer differs between batch sizes, writes
both outcomes for the run time to choose.
Sizes that are not chosen stay literals: LLVM unrolls and vectorizes small fixed inner
loops better (see ``choose``).
"""
from __future__ import annotations

import contextlib

from ..core.aval import ShapedArray
from ..core.lru import LRU
from ..core.ir import Var
from ..fuse.kernels import LoopKernel


_printed: list[set] = []  # the size names printed (innermost ``record_sizes`` last)


@contextlib.contextmanager
def record_sizes():
    """Yields the set of the size names (``S0``...) printed as text within the block."""
    names: set = set()
    _printed.append(names)
    try:
        yield names
    finally:
        _printed.pop()


class Dim(int):
    """A size: its concrete value for comparisons, its source text when printed.
    ``names``: the size names its text uses."""

    def __new__(cls, value: int, text: str, names: frozenset | None = None):
        d = int.__new__(cls, value)
        d.text = text
        d.names = frozenset([text]) if names is None else names
        return d

    def __repr__(self):
        if _printed:
            _printed[-1].update(self.names)
        return self.text

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self) if not spec else format(int(self), spec)

    def _op(self, other, sym, value, reflected=False):
        if not isinstance(other, int):
            return NotImplemented
        if isinstance(other, bool):  # ``n // b + (n % b > 0)``: the comparison's value
            other = int(other)
        a, b = (other, self) if reflected else (self, other)
        names = self.names | other.names if isinstance(other, Dim) else self.names
        return Dim(value, f"({_text(a)} {sym} {_text(b)})", names)

    def __add__(self, o):
        return self if _plain(o, 0) else self._op(o, "+", int(self) + int(o))

    def __radd__(self, o):
        return self if _plain(o, 0) else self._op(o, "+", int(o) + int(self), True)

    def __sub__(self, o):
        return self if _plain(o, 0) else self._op(o, "-", int(self) - int(o))

    def __rsub__(self, o):
        return self._op(o, "-", int(o) - int(self), True)

    def __mul__(self, o):
        if _plain(o, 1):
            return self
        return 0 if _plain(o, 0) else self._op(o, "*", int(self) * int(o))

    def __rmul__(self, o):
        if _plain(o, 1):
            return self
        return 0 if _plain(o, 0) else self._op(o, "*", int(o) * int(self), True)

    def __floordiv__(self, o):
        return self if _plain(o, 1) else self._op(o, "//", int(self) // int(o))

    def __rfloordiv__(self, o):
        return self._op(o, "//", int(o) // int(self), True)

    def __mod__(self, o):
        return self._op(o, "%", int(self) % int(o))

    def __rmod__(self, o):
        return self._op(o, "%", int(o) % int(self), True)

    def __neg__(self):
        return Dim(-int(self), f"(-{self.text})", self.names)

    def __pos__(self):
        return self

    def __hash__(self):
        return int.__hash__(self)

    def __eq__(self, other):
        return int.__eq__(self, other)

    def __ne__(self, other):
        return int.__ne__(self, other)


def _text(x) -> str:
    """Source text of a size, not counted as printed (building a Dim is not writing it)."""
    return x.text if isinstance(x, Dim) else str(x)


def _plain(o, v) -> bool:
    return type(o) in (int, bool) and o == v


SMALL = 8  # sizes below this that also occur on a non-leading axis stay literals


def choose(invars, varying=frozenset()) -> dict:
    """The sizes generated as names: {size: (name, input position, axis)}.

    A size on the leading axis of an input (the batch, by convention; a sequence-major
    input has it on another axis, but its batch-major sibling names it) of size >= 2,
    unless it is also on the last axis of an input of rank >= 2 (a feature size: fixed
    sizes of inner loops stay literals, and one name per size keeps the choice
    unambiguous), or it is small and on some other axis (a convolution window). Size 1
    stays: broadcasting decides on it. ``varying``: the (input position, axis) pairs known
    to vary between calls (``_Siblings``); their size is keyed ``("varying", size)``, apart
    from an equal fixed size (a batch of 16 beside 16 channels, a batch of 32 equal to an
    embedding's width: one name for the batch, the fixed size as it would be alone)."""
    lead: dict = {}
    last, inner = set(), set()
    for i, v in enumerate(invars):
        shape = v.aval.shape
        keys = [_key(d, (i, j) in varying) for j, d in enumerate(shape)]
        if len(shape) >= 2:
            last.add(keys[-1])
        inner.update(keys[1:])
        if shape and shape[0] >= 2:
            lead.setdefault(keys[0], i)
    chosen = [(d, i) for d, i in lead.items()
              if d not in last and not (_value(d) < SMALL and d in inner)]
    return {d: (f"S{n}", i, 0) for n, (d, i) in enumerate(chosen)}


def _key(size: int, varying: bool):
    return ("varying", size) if varying else size


def _value(key) -> int:
    return key[1] if isinstance(key, tuple) else key


def _generic(shape: tuple, dims: dict, varying=()) -> tuple:
    """``shape`` with the Dims of ``dims`` for its sizes (``varying``: its axes keyed as
    varying)."""
    return tuple(dims.get(_key(d, j in varying), d) for j, d in enumerate(shape))


def _generic_aval(aval, dims: dict, varying=()):
    shape = _generic(aval.shape, dims, varying)
    if not any(isinstance(d, Dim) for d in shape):
        return aval
    new = object.__new__(ShapedArray)  # keeps the Dims (the constructor makes plain ints)
    new.shape = shape
    new.dtype, new.weak_type, new._hash = aval.dtype, aval.weak_type, None
    return new


def _subprograms(params) -> list:
    """The fused sub-programs of a control-flow equation (loop bodies, branches)."""
    out = []
    for p in params.values():
        for q in p if isinstance(p, (list, tuple)) else (p,):
            if hasattr(q, "kernels") and hasattr(q, "invars"):
                out.append(q)
    return out


def _slots(program):
    """Every (variable or loop kernel, tag) whose shape the generator reads, sub-programs
    included, in a fixed order: two programs traced from one function at different sizes
    list them alike."""
    for v in list(program.invars) + list(program.outvars):
        if isinstance(v, Var):
            yield v, "io"
    for k in program.kernels:
        loop = isinstance(k, LoopKernel)
        for e in (k.eqns + k.reductions + k.epilogue) if loop else [k.eqn]:
            for v in list(e.inputs) + list(e.outputs):
                if isinstance(v, Var):
                    yield v, e.prim.name
            for sub in _subprograms(e.params):
                yield from _slots(sub)
        if loop:
            for v in list(k.stores) + list(k.epilogue_stores):
                yield v, "store"
            yield k, "loop"


def _shape_of(owner) -> tuple:
    return tuple(owner.shape) if isinstance(owner, LoopKernel) else tuple(owner.aval.shape)


class _Siblings:
    """The shapes of the last program generated per structure (its slots' tags and ranks):
    a program of the same structure at other sizes is most likely the same function at
    another batch, and the axes whose sizes differ from its sibling's are the ones that
    vary between calls. They only tell which axes share a name; the text is still
    generated for the call's own sizes, so a wrong guess costs a compilation, never a
    wrong result."""

    def __init__(self):
        self.last = LRU()

    def varying(self, program) -> dict:
        """{id(slot owner): axes whose size differs from the sibling's}; records this one."""
        slots = list(_slots(program))
        shapes = [_shape_of(o) for o, _ in slots]
        key = tuple((tag, len(s)) for (_, tag), s in zip(slots, shapes))
        before = self.last.get(key)
        self.last[key] = shapes
        marks: dict = {}
        for (owner, _), now, then in zip(slots, shapes, before or ()):
            axes = {j for j, (a, b) in enumerate(zip(now, then)) if a != b}
            if axes:
                marks.setdefault(id(owner), set()).update(axes)
        return marks


_siblings = _Siblings()


_active: list = []  # the ({size: Dim}, varying axes) of the programs being generated


@contextlib.contextmanager
def _swapped(program, dims: dict, marks: dict):
    """Within this context ``program``'s variables and loop kernels carry ``dims``
    (``marks``: {id(variable or kernel): its varying axes})."""
    saved_avals: dict = {}
    saved_shapes: list = []
    if dims:
        for owner, _ in _slots(program):
            if isinstance(owner, LoopKernel):
                saved_shapes.append((owner, owner.shape))
                owner.shape = _generic(owner.shape, dims, marks.get(id(owner), ()))
            elif id(owner) not in saved_avals:
                saved_avals[id(owner)] = (owner, owner.aval)
                owner.aval = _generic_aval(owner.aval, dims, marks.get(id(owner), ()))
    try:
        yield
    finally:
        for v, aval in saved_avals.values():
            v.aval = aval
        for k, shape in reversed(saved_shapes):  # a kernel met twice: its first shape last
            k.shape = shape


# The largest batch served by the text of sizes up to it: a decision whose outcome depends on a
# size's value (a parallel loop from some amount of work on) is taken in the text when every
# value of the size from 2 to max(its value, LARGEST) gives the same outcome, else at run time
LARGEST = 512


def decide(amount, threshold: int):
    """``amount >= threshold`` when every value the size names in ``amount`` can take (each
    from 2, the least a name stands for, to max(its value, LARGEST)) gives that answer, else
    None: only the run time can tell, so the text must hold both outcomes. ``amount``: an int
    or a ``Dim`` increasing in each size (a loop's element count, a product's work)."""
    if not isinstance(amount, Dim):
        return amount >= threshold
    values = {d.text: int(d) for d in (_active[-1][0].values() if _active else ())}

    def at(pick):  # our own size arithmetic on names (Dim's text): + - * // % only
        env = {n: pick(values.get(n, LARGEST)) for n in amount.names}
        return eval(amount.text, {"__builtins__": {}}, env)  # noqa: S307
    if at(lambda v: 2) >= threshold:
        return True
    if at(lambda v: max(v, LARGEST)) < threshold:
        return False
    return None


@contextlib.contextmanager
def generic_sizes(program):
    """Within this context the avals of ``program``'s variables and its loop kernels' shapes
    carry ``Dim``s for the chosen sizes; yields the bindings [(name, input position,
    axis)] the entry function starts with."""
    marks = _siblings.varying(program)
    varying = {(i, j) for i, v in enumerate(program.invars) for j in marks.get(id(v), ())}
    chosen = choose(program.invars, varying)
    dims = {d: Dim(_value(d), name) for d, (name, _, _) in chosen.items()}
    _active.append((dims, marks))
    try:
        with _swapped(program, dims, marks):
            yield list(chosen.values())
    finally:
        _active.pop()


def same_sizes(program):
    """A sub-program inlined while generating (a loop body, a branch) carries the names of
    the program around it (sizes equal to a name's value are written as the name)."""
    return _swapped(program, *(_active[-1] if _active else ({}, {})))

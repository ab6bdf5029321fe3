"""The shared emission layer of the code generators: ``Writer`` (indented lines of one
kernel, recording its ``prange`` loops), ``Names`` (source names of arrays, temporaries and
constants, recording the names a kernel uses) and ``Constants`` (literals as named, possibly
run-time, constants). Used by the CPU (``cpu``, ``program``) and CUDA (``cuda``) writers."""
from __future__ import annotations

import numpy as np

from ..core.ir import Literal, Var
from .scalar import cast
from .scalar import lit as pylit


class Writer:
    """Indented lines of one kernel's statements. ``parallel`` records whether a
    ``prange`` loop was written (generators write their loop headers as text)."""

    def __init__(self):
        self.lines: list[str] = []
        self.depth = 1
        self.parallel = False

    def __call__(self, line: str):
        self.lines.append("    " * self.depth + line)
        if not self.parallel and "prange(" in line:
            self.parallel = True

    def indent(self):
        self.depth += 1

    def dedent(self):
        self.depth -= 1


# float constants kept in the text: LLVM folds them (x * 1, x + 0, x * -1); 1.0 is also the mean
# over a batch of 1, which is never a name (see dims.choose). Any other float constant is
# passed at run time when lifting (see Constants)
_BAKED_FLOATS = {0.0, 1.0, -1.0}


class Constants:
    """Literals as named constants, one name per (value, dtype); ``lines`` define them.

    With ``lift``, float32/float64 constants other than a few simple ones are not written
    into the text but read from the array arguments ``kv_float32`` / ``kv_float64`` (their
    values in ``values``): a mean's 1/batch-size or a learning rate then does not make a new
    program. Arrays, not a tuple: Numba's dispatcher types a tuple argument in Python on
    every call (+200 us per call on W2c's step), an array in C."""

    def __init__(self, prefix: str, text=None, lift: bool = False):
        self.prefix = prefix
        self.text = text or (lambda v, dtype: f"{cast(dtype)}({pylit(v)})")
        self.lift = lift
        self.names: dict = {}
        self.lines: list[str] = []
        self.values: dict = {}  # argument name -> values
        self.lifted: set[str] = set()  # the names read from ``values`` at run time

    def __call__(self, lit: Literal) -> str:
        key = lit.key()
        n = self.names.get(key)
        if n is None:
            n = self.names[key] = f"{self.prefix}{len(self.names)}"
            d = lit.aval.dtype
            v = np.asarray(lit.value, d)
            if self.lift and d in (np.float32, np.float64) and np.isfinite(v) \
                    and v.item() not in _BAKED_FLOATS:
                vals = self.values.setdefault(f"kv_{d.name}", [])
                self.lines.append(f"{n} = kv_{d.name}[{len(vals)}]")
                self.lifted.add(n)
                vals.append(v[()])
            else:
                self.lines.append(f"{n} = {self.text(v.item(), d)}")
        return n


class Names:
    """Source names: arrays ``v<n>`` (one per Var), temporaries ``t<n>``, constants ``k<n>``.

    ``used`` (when not None) records, in order, every array name handed out: the names a
    kernel's text reads or defines (``_pieces`` splits the program into functions by them)."""

    def __init__(self, lift: bool = False):
        self.vars: dict[Var, str] = {}
        self.temps = 0
        self.literal = Constants("k", lift=lift)
        self.shared_names: dict[str, str] = {}
        self.shared_lines: list[str] = []
        self.used: dict[str, None] | None = None
        # where a loop kernel stores a value instead of a new array of its own (a row of a
        # scan's stacked output: ``cpu/control.py``)
        self.dest: dict[Var, str] = {}

    def var(self, v: Var) -> str:
        n = self.vars.get(v)
        if n is None:
            n = self.vars[v] = f"v{len(self.vars)}"
        if self.used is not None:
            self.used[n] = None
        return n

    def bind(self, v: Var, name: str) -> None:
        """Name ``v`` by an existing source name (a sub-program's input)."""
        self.vars[v] = name

    def shared(self, name: str, init: str) -> str:
        """A local created once at the top of the current function (e.g. BLAS scratch)."""
        if name not in self.shared_names:
            self.shared_names[name] = init
            self.shared_lines.append(f"{name} = {init}")
        return name

    def begin_function(self) -> list[str]:
        """Start a new generated function: its shared locals are its own."""
        self.shared_names = {}
        self.shared_lines = []
        return self.shared_lines

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def atom(self, a) -> str:
        return self.literal(a) if isinstance(a, Literal) else self.var(a)


def alloc(shape, dtype) -> str:
    return f"np.empty({tuple(shape)!r}, dtype={cast(dtype)})"

"""The CPU program: a fused program's kernels written one by one (``cpu.emit_loop`` for
loops, ``ops`` for the rest) and grouped into generated ``@njit`` functions that one entry
function calls in order. How each kernel is split off is read from what the writer recorded
while writing it (``Names.used``, ``dims.record_sizes``, ``Writer.parallel``), never from the
generated text. No numba import here: this module only writes text."""
from __future__ import annotations

import re

import numpy as np

from ...core.ir import Literal, Var
from ...fuse.kernels import FusedProgram, LoopKernel
from . import ops as op_gen
from .loops import emit_loop
from ..dims import generic_sizes, record_sizes, same_sizes
from ..writer import Names, Writer


class Generated:
    """Module text (without imports): the generated functions and the entry function that
    calls them in order, each under the backend's decorator (``generate``'s ``decorator``).
    ``line_info`` maps 1-based lines of ``source`` to (kernel, user line). ``constants``:
    the read-only arrays the entry takes after the program's inputs (lifted constants).
    ``callees``: the text (decorator and definition, names ``canonical``) of each function
    the entry calls, by name: the backend compiles one function per text and process."""

    def __init__(self, source: str, entry: str, line_info: dict, constants=(), callees=None):
        self.source, self.entry, self.line_info = source, entry, line_info
        self.constants = tuple(constants)
        self.callees = dict(callees or {})


def _emit_kernel(k, names: Names, w: Writer):
    """Write kernel ``k``'s statements; returns the user's source line it came from."""
    if isinstance(k, LoopKernel):
        emit_loop(k, names, w)
        return next((e.source for e in k.eqns + k.reductions if e.source), None)
    op_gen.emit(k.eqn, names, w)
    return k.eqn.source


def emit_kernels(program: FusedProgram, names: Names, w: Writer):
    """Write the statements of every kernel of ``program`` (its invars already named)."""
    for k in program.kernels:
        _emit_kernel(k, names, w)


def emit_subprogram(program: FusedProgram, names: Names, w: Writer,
                    in_names: list[str]) -> list[str]:
    """Inline a fused sub-program (a loop body, a branch) whose inputs are the arrays
    ``in_names``; returns the source names of its outputs. Used by the control-flow
    generators."""
    for v, n in zip(program.invars, in_names):
        names.bind(v, n)
    with same_sizes(program):
        emit_kernels(program, names, w)
    outs = []
    for a in program.outvars:
        if isinstance(a, Literal):
            t = names.temp()
            w(f"{t} = np.full((), {names.literal(a)})")
            outs.append(t)
        else:
            outs.append(names.var(a))
    return outs


# Kernels are grouped into generated functions. Numba's parallel passes cost roughly
# size x number of prange loops per function (W4's step as one 940-line function with 11
# prange loops: 80 s cold; one function per parallel kernel: 20 s), while every function
# adds a fixed cost (W2's sequential step split at 200 lines: +0.5 s). So each kernel with
# a prange gets a function of its own and runs of sequential kernels stay together; a
# program that forms a single group is the entry function itself.
GROUP_LINES = 10000        # lines of sequential kernels per function
GROUP_PARALLEL_LOOPS = 1   # kernels with a prange per function


class _Piece:
    """One kernel's statements, with the arrays it reads from earlier kernels (``ins``),
    those it defines for later ones (``outs``), the size names it uses (``sizes``) and
    whether it has a ``prange`` loop."""

    def __init__(self, k, w: Writer, shared, ins, outs, sizes, src):
        self.k, self.lines, self.shared, self.ins, self.outs, self.sizes, self.src = \
            k, w.lines, shared, ins, outs, sizes, src
        self.parallel = w.parallel


def _pieces(program, names):
    """Each kernel written on its own. A name the kernel uses is an input when an earlier
    kernel (or the caller) defined it; everything else it names is its own."""
    pieces = []
    defined = {names.var(v) for v in program.invars}
    for k in program.kernels:
        shared = names.begin_function()
        w = Writer()
        names.used = used = {}
        with record_sizes() as sizes:
            src = _emit_kernel(k, names, w)
        names.used = None
        ins = [n for n in used if n in defined]
        outs = [n for n in dict.fromkeys(names.var(v) for v in k.outputs)
                if n not in defined]
        defined.update(outs)
        pieces.append(_Piece(k, w, list(shared), ins, outs, sizes, src))
    return pieces


def _groups(pieces):
    groups, cur = [], []
    for p in pieces:
        if cur:
            same = cur[0].parallel == p.parallel
            if p.parallel:
                fits = sum(q.parallel for q in cur) < GROUP_PARALLEL_LOOPS
            else:
                fits = sum(len(q.lines) for q in cur) + len(p.lines) <= GROUP_LINES
            if not (same and fits):
                groups.append(cur)
                cur = []
        cur.append(p)
    if cur:
        groups.append(cur)
    return groups


def generate(program: FusedProgram, entry: str = "entry",
             decorator: str = "@numba.njit(parallel={parallel})",
             generic: bool = False, callee: str | None = None) -> Generated:
    """Generated functions holding runs of kernels, called in order by ``entry`` (a call
    costs nanoseconds; values pass between them as arrays). ``callee``: the decorator of
    the functions ``entry`` calls (default ``decorator``).

    ``generic``: the batch sizes are read from the inputs at run time and float constants
    passed in arrays (``Constants``, ``codegen/dims.py``), so programs that differ only in those generate
    the same text, which the backend compiles once."""
    if not generic:
        return _generate(program, entry, decorator, callee or decorator, Names())
    # messages name kernels by their concrete shapes
    described = {id(k): k.describe() for k in program.kernels}
    with generic_sizes(program) as binds:
        return _generate(program, entry, decorator, callee or decorator, Names(lift=True),
                         binds, described)


# names local to a generated function: arrays, temporaries, constants, sizes, loop indices
_LOCAL = re.compile(r"(?<![.\w])([vtkSi])(\d+)\b")
_CONSTANT = re.compile(r"\bk\d+\b")


def canonical(text: str) -> str:
    """``text`` with its local names renumbered in order of first use, so two functions
    that differ only in the names the program gave them have the same text (the backend
    compiles one function per text: ``Generated.callees``)."""
    seen: dict = {}
    count: dict = {}

    def rename(m):
        n = seen.get(m.group(0))
        if n is None:
            p = m.group(1)
            count[p] = count.get(p, -1) + 1
            n = seen[m.group(0)] = f"{p}{count[p]}"
        return n
    return _LOCAL.sub(rename, text)


def _generate(program, entry, decorator, callee, names, binds=(), described=None) \
        -> Generated:
    args = [names.var(v) for v in program.invars]
    bind_lines = [f"{name} = {args[i]}.shape[{j}]" for name, i, j in binds]
    pieces = _pieces(program, names)
    groups = _groups(pieces)
    later: list[set] = [set() for _ in groups]   # names read after each group
    rets = [names.atom(a) for a in program.outvars if isinstance(a, Var)]
    need = set(rets)
    for gi in range(len(groups) - 1, -1, -1):
        later[gi] = set(need)
        for p in groups[gi]:
            need.update(p.ins)
    kv = sorted(names.literal.values)
    const = {ln.split(" = ", 1)[0]: ln for ln in names.literal.lines}
    lifted = names.literal.lifted
    out: list[str] = []
    line_info: dict = {}
    body = Writer()
    entry_consts: dict = {}     # the lifted constants the entry reads for its callees
    texts: dict = {}            # a callee's text -> its name (one function per text)
    callees: dict = {}          # callee name -> its text
    for gi, group in enumerate(groups):
        made: set = set()
        ins: list = []
        shared: dict = {}
        for p in group:
            ins += [n for n in p.ins if n not in made and n not in ins]
            made.update(p.outs)
            for ln in p.shared:
                shared.setdefault(ln, None)
        outs = [n for p in group for n in p.outs if n in later[gi]]
        lines = list(shared) + [ln for p in group for ln in p.lines]
        used = sorted(set(_CONSTANT.findall("\n".join(lines))) & const.keys(),
                      key=lambda n: int(n[1:]))
        if len(groups) == 1:             # small program: the group is the entry itself
            head = [decorator.replace("{parallel}", str(group[0].parallel)),
                    f"def {entry}({', '.join(args + kv)}):"]
            prologue = bind_lines + [const[n] for n in used] + list(shared)
            ret = f"    return ({', '.join(rets)}{',' if rets else ''})"
            out += head + ["    " + ln for ln in prologue]
            _place(out, group, line_info, described)
            out += [ret, "", ""]
            break
        # sizes and run-time constants come in as arguments: the text depends only on
        # the kernels (programs sharing a kernel share its function)
        sizes = sorted(set().union(*(p.sizes for p in group)), key=lambda n: int(n[1:]))
        consts = [n for n in used if n in lifted]
        params = ins + sizes + consts
        for n in consts:
            entry_consts[n] = const[n]
        deco = callee.replace("{parallel}", str(group[0].parallel))
        text = canonical("\n".join(
            [f"def f({', '.join(params)}):"]
            + ["    " + const[n] for n in used if n not in lifted]
            + ["    " + ln for ln in shared] + [ln for p in group for ln in p.lines]
            + [f"    return ({', '.join(outs)}{',' if outs else ''})"]))
        fname = texts.get(deco + text)
        if fname is None:
            fname = texts[deco + text] = f"f{gi}"
            callees[fname] = deco + "\n" + text
            tl = text.replace("def f(", f"def {fname}(", 1).splitlines()
            head = 1 + sum(n not in lifted for n in used) + len(shared)
            kernel_lines = sum(len(p.lines) for p in group)
            out += [deco] + tl[:head]
            _place(out, group, line_info, described, tl[head:head + kernel_lines])
            out += tl[head + kernel_lines:] + ["", ""]
        lhs = f"{', '.join(outs)}," if outs else "_"
        body(f"{lhs} = {fname}({', '.join(params)})")
    if len(groups) != 1:
        body(f"return ({', '.join(rets)}{',' if rets else ''})")
        out += [decorator.replace("{parallel}", "False"), f"def {entry}({', '.join(args + kv)}):"]
        out += ["    " + ln for ln in bind_lines + list(entry_consts.values())] + body.lines
    consts = []
    for name in kv:
        a = np.array(names.literal.values[name], dtype=name[len("kv_"):])
        a.flags.writeable = False  # like every argument (numba_backend._readonly_c)
        consts.append(a)
    return Generated("\n".join(out) + "\n", entry, line_info, consts, callees)


def _place(out, group, line_info, described, lines=None):
    """Append the kernels' lines of ``group`` to ``out`` (``lines``: their text as
    written, renamed), recording which kernel each line came from."""
    at = 0
    for p in group:
        first = len(out) + 1
        out += p.lines if lines is None else lines[at:at + len(p.lines)]
        at += len(p.lines)
        info = ((described or {}).get(id(p.k)) or p.k.describe(), p.src)
        for ln in range(first, len(out) + 1):
            line_info[ln] = info

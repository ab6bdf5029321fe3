"""CPU source for the ops along one axis (``GENERATORS`` of ``ops.py``): argmax/argmin (NumPy's
tie and NaN rules), cumulative sums/products/extrema, stable sort with NaN last (the kernels of
``jitnet/kernels/sort.py``)."""
from __future__ import annotations

from ..scalar import cast
from .ops import _alloc, _close, _ins, _loops, _out, _shape, _sub, generator

# -- argmax / cumulative / sort -------------------------------------------------------------------

def _move_axis_loops(w, shape, axis):
    """Loops over every axis but ``axis``; returns the index names with '{a}' at ``axis``."""
    outer = [n for d, n in enumerate(shape) if d != axis]
    idx = list(_loops(w, outer, "i"))
    idx.insert(axis, "{a}")
    return idx, outer


@generator("argmax", "argmin")
def _argext(e, names, w):
    (x,) = _ins(e, names)
    xs = _shape(e.inputs[0])
    axis = e.params["axes"][0]
    o = _out(e, names)
    w(f"{o} = {_alloc(e.outputs[0])}")
    idx, outer = _move_axis_loops(w, xs, axis)
    at = ", ".join(idx).format(a="j")
    a0 = ", ".join(idx).format(a="0")
    better = ">" if e.prim.name == "argmax" else "<"
    w(f"best = {x}[{a0}]")
    w("bi = 0")
    w(f"for j in range(1, {xs[axis]}):")
    w.indent()
    w(f"v = {x}[{at}]")
    # NaN counts as the extremum (the first NaN wins), as in NumPy
    w(f"if (v {better} best or (v != v and best == best)):")
    w.indent()
    w("best = v")
    w("bi = j")
    w.dedent()
    w.dedent()
    w(f"{o}[{_sub([i for i in idx if i != '{a}'])}] = bi")
    _close(w, outer)


_CUM = {"cumsum": "{a} + {b}", "cumprod": "{a} * {b}", "cummax": "jn_max({a}, {b})",
        "cummin": "jn_min({a}, {b})"}


@generator("cumsum", "cumprod", "cummax", "cummin")
def _cumulative(e, names, w):
    (x,) = _ins(e, names)
    xs = _shape(e.inputs[0])
    axis, reverse = e.params["axis"], e.params["reverse"]
    o = _out(e, names)
    dt = cast(e.outputs[0].aval.dtype)
    w(f"{o} = {_alloc(e.outputs[0])}")
    if xs[axis] == 0:
        return
    idx, outer = _move_axis_loops(w, xs, axis)
    first = xs[axis] - 1 if reverse else 0
    at = lambda a: ", ".join(idx).format(a=a)  # noqa: E731
    w(f"acc = {x}[{at(first)}]")
    w(f"{o}[{at(first)}] = acc")
    rng = f"range({xs[axis] - 2}, -1, -1)" if reverse else f"range(1, {xs[axis]})"
    w(f"for j in {rng}:")
    w.indent()
    w(f"acc = {dt}({_CUM[e.prim.name].format(a='acc', b=f'{x}[{at(chr(106))}]')})")
    w(f"{o}[{at('j')}] = acc")
    w.dedent()
    _close(w, outer)


@generator("sort")
def _sort(e, names, w):
    xs = _ins(e, names)
    axis, nk = e.params["dimension"], e.params["num_keys"]
    outs = [names.var(v) for v in e.outputs]
    for o, v in zip(outs, e.outputs):
        w(f"{o} = {_alloc(v)}")
    dts = [v.aval.dtype.name for v in e.inputs]
    if any(v.aval.dtype.kind == "c" for v in e.inputs):  # the kernels take real dtypes
        _sort_loops(e, xs, outs, w)
        return
    # the kernels of jitnet/kernels/sort.py: a permutation refined from the least significant
    # key to the most significant one, then each operand taken through it
    perm = names.temp()
    w(f"{perm} = np.empty({_shape(e.inputs[0])!r}, dtype=np.int64)")
    for i in reversed(range(nk)):
        w(f"jn_sort_keys_{dts[i]}({xs[i]}, {perm}, {axis}, {int(i == nk - 1)})")
    for x, o, dt in zip(xs, outs, dts):
        w(f"jn_sort_take_{dt}({x}, {perm}, {o}, {axis})")


def _sort_loops(e, xs, outs, w):
    """Sort by per-line argsorts in the program (complex operands)."""
    shape = _shape(e.inputs[0])
    axis, nk = e.params["dimension"], e.params["num_keys"]
    idx, outer = _move_axis_loops(w, shape, axis)
    line = ", ".join(idx).format(a=":")
    keys = [f"{x}[{line}]" for x in xs[:nk]]
    # a stable lexicographic sort: NumPy's stable argsort from the least significant key
    w(f"perm = np.argsort({keys[-1]}, kind='mergesort')")
    for k in reversed(keys[:-1]):
        w(f"perm = perm[np.argsort({k}[perm], kind='mergesort')]")
    for x, o in zip(xs, outs):
        w(f"{o}[{line}] = {x}[{line}][perm]")
    _close(w, outer)

"""``jnp.einsum``: Einstein summation lowered to pairwise ``dot_general`` contractions.

Each operand is first reduced on its own (repeated labels become diagonals,
labels no other term needs are summed out); the operands are then contracted
two at a time in the order ``np.einsum_path`` picks for their shapes, and the
survivor is transposed into the output order. Every step is a plain jitnet
operation, so einsum is differentiable and batchable through its primitives.
"""
from __future__ import annotations

import string

import numpy as np

from .. import lax
from ..core.source_info import user_line
from ..prims.util import const, get_aval
from .util import as_jitnet, check_arraylike, convert, promote_dtypes_numeric, to_dtype

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # sorted, for implicit outputs
_OPTIMIZE = {"auto": "greedy", True: "greedy", "greedy": "greedy", "optimal": "optimal",
             "dp": "optimal", "branch-all": "optimal", "branch-2": "greedy"}


def _error(msg: str) -> ValueError:
    return ValueError(f"einsum: {msg}{user_line()}")


# -- parsing --------------------------------------------------------------------------------

def _from_sublists(first, rest):
    """The interleaved form ``einsum(x, [0, 1], y, [1, 2], [0, 2])`` as a subscript string."""
    args = (first,) + tuple(rest)
    out = None
    if len(args) % 2:
        *args, out = args

    def term(sub):
        chars = []
        for s in sub:
            if s is Ellipsis:
                chars.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < len(_LETTERS):
                chars.append(_LETTERS[s])
            else:
                raise _error(f"sublist entries must be Ellipsis or ints in [0, {len(_LETTERS)}),"
                             f" got {s!r}")
        return "".join(chars)
    ops, subs = args[0::2], args[1::2]
    spec = ",".join(term(s) for s in subs)
    return (spec if out is None else spec + "->" + term(out)), ops


def _expand_ellipses(terms, shapes, letters_used):
    """Replace '...' in each input term by fresh labels for its broadcast dims (right-aligned)."""
    free = [c for c in _LETTERS if c not in letters_used]
    widths = [len(s) - (len(t) - 3) if "..." in t else 0 for t, s in zip(terms, shapes)]
    n_ell = max(widths, default=0)
    if n_ell > len(free):
        raise _error("too many broadcast dimensions for the available labels")
    ell = "".join(free[:n_ell])
    return [t.replace("...", ell[n_ell - w:] if w > 0 else "") for t, w in zip(terms, widths)], ell


def _parse(subscripts: str, shapes):
    """(input terms, output term) with ellipses expanded; validates against ``shapes``."""
    spec = subscripts.replace(" ", "")
    bad = set(spec) - set(_LETTERS) - set(",.->")
    if bad:
        raise _error(f"invalid subscript characters {sorted(bad)} in {subscripts!r}")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise _error(f"{len(terms)} subscript terms in {subscripts!r} for {len(shapes)} "
                     f"operands")
    for t in terms + ([rhs] if arrow else []):
        if t.count(".") not in (0, 3) or (t.count(".") == 3 and "..." not in t) or "-" in t \
                or ">" in t:
            raise _error(f"malformed subscripts {subscripts!r}")
    terms, ell = _expand_ellipses(terms, shapes, set(spec))
    for i, (t, s) in enumerate(zip(terms, shapes)):
        if len(t) != len(s):
            raise _error(f"operand {i} has shape {tuple(s)} ({len(s)} dims) but its subscripts "
                         f"{lhs.split(',')[i]!r} name {len(t)}")
    if not arrow:
        counts = {c: "".join(terms).count(c) for c in "".join(terms)}
        return terms, ell + "".join(sorted(c for c, k in counts.items() if k == 1
                                           and c not in ell))
    out = rhs.replace("...", ell)
    for c in out:
        if out.count(c) > 1:
            raise _error(f"output subscript {c!r} appears more than once in {subscripts!r}")
        if not any(c in t for t in terms):
            raise _error(f"output subscript {c!r} does not appear in the inputs of "
                         f"{subscripts!r}")
    return terms, out


def _label_sizes(terms, shapes):
    """Size of each label; sizes must agree except for 1s, which broadcast."""
    sizes: dict = {}
    for i, (t, s) in enumerate(zip(terms, shapes)):
        for c, d in zip(t, s):
            prev = sizes.get(c, 1)
            if d != 1 and prev != 1 and d != prev:
                raise _error(f"label {c!r} has size {d} in operand {i} but {prev} elsewhere "
                             f"(shapes {[tuple(x) for x in shapes]})")
            sizes[c] = max(prev, d)
    return sizes


# -- single-operand steps -------------------------------------------------------------------

def _sum(x, axes):
    if not axes:
        return x
    if get_aval(x).dtype == np.bool_:
        return lax.reduce_or(x, tuple(axes))
    return lax.reduce_sum(x, tuple(axes))


def _drop_broadcast_dims(x, term, sizes):
    """Squeeze size-1 dims whose label is larger elsewhere: they broadcast."""
    shape = tuple(get_aval(x).shape)
    drop = [i for i, c in enumerate(term) if shape[i] == 1 and sizes[c] != 1]
    if not drop:
        return x, term
    return lax.squeeze(x, tuple(drop)), "".join(c for i, c in enumerate(term) if i not in drop)


def _take_diagonal(x, term, c):
    """Merge the first two axes labelled ``c`` into one: their diagonal."""
    p = term.index(c)
    q = term.index(c, p + 1)
    shape = tuple(get_aval(x).shape)
    n = shape[p]
    eye = lax.eq(lax.broadcasted_iota(np.int32, (n, n), 0),
                 lax.broadcasted_iota(np.int32, (n, n), 1))
    mask = lax.broadcast_in_dim(eye, shape, (p, q))
    x = _sum(lax.select(mask, x, const(x, 0)), (q,))
    return x, term[:q] + term[q + 1:]


def _reduce_alone(x, term, keep):
    """Take diagonals of repeated labels, then sum labels outside ``keep``."""
    for c in sorted(set(term), key=term.index):
        while term.count(c) > 1:
            x, term = _take_diagonal(x, term, c)
    axes = [i for i, c in enumerate(term) if c not in keep]
    return _sum(x, axes), "".join(c for c in term if c in keep)


# -- contractions ---------------------------------------------------------------------------

def _contract(x, tx, y, ty, keep):
    """One ``dot_general``: shared kept labels batch, shared others contract."""
    x, tx = _reduce_alone(x, tx, keep | set(ty))
    y, ty = _reduce_alone(y, ty, keep | set(tx))
    common = [c for c in tx if c in ty]
    batch = [c for c in common if c in keep]
    summed = [c for c in common if c not in keep]
    dn = ((tuple(tx.index(c) for c in summed), tuple(ty.index(c) for c in summed)),
          (tuple(tx.index(c) for c in batch), tuple(ty.index(c) for c in batch)))
    out = lax.dot_general(x, y, dn)
    term = "".join(batch) + "".join(c for c in tx if c not in common) \
        + "".join(c for c in ty if c not in common)
    return out, term


def _path(terms, out, shapes, optimize):
    """Contraction steps (tuples of operand positions), numbered as ``np.einsum_path`` does."""
    if len(terms) <= 2 or optimize is False or optimize is None:
        return [tuple(range(len(terms)))]  # nothing to choose, or contract left to right
    if isinstance(optimize, (list, tuple)):
        opt = list(optimize)
    elif optimize in _OPTIMIZE:
        opt = _OPTIMIZE[optimize]
    else:
        raise _error(f"unsupported optimize={optimize!r}")
    spec = ",".join(terms) + "->" + out
    holders = [np.broadcast_to(np.empty(()), s) for s in shapes]
    return [tuple(step) for step in np.einsum_path(spec, *holders, optimize=opt)[0][1:]]


def _run_path(ops, path, out):
    """Contract the ``(array, term)`` list along ``path``; the result joins the end."""
    ops = list(ops)
    for step in path:
        picked = [ops[i] for i in sorted(step)]
        ops = [o for i, o in enumerate(ops) if i not in step]
        keep = set(out).union(*[set(t) for _, t in ops])
        x, tx = picked[0]
        for k, (y, ty) in enumerate(picked[1:], 1):
            later = set().union(*[set(t) for _, t in picked[k + 1:]])
            x, tx = _contract(x, tx, y, ty, keep | later)
        ops.append(_reduce_alone(x, tx, keep))
    return ops[0]


def einsum(subscripts, /, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None):
    """Einstein summation with NumPy's subscripts: explicit or implicit output, '...',
    repeated labels (diagonals) and any number of operands; dtypes promote as in ``jnp``.

    ``preferred_element_type`` converts the operands (and so the result) to that dtype;
    ``precision`` is accepted for JAX compatibility and has no effect on the NumPy backend.
    """
    if out is not None:
        raise NotImplementedError("einsum: the out argument is not supported (arrays are "
                                  "immutable)")
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists(subscripts, operands)
    check_arraylike("einsum", *operands)
    ops = promote_dtypes_numeric(*[as_jitnet(o) for o in operands])
    pet = to_dtype(preferred_element_type)
    if pet is not None:
        ops = [convert(o, pet) for o in ops]
    shapes = [tuple(get_aval(o).shape) for o in ops]
    terms, out_term = _parse(subscripts, shapes)
    sizes = _label_sizes(terms, shapes)
    pairs = [_drop_broadcast_dims(o, t, sizes) for o, t in zip(ops, terms)]
    pairs = [_reduce_alone(o, t, set(out_term).union(*[set(u) for j, (_, u) in enumerate(pairs)
                                                       if j != i]))
             for i, (o, t) in enumerate(pairs)]
    shapes = [tuple(get_aval(o).shape) for o, _ in pairs]
    path = _path([t for _, t in pairs], out_term, shapes, optimize)
    x, term = _run_path(pairs, path, out_term)
    x, term = _reduce_alone(x, term, set(out_term))
    return lax.transpose(x, tuple(term.index(c) for c in out_term))


def einsum_path(subscripts, *operands, optimize="greedy"):
    """NumPy's contraction order for ``einsum`` (computed from the operands' shapes only)."""
    import numpy as _np
    shapes = [_np.empty(getattr(o, "shape", _np.shape(o)), _np.float32) for o in operands]
    return _np.einsum_path(subscripts, *shapes, optimize=optimize)

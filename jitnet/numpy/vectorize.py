"""``jnp.vectorize``: NumPy's generalized-ufunc wrapper, built on ``vmap`` (so the function
is traced once, not called per element)."""
from __future__ import annotations

import functools
import re

from ..core.source_info import user_line
from .util import broadcast_shapes

_DIMS = r"\(\s*(?:\w+(?:\s*,\s*\w+)*)?\s*\)"
_SIGNATURE = re.compile(rf"^\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*->\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*$")


def _parse_signature(signature: str):
    """``"(n),(n)->()"`` -> ``([("n",), ("n",)], [()])``."""
    if not _SIGNATURE.match(signature):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = signature.split("->")
    parse = lambda s: [tuple(d.strip() for d in g.split(",") if d.strip())  # noqa: E731
                       for g in re.findall(r"\(([^)]*)\)", s)]
    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature: str | None = None):
    """Apply ``pyfunc``, written for the core dimensions of ``signature`` (scalars without
    one), over the broadcast leading dimensions of its arguments; ``excluded`` names
    positional indices or keywords passed through unchanged."""
    from ..api import vmap
    from .creation import asarray
    from .manipulation import broadcast_to

    in_core, out_core = _parse_signature(signature) if signature else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        static_kw = {k: v for k, v in kwargs.items() if k in excluded}
        mapped_kw = {k: v for k, v in kwargs.items() if k not in excluded}
        if mapped_kw:
            raise ValueError(f"vectorize: keyword arguments {sorted(mapped_kw)} must be listed "
                             f"in excluded (only positional arguments are vectorized)"
                             f"{user_line()}")
        pos = [i for i in range(len(args)) if i not in excluded]
        arrays = [asarray(args[i]) for i in pos]
        cores = in_core if in_core is not None else [()] * len(arrays)
        if len(cores) != len(arrays):
            raise TypeError(f"vectorize: signature {signature!r} takes {len(cores)} inputs, "
                            f"got {len(arrays)}{user_line()}")
        sizes = {}
        for a, core in zip(arrays, cores):
            if a.ndim < len(core):
                raise ValueError(f"vectorize: an input of shape {a.shape} has fewer than the "
                                 f"{len(core)} core dimensions {core} of {signature!r}"
                                 f"{user_line()}")
            for name, n in zip(core, a.shape[a.ndim - len(core):]):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: core dimension {name!r} of {signature!r} "
                                     f"has sizes {sizes[name]} and {n}{user_line()}")
        loop = broadcast_shapes("vectorize", *[a.shape[:a.ndim - len(c)]
                                               for a, c in zip(arrays, cores)])
        arrays = [broadcast_to(a, loop + a.shape[a.ndim - len(c):])
                  for a, c in zip(arrays, cores)]

        def core_fn(*xs):
            full = list(args)
            for i, x in zip(pos, xs):
                full[i] = x
            return pyfunc(*full, **static_kw)

        f = core_fn
        for _ in loop:
            f = vmap(f)
        out = f(*arrays)
        if out_core is not None:
            outs = out if isinstance(out, tuple) else (out,)
            if len(outs) != len(out_core):
                raise ValueError(f"vectorize: {signature!r} declares {len(out_core)} outputs, "
                                 f"the function returned {len(outs)}{user_line()}")
            for o, core in zip(outs, out_core):
                if o.ndim - len(loop) != len(core):
                    raise ValueError(f"vectorize: an output has {o.ndim - len(loop)} core "
                                     f"dimensions, {signature!r} declares {len(core)}"
                                     f"{user_line()}")
        return out

    return wrapped

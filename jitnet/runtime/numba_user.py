"""Users' Numba functions that generated code calls (the lowerings of user primitives,
``jitnet.extend``).

Each is published here under a global name holding a hash of its bytecode,
``jn_user_<primitive>_<hash>``; a program calling it imports that name, so the program's text
(hence its disk-cache address) changes whenever the function's code does, and machine code
compiled against an old version is never reused. (What the hash cannot see: globals the
function reads, which Numba freezes at compile time; change the function, not a global.)
"""
from __future__ import annotations

import hashlib
import marshal
import re

from numba.core.dispatcher import Dispatcher


def register(prim_name: str, fn, what: str) -> str:
    """Publish ``fn`` (an ``@numba.njit`` function) for ``prim_name``; returns the name
    generated code calls it by."""
    if not isinstance(fn, Dispatcher):
        raise TypeError(f"{what} for primitive '{prim_name}': expected a @numba.njit function, "
                        f"got {type(fn).__name__} {fn!r} (decorate it with numba.njit)")
    code = fn.py_func.__code__
    digest = hashlib.sha256(marshal.dumps(code) + repr(sorted(fn.targetoptions.items()))
                            .encode()).hexdigest()[:12]
    name = f"jn_user_{re.sub(r'[^0-9A-Za-z_]', '_', prim_name)}_{digest}"
    globals()[name] = fn
    return name


def imports(source: str) -> str:
    """The import lines for the user functions ``source`` calls."""
    names = sorted(set(re.findall(r"\bjn_user_\w+", source)))
    return "".join(f"from jitnet.runtime.numba_user import {n}\n" for n in names)

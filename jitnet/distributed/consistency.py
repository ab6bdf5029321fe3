"""Start-up check that every rank runs the same configuration.

Ranks that built different models (a changed script on one node, a different
``--width``) would otherwise exchange gradient buffers of different sizes: MPI either fails
with an unreadable truncation error or, worse, reduces unrelated numbers. Every rank sends
a JSON description of its state's structure, shapes and dtypes (``jitnet.checkpoint``'s
``describe``) and of its run settings; all ranks compare them with rank 0's and raise the
same error, naming each difference, before the first step.
"""
from __future__ import annotations

import json

from ..checkpoint.tree import describe, mismatches
from . import collectives, runtime

_SHOWN = 12     # differences listed in the error (the optimizer state repeats the params')


def check_same(tree, settings: dict | None = None, *, what: str = "strategy='mpi'") -> None:
    """Raise ``ValueError`` on every rank unless all ranks' ``tree`` (structure, shapes,
    dtypes) and ``settings`` (JSON values) equal rank 0's. A collective: call it on all."""
    mine = json.dumps({"tree": describe(tree)[0], "settings": settings or {}},
                      sort_keys=True, default=str).encode()
    everyone = collectives.allgather_bytes(mine)
    if all(d == everyone[0] for d in everyone):
        return
    first = json.loads(everyone[0])
    problems = []
    for r, data in enumerate(everyone[1:], 1):
        other = json.loads(data)
        diffs = mismatches(other["tree"], first["tree"], labels=(f"rank {r}", "rank 0 has"))
        for k in sorted(set(first["settings"]) | set(other["settings"])):
            a, b = other["settings"].get(k), first["settings"].get(k)
            if a != b:
                diffs.append(f"{k}: rank {r} has {a!r}, rank 0 has {b!r}")
        problems += diffs
    shown = problems[:_SHOWN] + ([f"... and {len(problems) - _SHOWN} more"]
                                 if len(problems) > _SHOWN else [])
    raise ValueError(f"{what}: the ranks were started with different configurations "
                     f"(rank {runtime.rank()} of {runtime.size()} reporting):\n  " +
                     "\n  ".join(shown))

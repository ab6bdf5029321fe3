"""``RuleTable``: a JAX rule dictionary (``primitive -> rule``) that reads and writes the rule
attribute of jitnet's primitive objects, so there is one place per primitive."""
from __future__ import annotations

from collections.abc import MutableMapping

from ..core import primitive as _primitive
from ..extend.core import user_primitives


class RuleTable(MutableMapping):
    """``table[prim] = rule`` sets ``prim.<kind>``. jitnet's own primitives can be read but
    not changed: their rules are part of jitnet, tested as a whole."""

    def __init__(self, kind: str, jax_name: str, adapt=None):
        """``adapt(rule)``, if given, turns a rule of this table's JAX signature into
        jitnet's (reading the table then gives the adapted rule)."""
        self.kind, self.jax_name, self.adapt = kind, jax_name, adapt

    def _check(self, prim):
        if not isinstance(prim, _primitive.Primitive):
            raise TypeError(f"{self.jax_name}: keys are primitives (jitnet.extend.core."
                            f"Primitive), got {prim!r}")

    def __getitem__(self, prim):
        self._check(prim)
        rule = getattr(prim, self.kind)
        if rule is None:
            raise KeyError(prim)
        return rule

    def __setitem__(self, prim, rule):
        self._check(prim)
        if _primitive.registry.get(prim.name) is prim:
            raise ValueError(f"{self.jax_name}[{prim.name}]: '{prim.name}' is one of jitnet's "
                             f"own primitives, whose rules cannot be replaced; define a new "
                             f"primitive with jitnet.extend.core.Primitive")
        if not callable(rule):
            raise TypeError(f"{self.jax_name}[{prim.name}]: the rule must be callable, "
                            f"got {rule!r}")
        setattr(prim, self.kind, rule if self.adapt is None else self.adapt(rule))

    def __delitem__(self, prim):
        self[prim]  # KeyError if absent
        setattr(prim, self.kind, None)

    def __iter__(self):
        prims = list(_primitive.registry.values()) + list(user_primitives)
        return iter([p for p in prims if getattr(p, self.kind) is not None])

    def __len__(self):
        return sum(1 for _ in self)

    def __repr__(self):
        return f"<{self.jax_name}: {len(self)} primitives>"

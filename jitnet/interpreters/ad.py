"""``jax.interpreters.ad``: the autodiff rule tables of primitives and the values rules see
(symbolic zero tangents, undefined primals of transposition)."""
from __future__ import annotations

from ..core.adtypes import UndefinedPrimal, Zero, is_undefined as is_undefined_primal  # noqa
from ..prims.util import instantiate as instantiate_zeros  # noqa: F401
from .rules import RuleTable

# jvp(primals, tangents, **params) -> (primal_out, tangent_out); tangents may be Zero
primitive_jvps = RuleTable("jvp", "ad.primitive_jvps")
# transpose(ct, *args, **params) -> a cotangent per argument (None: not linear in it)
primitive_transposes = RuleTable("transpose", "ad.primitive_transposes")


def defjvp(prim, *jvp_rules):
    """One rule per argument, ``rule(tangent, *primals, **params)``, each giving that
    argument's contribution to the output tangent (None: the output does not depend on it)."""
    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        total = None
        for rule, t in zip(jvp_rules, tangents):
            if rule is None or type(t) is Zero:
                continue
            c = rule(t, *primals, **params)
            total = c if total is None else total + c
        return out, total if total is not None else Zero(_tangent_aval(out))
    primitive_jvps[prim] = jvp


def _tangent_aval(x):
    from ..prims.util import get_aval, tangent_aval
    return tangent_aval(get_aval(x))


def deflinear(prim, transpose_rule):
    """A primitive linear in all its arguments: its jvp applies it to the tangents;
    ``transpose_rule(ct, **params)`` returns the cotangent of each argument."""
    def jvp(primals, tangents, **params):
        ts = [instantiate_zeros(t) for t in tangents]
        return prim.bind(*primals, **params), prim.bind(*ts, **params)
    primitive_jvps[prim] = jvp
    primitive_transposes[prim] = lambda ct, *args, **params: transpose_rule(ct, **params)


__all__ = ["primitive_jvps", "primitive_transposes", "Zero", "UndefinedPrimal",
           "is_undefined_primal", "instantiate_zeros", "defjvp", "deflinear"]

"""Every primitive, through every rule: shape rule vs impl, derivatives vs finite differences,
vmap vs a Python loop. Driven by the op records in jitnet.testing.records."""
import numpy as np
import pytest

import jitnet
from jitnet.core.primitive import registry
from jitnet.testing import check_grads, check_vmap
from jitnet.testing.records import RECORDS

# primitives whose rules are exercised by dedicated tests instead of op records
EXEMPT = {"custom_jvp_call", "custom_vjp_call", "custom_lin", "remat", "cond", "while", "scan",
          "jit_call",
          "pjit", "xla_call"}

IDS = [r.id for r in RECORDS]


def test_every_primitive_has_a_record():
    covered = {r.prim for r in RECORDS}
    missing = sorted(set(registry) - covered - EXEMPT)
    assert not missing, f"primitives without op records: {missing}"


@pytest.mark.parametrize("rec", RECORDS, ids=IDS)
def test_eager_matches_shape_rule(rec):
    args = rec.draw(np.random.RandomState(0))
    out = rec.fun(*args)
    traced = jitnet.make_jaxpr(rec.fun)(*args)
    outs = out if isinstance(out, (tuple, list)) else [out]
    for o, aval in zip(outs, traced.out_avals):
        assert tuple(o.shape) == aval.shape
        assert o.dtype == aval.dtype


@pytest.mark.parametrize("rec", [r for r in RECORDS if r.grad_order], ids=lambda r: r.id)
def test_grads(rec, x64):
    args = rec.draw(np.random.RandomState(1), np.float64)
    tol = rec.tol
    check_grads(rec.fun, args, order=rec.grad_order, atol=tol, rtol=tol)


def _in_axes_variants(args):
    n = len(args)
    variants = [tuple(0 for _ in args)]
    for i in range(n):
        if n > 1:
            variants.append(tuple(0 if j == i else None for j in range(n)))
    if all(np.ndim(a) >= 1 for a in args):
        variants.append(tuple(-1 for _ in args))
    return variants


def _batch(rng, rec, axes, size=3):
    samples = [rec.draw(rng) for _ in range(size)]
    out = []
    for k, ax in enumerate(axes):
        if ax is None:
            out.append(samples[0][k])
        else:
            out.append(np.stack([s[k] for s in samples], axis=ax))
    return out


@pytest.mark.parametrize("rec", [r for r in RECORDS if r.vmap], ids=lambda r: r.id)
def test_vmap(rec):
    rng = np.random.RandomState(2)
    for axes in _in_axes_variants(rec.draw(rng)):
        check_vmap(rec.fun, _batch(rng, rec, axes), in_axes=axes, atol=1e-5, rtol=1e-5)

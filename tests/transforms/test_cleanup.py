"""Clean-up passes: what autodiff emits must not survive as identity ops; op counts."""
import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.api.ad import _trace_flat
from jitnet.transforms.ad import vjp_ir
from jitnet.transforms.cleanup import cleanup, cse, dce, simplify


def _ir(f, *args):
    return jax.make_jaxpr(f)(*args).ir


def test_dce_removes_unused():
    ir = _ir(lambda x: (jnp.sin(x), jnp.cos(x))[0], jnp.ones(3))
    assert [e.prim.name for e in dce(ir).eqns] == ["sin"]


def test_cse_merges_duplicates():
    ir = _ir(lambda x: jnp.sin(x) + jnp.sin(x), jnp.ones(3))
    assert [e.prim.name for e in cse(ir).eqns] == ["sin", "add"]


def test_simplify_identities():
    ir = _ir(lambda x: ((x * 1.0 + 0.0) - 0.0).reshape(3).astype(jnp.float32) / 1.0, jnp.ones(3))
    assert len(cleanup(ir).eqns) == 0
    neg = _ir(lambda x: -(-x), jnp.ones(3))
    assert len(cleanup(neg).eqns) == 0
    x = jnp.ones((2, 3))
    zero_pad = _ir(lambda x: jax.lax.pad(x, 0.0, [(0, 0, 0), (0, 0, 0)]), x)  # conv transposes
    assert [e.prim.name for e in zero_pad.eqns] == ["pad"]
    assert len(cleanup(zero_pad).eqns) == 0
    kept = _ir(lambda x: jax.lax.pad(x, 0.0, [(0, 1, 0), (0, 0, 0)]), x)
    assert [e.prim.name for e in cleanup(kept).eqns] == ["pad"]


def _mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jax.nn_relu(h @ w + b) if hasattr(jax, "nn_relu") else jnp.maximum(h @ w + b, 0.0)
    w, b = params[-1]
    logits = h @ w + b
    return -jnp.mean(jnp.sum(y * (logits - jax.scipy_logsumexp(logits))
                             if hasattr(jax, "scipy_logsumexp") else y * logits, axis=-1))


def test_backward_has_no_identity_ops():
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = [(np.zeros(s, np.float32), np.zeros(s[1], np.float32)) for s in sizes]
    x, y = np.zeros((128, 784), np.float32), np.zeros((128, 10), np.float32)
    ir, consts, *_ = _trace_flat(lambda p: _mlp_loss(p, x, y), (params,), "grad")
    v = vjp_ir(cleanup(ir), [False] * len(consts) + [True] * 6)
    for part in (v.fwd, v.bwd):
        for e in part.eqns:
            if e.prim.name in ("mul", "div"):
                assert not any(getattr(a, "value", None) == 1 for a in e.inputs), e
            if e.prim.name in ("add", "sub"):
                assert not any(getattr(a, "value", None) == 0 for a in e.inputs), e
        assert simplify(part) is part and cse(part) is part and dce(part) is part
    dots = [e for e in v.bwd.eqns if e.prim.name == "dot_general"]
    # backward of 3 dense layers: 3 weight gradients + 2 input gradients (none for x)
    assert len(dots) == 5

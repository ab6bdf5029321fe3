"""Cost of reverse mode: equations and FLOPs of the forward pass vs forward + backward.

    python benchmarks/ad_cost.py

for the 784-512-512-10 MLP cross-entropy loss, batch 128, after jitnet's clean-up passes.
FLOPs: 2*M*N*K per matmul, one per output element for elementwise ops and reductions.
"""
from __future__ import annotations

import math

import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet.compiler import prepare


def loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jax.nn.relu(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))


def flops(ir) -> int:
    total = 0
    for e in ir.eqns:
        if e.prim.name == "dot_general":
            (lc, _), _ = e.params["dimension_numbers"]
            k = math.prod(e.inputs[0].aval.shape[i] for i in lc)
            total += 2 * math.prod(e.outputs[0].aval.shape) * k
        elif e.prim.name.startswith("reduce_"):
            total += math.prod(e.inputs[0].aval.shape)
        elif e.prim.lowering.get("elementwise"):
            total += math.prod(e.outputs[0].aval.shape)
    return total


def main():
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = [(np.zeros(s, np.float32), np.zeros(s[1], np.float32)) for s in sizes]
    x, y = np.zeros((128, 784), np.float32), np.zeros((128, 10), np.float32)
    fwd = prepare(jax.make_jaxpr(loss)(params, x, y).ir)
    both = prepare(jax.make_jaxpr(jax.value_and_grad(loss))(params, x, y).ir)
    ff, fb = flops(fwd), flops(both)
    print(f"{'program':28s} {'equations':>9s} {'MFLOP':>9s}")
    print(f"{'forward (loss)':28s} {len(fwd.eqns):9d} {ff / 1e6:9.1f}")
    print(f"{'forward + backward':28s} {len(both.eqns):9d} {fb / 1e6:9.1f}")
    print(f"backward / forward FLOPs: {(fb - ff) / ff:.2f}")


if __name__ == "__main__":
    main()

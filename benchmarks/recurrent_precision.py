"""Float32 gradient error of a recurrent net, jitnet and JAX, against float64 (issue 19).

    MODE=lstm python benchmarks/recurrent_precision.py     # or MODE=rnn (needs jax installed)

Trains a tanh RNN or an LSTM (lax.scan, sigmoid gates) in float64 and, at every step's
parameters, evaluates the float32 loss and gradient with jitnet and with JAX. Comparing at the
same parameters takes out the amplification by training that makes two float32 runs drift
apart; what is left is each library's rounding. Results: docs/SCIPY.md.
"""
import os
import sys

import numpy as np

try:
    import jax
    import jax.numpy as jjnp
except ImportError:
    sys.exit("this comparison needs jax (pip install jax)")
import jitnet
import jitnet.numpy as njnp

mode = os.environ.get("MODE", "rnn")
I, H, T, B = 20, 48, 25, 8
nG = 4 if mode == "lstm" else 1
rs = np.random.RandomState(1)
p0 = {"W": rs.randn(I + H, nG * H) * 0.4, "b": rs.randn(nG * H) * 0.1,
      "Wo": rs.randn(H, I) * 0.4, "bo": np.zeros(I)}
xs = np.eye(I)[rs.randint(0, I, size=(T, B))]
ys = np.eye(I)[rs.randint(0, I, size=(T, B))]

def make_loss(lib, jnp, dtype):
    def cell(p, carry, x):
        h, c = carry
        z = jnp.concatenate([x, h], axis=1) @ p["W"] + p["b"]
        if mode == "lstm":
            i, f, o, g = jnp.split(z, 4, axis=1)
            c = lib.nn.sigmoid(f) * c + lib.nn.sigmoid(i) * jnp.tanh(g)
            h = lib.nn.sigmoid(o) * jnp.tanh(c)
        else:
            h = jnp.tanh(z)
        return (h, c), h

    def loss(p, xs, ys):
        h0 = jnp.zeros((B, H), dtype)
        _, hs = lib.lax.scan(lambda cr, x: cell(p, cr, x), (h0, h0), xs)
        logits = hs @ p["Wo"] + p["bo"]
        return -jnp.mean(jnp.sum(lib.nn.log_softmax(logits) * ys, -1))
    return lib.jit(lib.value_and_grad(loss))

jax.config.update("jax_enable_x64", True)
jitnet.config.update("jax_enable_x64", True)
ref = make_loss(jax, jjnp, np.float64)
f32 = {"jax": make_loss(jax, jjnp, np.float32), "jitnet": make_loss(jitnet, njnp, np.float32)}
p = dict(p0)
c32 = lambda t: {k: np.asarray(v, np.float32) for k, v in t.items()}
for step in range(40):
    l64, g64 = ref(p, xs, ys)
    g64 = {k: np.asarray(v) for k, v in g64.items()}
    row = [f"step {step:2d} loss {float(l64):.5f}"]
    for name, fn in f32.items():
        l, g = fn(c32(p), xs.astype(np.float32), ys.astype(np.float32))
        err = max(np.abs(np.asarray(g[k], np.float64) - g64[k]).max() / np.abs(g64[k]).max()
                  for k in g64)
        row.append(f"{name}: loss err {abs(float(l) - float(l64)):.1e} grad rel err {err:.1e}")
    print(" | ".join(row))
    p = {k: p[k] - 0.2 * g64[k] for k in p}

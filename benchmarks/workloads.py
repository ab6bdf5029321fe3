"""The benchmark workloads, written once per programming model.

* ``jax_models(jax)``: the model code against JAX's API. It is called with ``jax`` itself or
  with ``jitnet`` (``import jitnet as jax``), so both frameworks run the same source.
* ``torch_models(torch)``: the same models in PyTorch (idiomatic autograd for eager mode,
  ``torch.func`` for the functional step that ``torch.compile`` compiles as one graph).
* ``numpy_models(np)``: hand-written NumPy forward and backward passes. Written
  dtype-generic: run in float32 they are the NumPy competitor, run in float64 they are the
  reference every competitor's result is checked against.

Parameters are flat lists of arrays ``[w1, b1, w2, b2, ...]`` so every framework sees the same
pytree. Nothing here imports a framework at module level: ``run.py`` decides what to import,
when, and with which thread settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

LR = 1e-3  # learning rate of every training step (small: the timed loops train on)
ADAM = (0.9, 0.999, 1e-8)  # W8's Adam: b1, b2, eps
TFM_HEADS = 4
TFM_WEIGHTS = 14  # W8's state: 14 weights, then their Adam moments m and v, then the step count


def adam_update(state, grads, sqrt):
    """W8's Adam step on its state list ``weights + m + v + [t]`` given the weights' gradients,
    in any array library (``sqrt`` is the library's); Python scalars keep the arrays' dtype."""
    n, (b1, b2, eps) = TFM_WEIGHTS, ADAM
    t = state[-1] + 1.0
    m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(state[n:2 * n], grads)]
    v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(state[2 * n:3 * n], grads)]
    c1, c2 = 1.0 - b1 ** t, 1.0 - b2 ** t
    w = [wi - LR * (mi / c1) / (sqrt(vi / c2) + eps) for wi, mi, vi in zip(state[:n], m, v)]
    return w + m + v + [t]


# ----------------------------------------------------------------------------------- data

@dataclass(frozen=True)
class Workload:
    key: str            # "W2a"
    title: str          # printed name
    kind: str           # "forward" (a function of the inputs) | "step" (training step) |
    #                     "grads" (per-example gradients, no state); steps are SGD, W8's is Adam (its
    #                     parameter list is the optimizer state: weights, m, v, step count)
    model: str          # which model functions to use: "w1", "pop", "mlp", "pex", "cnn", "rnn"
    shape: dict         # sizes


WORKLOADS = [
    Workload("W1", "fused elementwise+sum, 10M f32", "forward", "w1", {"n": 10_000_000}),
    Workload("W2a", "MLP 784-512-512-10 SGD step, batch 128", "step", "mlp",
             {"sizes": (784, 512, 512, 10), "batch": 128}),
    Workload("W2b", "MLP 784-512-512-10 SGD step, batch 32", "step", "mlp",
             {"sizes": (784, 512, 512, 10), "batch": 32}),
    Workload("W2c", "MLP 64-64-10 SGD step, batch 32", "step", "mlp",
             {"sizes": (64, 64, 10), "batch": 32}),
    Workload("W3", "per-example grads jit(vmap(grad)), MLP 784-128-10, batch 64", "grads",
             "pex", {"sizes": (784, 128, 10), "batch": 64}),
    Workload("W4", "CNN step 64x1x28x28, conv16-conv32-pool-dense10", "step", "cnn",
             {"batch": 64, "hw": 28, "c1": 16, "c2": 32, "classes": 10}),
    Workload("W6", "char-RNN step, scan tanh H128 V64 T50 B32", "step", "rnn",
             {"batch": 32, "seq": 50, "vocab": 64, "embed": 32, "hidden": 128}),
    Workload("W7", "population: vmap(tanh(x @ w)) over 4 layers, x 32x64, w 64x256", "forward",
             "pop", {"members": 4, "batch": 32, "fan_in": 64, "fan_out": 256}),
    Workload("W8", "transformer block Adam step, D256 H4 T128 B16 MLP1024", "step", "tfm",
             {"batch": 16, "seq": 128, "vocab": 256, "dim": 256, "heads": TFM_HEADS, "mlp": 1024}),
]
BY_KEY = {w.key: w for w in WORKLOADS}
# W5 (cold compile / warm start of W2a's step) is measured in subprocesses by run.py.


def make_data(w: Workload, seed: int = 0) -> dict:
    """Deterministic float32 inputs and initial parameters (NumPy arrays)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    s = w.shape
    if w.model == "w1":
        return {"inputs": [rng.standard_normal(s["n"], dtype=f32)]}
    if w.model == "pop":
        ws = rng.standard_normal((s["members"], s["fan_in"], s["fan_out"]), dtype=f32)
        x = rng.standard_normal((s["batch"], s["fan_in"]), dtype=f32)
        return {"inputs": [ws / f32(np.sqrt(s["fan_in"])), x]}
    if w.model in ("mlp", "pex"):
        sizes, b = s["sizes"], s["batch"]
        params = []
        for m, n in zip(sizes[:-1], sizes[1:]):
            params += [(rng.standard_normal((m, n)) * np.sqrt(2.0 / m)).astype(f32),
                       (0.01 * rng.standard_normal(n)).astype(f32)]
        x = rng.standard_normal((b, sizes[0]), dtype=f32)
        y = np.eye(sizes[-1], dtype=f32)[rng.integers(0, sizes[-1], b)]
        return {"params": params, "inputs": [x, y]}
    if w.model == "cnn":
        b, hw, c1, c2, k = s["batch"], s["hw"], s["c1"], s["c2"], s["classes"]
        pooled = c2 * (hw // 2) ** 2
        params = [(rng.standard_normal((c1, 1, 3, 3)) * np.sqrt(2.0 / 9)).astype(f32),
                  np.zeros(c1, f32),
                  (rng.standard_normal((c2, c1, 3, 3)) * np.sqrt(2.0 / (9 * c1))).astype(f32),
                  np.zeros(c2, f32),
                  (rng.standard_normal((pooled, k)) * np.sqrt(1.0 / pooled)).astype(f32),
                  np.zeros(k, f32)]
        x = rng.standard_normal((b, 1, hw, hw), dtype=f32)
        y = np.eye(k, dtype=f32)[rng.integers(0, k, b)]
        return {"params": params, "inputs": [x, y]}
    if w.model == "rnn":
        b, t, v, e, h = s["batch"], s["seq"], s["vocab"], s["embed"], s["hidden"]
        params = [(0.1 * rng.standard_normal((v, e))).astype(f32),
                  (rng.standard_normal((e, h)) / np.sqrt(e)).astype(f32),
                  (rng.standard_normal((h, h)) / np.sqrt(h)).astype(f32),
                  np.zeros(h, f32),
                  (rng.standard_normal((h, v)) / np.sqrt(h)).astype(f32),
                  np.zeros(v, f32)]
        tokens = rng.integers(0, v, (b, t)).astype(np.int32)
        targets = np.eye(v, dtype=f32)[np.roll(tokens, -1, axis=1).T]  # (T, B, V) one-hot
        return {"params": params, "inputs": [tokens, targets]}
    if w.model == "tfm":
        b, t, v, d, f = s["batch"], s["seq"], s["vocab"], s["dim"], s["mlp"]
        ones, zeros = np.ones(d, f32), np.zeros(d, f32)

        def dense(m, n):
            return (rng.standard_normal((m, n)) / np.sqrt(m)).astype(f32)
        weights = [(0.1 * rng.standard_normal((v, d))).astype(f32),  # embedding
                   ones, zeros, dense(d, 3 * d), dense(d, d),          # ln1, qkv, out proj.
                   ones.copy(), zeros.copy(), dense(d, f), np.zeros(f, f32),  # ln2, mlp in
                   dense(f, d), zeros.copy(), ones.copy(), zeros.copy(),      # mlp out, ln_f
                   dense(d, v)]                                               # head
        assert len(weights) == TFM_WEIGHTS
        # Adam mid-run (step 10, moments of gradient scale ~1e-3): from zero moments the first
        # update is lr * sign(g), and float32 rounding flips the sign of the tiniest gradients
        ms = [(1e-4 * rng.standard_normal(p.shape)).astype(f32) for p in weights]
        vs = [(1e-6 * (1 + rng.random(p.shape))).astype(f32) for p in weights]
        state = weights + ms + vs + [np.asarray(10.0, f32)]
        tokens = rng.integers(0, v, (b, t)).astype(np.int32)
        targets = np.eye(v, dtype=f32)[np.roll(tokens, -1, axis=1)]  # (B, T, V) one-hot
        return {"params": state, "inputs": [tokens, targets]}
    raise ValueError(w.model)


# ------------------------------------------------------------------- JAX API (jax, jitnet)

def jax_models(jax):
    """Model code written against JAX's API; ``jax`` is the jax or the jitnet module."""
    jnp, lax = jax.numpy, jax.lax

    def w1(x):
        return jnp.sum(jnp.tanh(1.5 * x + 0.5) ** 2 * jnp.exp(-jnp.abs(x)))

    def cross_entropy(logits, y):  # y one-hot; mean over all leading axes
        shifted = logits - lax.stop_gradient(jnp.max(logits, axis=-1, keepdims=True))
        log_probs = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=-1, keepdims=True))
        return -jnp.mean(jnp.sum(y * log_probs, axis=-1))

    def mlp_loss(params, x, y):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = jnp.maximum(h @ params[i] + params[i + 1], 0.0)
        return cross_entropy(h @ params[-2] + params[-1], y)

    def conv(x, w, b):
        y = lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + b[None, :, None, None]

    def cnn_loss(params, x, y):
        w1_, b1, w2, b2, w3, b3 = params
        h = jnp.maximum(conv(x, w1_, b1), 0.0)
        h = jnp.maximum(conv(h, w2, b2), 0.0)
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        h = h.reshape(h.shape[0], -1)
        return cross_entropy(h @ w3 + b3, y)

    def rnn_loss(params, tokens, targets):
        emb, wx, wh, b, wo, bo = params
        xs = jnp.swapaxes(emb[tokens], 0, 1)          # (T, B, E)

        def cell(h, x_t):
            h = jnp.tanh(x_t @ wx + h @ wh + b)
            return h, h

        h0 = jnp.zeros((tokens.shape[0], wh.shape[0]), jnp.float32)
        _, hs = lax.scan(cell, h0, xs)                 # (T, B, H)
        return cross_entropy(hs @ wo + bo, targets)

    def layer_norm(x, g, b):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
        return (x - mu) / jnp.sqrt(var + 1e-5) * g + b

    def gelu(z):  # the tanh form (jax.nn.gelu's default)
        return 0.5 * z * (1.0 + jnp.tanh(0.7978845608028654 * (z + 0.044715 * z ** 3)))

    def tfm_loss(weights, tokens, y):  # one pre-LN block, causal attention, LM head
        emb, g1, c1, wqkv, wo, g2, c2, w1_, b1, w2, b2, gf, cf, head = weights
        (b, t), d = tokens.shape, emb.shape[1]
        x = emb[tokens]                                                 # (B, T, D)
        q, k, v = jnp.split(layer_norm(x, g1, c1) @ wqkv, 3, axis=-1)
        q, k, v = (z.reshape(b, t, TFM_HEADS, -1).transpose(0, 2, 1, 3) for z in (q, k, v))
        s = q @ jnp.swapaxes(k, -1, -2) / float(np.sqrt(d // TFM_HEADS))  # (B, H, T, T)
        s = jnp.where(jnp.tril(jnp.ones((t, t), bool)), s, -1e9)
        e = jnp.exp(s - lax.stop_gradient(jnp.max(s, axis=-1, keepdims=True)))
        o = (e / jnp.sum(e, axis=-1, keepdims=True)) @ v
        x = x + o.transpose(0, 2, 1, 3).reshape(b, t, d) @ wo
        x = x + gelu(layer_norm(x, g2, c2) @ w1_ + b1) @ w2 + b2
        return cross_entropy(layer_norm(x, gf, cf) @ head, y)

    losses = {"mlp": mlp_loss, "cnn": cnn_loss, "rnn": rnn_loss, "tfm": tfm_loss}

    def sgd(loss):
        def step(params, x, y):
            value, grads = jax.value_and_grad(loss)(params, x, y)
            return [p - LR * g for p, g in zip(params, grads)], value
        return step

    def adam(loss):
        def step(state, x, y):
            value, g = jax.value_and_grad(loss)(state[:TFM_WEIGHTS], x, y)
            return adam_update(state, g, jnp.sqrt), value
        return step

    def train_step(model):
        return jax.jit((adam if model == "tfm" else sgd)(losses[model]))

    def value_and_grad(model):  # W8: of the weights, the head of its state list
        vg = jax.value_and_grad(losses[model])
        return jax.jit((lambda s, x, y: vg(s[:TFM_WEIGHTS], x, y)) if model == "tfm" else vg)

    def per_example_loss(params, x, y):  # one example: x (784,), y (10,)
        w1_, b1, w2, b2 = params
        h = jnp.maximum(x @ w1_ + b1, 0.0)
        return cross_entropy(h @ w2 + b2, y)

    per_example_grads = jax.jit(jax.vmap(jax.grad(per_example_loss), in_axes=(None, 0, 0)))
    pop = jax.jit(jax.vmap(lambda w, x: jnp.tanh(x @ w), in_axes=(0, None)))
    return SimpleNamespace(w1=jax.jit(w1), pop=pop, train_step=train_step,
                           value_and_grad=value_and_grad, per_example_grads=per_example_grads)


# ------------------------------------------------------------------------------ PyTorch

def torch_models(torch):
    """The same models in PyTorch. ``loss`` functions take a flat parameter list."""
    F = torch.nn.functional

    def w1(x):
        return torch.sum(torch.tanh(1.5 * x + 0.5) ** 2 * torch.exp(-torch.abs(x)))

    def cross_entropy(logits, y):
        return -torch.mean(torch.sum(y * torch.log_softmax(logits, dim=-1), dim=-1))

    def mlp_loss(params, x, y):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = torch.relu(h @ params[i] + params[i + 1])
        return cross_entropy(h @ params[-2] + params[-1], y)

    def cnn_loss(params, x, y):
        w1_, b1, w2, b2, w3, b3 = params
        h = torch.relu(F.conv2d(x, w1_, b1, padding=1))
        h = torch.relu(F.conv2d(h, w2, b2, padding=1))
        h = F.max_pool2d(h, 2).reshape(h.shape[0], -1)
        return cross_entropy(h @ w3 + b3, y)

    def rnn_loss(params, tokens, targets):
        emb, wx, wh, b, wo, bo = params
        xs = emb[tokens].transpose(0, 1)               # (T, B, E)
        h = torch.zeros(tokens.shape[0], wh.shape[0])
        hs = []
        for t in range(xs.shape[0]):
            h = torch.tanh(xs[t] @ wx + h @ wh + b)
            hs.append(h)
        return cross_entropy(torch.stack(hs) @ wo + bo, targets)

    def tfm_loss(weights, tokens, y):  # the block of jax_models, written for PyTorch
        emb, g1, c1, wqkv, wo, g2, c2, w1_, b1, w2, b2, gf, cf, head = weights
        (b, t), d = tokens.shape, emb.shape[1]
        ln = torch.nn.functional.layer_norm
        x = emb[tokens]
        q, k, v = (ln(x, (d,), g1, c1) @ wqkv).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, TFM_HEADS, -1).transpose(1, 2) for z in (q, k, v))
        s = q @ k.transpose(-1, -2) / float(np.sqrt(d // TFM_HEADS))
        s = s.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), -1e9)
        o = torch.softmax(s, dim=-1) @ v
        x = x + o.transpose(1, 2).reshape(b, t, d) @ wo
        x = x + F.gelu(ln(x, (d,), g2, c2) @ w1_ + b1, approximate="tanh") @ w2 + b2
        return cross_entropy(ln(x, (d,), gf, cf) @ head, y)

    losses = {"mlp": mlp_loss, "cnn": cnn_loss, "rnn": rnn_loss, "tfm": tfm_loss}
    n = TFM_WEIGHTS

    def eager_step(model):
        """Idiomatic eager training: autograd on leaf tensors, in-place updates under no_grad
        (SGD; W8: Adam with torch's multi-tensor ``_foreach`` ops, as torch.optim.Adam)."""
        loss_fn = losses[model]
        b1, b2, eps = ADAM

        def step(params, x, y):
            weights = params[:n] if model == "tfm" else params
            loss = loss_fn(weights, x, y)
            grads = torch.autograd.grad(loss, weights)
            with torch.no_grad():
                if model != "tfm":
                    for p, g in zip(params, grads):   # SGD as before W8 (per tensor)
                        p.sub_(LR * g)
                    return params, loss.detach()
                m, v, t = params[n:2 * n], params[2 * n:3 * n], params[-1]
                t.add_(1.0)
                torch._foreach_lerp_(m, grads, 1 - b1)
                torch._foreach_mul_(v, b2)
                torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
                c1, c2 = 1 - b1 ** t.item(), 1 - b2 ** t.item()
                denom = torch._foreach_add(torch._foreach_sqrt(torch._foreach_div(v, c2)), eps)
                torch._foreach_addcdiv_(weights, m, denom, value=-LR / c1)
            return params, loss.detach()
        return step

    def functional_step(model):
        """The jax-style pure step (torch.func), what torch.compile compiles as one graph."""
        loss_fn = losses[model]

        def step(params, x, y):
            if model != "tfm":
                grads, value = torch.func.grad_and_value(loss_fn)(params, x, y)
                return [p - LR * g for p, g in zip(params, grads)], value
            g, value = torch.func.grad_and_value(loss_fn)(params[:n], x, y)
            return adam_update(params, g, torch.sqrt), value
        return step

    def eager_value_and_grad(model):
        def vg(params, x, y):
            weights = params[:n] if model == "tfm" else params
            loss = losses[model](weights, x, y)
            return loss.detach(), torch.autograd.grad(loss, weights)
        return vg

    def per_example_loss(params, x, y):
        w1_, b1, w2, b2 = params
        h = torch.relu(x @ w1_ + b1)
        return cross_entropy(h @ w2 + b2, y)

    per_example_grads = torch.func.vmap(torch.func.grad(per_example_loss),
                                        in_dims=(None, 0, 0))
    def pop(ws, x):
        return torch.tanh(x @ ws)

    return SimpleNamespace(w1=w1, pop=pop, eager_step=eager_step,
                           functional_step=functional_step,
                           eager_value_and_grad=eager_value_and_grad,
                           per_example_grads=per_example_grads)


# -------------------------------------------------------------------------------- NumPy

def numpy_models(np):
    """Hand-written forward + backward passes; dtype follows the inputs."""

    def w1(x):
        return np.sum(np.tanh(1.5 * x + 0.5) ** 2 * np.exp(-np.abs(x)))

    def softmax_xent(logits, y):
        """Mean cross-entropy over leading axes and its gradient w.r.t. the logits."""
        shifted = logits - logits.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=-1, keepdims=True)
        log_probs = shifted - np.log(s)
        count = logits.size // logits.shape[-1]
        loss = -np.sum(y * log_probs) / count
        dlogits = (e / s * y.sum(axis=-1, keepdims=True) - y) / count
        return loss, dlogits

    # --- MLP
    def mlp_value_and_grad(params, x, y):
        acts = [x]
        for i in range(0, len(params) - 2, 2):
            acts.append(np.maximum(acts[-1] @ params[i] + params[i + 1], 0))
        loss, d = softmax_xent(acts[-1] @ params[-2] + params[-1], y)
        grads = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            a = acts[i // 2]
            grads[i], grads[i + 1] = a.T @ d, d.sum(axis=0)
            if i:
                d = (d @ params[i].T) * (a > 0)
        return loss, grads

    # --- per-example gradients of a 2-layer MLP, batched by hand
    def per_example_grads(params, x, y):
        w1_, b1, w2, b2 = params
        h = np.maximum(x @ w1_ + b1, 0)
        logits = h @ w2 + b2
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        d2 = e / e.sum(axis=-1, keepdims=True) - y        # per example: no 1/batch
        d1 = (d2 @ w2.T) * (h > 0)
        return [np.einsum("bi,bj->bij", x, d1), d1, np.einsum("bi,bj->bij", h, d2), d2]

    # --- CNN: 3x3 SAME convolutions by im2col
    def im2col(x):  # (N, C, H, W) -> (N*H*W, C*9)
        n, c, h, w = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
        return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)

    def conv_fwd(x, w, b):
        n, _, h, wd = x.shape
        cols = im2col(x)
        out = (cols @ w.reshape(w.shape[0], -1).T + b).reshape(n, h, wd, -1)
        return out.transpose(0, 3, 1, 2), cols

    def conv_bwd(dout, cols, w, need_dx):
        o = w.shape[0]
        d = dout.transpose(0, 2, 3, 1).reshape(-1, o)
        dw = (d.T @ cols).reshape(w.shape)
        dx = None
        if need_dx:  # SAME 3x3, stride 1: correlate with the flipped, transposed kernel
            wt = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
            dx, _ = conv_fwd(dout, wt, np.zeros(wt.shape[0], dout.dtype))
        return dw, d.sum(axis=0), dx

    def cnn_value_and_grad(params, x, y):
        w1_, b1, w2, b2, w3, b3 = params
        z1, cols1 = conv_fwd(x, w1_, b1)
        h1 = np.maximum(z1, 0)
        z2, cols2 = conv_fwd(h1, w2, b2)
        h2 = np.maximum(z2, 0)
        n, c, hh, ww = h2.shape
        blocks = h2.reshape(n, c, hh // 2, 2, ww // 2, 2)
        pooled = blocks.max(axis=(3, 5))
        flat = pooled.reshape(n, -1)
        loss, d = softmax_xent(flat @ w3 + b3, y)
        g3, gb3 = flat.T @ d, d.sum(axis=0)
        dpool = (d @ w3.T).reshape(pooled.shape)
        # route each window's gradient to its (first) maximum
        bt = blocks.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, hh // 2, ww // 2, 4)
        onehot = np.eye(4, dtype=x.dtype)[bt.argmax(axis=-1)] * dpool[..., None]
        dh2 = onehot.reshape(n, c, hh // 2, ww // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
        dz2 = dh2.reshape(h2.shape) * (z2 > 0)
        g2, gb2, dh1 = conv_bwd(dz2, cols2, w2, need_dx=True)
        g1, gb1, _ = conv_bwd(dh1 * (z1 > 0), cols1, w1_, need_dx=False)
        return loss, [g1, gb1, g2, gb2, g3, gb3]

    # --- char-RNN with backpropagation through time
    def rnn_value_and_grad(params, tokens, targets):
        emb, wx, wh, b, wo, bo = params
        xs = emb[tokens].transpose(1, 0, 2)           # (T, B, E)
        t_len, batch = xs.shape[:2]
        hs = np.empty((t_len + 1, batch, wh.shape[0]), xs.dtype)  # hs[0] = h0 = 0
        hs[0] = 0
        for t in range(t_len):
            hs[t + 1] = np.tanh(xs[t] @ wx + hs[t] @ wh + b)
        top = hs[1:]
        loss, d = softmax_xent(top @ wo + bo, targets)
        d2 = d.reshape(-1, d.shape[-1])
        gwo, gbo = top.reshape(-1, top.shape[-1]).T @ d2, d2.sum(axis=0)
        dtop = d @ wo.T
        gwx, gwh, gb = np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(b)
        dxs = np.empty_like(xs)
        dh_next = np.zeros_like(hs[0])
        for t in range(t_len - 1, -1, -1):
            da = (dtop[t] + dh_next) * (1 - hs[t + 1] ** 2)
            gwx += xs[t].T @ da
            gwh += hs[t].T @ da
            gb += da.sum(axis=0)
            dxs[t] = da @ wx.T
            dh_next = da @ wh.T
        gemb = np.zeros_like(emb)
        np.add.at(gemb, tokens.T, dxs)
        return loss, [gemb, gwx, gwh, gb, gwo, gbo]

    # --- transformer block (W8)
    def layer_norm(x, g, b):
        mu = x.mean(axis=-1, keepdims=True)
        inv = 1 / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)
        xhat = (x - mu) * inv
        return xhat * g + b, (xhat, inv)

    def layer_norm_bwd(dy, cache, g):
        xhat, inv = cache
        dxhat = dy * g
        dx = inv * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                    - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
        axes = tuple(range(dy.ndim - 1))
        return dx, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)

    def flat_t_matmul(a, b):  # sum over all leading axes of a^T b
        return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])

    def tfm_value_and_grad(weights, tokens, y):
        emb, g1, c1, wqkv, wo, g2, c2, w1_, b1, w2, b2, gf, cf, head = weights
        (b, t), d = tokens.shape, emb.shape[1]
        hd = d // TFM_HEADS
        x0 = emb[tokens]
        a, ln1 = layer_norm(x0, g1, c1)
        qkv = a @ wqkv

        def heads(z):
            return z.reshape(b, t, TFM_HEADS, hd).transpose(0, 2, 1, 3)

        def unheads(z):
            return z.transpose(0, 2, 1, 3).reshape(b, t, d)
        q, k, v = (heads(z) for z in np.split(qkv, 3, axis=-1))
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        s = np.where(np.tril(np.ones((t, t), bool)), s, -1e9)
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
        o = unheads(p @ v)
        x1 = x0 + o @ wo
        c, ln2 = layer_norm(x1, g2, c2)
        z = c @ w1_ + b1
        u = 0.7978845608028654 * (z + 0.044715 * z ** 3)
        th = np.tanh(u)
        h = 0.5 * z * (1 + th)
        x2 = x1 + h @ w2 + b2
        f, lnf = layer_norm(x2, gf, cf)
        loss, dlogits = softmax_xent(f @ head, y)
        ghead, df = flat_t_matmul(f, dlogits), dlogits @ head.T
        dx2, ggf, gcf = layer_norm_bwd(df, lnf, gf)
        gw2, gb2, dh = flat_t_matmul(h, dx2), dx2.sum(axis=(0, 1)), dx2 @ w2.T
        dz = dh * (0.5 * (1 + th) + 0.5 * z * (1 - th ** 2)
                   * 0.7978845608028654 * (1 + 3 * 0.044715 * z ** 2))
        gw1, gb1 = flat_t_matmul(c, dz), dz.sum(axis=(0, 1))
        dc, gg2, gc2 = layer_norm_bwd(dz @ w1_.T, ln2, g2)
        dx1 = dx2 + dc
        gwo, do = flat_t_matmul(o, dx1), heads(dx1 @ wo.T)
        dp, dv = do @ v.transpose(0, 1, 3, 2), p.transpose(0, 1, 3, 2) @ do
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) / np.sqrt(hd)
        dq, dk = ds @ k, ds.transpose(0, 1, 3, 2) @ q
        dqkv = np.concatenate([unheads(dq), unheads(dk), unheads(dv)], axis=-1)
        gwqkv = flat_t_matmul(a, dqkv)
        da, gg1, gc1 = layer_norm_bwd(dqkv @ wqkv.T, ln1, g1)
        gemb = np.zeros_like(emb)
        np.add.at(gemb, tokens, dx1 + da)
        return loss, [gemb, gg1, gc1, gwqkv, gwo, gg2, gc2, gw1, gb1, gw2, gb2, ggf, gcf, ghead]

    vgs = {"mlp": mlp_value_and_grad, "cnn": cnn_value_and_grad, "rnn": rnn_value_and_grad,
           "tfm": tfm_value_and_grad}
    n = TFM_WEIGHTS

    def value_and_grad(model):
        if model == "tfm":
            return lambda state, x, y: tfm_value_and_grad(state[:n], x, y)
        return vgs[model]

    def train_step(model):
        vg = vgs[model]

        def sgd(params, x, y):
            value, grads = vg(params, x, y)
            return [p - p.dtype.type(LR) * g for p, g in zip(params, grads)], value

        def adam(state, x, y):
            value, g = vg(state[:n], x, y)
            return adam_update(state, g, np.sqrt), value
        return adam if model == "tfm" else sgd

    def pop(ws, x):
        return np.tanh(x @ ws)

    return SimpleNamespace(w1=w1, pop=pop, train_step=train_step, value_and_grad=value_and_grad,
                           per_example_grads=per_example_grads)

"""Optax and Equinox programs run unchanged on jitnet (``import jax`` aliased) and on JAX:
same losses? how fast is a step?

    python benchmarks/ecosystem_vs_jax.py            # both, compared
    python benchmarks/ecosystem_vs_jax.py --worker jitnet|jax   # one, JSON on stdout

Each framework runs in its own process (the alias needs a process whose ``jax`` is jitnet).
The programs: an MLP (32-64-64-10) trained with ``optax.chain(clip_by_global_norm, adamw
with a warmup-cosine schedule)`` under ``jit(value_and_grad)``, and the same network as
``eqx.nn.MLP`` trained with ``eqx.filter_jit``/``filter_value_and_grad`` and ``optax.adam``.
Parameters start from the same PRNG key (jitnet's keys are bit-identical to JAX's).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

STEPS = 50


def _program(name):
    import numpy as np
    rng = np.random.RandomState(0)
    x = rng.randn(128, 32).astype(np.float32)
    y = rng.randint(0, 10, 128)
    out = {}

    import jax
    import jax.numpy as jnp
    import optax
    import equinox as eqx

    def timed_loop(step, state):
        losses, t0 = [], None
        for i in range(STEPS):
            if i == 1:
                t0 = time.perf_counter()
            *state, loss = step(*state)
            losses.append(float(loss))
        return losses, (time.perf_counter() - t0) / (STEPS - 1) * 1e6

    # Optax on a hand-written MLP
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    sizes = [(32, 64), (64, 64), (64, 10)]
    params = [(jax.random.normal(k, s) * (1 / s[0]) ** 0.5, jnp.zeros(s[1]))
              for k, s in zip(keys, sizes)]

    def loss_fn(p, x, y):
        h = x
        for i, (w, b) in enumerate(p):
            h = h @ w + b
            if i < len(p) - 1:
                h = jax.nn.relu(h)
        return optax.losses.softmax_cross_entropy_with_integer_labels(h, y).mean()

    sched = optax.warmup_cosine_decay_schedule(0.0, 1e-2, 10, STEPS)
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(sched, weight_decay=1e-4))

    @jax.jit
    def step(p, s):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    out["optax_losses"], out["optax_step_us"] = timed_loop(step, [params, opt.init(params)])

    # Equinox
    model = eqx.nn.MLP(32, 10, 64, 2, key=jax.random.PRNGKey(1))
    eopt = optax.adam(1e-2)

    @eqx.filter_value_and_grad
    def eloss(m, x, y):
        return optax.losses.softmax_cross_entropy_with_integer_labels(
            jax.vmap(m)(x), y).mean()

    @eqx.filter_jit
    def estep(m, s):
        loss, g = eloss(m, x, y)
        u, s = eopt.update(g, s, eqx.filter(m, eqx.is_array))
        return eqx.apply_updates(m, u), s, loss

    out["equinox_losses"], out["equinox_step_us"] = timed_loop(
        estep, [model, eopt.init(eqx.filter(model, eqx.is_array))])
    return out


def worker(name):
    if name == "jitnet":
        import jitnet.compat
        jitnet.compat.install_jax_alias()
    print(json.dumps(_program(name)))


def main():
    results = {}
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    for name in ("jitnet", "jax"):
        proc = subprocess.run([sys.executable, __file__, "--worker", name], env=env,
                              capture_output=True, text=True)
        if proc.returncode:
            print(f"{name}: failed\n{proc.stderr[-2000:]}")
            return 1
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    import numpy as np
    for prog in ("optax", "equinox"):
        a, b = (np.array(results[n][f"{prog}_losses"]) for n in ("jitnet", "jax"))
        rel = np.max(np.abs(a - b) / np.abs(b))
        print(f"{prog:8s} loss after {STEPS} steps: jitnet {a[-1]:.7f}  jax {b[-1]:.7f}  "
              f"max rel. difference over the run {rel:.1e}   step: jitnet "
              f"{results['jitnet'][f'{prog}_step_us']:.0f} us, jax "
              f"{results['jax'][f'{prog}_step_us']:.0f} us")
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker(sys.argv[sys.argv.index("--worker") + 1])
    else:
        sys.exit(main())

"""The training loop's own cost per step, beyond the compiled step (issue: framework layer).

Model: benchmark W2c's MLP 64-64-10 at batch 32 (dispatch dominates, so the loop's
overhead shows). Measures, in one process:

* ``step``: the compiled train step called back to back on one prepared batch;
* ``fit``: ``model.fit`` per step (loader with prefetch, callbacks, metrics, no progress);
* ``fit+bar``: the same with the one-line-per-epoch progress output;
* ``trainer``: ``Trainer.fit`` with a pure loss function;
* Keras 3 on JAX (``keras.Model.fit``) when ``keras`` and ``jax`` are installed.

Overhead = loop per step - step. The variants run interleaved, ``--repeats`` rounds; the
table gives the best round (least disturbed by other processes) and the median.

    python benchmarks/loop_overhead.py [--steps 2000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from contextlib import redirect_stdout

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jitnet as jax  # noqa: E402
import jitnet.numpy as jnp  # noqa: E402
from jitnet import layers, losses, models, optim, train  # noqa: E402

BATCH, IN, HID, OUT = 32, 64, 64, 10


def data(steps):
    rs = np.random.RandomState(0)
    x = rs.randn(steps * BATCH, IN).astype(np.float32)
    y = rs.randint(0, OUT, steps * BATCH).astype(np.int32)
    return x, y


def model():
    m = models.Sequential([layers.Input((IN,)), layers.Dense(HID, activation="relu"),
                           layers.Dense(OUT)])
    m.compile(optimizer=optim.get("sgd", learning_rate=0.01),
              loss=losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return m


def timed(fn, steps):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) / steps


def interleaved(variants: dict, steps, repeats) -> dict:
    """{name: (best, median)} seconds per step over ``repeats`` interleaved rounds."""
    times = {k: [] for k in variants}
    for _ in range(repeats):
        for k, fn in variants.items():
            times[k].append(timed(fn, steps))
    return {k: (min(v), statistics.median(v)) for k, v in times.items()}


def bench_jitnet(x, y, steps, repeats):
    variants = {}
    m = model()
    m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)          # build + compile
    eng = m._training["engine"]
    b = next(iter(jax.data.DataLoader((x, y), BATCH, prefetch=0).epoch(0)))
    leaves = eng._leaves

    def raw():            # the compiled step alone, on the state's leaves as the engine runs it
        s = leaves
        for _ in range(steps):
            s, _ = eng.train_step(s, b.data, b.mask)
    variants["step"] = raw
    variants["fit"] = lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)

    def with_bar():
        with redirect_stdout(io.StringIO()):
            m.fit(x, y, batch_size=BATCH, epochs=1, verbose=2)
    variants["fit+bar"] = with_bar

    rs = np.random.RandomState(1)
    params = {"w1": jnp.asarray(0.1 * rs.randn(IN, HID).astype(np.float32)),
              "b1": jnp.zeros(HID), "w2": jnp.asarray(0.1 * rs.randn(HID, OUT).astype(np.float32)),
              "b2": jnp.zeros(OUT)}

    def loss_fn(p, batch, mask):
        xb, yb = batch
        logits = jax.nn.relu(xb @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), yb[:, None], 1)[:, 0]
        return jnp.sum(nll * mask) / jnp.sum(mask)
    tr = train.Trainer(max_epochs=1, optimizer=optim.sgd(0.01), batch_size=BATCH, verbose=0)
    tr.fit(loss_fn, params, (x, y))
    variants["trainer"] = lambda: tr.fit(loss_fn, params, (x, y))
    keras_fit = keras_variant(x, y)
    if isinstance(keras_fit, str):
        print(f"Keras 3 on JAX: {keras_fit}")
    else:
        variants["Keras 3 on JAX fit"] = keras_fit
    return interleaved(variants, steps, repeats)


def keras_variant(x, y):
    try:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
    except Exception as e:  # noqa: BLE001
        return f"unavailable: {type(e).__name__}: {e}"
    m = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HID, activation="relu"),
                          keras.layers.Dense(OUT)])
    m.compile(optimizer=keras.optimizers.SGD(0.01),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    return lambda: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    x, y = data(args.steps)
    print(f"MLP {IN}-{HID}-{OUT}, batch {BATCH}, {args.steps} steps per epoch, "
          f"{args.repeats} interleaved rounds; load average {os.getloadavg()[0]:.2f}")
    r = bench_jitnet(x, y, args.steps, args.repeats)
    step = r["step"][0]
    print("| loop | best us/step | median us/step | best - compiled step (us) |")
    print("| --- | ---: | ---: | ---: |")
    for k, (best, med) in r.items():
        name = k if k.startswith("Keras") else f"jitnet {k}"
        print(f"| {name} | {best * 1e6:.1f} | {med * 1e6:.1f} | {(best - step) * 1e6:.1f} |")


if __name__ == "__main__":
    main()

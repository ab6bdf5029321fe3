"""Fashion-MNIST at the middle level: a Lightning-style ``Trainer`` with a pure loss function.

    python examples/fashion_mnist_trainer.py [--epochs 3] [--batch 128]

The model is built from ``jitnet.layers`` but trained as a plain pytree: the loss function
receives the model, the batch, a per-step PRNG key (for Dropout), the padding mask of
the batch and the training flag, and returns the loss and the metrics to log. The Trainer adds gradient
clipping, the epoch loop, validation and progress; the step is still one compiled call.
"""
from __future__ import annotations

import argparse

import numpy as np

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import optim, train
from jitnet.data import DataLoader, load_image_classification, validation_split

from fashion_mnist import make_model


def loss_fn(model, batch, key, mask, training):
    x, y = batch
    logits, _ = model.apply(x, training=training, key=key)
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1)[:, 0]
    n = jnp.sum(mask)
    accuracy = jnp.sum((jnp.argmax(logits, axis=1) == y) * mask) / n
    return jnp.sum(nll * mask) / n, {"accuracy": accuracy}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    name, (x_tr, y_tr), (x_te, y_te) = load_image_classification()
    x_tr = (x_tr.astype(np.float32) / 255.0)[..., None]
    x_te = (x_te.astype(np.float32) / 255.0)[..., None]
    train_data, val_data = validation_split((x_tr, y_tr), 0.1)

    model = make_model(x_tr.shape[1:3], int(y_tr.max()) + 1)
    model.init(jax.random.PRNGKey(args.seed), x_tr[:1])
    trainer = train.Trainer(max_epochs=args.epochs, optimizer=optim.adam(2e-3),
                            gradient_clip_val=1.0, seed=args.seed, batch_size=args.batch,
                            callbacks=[train.EarlyStopping(monitor="val_loss", patience=1)])
    model = trainer.fit(loss_fn, model, DataLoader(train_data, args.batch, seed=args.seed),
                        val_data=val_data)
    test = trainer.validate((x_te, y_te))
    print(f"dataset {name}: test loss {test['loss']:.4f}, test accuracy {test['accuracy']:.4f}")


if __name__ == "__main__":
    main()

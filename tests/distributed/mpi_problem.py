"""The tiny problem the MPI tests train, shared by the programs run under ``mpiexec`` and by
the tests that compute the one-process reference: an 8-16-4 MLP on 50 random examples,
global batch 12 (divisible by 1, 2 and 3 ranks; the last batch has 2 real rows of 12)."""
import numpy as np

import jitnet.numpy as jnp
from jitnet import layers, losses, models, nn, optim, train

BATCH, EPOCHS, N = 12, 2, 50


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 8)).astype(np.float32)
    y = rng.integers(0, 4, N).astype(np.int32)
    return x, y


def keras_model(width=16):
    m = models.Sequential([layers.Input((8,)), layers.Dense(width, activation="tanh"),
                           layers.Dense(4)])
    m.compile(optimizer=optim.get("adam", learning_rate=0.05),
              loss=losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"], seed=0)
    return m


def fit(model, *, shuffle=True, strategy=None, epochs=EPOCHS, **kwargs):
    x, y = data()
    return model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=shuffle,
                     validation_data=(x[:20], y[:20]), verbose=0, strategy=strategy, **kwargs)


def loss_fn(params, batch, mask):
    x, y = batch
    logits = jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]
    nll = -jnp.take_along_axis(nn.log_softmax(logits), y[:, None], 1)[:, 0]
    n = jnp.maximum(jnp.sum(mask), 1.0)
    return jnp.sum(nll * mask) / n, {"acc": jnp.sum((jnp.argmax(logits, 1) == y) * mask) / n}


def run_trainer(strategy=None):
    rng = np.random.default_rng(1)
    params = {"w1": rng.normal(0, 0.3, (8, 16)).astype(np.float32),
              "b1": np.zeros(16, np.float32),
              "w2": rng.normal(0, 0.3, (16, 4)).astype(np.float32),
              "b2": np.zeros(4, np.float32)}
    x, y = data()
    t = train.Trainer(max_epochs=EPOCHS, optimizer=optim.sgd(0.1, momentum=0.9), seed=3,
                      batch_size=BATCH, verbose=0, strategy=strategy)
    params = t.fit(loss_fn, params, (x, y), val_data=(x[:20], y[:20]))
    return params, t.history.history


def leaves(tree):
    from jitnet.tree_util import tree_leaves
    return [np.asarray(a) for a in tree_leaves(tree)]

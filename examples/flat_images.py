"""Shared by the search examples (optuna_search.py, pbt.py): the bundled image dataset as
flat float vectors in [0, 1], with a 20% validation split."""
import numpy as np

from jitnet.data import load_image_classification, validation_split


def load_flat(samples: int):
    """(name, (x_train, y_train), (x_val, y_val), (x_test, y_test)), at most ``samples``
    training images."""
    name, (x, y), (x_test, y_test) = load_image_classification()
    x = x[:samples].reshape(min(len(x), samples), -1).astype(np.float32) / 255.0
    y = y[:samples]
    x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0
    print(f"{name}: {len(x)} training samples of {x.shape[1]} features")
    train, val = validation_split((x, y), 0.2)
    return name, train, val, (x_test, y_test)

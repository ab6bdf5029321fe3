"""Keras-style layers and models that are pytrees: ``jit``, ``grad`` and ``vmap`` apply to them.

    model = layers.Sequential([layers.Input((784,)), layers.Dense(64, activation="relu"),
                               layers.Dense(10)])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=128)
"""
from .module import Context, Layer, combine, count_params, partition  # noqa: F401
from .core import Activation, Dense, Dropout, Flatten, Identity, Lambda, Reshape  # noqa: F401
from .merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply,  # noqa: F401
                    Subtract)
from .functional import Input, KerasTensor  # noqa: F401
from .model import Model, Sequential  # noqa: F401

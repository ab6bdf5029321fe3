"""Keras's ``keras.models``: ``Model`` (functional graphs and subclassing) and
``Sequential`` with the training API, and ``save_model``/``load_model``.

    from jitnet import layers, models
    model = models.Sequential([layers.Input((784,)), layers.Dense(64, activation="relu"),
                               layers.Dense(10)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, batch_size=128)
    model.save("ckpt"); again = models.load_model("ckpt")

This package sits above ``jitnet.train`` as Keras 3's models sit above its trainer: a model
is a layer plus the trainer, while layers (``Input`` and the graph included) know nothing of
training, and ``train`` takes any layer. ``register_keras_serializable`` names a user's layer
class in saved files so that ``load_model`` finds it without ``custom_objects=``.
"""
from ..layers.serialization import get_registered_object, register_keras_serializable  # noqa: F401
from .model import Model, Sequential  # noqa: F401
from .saving import load_model, save_model  # noqa: F401

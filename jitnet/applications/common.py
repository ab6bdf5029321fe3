"""What every architecture of the zoo shares: Keras's ``weights=`` / ``include_top`` /
``pooling`` arguments and the classification head."""
from __future__ import annotations

import numpy as np

from .. import layers


def check_shape(fn: str, input_shape, default, min_size: int = 1) -> tuple:
    """``input_shape`` (default ``default``) as a tuple, checked against ``min_size``."""
    shape = tuple(default if input_shape is None else input_shape)
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(f"{fn}: input_shape must be (height, width, channels), got "
                         f"{input_shape!r}")
    if min(shape[:2]) < min_size:
        raise ValueError(f"{fn}: input_shape {shape} is too small: height and width must be "
                         f"at least {min_size}")
    return shape


def check_args(fn: str, weights, include_top: bool, pooling) -> None:
    """Reject what cannot work before building: downloads, unknown pooling."""
    if weights is not None and not isinstance(weights, str):
        raise ValueError(f"{fn}: weights must be None or the path of a checkpoint, got "
                         f"{weights!r}")
    if weights == "imagenet":
        raise ValueError(f"{fn}: pretrained weights cannot be downloaded here; build with "
                         "weights=None, train (docs/APPLICATIONS.md) and pass the "
                         "checkpoint's path as weights=")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{fn}: pooling must be None, 'avg' or 'max', got {pooling!r}")


def classifier(x, include_top: bool, pooling, classes: int, classifier_activation, fn: str):
    """Keras's head: global average pooling and ``Dense(classes)`` named ``predictions``,
    or without the top the optional global pooling."""
    if include_top:
        if not isinstance(classes, int) or classes < 1:
            raise ValueError(f"{fn}: classes must be a positive int, got {classes!r}")
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def finish(model, weights):
    """Build the model (fresh weights from ``PRNGKey(0)``) and load ``weights`` if given."""
    from .. import ShapeDtypeStruct, random
    specs = [ShapeDtypeStruct(tuple(1 if d is None else d for d in shape), np.dtype(dtype))
             for shape, dtype in model.input_specs()]
    model.init(random.PRNGKey(0), *specs)
    if weights is not None:
        model.load_weights(weights)
    return model

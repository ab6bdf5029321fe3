"""MobileNet (v1, Howard et al. 2017) with Keras's arguments, layer names and layout:
depthwise 3x3 + pointwise 1x1 blocks, BatchNormalization and ReLU6, width ``alpha``."""
from __future__ import annotations

from .. import layers, models
from .common import check_args, check_shape, finish

# (pointwise filters, stride) of the 13 depthwise-separable blocks
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
          (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _conv_block(x, filters, strides):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, strides=strides,
                      name="conv1")(x)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    return layers.Activation("relu6", name="conv1_relu")(x)


def depthwise_block(x, filters: int, depth_multiplier: int, strides: int, block_id: int):
    """Depthwise 3x3 (stride ``strides``), then pointwise 1x1 to ``filters`` channels."""
    if strides == 1:
        padding = "same"
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(3, padding=padding, depth_multiplier=depth_multiplier,
                               strides=strides, use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(name=f"conv_dw_{block_id}_bn")(x)
    x = layers.Activation("relu6", name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(name=f"conv_pw_{block_id}_bn")(x)
    return layers.Activation("relu6", name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights=None, pooling=None, classes=1000, classifier_activation="softmax",
              name=None):
    """Keras's ``MobileNet``: ``alpha`` scales every layer's width (``int(filters *
    alpha)``), ``depth_multiplier`` the depthwise convolutions'. Inputs of at least 32x32
    (five stride-2 stages)."""
    fn = "MobileNet"
    check_args(fn, weights, include_top, pooling)
    if not alpha > 0 or not isinstance(depth_multiplier, int) or depth_multiplier < 1:
        raise ValueError(f"{fn}: alpha must be > 0 and depth_multiplier a positive int, got "
                         f"alpha={alpha!r}, depth_multiplier={depth_multiplier!r}")
    shape = check_shape(fn, input_shape, (224, 224, 3), min_size=32)
    inputs = layers.Input(shape)
    x = _conv_block(inputs, int(32 * alpha), 2)
    for i, (filters, strides) in enumerate(BLOCKS):
        x = depthwise_block(x, int(filters * alpha), depth_multiplier, strides, i + 1)
    if include_top:
        if not isinstance(classes, int) or classes < 1:
            raise ValueError(f"{fn}: classes must be a positive int, got {classes!r}")
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    name = name or f"mobilenet_{alpha:0.2f}_{shape[0]}"
    return finish(models.Model(inputs, x, name=name), weights)

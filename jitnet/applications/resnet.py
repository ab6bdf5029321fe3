"""ResNet-18 and ResNet-34 (He et al. 2015, basic blocks), Keras's naming scheme.

Convolutions have no bias (BatchNormalization follows each), strided 3x3 convolutions pad
one pixel on every side, and the projection shortcut is a strided 1x1 convolution: the
layout of the original paper and of torchvision, so the trainable parameter counts are
torchvision's (11,689,512 and 21,797,672 with 1000 classes). Layers are named as Keras's
ResNet50: ``conv1_conv``, ``conv2_block1_1_conv``, ``conv3_block1_0_conv`` (shortcut), ...
"""
from __future__ import annotations

from .. import layers, models
from .common import check_args, check_shape, classifier, finish

BN_EPSILON = 1.001e-5     # Keras's ResNets


def _conv_bn(x, filters, kernel, stride, name, relu=True):
    if stride > 1 and kernel > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=name + "_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False,
                      name=name + "_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=name + "_bn")(x)
    return layers.Activation("relu", name=name + "_relu")(x) if relu else x


def basic_block(x, filters: int, stride: int, name: str):
    """Two 3x3 convolutions and the identity (or a 1x1 projection when the shape changes)."""
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(x, filters, 1, stride, name + "_0", relu=False)
    else:
        shortcut = x
    y = _conv_bn(x, filters, 3, stride, name + "_1")
    y = _conv_bn(y, filters, 3, 1, name + "_2", relu=False)
    y = layers.Add(name=name + "_add")([shortcut, y])
    return layers.Activation("relu", name=name + "_out")(y)


def ResNet(block_counts, filters=(64, 128, 256, 512), include_top=True, weights=None,
           input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
           name="resnet"):
    """A ResNet of basic blocks: ``block_counts[i]`` blocks of ``filters[i]`` channels in
    stage ``i + 2`` (stages after the first halve the resolution). The stem is a 7x7/2
    convolution and a 3x3/2 max pooling, as in ResNet-18/34."""
    fn = name
    check_args(fn, weights, include_top, pooling)
    if len(block_counts) != len(filters) or not all(
            isinstance(n, int) and n > 0 for n in block_counts):
        raise ValueError(f"{fn}: block_counts {block_counts!r} must be positive ints, one per "
                         f"entry of filters {filters!r}")
    shape = check_shape(fn, input_shape, (224, 224, 3), min_size=2 ** (len(filters) + 1))
    inputs = layers.Input(shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(filters[0], 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (n, f) in enumerate(zip(block_counts, filters)):
        for b in range(n):
            stride = 2 if stage > 0 and b == 0 else 1
            x = basic_block(x, f, stride, f"conv{stage + 2}_block{b + 1}")
    x = classifier(x, include_top, pooling, classes, classifier_activation, fn)
    return finish(models.Model(inputs, x, name=name), weights)


def ResNet18(include_top=True, weights=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet18"):
    """ResNet-18: two basic blocks per stage."""
    return ResNet((2, 2, 2, 2), include_top=include_top, weights=weights,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name)


def ResNet34(include_top=True, weights=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet34"):
    """ResNet-34: 3, 4, 6 and 3 basic blocks per stage."""
    return ResNet((3, 4, 6, 3), include_top=include_top, weights=weights,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name)

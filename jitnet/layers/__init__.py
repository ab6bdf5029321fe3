"""Keras-style layers that are pytrees: ``jit``, ``grad`` and ``vmap`` apply to them.

    x = layers.Input((784,))
    y = layers.Dense(10)(layers.Dense(64, activation="relu")(x))
    model = jitnet.models.Model(x, y)       # Model, Sequential, load_model: jitnet.models

Layers know nothing of training: ``jitnet.models`` (above ``jitnet.train``) holds ``Model``
and ``Sequential`` with ``compile``/``fit``, and ``save_model``/``load_model``.

A custom layer creates its weights in ``build`` (shapes known from the first input) and
computes in ``call``; it is a pytree, so ``grad``/``jit``/``vmap`` take it as is:

    class Scale(layers.Layer):
        def build(self, input_shape):
            self.add_weight("scale", (input_shape[-1],), "ones")

        def call(self, x):
            return x * self.scale

    layer = Scale().init(jax.random.PRNGKey(0), x)      # build from a sample input
    grads = jax.grad(lambda m: jnp.sum(m(x) ** 2))(layer)   # a Scale holding d/d(scale)

``call`` may take ``training`` or ``ctx`` (``ctx.next_key(...)`` for randomness,
``ctx.set_state(self, name=value)`` for non-trainable weights); see docs/LAYERS.md.
"""
from .module import Context, Layer, combine, count_params, partition  # noqa: F401
from .core import Activation, Dense, Dropout, Flatten, Identity, Lambda, Reshape  # noqa: F401
from .merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply,  # noqa: F401
                    Subtract)
from .conv import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose,  # noqa: F401
                   DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D)
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,  # noqa: F401
                      GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAvgPool1D,
                      GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from .normalization import BatchNormalization, LayerNormalization  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN  # noqa: F401
from .attention import MultiHeadAttention  # noqa: F401
from .reshaping import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D,  # noqa: F401
                        ZeroPadding1D, ZeroPadding2D)
from .wrappers import TimeDistributed  # noqa: F401
from .functional import Input, KerasTensor  # noqa: F401
from .transfer import LoadReport, layer_groups, named_layers, param_labels  # noqa: F401

_MOVED = ("Model", "Sequential", "load_model")


def __getattr__(name):
    """Names that moved up to ``jitnet.models`` (above ``jitnet.train``): a message, not an
    import from above."""
    if name in _MOVED:
        raise AttributeError(f"jitnet.layers.{name} moved to jitnet.models.{name} (Keras's "
                             f"keras.models): write `from jitnet import models` and "
                             f"models.{name}")
    raise AttributeError(f"module 'jitnet.layers' has no attribute {name!r}")

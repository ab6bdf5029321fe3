"""``jitnet.applications``: ready-made architectures with Keras's names and arguments.

    model = applications.ResNet18(input_shape=(32, 32, 3), classes=10,
                                  classifier_activation=None)

Weights cannot be downloaded: every constructor takes ``weights=None`` (fresh weights) or
the path of a checkpoint written by ``model.save`` / ``ModelCheckpoint`` (loaded by layer
name). Training recipes: docs/APPLICATIONS.md and examples/applications.py.
"""
from .resnet import ResNet, ResNet18, ResNet34  # noqa: F401
from .mobilenet import MobileNet  # noqa: F401
from .vit import AddPositionEmbedding, VisionTransformer  # noqa: F401
from .text import LSTMLanguageModel  # noqa: F401
from .vae import VAE, VAELoss  # noqa: F401


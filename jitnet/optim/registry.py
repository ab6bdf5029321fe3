"""``optim.get``: an optimizer from its name, for Keras-style ``compile(optimizer="adam")``."""
from __future__ import annotations

from jitnet.core.source_info import user_line

from . import aliases
from .base import GradientTransformation
from .wrappers import MultiSteps, inject_hyperparams

# name -> (factory, Keras's default learning rate)
OPTIMIZERS = {
    "sgd": (aliases.sgd, 1e-2),
    "adam": (aliases.adam, 1e-3),
    "adamw": (aliases.adamw, 1e-3),
    "nadam": (aliases.nadam, 1e-3),
    "amsgrad": (aliases.amsgrad, 1e-3),
    "adamax": (aliases.adamax, 1e-3),
    "adabelief": (aliases.adabelief, 1e-3),
    "adadelta": (aliases.adadelta, 1e-3),
    "adafactor": (aliases.adafactor, 1e-3),
    "radam": (aliases.radam, 1e-3),
    "yogi": (aliases.yogi, 1e-3),
    "rmsprop": (aliases.rmsprop, 1e-3),
    "adagrad": (aliases.adagrad, 1e-3),
    "lamb": (aliases.lamb, 1e-3),
    "lion": (aliases.lion, 1e-4),
}

# arguments that decide shapes or structure, so they cannot become traced hyperparameters
STATIC_ARGS = {"adafactor": ("min_dim_size_to_factor",)}


def get(identifier, learning_rate=None) -> GradientTransformation:
    """The optimizer named ``identifier`` (case-insensitive), wrapped with
    ``inject_hyperparams`` so its learning rate can be read and set in the state.

    ``learning_rate`` defaults to Keras's default for that optimizer. A GradientTransformation
    (or a MultiSteps) is returned as it is.
    """
    if isinstance(identifier, GradientTransformation):
        return identifier
    if isinstance(identifier, MultiSteps):
        return identifier.gradient_transformation()
    if not isinstance(identifier, str):
        raise TypeError(f"optim.get: expected an optimizer name or a GradientTransformation, "
                        f"got {type(identifier).__name__}{user_line()}")
    key = identifier.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"optim.get: unknown optimizer {identifier!r}; known names: "
                         f"{', '.join(sorted(OPTIMIZERS))}{user_line()}")
    factory, lr = OPTIMIZERS[key]
    if learning_rate is not None:   # an int would make the injected rate an int32 array
        lr = learning_rate if callable(learning_rate) else float(learning_rate)
    return inject_hyperparams(factory, static_args=STATIC_ARGS.get(key, ()))(learning_rate=lr)

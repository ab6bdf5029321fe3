"""Training at two of the three levels: Keras's ``model.fit`` (see ``jitnet.models.Model``)
and a Lightning-style ``Trainer`` for any pytree of parameters. Both run one compiled step
per batch through the same ``Engine``; the third level is ``jit``/``grad`` by hand, with
the pure step builders of ``jitnet.train.step``."""
from .callbacks import (Callback, CallbackList, CSVLogger, EarlyStopping, History,  # noqa: F401
                        LambdaCallback, LearningRateScheduler, OneCycle, ReduceLROnPlateau,
                        TerminateOnNaN)
from . import loggers  # noqa: F401
from .loggers import TensorBoard  # noqa: F401
from .checkpointing import ModelCheckpoint  # noqa: F401
from .loop import Engine, Trainer  # noqa: F401
from .finetune import discriminative, even_mults, fine_tune  # noqa: F401
from .lr_find import LRFinderResult, lr_find  # noqa: F401
from .population import Population, PopulationEarlyStopping  # noqa: F401
from .progress import ProgbarLogger  # noqa: F401
from .pruning import OptunaPruningCallback  # noqa: F401
from .step import TrainState, build_eval_step, build_train_step, weighted_mean  # noqa: F401

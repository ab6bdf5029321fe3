"""Optimizers as ``(init, update)`` pairs of pure functions over pytrees, with Optax's names.

``state = opt.init(params)``; ``updates, state = opt.update(grads, state, params)``;
``params = apply_updates(params, updates)``. See docs/OPTIM.md.
"""
from .base import (EmptyState, GradientTransformation, OptState, Params, Schedule,  # noqa: F401
                   ScalarOrSchedule, Updates, apply_updates, chain, identity, safe_increment,
                   set_to_zero, stateless)
from .transforms import (AddDecayedWeightsState, EmaState, ScaleByAdaDeltaState,  # noqa: F401
                         ScaleByAdamState, ScaleByAmsgradState, ScaleByBeliefState,
                         ScaleByLionState, ScaleByNovogradState, ScaleByRmsState,
                         ScaleByRssState, ScaleByRStdDevState, ScaleByScheduleState,
                         ScaleByTrustRatioState, ScaleState, TraceState,
                         WeightDecayScheduleState, add_decayed_weights, ema, scale,
                         scale_by_adadelta, scale_by_adam, scale_by_adamax, scale_by_amsgrad,
                         scale_by_belief, scale_by_learning_rate, scale_by_lion,
                         scale_by_novograd, scale_by_param_block_rms, scale_by_radam,
                         scale_by_rms, scale_by_rss, scale_by_schedule, scale_by_sign,
                         scale_by_stddev, scale_by_trust_ratio, scale_by_yogi, trace)
from .clipping import (ClipByGlobalNormState, ClipState, ZeroNansState, clip,  # noqa: F401
                       clip_by_block_rms, clip_by_global_norm, global_norm, zero_nans)
from .factorized import FactoredState, scale_by_factored_rms  # noqa: F401
from .aliases import (adabelief, adadelta, adafactor, adagrad, adam, adamax,  # noqa: F401
                      adamaxw, adamw, amsgrad, fromage, lamb, lars, lion, nadam, nadamw,
                      novograd, radam, rmsprop, sgd, sign_sgd, yogi)
from .schedules import (constant, constant_schedule, cosine_decay,  # noqa: F401
                        cosine_decay_schedule, cosine_onecycle_schedule, exponential_decay,
                        join_schedules, linear, linear_onecycle_schedule, linear_schedule,
                        one_cycle, piecewise_constant, piecewise_constant_schedule,
                        piecewise_interpolate_schedule, polynomial, polynomial_schedule,
                        sgdr_schedule, warmup_cosine_decay, warmup_cosine_decay_schedule,
                        warmup_exponential_decay, warmup_exponential_decay_schedule)
from .wrappers import (ApplyIfFiniteState, InjectHyperparamsState, MaskedNode,  # noqa: F401
                       MaskedState, MultiSteps, MultiStepsState, MultiTransformState,
                       apply_if_finite, get_hyperparam, inject_hyperparams, masked,
                       multi_transform, set_hyperparam)
from .loss_scale import (LossScaleOptimizer, LossScaleState, LossScaleTransformation,  # noqa: F401
                         loss_scale)
from .registry import get  # noqa: F401

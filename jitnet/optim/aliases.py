"""The usual optimizers, each a ``chain`` of transformations with Optax's arguments and
defaults. ``learning_rate`` is a number or a schedule (a function of the step count)."""
from __future__ import annotations

import jitnet.numpy as jnp

from .base import GradientTransformation, ScalarOrSchedule, chain, identity
from .factorized import scale_by_factored_rms
from .clipping import clip_by_block_rms
from .transforms import (add_decayed_weights, ema, scale, scale_by_adadelta, scale_by_adam,
                         scale_by_adamax, scale_by_amsgrad, scale_by_belief,
                         scale_by_learning_rate, scale_by_lion, scale_by_novograd,
                         scale_by_param_block_rms,
                         scale_by_radam, scale_by_rms, scale_by_rss, scale_by_sign,
                         scale_by_stddev, scale_by_trust_ratio, scale_by_yogi, trace)
from .wrappers import masked


def sgd(learning_rate: ScalarOrSchedule, momentum=None, nesterov: bool = False,
        accumulator_dtype=None) -> GradientTransformation:
    """Stochastic gradient descent, with (Nesterov) momentum when ``momentum`` is given."""
    return chain(trace(momentum, nesterov, accumulator_dtype) if momentum is not None
                 else identity(),
                 scale_by_learning_rate(learning_rate))


def adam(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
         mu_dtype=None, *, nesterov: bool = False) -> GradientTransformation:
    """Adam (Kingma & Ba, 2014)."""
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def nadam(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
          mu_dtype=None) -> GradientTransformation:
    """NAdam (Dozat, 2016): Adam with Nesterov momentum."""
    return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=True)


def adamw(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
          mu_dtype=None, weight_decay=1e-4, mask=None, *,
          nesterov: bool = False) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019); ``mask`` selects the
    decayed leaves (a pytree of bools or a function of the params)."""
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def nadamw(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
           mu_dtype=None, weight_decay=1e-4, mask=None) -> GradientTransformation:
    """AdamW with Nesterov momentum."""
    return adamw(learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay, mask,
                 nesterov=True)


def amsgrad(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
            mu_dtype=None) -> GradientTransformation:
    """AMSGrad (Reddi et al., 2018)."""
    return chain(scale_by_amsgrad(b1, b2, eps, eps_root, mu_dtype),
                 scale_by_learning_rate(learning_rate))


def adamax(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999,
           eps=1e-8) -> GradientTransformation:
    """AdaMax, Adam's infinity-norm variant (Kingma & Ba, 2014, section 7)."""
    return chain(scale_by_adamax(b1, b2, eps), scale_by_learning_rate(learning_rate))


def adamaxw(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4,
            mask=None) -> GradientTransformation:
    """AdaMax with decoupled weight decay."""
    return chain(scale_by_adamax(b1, b2, eps), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def adabelief(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-16,
              eps_root=1e-16) -> GradientTransformation:
    """AdaBelief (Zhuang et al., 2020)."""
    return chain(scale_by_belief(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def radam(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
          threshold=5.0, *, nesterov: bool = False) -> GradientTransformation:
    """Rectified Adam (Liu et al., 2020)."""
    return chain(scale_by_radam(b1, b2, eps, eps_root, threshold, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def yogi(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-3) -> GradientTransformation:
    """Yogi (Zaheer et al., 2018)."""
    return chain(scale_by_yogi(b1, b2, eps), scale_by_learning_rate(learning_rate))


def adadelta(learning_rate: ScalarOrSchedule, rho=0.9, eps=1e-6, weight_decay=0.0,
             weight_decay_mask=None) -> GradientTransformation:
    """Adadelta (Zeiler, 2012), with optional weight decay added to the gradient first."""
    return chain(add_decayed_weights(weight_decay, weight_decay_mask),
                 scale_by_adadelta(rho, eps), scale_by_learning_rate(learning_rate))


def novograd(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.25, eps=1e-6, eps_root=0.0,
             weight_decay=0.0) -> GradientTransformation:
    """NovoGrad (Ginsburg et al., 2019): layer-wise second moments."""
    return chain(scale_by_novograd(b1, b2, eps, eps_root, weight_decay),
                 scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: ScalarOrSchedule, decay=0.9, eps=1e-8, initial_scale=0.0,
            eps_in_sqrt: bool = True, centered: bool = False, momentum=None,
            nesterov: bool = False) -> GradientTransformation:
    """RMSProp (Hinton); ``centered`` divides by the gradient's standard deviation instead of
    its root mean square; ``momentum`` applies after the learning rate, as in Optax."""
    scaling = scale_by_stddev if centered else scale_by_rms
    return chain(scaling(decay, eps, initial_scale, eps_in_sqrt),
                 scale_by_learning_rate(learning_rate),
                 trace(momentum, nesterov) if momentum is not None else identity())


def adagrad(learning_rate: ScalarOrSchedule, initial_accumulator_value=0.1,
            eps=1e-7) -> GradientTransformation:
    """Adagrad (Duchi et al., 2011)."""
    return chain(scale_by_rss(initial_accumulator_value, eps),
                 scale_by_learning_rate(learning_rate))


def lamb(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.999, eps=1e-6, eps_root=0.0,
         weight_decay=0.0, mask=None) -> GradientTransformation:
    """LAMB (You et al., 2019): AdamW's step rescaled per leaf by ``|param| / |step|``."""
    return chain(scale_by_adam(b1, b2, eps, eps_root),
                 add_decayed_weights(weight_decay, mask),
                 scale_by_trust_ratio(),
                 scale_by_learning_rate(learning_rate))


def lion(learning_rate: ScalarOrSchedule, b1=0.9, b2=0.99, mu_dtype=None, weight_decay=1e-3,
         mask=None) -> GradientTransformation:
    """Lion (Chen et al., 2023): sign of interpolated momentum, with decoupled weight decay."""
    return chain(scale_by_lion(b1, b2, mu_dtype), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def sign_sgd(learning_rate: ScalarOrSchedule) -> GradientTransformation:
    """SGD on the signs of the gradient components (Bernstein et al., 2018)."""
    return chain(scale_by_sign(), scale_by_learning_rate(learning_rate))


def fromage(learning_rate: ScalarOrSchedule, min_norm=1e-6) -> GradientTransformation:
    """Fromage (Bernstein et al., 2020): ``p <- (p - lr |p| / |g| g) / sqrt(1 + lr^2)`` per
    leaf, a step relative to each layer's norm that keeps the norms from growing."""
    if callable(learning_rate):
        mult = lambda count: 1 / jnp.sqrt(1 + learning_rate(count) ** 2)  # noqa: E731
        return chain(scale_by_trust_ratio(min_norm),
                     scale_by_learning_rate(lambda count: mult(count) * learning_rate(count)),
                     add_decayed_weights(lambda count: mult(count) - 1))
    mult = 1 / jnp.sqrt(1 + jnp.asarray(learning_rate) ** 2)
    return chain(scale_by_trust_ratio(min_norm), scale_by_learning_rate(learning_rate * mult),
                 add_decayed_weights(mult - 1))


def lars(learning_rate: ScalarOrSchedule, weight_decay=0.0, weight_decay_mask=True,
         trust_coefficient=0.001, eps=0.0, trust_ratio_mask=True, momentum=0.9,
         nesterov: bool = False) -> GradientTransformation:
    """LARS (You et al., 2017): SGD with momentum on trust-ratio-scaled, decayed gradients."""
    return chain(masked(add_decayed_weights(weight_decay), weight_decay_mask),
                 masked(scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps),
                        trust_ratio_mask),
                 scale_by_learning_rate(learning_rate),
                 trace(momentum, nesterov))


def adafactor(learning_rate: ScalarOrSchedule = None, min_dim_size_to_factor: int = 128,
              decay_rate=0.8, decay_offset=0, multiply_by_parameter_scale: bool = True,
              clipping_threshold=1.0, momentum=None, dtype_momentum=jnp.float32,
              weight_decay_rate=None, eps=1e-30, factored: bool = True,
              weight_decay_mask=None) -> GradientTransformation:
    """Adafactor (Shazeer & Stern, 2018): factored second moments, update clipping and steps
    relative to each parameter's scale. ``learning_rate=None`` means a rate of 1 (the relative
    step of ``multiply_by_parameter_scale`` sets the size)."""
    parts = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor,
                                   eps)]
    if clipping_threshold is not None:
        parts.append(clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        parts.append(scale_by_learning_rate(learning_rate, flip_sign=False))
    if multiply_by_parameter_scale:
        parts.append(scale_by_param_block_rms())
    if momentum is not None:
        parts.append(ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        parts.append(add_decayed_weights(weight_decay_rate, weight_decay_mask))
    return chain(*parts, scale(-1))

"""FastAI's ``fine_tune`` and discriminative learning rates for ``jitnet.layers`` models.

Discriminative rates are a per-group factor applied after the compiled optimizer
(``chain(optimizer, multi_transform({group: scale(lr_g / lr_max)}))``): the optimizer's
injected learning rate stays the one hyperparameter that schedules (``OneCycle``) set, and
every group's update is that rate times its factor -- also for Adam, whose update does not
depend on the gradients' scale. Groups are ``jitnet.layers.transfer.layer_groups``.
"""
from __future__ import annotations

from .. import optim
from ..layers.transfer import layer_groups, named_layers, param_labels
from .callbacks import History, OneCycle


def even_mults(lo: float, hi: float, n: int) -> list:
    """``n`` rates spaced geometrically from ``lo`` to ``hi`` (FastAI's ``slice(lo, hi)``)."""
    if n == 1:
        return [float(hi)]
    return [float(lo * (hi / lo) ** (i / (n - 1))) for i in range(n)]


def discriminative(model, lrs, groups=None) -> optim.GradientTransformation:
    """Scale the updates of parameter group ``i`` by ``lrs[i] / max(lrs)``; chain it after
    an optimizer whose learning rate is ``max(lrs)`` to train group ``i`` at ``lrs[i]``.
    Weights outside every group keep the full rate."""
    gs = layer_groups(model, groups)
    lrs = [float(v) for v in lrs]
    if len(lrs) != len(gs):
        raise ValueError(f"discriminative: {len(lrs)} learning rates for {len(gs)} parameter "
                         f"groups of {model.label}")
    if min(lrs) <= 0:
        raise ValueError(f"discriminative: learning rates must be positive, got {lrs}")
    path_of = {id(l): p for p, l in named_layers(model).items()}
    prefixes = [(path_of[id(l)], i) for i, g in enumerate(gs) for l in g]

    def group_of(path, weight):
        best = None
        for prefix, i in prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, i)
        return "rest" if best is None else f"group{best[1]}"

    top = max(lrs)
    transforms = {f"group{i}": optim.scale(lr / top) for i, lr in enumerate(lrs)}
    transforms["rest"] = optim.identity()
    return optim.multi_transform(transforms, param_labels(group_of))


def _recompile(model, t, optimizer) -> None:
    model.compile(optimizer=optimizer, loss=t["loss"], metrics=t["metrics"], seed=t["seed"])


def fine_tune(model, x=None, y=None, *, epochs=1, base_lr=2e-3, freeze_epochs=1,
              lr_mult=100.0, pct_start=0.3, div=5.0, groups=None, callbacks=None,
              **fit_kwargs) -> History:
    """FastAI's ``fine_tune`` on a compiled model (its optimizer, loss and metrics).

    1. ``freeze()`` (only the last group, the head, trains; frozen BatchNorm layers run in
       inference mode, as in Keras) and ``freeze_epochs`` of one cycle at ``base_lr``
       (``pct_start=0.99``);
    2. ``unfreeze()`` and ``epochs`` of one cycle at ``base_lr / 2`` for the head, with the
       groups' rates spaced geometrically down to ``base_lr / 2 / lr_mult`` for the first
       group (``div``: the cycle's starting divisor).

    The optimizer must have an injected learning rate (``optim.get``, the names ``compile``
    takes). Returns one ``History`` over both phases; the model stays compiled with the
    phase-2 optimizer."""
    from .keras import _training
    t = _training(model)
    base_opt = t["optimizer"]
    fit_kwargs.setdefault("verbose", 0)
    histories = []
    if freeze_epochs > 0:
        model.freeze(groups)
        _recompile(model, t, base_opt)
        histories.append(model.fit(x, y, epochs=freeze_epochs, callbacks=[
            OneCycle(base_lr, pct_start=0.99), *(callbacks or [])], **fit_kwargs))
    lr = base_lr / 2
    model.unfreeze()
    n = len(layer_groups(model, groups))
    _recompile(model, t, optim.chain(base_opt, discriminative(
        model, even_mults(lr / lr_mult, lr, n), groups)))
    histories.append(model.fit(x, y, epochs=epochs, callbacks=[
        OneCycle(lr, pct_start=pct_start, div_factor=div), *(callbacks or [])], **fit_kwargs))
    merged = History()
    offset = 0
    for h in histories:
        merged.epoch += [e + offset for e in h.epoch]
        for k, v in h.history.items():
            merged.history.setdefault(k, []).extend(v)
        offset += len(h.epoch)
    merged.model = model
    model.history = merged
    return merged


__all__ = ["fine_tune", "discriminative", "even_mults"]

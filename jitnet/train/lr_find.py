"""FastAI's learning-rate finder: train briefly with an exponentially growing learning rate,
record the smoothed loss, suggest the rate where it falls fastest. Weights are restored."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class LRFinderResult(NamedTuple):
    suggestion: float       # learning rate at the steepest descent of the smoothed loss
    lrs: list
    losses: list            # smoothed (debiased exponential moving average) losses


def lr_find(engine, loader, start_lr=1e-7, end_lr=10.0, num_it=100, stop_div=True,
            beta=0.98) -> LRFinderResult:
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    saved = engine.state
    fresh = engine._fresh_train
    lrs, losses, avg, best = [], [], 0.0, math.inf
    i, epoch = 0, 0
    try:
        while i < num_it:
            for batch in loader.epoch(epoch):
                lr = start_lr * (end_lr / start_lr) ** (i / max(1, num_it - 1))
                engine.learning_rate = lr
                engine.state = engine.state._replace(metric_states=fresh)
                logs = engine.run_step(batch)
                loss = float(np.asarray(logs["loss"]))
                avg = beta * avg + (1 - beta) * loss
                smooth = avg / (1 - beta ** (i + 1))
                lrs.append(lr)
                losses.append(smooth)
                best = min(best, smooth)
                i += 1
                if i >= num_it or (stop_div and (not math.isfinite(smooth) or
                                                 smooth > 4 * best)):
                    i = num_it
                    break
            epoch += 1
    finally:
        engine.state = saved
    return LRFinderResult(_steepest(lrs, losses), lrs, losses)


def _steepest(lrs, losses) -> float:
    l = np.asarray(losses, np.float64)
    ok = np.isfinite(l)
    if ok.sum() < 3:
        return float(lrs[int(np.nanargmin(np.where(ok, l, np.nan)))]) if ok.any() else lrs[0]
    x = np.log(np.asarray(lrs)[ok])
    g = np.gradient(l[ok], x)
    return float(np.exp(x[int(np.argmin(g))]))

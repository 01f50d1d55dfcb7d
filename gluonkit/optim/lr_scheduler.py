"""Learning-rate schedules evaluated per iteration, each with an optional linear warmup.

    sched = CosineScheduler(max_update=9000, base_lr=0.4, warmup_steps=500)
    lr = sched(num_update)
"""
from __future__ import annotations

import bisect
import math

__all__ = ["LRScheduler", "ConstantScheduler", "MultiStepScheduler", "StepScheduler",
           "PolyScheduler", "CosineScheduler", "SequentialScheduler"]


class LRScheduler:
    """Base: linear warmup from ``warmup_begin_lr`` to ``base_lr`` over ``warmup_steps``."""

    def __init__(self, base_lr: float = 0.01, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0.0, warmup_mode: str = "linear"):
        if warmup_mode not in ("linear", "constant"):
            raise ValueError(f"warmup_mode must be 'linear' or 'constant', got {warmup_mode!r}")
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
        self.base_lr, self.warmup_steps = base_lr, warmup_steps
        self.warmup_begin_lr, self.warmup_mode = warmup_begin_lr, warmup_mode

    def warmup(self, t: int) -> float:
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        return self.warmup_begin_lr + (self.base_lr - self.warmup_begin_lr) * t / self.warmup_steps

    def __call__(self, t: int) -> float:
        if t < self.warmup_steps:
            return self.warmup(t)
        return self.decay(t)

    def decay(self, t: int) -> float:
        """The lr after warmup; the base class holds it constant."""
        return self.base_lr


ConstantScheduler = LRScheduler


class MultiStepScheduler(LRScheduler):
    """lr = base_lr * factor^(number of milestones in ``step`` that t has reached)."""

    def __init__(self, step, factor: float = 0.1, **kw):
        super().__init__(**kw)
        self.step = sorted(int(s) for s in step)
        self.factor = factor

    def decay(self, t):
        return self.base_lr * self.factor ** bisect.bisect_right(self.step, t)


class StepScheduler(LRScheduler):
    """lr = base_lr * factor^floor(t / step): decays every ``step`` iterations (MXNet's Factor)."""

    def __init__(self, step: int, factor: float = 0.1, **kw):
        super().__init__(**kw)
        if step < 1:
            raise ValueError(f"step must be >= 1, got {step}")
        self.step, self.factor = int(step), factor

    def decay(self, t):
        return self.base_lr * self.factor ** (t // self.step)


class PolyScheduler(LRScheduler):
    """final + (base - final) * (1 - (t - warmup) / (max_update - warmup))^pwr."""

    def __init__(self, max_update: int, pwr: float = 2.0, final_lr: float = 0.0, **kw):
        super().__init__(**kw)
        self.max_update, self.pwr, self.final_lr = max_update, pwr, final_lr

    def decay(self, t):
        span = max(self.max_update - self.warmup_steps, 1)
        frac = min(max(t - self.warmup_steps, 0) / span, 1.0)
        return self.final_lr + (self.base_lr - self.final_lr) * (1 - frac) ** self.pwr


class CosineScheduler(LRScheduler):
    """final + (base - final) * (1 + cos(pi * (t - warmup) / (max_update - warmup))) / 2."""

    def __init__(self, max_update: int, final_lr: float = 0.0, **kw):
        super().__init__(**kw)
        self.max_update, self.final_lr = max_update, final_lr

    def decay(self, t):
        span = max(self.max_update - self.warmup_steps, 1)
        frac = min(max(t - self.warmup_steps, 0) / span, 1.0)
        return self.final_lr + (self.base_lr - self.final_lr) * (1 + math.cos(math.pi * frac)) / 2


class SequentialScheduler:
    """Runs schedulers one after another (GluonCV's LRSequential); each sees its local step.

    The last one keeps running past its length::

        SequentialScheduler([(LRScheduler(0.1, warmup_steps=500), 500),
                             (CosineScheduler(9500, base_lr=0.1), 9500)])
    """

    def __init__(self, parts):
        self.parts = [(s, int(n)) for s, n in parts]
        if not self.parts or any(n <= 0 for _, n in self.parts):
            raise ValueError("SequentialScheduler needs (scheduler, length > 0) pairs")
        self.bounds = []
        total = 0
        for _, n in self.parts:
            total += n
            self.bounds.append(total)

    def __call__(self, t: int) -> float:
        i = min(bisect.bisect_right(self.bounds, t), len(self.parts) - 1)
        start = self.bounds[i - 1] if i else 0
        return self.parts[i][0](t - start)

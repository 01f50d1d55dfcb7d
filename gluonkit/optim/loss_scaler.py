"""Dynamic loss scaling for float16 training (Micikevicius et al. 2018, "Mixed Precision").

The loss is multiplied by ``loss_scale`` before backward so that small float16 gradients do not
flush to zero. A step whose gradients hold inf/NaN is skipped and the scale halved; after
``scale_window`` good steps in a row the scale doubles.

    scaler = DynamicLossScaler()
    with autograd.record():
        loss = scaler.scale(loss_fn(net(x), y))     # inside record: the product is recorded
    loss.backward()
    scaler.step(trainer, batch_size)     # unscales through the Trainer's rescale_grad
"""
from __future__ import annotations

import math

from gluonkit.core.device import get_array_module

__all__ = ["DynamicLossScaler"]


class DynamicLossScaler:
    """Loss scale state: ``scale`` the loss, then ``step`` (or ``has_overflow`` + ``update``)."""

    def __init__(self, init_scale: float = 2.0 ** 15, scale_factor: float = 2.0,
                 scale_window: int = 2000, min_scale: float = 1.0):
        if init_scale <= 0 or scale_factor <= 1 or scale_window < 1 or min_scale <= 0:
            raise ValueError("need init_scale > 0, scale_factor > 1, scale_window >= 1 and "
                             f"min_scale > 0; got {init_scale}, {scale_factor}, {scale_window}, "
                             f"{min_scale}")
        self.loss_scale = float(init_scale)
        self.scale_factor, self.scale_window = float(scale_factor), int(scale_window)
        self.min_scale = float(min_scale)
        self.good_steps = 0

    def scale(self, loss):
        """The loss times ``loss_scale`` (call backward on this)."""
        return loss * self.loss_scale

    @staticmethod
    def has_overflow(params) -> bool:
        """True when any parameter's gradient holds inf or NaN (one device sync in all)."""
        total = 0.0
        for p in params:
            g = p.data().grad
            if g is not None:
                g = g.raw
                # NOTE: a sum is non-finite iff an element is (inf - inf gives NaN).
                total = total + get_array_module(g).sum(g, dtype="float32")
        return not math.isfinite(float(total))

    def update(self, overflow: bool) -> None:
        """Halve the scale after an overflow; double it after ``scale_window`` good steps."""
        if overflow:
            self.loss_scale = max(self.loss_scale / self.scale_factor, self.min_scale)
            self.good_steps = 0
            return
        self.good_steps += 1
        if self.good_steps % self.scale_window == 0:
            self.loss_scale *= self.scale_factor

    def step(self, trainer, batch_size: int) -> bool:
        """Update unless the gradients overflowed; returns whether the update ran."""
        overflow = self.has_overflow(trainer.params)
        if not overflow:
            trainer.step(batch_size * self.loss_scale)
        self.update(overflow)
        return not overflow

    def state_dict(self) -> dict:
        """JSON-able state for checkpoints."""
        return {"loss_scale": self.loss_scale, "good_steps": self.good_steps}

    def load_state_dict(self, state: dict) -> None:
        self.loss_scale, self.good_steps = float(state["loss_scale"]), int(state["good_steps"])

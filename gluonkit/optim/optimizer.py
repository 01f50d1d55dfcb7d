"""Optimizers: update rules on raw arrays, in place, following MXNet/Gluon's formulas.

Each optimizer keeps per-parameter state (momentum, moments) as raw arrays and applies
``lr * lr_mult`` and ``wd * wd_mult``. ``update`` first multiplies the gradient by
``rescale_grad`` (the Trainer sets it to 1 / batch_size) and clips it to ``clip_gradient``;
weight decay is added after clipping, as MXNet does. With ``multi_precision`` a float16
parameter is updated through a float32 master copy kept in its state.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as onp

from gluonkit.core.device import get_array_module
from gluonkit.core.dtypes import is_low_precision

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "AdamW", "RMSProp", "create"]


class Optimizer(ABC):
    """Base: subclasses list their state arrays in ``state_names`` and define ``step``."""

    state_names: tuple = ()

    def __init__(self, learning_rate: float = 0.01, wd: float = 0.0, rescale_grad: float = 1.0,
                 clip_gradient: float | None = None, lr_scheduler=None,
                 multi_precision: bool = False):
        if learning_rate < 0:
            raise ValueError(f"learning_rate must be non-negative, got {learning_rate}")
        if clip_gradient is not None and clip_gradient <= 0:
            raise ValueError(f"clip_gradient must be positive (or None), got {clip_gradient}")
        self.lr, self.wd = float(learning_rate), float(wd)
        self.rescale_grad, self.clip_gradient = rescale_grad, clip_gradient
        self.lr_scheduler = lr_scheduler
        self.multi_precision = multi_precision
        self.num_update = 0

    @property
    def learning_rate(self) -> float:
        """The lr of the next update: the scheduler's value at ``num_update`` when there is one."""
        if self.lr_scheduler is not None:
            return float(self.lr_scheduler(self.num_update))
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        if self.lr_scheduler is not None:
            raise RuntimeError("this optimizer's LR comes from its lr_scheduler; change the "
                               "scheduler instead of calling set_learning_rate")
        self.lr = float(lr)

    def create_state(self, weight) -> dict:
        """Zeroed state arrays for a raw ``weight``, plus a float32 ``master`` copy if asked."""
        xp = get_array_module(weight)
        state = {}
        if self.multi_precision and is_low_precision(weight.dtype):
            state["master"] = weight.astype(onp.float32)
        like = state.get("master", weight)
        state.update({name: xp.zeros_like(like) for name in self.state_names})
        return state

    def update(self, weight, grad, state: dict, lr_mult: float = 1.0, wd_mult: float = 1.0):
        """Update the raw ``weight`` in place from the raw ``grad``."""
        lr = self.learning_rate * lr_mult
        wd = self.wd * wd_mult
        w = state.get("master", weight)
        g = grad.astype(w.dtype)  # a copy: the step may work on it in place
        g *= w.dtype.type(self.rescale_grad)
        if self.clip_gradient is not None:
            get_array_module(g).clip(g, -self.clip_gradient, self.clip_gradient, out=g)
        self.step(w, g, state, lr, wd)
        if w is not weight:
            weight[...] = w.astype(weight.dtype)

    def update_many(self, entries: list) -> None:
        """``update(*entry)`` for each (weight, grad, state, lr_mult, wd_mult); on the GPU,
        SGD/NAG/Adam/AdamW run as one multi-tensor launch (gluonkit/cuda_kernels/multi_tensor)."""
        if entries and get_array_module(entries[0][0]) is not onp:
            from gluonkit.cuda_kernels import multi_tensor
            entries = multi_tensor.update(self, entries)
        for entry in entries:
            self.update(*entry)

    @abstractmethod
    def step(self, w, g, state: dict, lr: float, wd: float) -> None:
        """Apply one update to ``w`` in place; ``g`` is rescaled and clipped (and may be reused)."""

    def hyperparameters(self) -> dict:
        """The JSON-able settings (lr, wd, momentum, betas, ...), for checkpoints and logs."""
        return {k: v for k, v in vars(self).items()
                if isinstance(v, (int, float, bool)) and k != "num_update"}


class SGD(Optimizer):
    """MXNet's SGD: mom = momentum * mom - lr * (g + wd * w); w += mom.

    ``nesterov=True`` gives MXNet's NAG update:
    mom = momentum * mom + (g + wd * w); w -= lr * (g + wd * w + momentum * mom).
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, **kw):
        super().__init__(learning_rate, **kw)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum, self.nesterov = float(momentum), nesterov
        self.state_names = ("mom",) if momentum else ()

    def step(self, w, g, state, lr, wd):
        if wd:
            g += wd * w
        if not self.momentum:
            w -= lr * g
            return
        mom = state["mom"]
        mom *= self.momentum
        if self.nesterov:
            mom += g
            g += self.momentum * mom
            w -= lr * g
        else:
            mom -= lr * g
            w += mom


class NAG(SGD):
    """Nesterov accelerated gradient: ``SGD(momentum, nesterov=True)`` (momentum 0.9 by default)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, **kw):
        super().__init__(learning_rate, momentum=momentum, nesterov=True, **kw)


class Adam(Optimizer):
    """Kingma & Ba with bias correction, MXNet's form; ``wd`` is L2 added to the gradient.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
    """

    state_names = ("mean", "var")

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, **kw):
        super().__init__(learning_rate, **kw)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def create_state(self, weight):
        state = super().create_state(weight)
        state["t"] = 0  # per parameter, so a parameter that joins late starts its own correction
        return state

    def _direction(self, g, state):
        """Update the moments and return the bias-corrected m / (sqrt(v) + eps)."""
        state["t"] += 1
        t = state["t"]
        m, v = state["mean"], state["var"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        corr = math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        return corr * m / (get_array_module(v).sqrt(v) + self.epsilon)

    def step(self, w, g, state, lr, wd):
        if wd:
            g += wd * w
        w -= lr * self._direction(g, state)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w -= lr * (adam_dir + wd * w)."""

    def step(self, w, g, state, lr, wd):
        direction = self._direction(g, state)
        if wd:
            direction += wd * w
        w -= lr * direction


class RMSProp(Optimizer):
    """Tieleman & Hinton, MXNet's form: n = g1 n + (1 - g1) g^2;  w -= lr * g / sqrt(n + eps)."""

    state_names = ("n",)

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, epsilon: float = 1e-8,
                 **kw):
        super().__init__(learning_rate, **kw)
        self.gamma1, self.epsilon = gamma1, epsilon

    def step(self, w, g, state, lr, wd):
        if wd:
            g += wd * w
        n = state["n"]
        n *= self.gamma1
        n += (1 - self.gamma1) * g * g
        w -= lr * g / get_array_module(w).sqrt(n + self.epsilon)


_OPTIMIZERS = {"sgd": SGD, "nag": NAG, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp}


def create(name, **kwargs) -> Optimizer:
    """An optimizer by name ('sgd', 'nag', 'adam', 'adamw', 'rmsprop') or the instance itself."""
    if isinstance(name, Optimizer):
        if kwargs:
            raise ValueError("optimizer_params only apply when the optimizer is given by name")
        return name
    if not isinstance(name, str) or name.lower() not in _OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(_OPTIMIZERS)}")
    return _OPTIMIZERS[name.lower()](**kwargs)

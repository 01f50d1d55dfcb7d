"""Optimizers: update rules on raw arrays, in place, following MXNet/Gluon's formulas.

Each optimizer keeps per-parameter state (momentum, moments) as raw arrays and applies
``lr * lr_mult`` and ``wd * wd_mult``. Gradients arrive already multiplied by ``rescale_grad``
(the Trainer sets it to 1 / batch_size) and clipped to ``clip_gradient`` when set.
With ``multi_precision`` a float16 parameter is updated through a float32 master copy.
"""
from __future__ import annotations

import math

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "AdamW", "RMSProp", "create"]


class Optimizer:
    """Base: subclasses define ``create_state(weight)`` and ``step(w, g, state, lr, wd, t)``."""

    state_names: tuple = ()

    def __init__(self, learning_rate: float = 0.01, wd: float = 0.0, rescale_grad: float = 1.0,
                 clip_gradient: float | None = None, lr_scheduler=None,
                 multi_precision: bool = False):
        if learning_rate < 0:
            raise ValueError(f"learning_rate must be non-negative, got {learning_rate}")
        self.lr, self.wd = learning_rate, wd
        self.rescale_grad, self.clip_gradient = rescale_grad, clip_gradient
        self.lr_scheduler = lr_scheduler
        self.multi_precision = multi_precision
        self.num_update = 0

    @property
    def learning_rate(self) -> float:
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        if self.lr_scheduler is not None:
            raise RuntimeError("this optimizer's LR comes from its lr_scheduler; change the "
                               "scheduler instead of calling set_learning_rate")
        self.lr = lr

    def create_state(self, weight) -> dict:
        xp = _xp(weight)
        return {name: xp.zeros_like(weight) for name in self.state_names}

    def prepare_grad(self, grad):
        g = grad * grad.dtype.type(self.rescale_grad)
        if self.clip_gradient is not None:
            _xp(g).clip(g, -self.clip_gradient, self.clip_gradient, out=g)
        return g

    def update(self, weight, grad, state: dict, lr_mult: float = 1.0, wd_mult: float = 1.0):
        """Update ``weight`` in place from ``grad`` (raw arrays)."""
        lr = self.learning_rate * lr_mult
        wd = self.wd * wd_mult
        g = self.prepare_grad(grad)
        if "master" in state:
            master = state["master"]
            self.step(master, g.astype(master.dtype), state, lr, wd)
            weight[...] = master.astype(weight.dtype)
        else:
            self.step(weight, g, state, lr, wd)

    def step(self, w, g, state, lr, wd):
        raise NotImplementedError(f"{type(self).__name__} must define step")

    def hyperparameters(self) -> dict:
        return {k: v for k, v in vars(self).items() if isinstance(v, (int, float, bool))
                and k != "num_update"}


def _xp(a):
    from gluonkit.core.device import get_array_module
    return get_array_module(a)


class SGD(Optimizer):
    """mom = momentum * mom - lr * (g + wd * w); w += mom (MXNet's SGD).

    ``nesterov=True`` gives NAG: w += momentum * mom - lr * (g + wd * w).
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kw):
        super().__init__(learning_rate, **kw)
        self.momentum, self.nesterov = momentum, nesterov
        self.state_names = ("mom",) if momentum else ()

    def step(self, w, g, state, lr, wd):
        g = g + w * w.dtype.type(wd) if wd else g
        if not self.momentum:
            w -= w.dtype.type(lr) * g
            return
        mom = state["mom"]
        mom *= self.momentum
        mom -= w.dtype.type(lr) * g
        if self.nesterov:
            w += self.momentum * mom - w.dtype.type(lr) * g
        else:
            w += mom


class NAG(SGD):
    """Nesterov accelerated gradient: SGD(momentum, nesterov=True)."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.9, **kw):
        super().__init__(learning_rate, momentum=momentum, nesterov=True, **kw)


class Adam(Optimizer):
    """Kingma & Ba with bias correction; weight decay added to the gradient (L2)."""

    state_names = ("mean", "var")

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, **kw):
        super().__init__(learning_rate, **kw)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def create_state(self, weight):
        state = super().create_state(weight)
        state["t"] = 0
        return state

    def _moments(self, g, state):
        state["t"] += 1
        m, v = state["mean"], state["var"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        t = state["t"]
        return math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)

    def step(self, w, g, state, lr, wd):
        g = g + wd * w if wd else g
        corr = self._moments(g, state)
        xp = _xp(w)
        w -= (lr * corr) * state["mean"] / (xp.sqrt(state["var"]) + self.epsilon)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w -= lr * wd * w, apart."""

    def step(self, w, g, state, lr, wd):
        corr = self._moments(g, state)
        xp = _xp(w)
        w -= (lr * corr) * state["mean"] / (xp.sqrt(state["var"]) + self.epsilon) + lr * wd * w


class RMSProp(Optimizer):
    """Tieleman & Hinton: n = gamma1 * n + (1 - gamma1) g^2; w -= lr * g / sqrt(n + eps)."""

    state_names = ("n",)

    def __init__(self, learning_rate=0.001, gamma1=0.9, epsilon=1e-8, **kw):
        super().__init__(learning_rate, **kw)
        self.gamma1, self.epsilon = gamma1, epsilon

    def step(self, w, g, state, lr, wd):
        g = g + wd * w if wd else g
        n = state["n"]
        n *= self.gamma1
        n += (1 - self.gamma1) * g * g
        w -= lr * g / _xp(w).sqrt(n + self.epsilon)


_OPTIMIZERS = {"sgd": SGD, "nag": NAG, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp}


def create(name, **kwargs) -> Optimizer:
    """An optimizer by name ('sgd', 'nag', 'adam', 'adamw', 'rmsprop') or the instance itself."""
    if isinstance(name, Optimizer):
        return name
    if name.lower() not in _OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(_OPTIMIZERS)}")
    return _OPTIMIZERS[name.lower()](**kwargs)

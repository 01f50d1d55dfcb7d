"""Initializers: each fills a NumPy array in place from a seeded generator.

Gluon's names and defaults: ``Xavier(rnd_type='uniform', factor_type='avg', magnitude=3)``,
``MSRAPrelu(factor_type='avg', slope=0.25)``, ``Normal(sigma=0.01)``, ``Uniform(scale=0.07)``.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as onp

__all__ = ["Initializer", "Xavier", "MSRAPrelu", "Normal", "Uniform", "Zero", "One",
           "Constant", "KaimingNormal", "create"]


def _fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a (out, in, *kernel) weight."""
    if len(shape) < 2:
        raise ValueError(f"cannot compute fan-in/fan-out of a parameter with shape {shape}: "
                         "give 1-D parameters their own init (e.g. init=nn.init.Zero())")
    receptive = int(onp.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


class Initializer(ABC):
    """Base class: ``init(array, rng)`` fills a float64 host ``array`` in place."""

    @abstractmethod
    def __call__(self, array: onp.ndarray, rng: onp.random.Generator) -> None:
        """Fill ``array`` (float64, on the host) from the seeded generator ``rng``."""

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Zero(Initializer):
    def __call__(self, array, rng):
        array[...] = 0


class One(Initializer):
    def __call__(self, array, rng):
        array[...] = 1


class Constant(Initializer):
    def __init__(self, value: float):
        self.value = value

    def __call__(self, array, rng):
        array[...] = self.value


class Uniform(Initializer):
    def __init__(self, scale: float = 0.07):
        self.scale = scale

    def __call__(self, array, rng):
        array[...] = rng.uniform(-self.scale, self.scale, array.shape)


class Normal(Initializer):
    def __init__(self, sigma: float = 0.01):
        self.sigma = sigma

    def __call__(self, array, rng):
        array[...] = rng.normal(0.0, self.sigma, array.shape)


class Xavier(Initializer):
    """Glorot: scale sqrt(magnitude / factor) with factor = fan_in, fan_out or their mean."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3):
        if rnd_type not in ("uniform", "gaussian"):
            raise ValueError(f"rnd_type must be 'uniform' or 'gaussian', got {rnd_type!r}")
        if factor_type not in ("avg", "in", "out"):
            raise ValueError(f"factor_type must be 'avg', 'in' or 'out', got {factor_type!r}")
        self.rnd_type, self.factor_type, self.magnitude = rnd_type, factor_type, magnitude

    def __call__(self, array, rng):
        fan_in, fan_out = _fans(array.shape)
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        scale = math.sqrt(self.magnitude / factor)
        if self.rnd_type == "uniform":
            array[...] = rng.uniform(-scale, scale, array.shape)
        else:
            array[...] = rng.normal(0.0, scale, array.shape)


class MSRAPrelu(Xavier):
    """He et al. 2015: Gaussian with magnitude 2 / (1 + slope^2)."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25):
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self.slope = slope


class KaimingNormal(Xavier):
    """torchvision's ResNet init: normal with std sqrt(2 / fan_out) (mode='fan_out', relu)."""

    def __init__(self, mode: str = "fan_out"):
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"KaimingNormal mode must be 'fan_in' or 'fan_out', got {mode!r}")
        super().__init__("gaussian", mode[4:], 2.0)


def create(init) -> Initializer:
    """An Initializer from an instance or a name ('xavier', 'zeros', 'ones', ...)."""
    if isinstance(init, Initializer):
        return init
    names = {"xavier": Xavier, "msraprelu": MSRAPrelu, "normal": Normal, "uniform": Uniform,
             "zeros": Zero, "zero": Zero, "ones": One, "one": One, "kaiming": KaimingNormal}
    if isinstance(init, str) and init.lower() in names:
        return names[init.lower()]()
    raise ValueError(f"unknown initializer {init!r}; use one of {sorted(names)} or an instance")

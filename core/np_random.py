"""``gluonkit.np.random``: sampling from the device's seeded generator."""
from __future__ import annotations

import numpy

from . import random as _random
from .device import Device, current_device, on_device
from .ndarray import ndarray

seed = _random.seed


def _sample(device: Device | None, draw):
    d = device or current_device()
    with on_device(d):
        return ndarray._wrap(draw(_random.generator(d)))


def _size(size):
    return () if size is None else size


def uniform(low=0.0, high=1.0, size=None, dtype="float32", device=None) -> ndarray:
    return _sample(device, lambda g: (g.random(_size(size), dtype=numpy.float64)
                                      * (high - low) + low).astype(dtype))


def normal(loc=0.0, scale=1.0, size=None, dtype="float32", device=None) -> ndarray:
    return _sample(device, lambda g: (g.standard_normal(_size(size)) * scale + loc).astype(dtype))


def randint(low, high=None, size=None, dtype="int64", device=None) -> ndarray:
    if high is None:
        low, high = 0, low
    return _sample(device, lambda g: g.integers(low, high, size=_size(size)).astype(dtype))


def rand(*shape, device=None) -> ndarray:
    return uniform(size=shape, device=device)


def randn(*shape, device=None) -> ndarray:
    return normal(size=shape, device=device)


def permutation(x, device=None) -> ndarray:
    """A shuffled arange(x) (int x) or a shuffled copy of x along its first axis."""
    if isinstance(x, int):
        return _sample(device, lambda g: g.permutation(x))
    return x[_sample(device or x.device, lambda g: g.permutation(len(x)))]


def shuffle(x: ndarray) -> None:
    """Shuffle x in place along its first axis."""
    x._data[...] = x._data[_random.generator(x.device).permutation(len(x))]


def choice(a, size=None, replace=True, p=None, device=None) -> ndarray:
    return _sample(device, lambda g: g.choice(a, size=size, replace=replace, p=p))

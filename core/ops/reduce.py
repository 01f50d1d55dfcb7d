"""Reductions: sum, mean, max/min, prod. Tier 1 primitives (var/std are composites in np)."""
from __future__ import annotations

import math

from ..autograd import Function
from ..device import get_array_module


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim if ndim else 0 for a in axes)


def _expand(g, shape, axes, keepdims):
    """Reshape a reduced gradient so that it broadcasts against the input shape."""
    if not keepdims:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function):
    def forward(self, x):
        self.shape = x.shape
        self.axes = _normalize_axis(self.axis, x.ndim)
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        g = _expand(gy, self.shape, self.axes, self.keepdims)
        return (xp.broadcast_to(g, self.shape),)


class Mean(Function):
    def forward(self, x):
        self.shape = x.shape
        self.axes = _normalize_axis(self.axis, x.ndim)
        return x.mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        n = math.prod(self.shape[a] for a in self.axes)
        g = _expand(gy, self.shape, self.axes, self.keepdims) / n
        return (xp.broadcast_to(g, self.shape).astype(gy.dtype, copy=False),)


class _Extreme(Function):
    """max/min along axes; ties share the gradient equally."""

    reduce = None

    def forward(self, x):
        self.x = x
        self.axes = _normalize_axis(self.axis, x.ndim)
        self.y = getattr(x, self.reduce)(axis=self.axis, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        mask = self.x == self.y
        count = mask.sum(axis=self.axes, keepdims=True)
        g = _expand(gy, self.x.shape, self.axes, self.keepdims)
        return (mask * (g / count).astype(gy.dtype, copy=False),)


class Max(_Extreme):
    reduce = "max"


class Min(_Extreme):
    reduce = "min"


class Prod(Function):
    def forward(self, x):
        self.x = x
        self.axes = _normalize_axis(self.axis, x.ndim)
        self.y = x.prod(axis=self.axis, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, gy):
        # NOTE: y / x fails where x == 0; use exclusive prefix and suffix products instead.
        xp = get_array_module(gy)
        keep = [a for a in range(self.x.ndim) if a not in self.axes]
        moved = xp.transpose(self.x, keep + list(self.axes))
        flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
        inverse = [0] * self.x.ndim
        for pos, a in enumerate(keep + list(self.axes)):
            inverse[a] = pos
        g = _expand(gy, self.x.shape, self.axes, self.keepdims)
        return (g * xp.transpose(others, inverse),)


"""Differentiable rearrangements and gathers: flip, roll, repeat, tile, take, take_along_axis,
diagonal, diagflat and the triangles. Gathers scatter their gradient back with ``xp.add.at`` so
repeated indices accumulate."""
from __future__ import annotations

import math

from ..autograd import Function
from ..device import get_array_module


class Flip(Function):
    def forward(self, x):
        return get_array_module(x).flip(x, self.axis)

    def backward(self, gy):
        return (get_array_module(gy).flip(gy, self.axis),)


class Roll(Function):
    def forward(self, x):
        return get_array_module(x).roll(x, self.shift, self.axis)

    def backward(self, gy):
        back = tuple(-s for s in self.shift) if isinstance(self.shift, (tuple, list)) \
            else -self.shift
        return (get_array_module(gy).roll(gy, back, self.axis),)


class Repeat(Function):
    """``Repeat.apply(x, repeats, axis=a)``: repeats is an int or an integer array input."""

    def forward(self, x, repeats):
        xp = get_array_module(x, repeats)
        if hasattr(repeats, "tolist") and xp.__name__ == "cupy":
            repeats = repeats.tolist()  # NOTE: cupy.repeat takes ints or lists, not arrays
        self.shape, self.repeats = x.shape, repeats
        return xp.repeat(x, repeats, axis=self.axis)

    def backward(self, gy):
        # NOTE: axis None repeats the flattened x, so gy is 1-D and the owners index x.ravel().
        xp = get_array_module(gy)
        axis = 0 if self.axis is None else self.axis % len(self.shape)
        n = math.prod(self.shape) if self.axis is None else self.shape[axis]
        owner = xp.repeat(xp.arange(n), self.repeats)
        gx = xp.zeros((n,) + gy.shape[:axis] + gy.shape[axis + 1:], gy.dtype)
        xp.add.at(gx, owner, xp.moveaxis(gy, axis, 0))
        return (xp.moveaxis(gx, 0, axis).reshape(self.shape), None)


class Tile(Function):
    def forward(self, x):
        self.shape = x.shape
        return get_array_module(x).tile(x, self.reps)

    def backward(self, gy):
        reps = (1,) * (gy.ndim - len(self.reps)) + tuple(self.reps)
        src = (1,) * (gy.ndim - len(self.shape)) + tuple(self.shape)
        split = [n for pair in zip(reps, src) for n in pair]
        g = gy.reshape(split).sum(axis=tuple(range(0, 2 * gy.ndim, 2)))
        return (g.reshape(self.shape),)


class Take(Function):
    """x.take(indices, axis) (axis None: the flattened x); indices get no gradient."""

    def forward(self, x, indices):
        xp = get_array_module(x, indices)
        self.shape, self.indices = x.shape, indices
        return xp.asarray(xp.take(x, indices, axis=self.axis))

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.axis is None:
            gx = xp.zeros(math.prod(self.shape), gy.dtype)
            xp.add.at(gx, self.indices, gy)
            return (gx.reshape(self.shape), None)
        axis = self.axis % len(self.shape)
        gx = xp.zeros(self.shape, gy.dtype)
        index = (slice(None),) * axis + (self.indices,)
        xp.add.at(gx, index, gy)
        return (gx, None)


class TakeAlongAxis(Function):
    """xp.take_along_axis(x, indices, axis); indices get no gradient."""

    def forward(self, x, indices):
        xp = get_array_module(x, indices)
        self.shape, self.indices = x.shape, indices
        return xp.take_along_axis(x, indices, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        axis = self.axis % len(self.shape)
        grid = list(xp.ix_(*[xp.arange(n) for n in gy.shape]))
        grid[axis] = self.indices
        gx = xp.zeros(self.shape, gy.dtype)
        xp.add.at(gx, tuple(grid), gy)
        return (gx, None)


def _diag_index(xp, shape, offset, axis1, axis2):
    """Index arrays (rows, cols) of a diagonal of a (…, m, n) block."""
    m, n = shape[axis1], shape[axis2]
    size = max(0, min(m + min(offset, 0), n - max(offset, 0)))
    i = xp.arange(size)
    return i - min(offset, 0), i + max(offset, 0)


class Diagonal(Function):
    """The ``offset`` diagonal over (axis1, axis2), moved to the last axis (numpy.diagonal)."""

    def forward(self, x):
        self.shape = x.shape
        return get_array_module(x).diagonal(x, self.offset, self.axis1, self.axis2).copy()

    def backward(self, gy):
        xp = get_array_module(gy)
        nd = len(self.shape)
        a1, a2 = self.axis1 % nd, self.axis2 % nd
        rows, cols = _diag_index(xp, self.shape, self.offset, a1, a2)
        gx = xp.zeros(self.shape, gy.dtype)
        view = xp.moveaxis(gx, (a1, a2), (-2, -1))
        view[..., rows, cols] = gy
        return (gx,)


class DiagFlat(Function):
    """A 2-D array with the 1-D input on its k-th diagonal (numpy.diag of a vector)."""

    def forward(self, v):
        return get_array_module(v).diag(v, self.k)

    def backward(self, gy):
        return (get_array_module(gy).diagonal(gy, self.k).copy(),)


class Tri(Function):
    """tril (``upper=False``) or triu of the last two axes at diagonal k."""

    def forward(self, x):
        xp = get_array_module(x)
        return (xp.triu if self.upper else xp.tril)(x, self.k)

    def backward(self, gy):
        xp = get_array_module(gy)
        return ((xp.triu if self.upper else xp.tril)(gy, self.k),)

"""Cumulative sums and products along one axis, differentiable."""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module


class CumSum(Function):
    def forward(self, x):
        return get_array_module(x).cumsum(x, axis=self.axis, dtype=self.dtype)

    def backward(self, gy):
        xp = get_array_module(gy)
        rev = xp.flip(xp.cumsum(xp.flip(gy, self.axis), axis=self.axis), self.axis)
        return (rev,)


class CumProd(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).cumprod(x, axis=self.axis, dtype=self.dtype)

    def backward(self, gy):
        # NOTE: dividing by x fails at zeros; instead, for each i, cumprod with x_i set to 1
        # gives d y_j / d x_i for j >= i (an n-by-n table per line: fine for the usual sizes).
        xp = get_array_module(gy)
        x = xp.moveaxis(self.x, self.axis, -1)
        g = xp.moveaxis(gy, self.axis, -1)
        n = x.shape[-1]
        eye = xp.eye(n, dtype=bool)
        table = xp.cumprod(xp.where(eye, 1, x[..., None, :]), axis=-1)  # [..., i, j]
        table = xp.where(xp.triu(xp.ones((n, n), dtype=bool)), table, 0)
        gx = (table * g[..., None, :]).sum(axis=-1)
        return (xp.moveaxis(gx, -1, self.axis).astype(gy.dtype, copy=False),)

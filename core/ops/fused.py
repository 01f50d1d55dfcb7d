"""Fused inference ops that the graph passes (core/graph/passes.py) put in place of chains.

Tier 3 of the op set. Each replaces a chain of primitives in a predict-mode replay that records
no gradient, so each has a forward only:

- ``ConvBN``: convolution followed by predict-mode batch norm, folded into one convolution with
  the scaled weight ``W * gamma / sqrt(var + eps)`` and shift, then an optional residual add and
  ReLU, all on the convolution's own fresh output (no extra arrays);
- ``AddRelu``: ``relu(a + b)`` in one pass into ``a`` when ``a`` is a fresh buffer the graph no
  longer needs, else into a new array;
- ``ReluInplace``: ``relu(x)`` written into ``x`` (x is a fresh buffer used only here).

The folding is recomputed at every call from the current parameters, so training, loading or
editing the weights between calls never leaves a stale folded copy.
"""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module
from .. import parallel
from .conv import Conv2d

__all__ = ["ConvBN", "AddRelu", "ReluInplace"]


class ConvBN(Function):
    """Inputs: x, W, b (or None), gamma, beta, running_mean, running_var, residual (or None).
    Attributes: the convolution's (stride, padding, dilation, groups), batch norm's ``eps``,
    ``relu``."""

    differentiable = False

    def forward(self, x, W, b, gamma, beta, mean, var, residual):
        xp = get_array_module(x)
        scale = (1 / xp.sqrt(var.astype(x.dtype) + x.dtype.type(self.eps)))
        if gamma is not None:
            scale *= gamma
        shift = -mean.astype(x.dtype) * scale if b is None else (b - mean) * scale
        if beta is not None:
            shift += beta
        conv = Conv2d.__new__(Conv2d)
        conv.stride, conv.padding = self.stride, self.padding
        conv.dilation, conv.groups = self.dilation, self.groups
        y = conv.forward(x, W * scale.reshape(-1, 1, 1, 1).astype(W.dtype))
        shift = shift.astype(y.dtype).reshape(-1, 1, 1)

        def epilogue(c):  # shift, residual and ReLU while a block of channels is in cache
            yc = y[:, c]
            xp.add(yc, shift[c], out=yc)
            if residual is not None:
                xp.add(yc, residual[:, c], out=yc)
            if self.relu:
                xp.maximum(yc, 0, out=yc)

        parallel.for_blocks(epilogue, y.shape[1], y.size, xp)
        return y


class AddRelu(Function):
    """``relu(a + b)``; ``into_a`` writes the result into ``a`` (the pass proved it is safe)."""

    differentiable = False

    def forward(self, a, b):
        xp = get_array_module(a, b)
        out = a if self.into_a else None
        if xp.__name__ == "cupy":  # one kernel: gluonkit/cuda_kernels/elementwise.py
            from gluonkit.cuda_kernels.elementwise import add_relu
            return add_relu(a, b, out) if out is not None else add_relu(a, b)
        y = parallel.ufunc(xp.add, a, b, out=out, axis=min(1, a.ndim - 1))
        return parallel.ufunc(xp.maximum, y, 0, out=y, axis=min(1, a.ndim - 1))


class ReluInplace(Function):
    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        return parallel.ufunc(xp.maximum, x, 0, out=x, axis=min(1, x.ndim - 1))

"""Softmax, log-softmax and softmax cross-entropy with fused, numerically stable formulas."""
from __future__ import annotations

import numpy

from ..autograd import Function
from ..device import get_array_module

__all__ = ["softmax", "log_softmax", "softmax_cross_entropy"]


def _log_softmax(x, axis):
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def _short_axis(x, axis):
    """(axis length, inner size) when a CuPy softmax over ``axis`` runs as one fused kernel
    (the split-attention softmax over the radix; it computes in float32), else None."""
    from gluonkit.cuda_kernels.elementwise import MAX_SOFTMAX_AXIS
    axis = axis % x.ndim
    r = x.shape[axis]
    if r > MAX_SOFTMAX_AXIS or x.dtype == numpy.float64:
        return None
    return r, int(numpy.prod(x.shape[axis + 1:]))


class Softmax(Function):
    def forward(self, x):
        xp = get_array_module(x)
        self.fused = xp is not numpy and _short_axis(x, self.axis)
        if self.fused:
            from gluonkit.cuda_kernels.elementwise import softmax_axis
            self.y = xp.empty(x.shape, x.dtype)
            softmax_axis(xp.ascontiguousarray(x), *self.fused, self.y)
            return self.y
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        if self.fused:
            from gluonkit.cuda_kernels.elementwise import softmax_axis_bwd
            xp = get_array_module(gy)
            gx = xp.empty(y.shape, y.dtype)
            softmax_axis_bwd(y, xp.ascontiguousarray(gy, dtype=y.dtype), *self.fused, gx)
            return (gx,)
        return (y * (gy - (gy * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def forward(self, x):
        self.y = _log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return (gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True),)


class SoftmaxCrossEntropy(Function):
    """Per-sample -sum(t * log_softmax(x)); t is one-hot (smoothed) or a given distribution."""

    def forward(self, x, target):
        xp = get_array_module(x)
        self.lse = None
        if xp is not numpy:  # one kernel per row; the formula below is its reference
            from gluonkit.cuda_kernels import softmax_ce
            self.dtype, self.target = x.dtype, target
            self.x, loss, self.lse = softmax_ce.forward(x, target, self.label_smoothing)
            return self._reduce(loss.astype(x.dtype, copy=False))
        n, c = x.shape
        logp = _log_softmax(x, 1)
        eps = self.label_smoothing
        if target.ndim == 1:
            picked = logp[xp.arange(n), target]
            loss = -(1 - eps) * picked
            if eps:
                loss = loss - (eps / c) * logp.sum(axis=1)
        else:
            t = target.astype(x.dtype, copy=False)
            if eps:
                t = (1 - eps) * t + eps / c
            loss = -(t * logp).sum(axis=1)
        self.logp, self.target = logp, target
        return self._reduce(loss.astype(x.dtype, copy=False))

    def _reduce(self, loss):
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.lse is not None:
            from gluonkit.cuda_kernels import softmax_ce
            n = self.x.shape[0]
            scale = gy / n if self.reduction == "mean" else gy
            gx = softmax_ce.backward(self.x, self.lse, self.target, self.label_smoothing,
                                     scale.astype(self.x.dtype))
            return (gx.astype(self.dtype, copy=False), None)
        n, c = self.logp.shape
        eps = self.label_smoothing
        g = xp.exp(self.logp)  # softmax
        if self.target.ndim == 1:
            if eps:
                g -= eps / c
            g[xp.arange(n), self.target] -= 1 - eps
        else:
            t = self.target.astype(g.dtype, copy=False)
            g -= (1 - eps) * t + eps / c if eps else t
        if self.reduction == "mean":
            g *= gy / n
        elif self.reduction == "sum":
            g *= gy
        else:
            g *= gy[:, None]
        return (g.astype(self.logp.dtype, copy=False), None)


def softmax(x, axis: int = -1):
    return Softmax.apply(x, axis=axis)


def log_softmax(x, axis: int = -1):
    return LogSoftmax.apply(x, axis=axis)


def softmax_cross_entropy(logits, target, label_smoothing: float = 0.0, reduction: str = "none"):
    """Cross-entropy of (N, C) logits against integer classes (N,) or an (N, C) distribution.

    ``label_smoothing`` eps spreads eps / C over all classes (PyTorch's definition).
    """
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy expects (N, C) logits, got {tuple(logits.shape)}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    n, c = logits.shape
    shape = tuple(target.shape)
    if shape not in ((n,), (n, c)):
        raise ValueError(f"target shape {shape} must be ({n},) class indices or ({n}, {c}) "
                         "probabilities for logits of shape " + str((n, c)))
    if len(shape) == 1:
        target = target.astype("int64") if hasattr(target, "astype") else target
    return SoftmaxCrossEntropy.apply(logits, target, label_smoothing=label_smoothing,
                                     reduction=reduction)

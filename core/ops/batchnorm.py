"""Batch normalisation over NCHW (or NC) with one fused backward formula.

Training normalises with the batch mean and biased variance and updates the running statistics
in place with the unbiased variance (PyTorch's convention; ``momentum`` is PyTorch's, i.e.
Gluon's 1 - momentum). Inference uses the running statistics as a per-channel affine map.
"""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module
from ..ndarray import as_raw

__all__ = ["BatchNorm", "batch_norm"]


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(Function):
    """Inputs: x, gamma, beta (gamma/beta may be None for scale/center off)."""

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        axes = _axes(x)
        c = x.shape[1]
        one = x.dtype.type(1)
        gamma = xp.ones(c, x.dtype) if gamma is None else gamma
        beta = xp.zeros(c, x.dtype) if beta is None else beta
        if self.training:
            mean = x.mean(axis=axes)
            xc = x - _channel(mean, x.ndim)
            var = (xc * xc).mean(axis=axes)
            invstd = one / xp.sqrt(var + x.dtype.type(self.eps))
            self._update_running(xp, mean, var, x.size // c)
            self.xhat = xc * _channel(invstd, x.ndim)
            y = self.xhat * _channel(gamma, x.ndim) + _channel(beta, x.ndim)
        else:
            rm, rv = self.running_mean, self.running_var
            invstd = one / xp.sqrt(rv.astype(x.dtype) + x.dtype.type(self.eps))
            scale = gamma * invstd
            self.x = x
            self.mean = rm.astype(x.dtype)
            y = x * _channel(scale, x.ndim) + _channel(beta - self.mean * scale, x.ndim)
        self.gamma, self.invstd = gamma, invstd
        return y

    def _update_running(self, xp, mean, var, count):
        m = self.momentum
        unbiased = var * (count / max(count - 1, 1))
        rm, rv = self.running_mean, self.running_var
        rm *= 1 - m
        rm += m * mean.astype(rm.dtype)
        rv *= 1 - m
        rv += m * unbiased.astype(rv.dtype)

    def backward(self, gy):
        xp = get_array_module(gy)
        need = self.needs_input_grad
        axes = _axes(gy)
        nd = gy.ndim
        if self.training:
            xhat = self.xhat
        else:
            xhat = (self.x - _channel(self.mean, nd)) * _channel(self.invstd, nd)
        gbeta = gy.sum(axis=axes)
        ggamma = (gy * xhat).sum(axis=axes)
        gx = None
        if need[0]:
            scale = _channel(self.gamma * self.invstd, nd)
            if self.training:
                n = gy.dtype.type(gy.size // gy.shape[1])
                gx = scale * (gy - _channel(gbeta / n, nd) - xhat * _channel(ggamma / n, nd))
            else:
                gx = gy * scale
        return (gx, ggamma if len(need) > 1 and need[1] else None,
                gbeta if len(need) > 2 and need[2] else None)


def batch_norm(x, gamma, beta, running_mean, running_var, training: bool,
               momentum: float = 0.1, eps: float = 1e-5):
    """Batch norm over axis 1; running statistics (arrays) are updated in place when training.

    Example::

        y = npx.batch_norm(x, gamma, beta, rm, rv, training=autograd.is_training())
    """
    c = x.shape[1]
    for name, v in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if v is not None and tuple(v.shape) != (c,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(v.shape)}, expected ({c},) "
                             f"for an input with {c} channels {tuple(x.shape)}")
    if training and x.size // c < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input "
                         f"{tuple(x.shape)}")
    return BatchNorm.apply(x, gamma, beta, running_mean=as_raw(running_mean),
                           running_var=as_raw(running_var), training=training,
                           momentum=momentum, eps=eps)

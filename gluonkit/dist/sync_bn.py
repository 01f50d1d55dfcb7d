"""``SyncBatchNorm``: batch norm whose training statistics cover the global batch of all ranks.

Forward allreduces the per-channel sum, then the centred sum of squares (two passes, as the
single-process op computes them, so the result matches batch norm on the concatenated batch);
backward allreduces the per-channel sums of ``gy`` and ``gy * xhat``. gamma's and beta's own
gradients stay per rank: the gradient allreduce averages them like every other parameter.
Outside training (or with ``use_global_stats``) it is plain batch norm on the running statistics.

    net = get_model('resnet50_v1b', norm_layer=SyncBatchNorm)    # model.sync_bn: true
"""
from __future__ import annotations

from gluonkit import autograd, nn
from gluonkit.core.autograd import Function
from gluonkit.core.device import get_array_module

__all__ = ["SyncBatchNorm", "SyncBatchNormFunction"]


def _axes(x) -> tuple:
    return (0,) + tuple(range(2, x.ndim))


def _channel(v, ndim: int):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class SyncBatchNormFunction(Function):
    """Inputs x, gamma, beta, running_mean, running_var (state updated in place); attributes
    momentum (PyTorch's convention), eps. The ranks are those of ``gluonkit.dist.current()``
    at each call (none: this process alone), so a replayed graph synchronises too."""

    mutates = (3, 4)

    def _sum(self, xp, v):
        """Per-channel float64 sums over every rank."""
        v = v.astype(xp.float64)
        if self.comm is not None:
            self.comm.allreduce(v)
        return v

    def forward(self, x, gamma, beta, running_mean, running_var):
        from . import current

        comm = current()
        self.comm = comm if comm is not None and comm.size > 1 else None
        self.running_mean, self.running_var = running_mean, running_var
        xp = get_array_module(x)
        c, nd = x.shape[1], x.ndim
        axes = _axes(x)
        counts = self._sum(xp, xp.array([x.size // c], dtype=xp.float64))
        self.n = float(counts[0])
        mean = (self._sum(xp, x.sum(axis=axes)) / self.n).astype(x.dtype)
        xc = x - _channel(mean, nd)
        var = (self._sum(xp, (xc * xc).sum(axis=axes)) / self.n).astype(x.dtype)
        self.invstd = 1 / xp.sqrt(var + x.dtype.type(self.eps))
        self.xhat = xc * _channel(self.invstd, nd)
        self.gamma = xp.ones(c, x.dtype) if gamma is None else gamma
        y = self.xhat * _channel(self.gamma, nd)
        if beta is not None:
            y += _channel(beta, nd)
        m, rm, rv = self.momentum, self.running_mean, self.running_var
        unbiased = var * (self.n / max(self.n - 1, 1))
        rm *= 1 - m
        rm += m * mean.astype(rm.dtype)
        rv *= 1 - m
        rv += m * unbiased.astype(rv.dtype)
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        nd = gy.ndim
        axes = _axes(gy)
        gbeta = gy.sum(axis=axes)
        ggamma = (gy * self.xhat).sum(axis=axes)
        c = gbeta.size
        both = self._sum(xp, xp.concatenate([gbeta, ggamma]))
        mean_g = (both[:c] / self.n).astype(gy.dtype)
        mean_gx = (both[c:] / self.n).astype(gy.dtype)
        gx = None
        if self.needs_input_grad[0]:
            gx = gy - _channel(mean_g, nd) - self.xhat * _channel(mean_gx, nd)
            gx *= _channel(self.gamma * self.invstd, nd)
        need = self.needs_input_grad
        return (gx, ggamma if need[1] else None, gbeta if need[2] else None, None, None)


class SyncBatchNorm(nn.BatchNorm):
    """``nn.BatchNorm`` (same arguments and parameter names, so checkpoints load either way)
    with statistics over all ranks of ``gluonkit.dist.current()`` (with none, this process's
    batch alone, i.e. plain batch norm)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.gamma.shape or not self.gamma.shape[0]:
            raise ValueError("SyncBatchNorm needs in_channels (its statistics are allreduced, so "
                             "the channel count must be known before the first batch)")

    def forward(self, x, residual=None):
        if not autograd.is_training() or self._use_global_stats:
            return super().forward(x, residual)
        y = SyncBatchNormFunction.apply(
            x, self.gamma.data(), self.beta.data(), self.running_mean.data(),
            self.running_var.data(), momentum=round(1.0 - self._momentum, 12), eps=self._eps)
        return self.activate(y, residual)  # act='relu': unfused after the allreduced statistics

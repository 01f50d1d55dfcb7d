"""Batch normalisation over NCHW (or NC) with one fused backward formula, optionally followed by
a residual add and ReLU in the same pass: ``y = relu(batch_norm(x) + residual)``.

Training normalises with the batch mean and biased variance and updates the running statistics
in place with the unbiased variance (PyTorch's convention; ``momentum`` is PyTorch's, i.e.
Gluon's 1 - momentum). Inference uses the running statistics as a per-channel affine map.
On the CPU the work runs over blocks of channels on both cores (``core/parallel.py``), each
block's passes staying in cache, so the add and the ReLU cost no trip of their own through
memory (conv-BN-ReLU and the residual end of a ResNet block).
"""
from __future__ import annotations

import numpy

from .. import alloc
from ..autograd import Function
from ..device import get_array_module
from ..parallel import for_blocks

__all__ = ["BatchNorm", "batch_norm", "batch_norm_relu"]


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _rows(a):
    """(n, c, ...) as (n, c, m): a view for an NCHW block of channels."""
    return a.reshape(a.shape[0], a.shape[1], -1)


def _accumulator(dtype):
    return numpy.promote_types(dtype, numpy.float32)  # 16-bit inputs sum in float32


def _channel_sum(xp, a):
    """Per-channel sum of (n, c, ...) ``a``, reading ``a`` once.
    NOTE: einsum, 1.9x faster than ``a.sum(axis=(0, 2, 3))`` at (16, 64, 56, 56) float32. Not a
    GEMV with a vector of ones (as fast alone): it runs inside for_blocks, where two threads
    calling a multi-threaded BLAS at once made a ResNet-20 step 1.8x slower."""
    return xp.einsum("ncm->c", _rows(a).astype(_accumulator(a.dtype), copy=False))


def _channel_dot(xp, a, b):
    """Per-channel sum of ``a * b`` without writing the product (3.5x ``(a * b).sum(...)``)."""
    acc = _accumulator(a.dtype)
    return xp.einsum("ncm,ncm->c", _rows(a).astype(acc, copy=False),
                     _rows(b).astype(acc, copy=False))


class BatchNorm(Function):
    """Inputs: x, gamma, beta (None for scale/center off), running_mean, running_var: state that
    training updates in place (``mutates``), and residual (or None), added after the affine map.
    ``relu`` applies max(., 0) last. Backward keeps xhat (training) or x (predict), and with
    ReLU the output y for its mask: y is the next layer's input, so it costs no memory here."""

    mutates = (3, 4)

    def forward(self, x, gamma, beta, running_mean, running_var, residual=None):
        self.running_mean, self.running_var = running_mean, running_var
        self.has_residual = residual is not None
        xp = get_array_module(x)
        c, nd = x.shape[1], x.ndim
        self.gamma = xp.ones(c, x.dtype) if gamma is None else gamma
        beta = xp.zeros(c, x.dtype) if beta is None else beta
        y = alloc.empty(x.shape, x.dtype, xp)
        eps = x.dtype.type(self.eps)
        if self.training:
            self.xhat = alloc.empty(x.shape, x.dtype, xp)
            mean, var = xp.empty(c, x.dtype), xp.empty(c, x.dtype)
            self.invstd = xp.empty(c, x.dtype)
            count = x.size // c

            def block(s):
                xs, ys, hs = x[:, s], y[:, s], self.xhat[:, s]
                rs = None if residual is None else residual[:, s]
                mean[s] = _channel_sum(xp, xs) / count
                xp.subtract(xs, _channel(mean[s], nd), out=hs)
                var[s] = _channel_dot(xp, hs, hs) / count
                self.invstd[s] = 1 / xp.sqrt(var[s] + eps)
                hs *= _channel(self.invstd[s], nd)
                self._affine(xp, hs, self.gamma[s], beta[s], rs, ys)

            if xp is numpy:
                for_blocks(block, c, x.size, xp)
            else:
                self._forward_fused(x, mean, var, beta, residual, y)
            self._update_running(mean, var, x.size // c)
        else:
            self.x, self.mean = x, self.running_mean.astype(x.dtype)
            self.invstd = 1 / xp.sqrt(self.running_var.astype(x.dtype) + eps)
            scale = self.gamma * self.invstd
            shift = beta - self.mean * scale
            for_blocks(lambda s: self._affine(xp, x[:, s], scale[s], shift[s], None if residual
                                              is None else residual[:, s], y[:, s]),
                       c, x.size, xp)
        if self.relu:
            self.y = y
        return y

    def _affine(self, xp, xs, scale, shift, rs, out):
        """out = relu(xs * scale + shift + rs), each term one pass over a cache-sized block."""
        xp.multiply(xs, _channel(scale, xs.ndim), out=out)
        out += _channel(shift, xs.ndim)
        if rs is not None:
            out += rs
        if self.relu:
            xp.maximum(out, 0, out=out)

    def _forward_fused(self, x, mean, var, beta, residual, y):
        """float32 statistics, then one fused pass (CuPy; its reference: the NumPy block)."""
        from gluonkit.cuda_kernels.batchnorm import bn_fwd
        from gluonkit.cuda_kernels.elementwise import add_relu
        xp, nd = get_array_module(x), x.ndim
        acc = _accumulator(x.dtype)
        mean[...] = x.mean(axis=_axes(x), dtype=acc)
        var[...] = x.var(axis=_axes(x), dtype=acc)
        self.invstd[...] = 1 / xp.sqrt(var + x.dtype.type(self.eps))
        bn_fwd(x, _channel(mean, nd), _channel(self.invstd, nd), _channel(self.gamma, nd),
               _channel(beta, nd), self.relu and residual is None, self.xhat, y)
        if residual is not None and self.relu:
            add_relu(y, residual, y)
        elif residual is not None:
            y += residual

    def _update_running(self, mean, var, count):
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
        if xp is not numpy and self.training:
            return self._backward_fused(gy, need)
        c, nd = gy.shape[1], gy.ndim
        n = gy.dtype.type(gy.size // c)
        gx = alloc.empty(gy.shape, gy.dtype, xp) if need[0] else None
        ggamma, gbeta = xp.empty(c, gy.dtype), xp.empty(c, gy.dtype)
        # the residual's gradient is the ReLU-masked gy that batch norm's backward reads anyway
        gr = alloc.empty(gy.shape, gy.dtype, xp) if self.relu and self._needs_residual() else None

        def block(s):
            g = gy[:, s]
            if self.relu:  # the masked gradient is the residual's, or a scratch buffer here
                g = xp.multiply(g, self.y[:, s] > 0, out=None if gr is None else gr[:, s])
            if self.training:
                xhat = self.xhat[:, s]
            else:
                xhat = (self.x[:, s] - _channel(self.mean[s], nd)) * _channel(self.invstd[s], nd)
            gbeta[s] = _channel_sum(xp, g)
            ggamma[s] = _channel_dot(xp, g, xhat)
            if gx is None:
                return
            scale = _channel(self.gamma[s] * self.invstd[s], nd)
            out = gx[:, s]
            if not self.training:
                xp.multiply(g, scale, out=out)
                return
            # gx = gamma * invstd * (g - mean(g) - xhat * mean(g * xhat)), one pass per term;
            # g is ours to overwrite unless it is the residual's gradient
            scratch = g if self.relu and gr is None else xp.empty(g.shape, g.dtype)
            xp.subtract(g, _channel(gbeta[s] / n, nd), out=scratch)
            xp.multiply(scratch, scale, out=scratch)
            xp.multiply(xhat, scale * _channel(ggamma[s] / n, nd), out=out)
            xp.subtract(scratch, out, out=out)

        for_blocks(block, c, gy.size, xp)
        return self._grads(need, gx, ggamma, gbeta, gr if self.relu else gy)

    def _needs_residual(self) -> bool:
        return self.has_residual and self.needs_input_grad[5]

    def _grads(self, need, gx, ggamma, gbeta, gresidual):
        return (gx, ggamma if need[1] else None, gbeta if need[2] else None, None, None,
                gresidual if self._needs_residual() else None)

    def _backward_fused(self, gy, need):
        """The training backward above as two reductions and one pass (CuPy kernels)."""
        from gluonkit.cuda_kernels.batchnorm import bn_bwd, bn_grad_sums
        nd, n = gy.ndim, gy.size // gy.shape[1]
        y = self.y if self.relu else gy
        gbeta, ggamma = bn_grad_sums(gy, y, self.xhat, _axes(gy), self.relu)
        gx = None
        if need[0]:
            gx = bn_bwd(gy, y, self.xhat, _channel(self.gamma * self.invstd, nd),
                        _channel(gbeta / n, nd), _channel(ggamma / n, nd), self.relu)
        gr = gy * (y > 0) if self.relu and self._needs_residual() else gy
        return self._grads(need, gx, ggamma, gbeta, gr)


def _check(x, gamma, beta, running_mean, running_var, residual, training):
    c = x.shape[1]
    for name, v in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if v is not None and tuple(v.shape) != (c,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(v.shape)}, expected ({c},) "
                             f"for an input with {c} channels {tuple(x.shape)}")
    if residual is not None and tuple(residual.shape) != tuple(x.shape):
        raise ValueError(f"batch_norm: residual has shape {tuple(residual.shape)}, expected the "
                         f"input's {tuple(x.shape)} (a projection shortcut must match it)")
    if training and x.size // c < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input "
                         f"{tuple(x.shape)}")


def _apply(x, gamma, beta, running_mean, running_var, residual, training, momentum, eps, relu):
    _check(x, gamma, beta, running_mean, running_var, residual, training)
    return BatchNorm.apply(x, gamma, beta, running_mean, running_var, residual,
                           training=training, momentum=momentum, eps=eps, relu=relu)


def batch_norm(x, gamma, beta, running_mean, running_var, training: bool,
               momentum: float = 0.1, eps: float = 1e-5):
    """Batch norm over axis 1; running statistics (arrays) are updated in place when training.

    Example::

        y = npx.batch_norm(x, gamma, beta, rm, rv, training=autograd.is_training())
    """
    return _apply(x, gamma, beta, running_mean, running_var, None, training, momentum, eps,
                  False)


def batch_norm_relu(x, gamma, beta, running_mean, running_var, training: bool,
                    momentum: float = 0.1, eps: float = 1e-5, residual=None):
    """``relu(batch_norm(...) + residual)`` in one fused pass forward and backward: conv-BN-ReLU,
    and with ``residual`` (same shape as x) the end of a ResNet block.

    Example::

        y = npx.batch_norm_relu(x, gamma, beta, rm, rv, training=True)
        out = npx.batch_norm_relu(conv3_out, gamma, beta, rm, rv, True, residual=identity)
    """
    return _apply(x, gamma, beta, running_mean, running_var, residual, training, momentum, eps,
                  True)

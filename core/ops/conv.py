"""2-D convolution: im2col over strided slices plus one large GEMM (Chainer's scheme).

The column buffer has shape (c, kh, kw, n, oh, ow), filled from kh * kw strided slices of the
padded input, so the forward, the weight gradient and the input gradient are each one GEMM over
the whole batch. col2im sums the same slices back, never ``add.at``. 1x1 convolutions with
stride 1 and no padding skip im2col: one GEMM per sample on large maps, else one over the batch.
Other convolutions on the CPU run as one accumulated GEMM per kernel tap where that is faster
(core/ops/conv_shifted.py).
"""
from __future__ import annotations

import numpy

from .. import alloc, blas, parallel
from ..autograd import Function
from ..device import get_array_module
from . import conv_shifted

__all__ = ["Conv2d", "conv2d", "im2col", "col2im", "conv_output_size"]

_PER_SAMPLE_MIN = 196  # output pixels from which a 1x1 convolution runs one GEMM per sample
# NOTE: backward rebuilds the columns from the input, one more im2col; up to this size the
# forward's columns are kept instead (LeNet's at batch 64: 5 and 4 MB, rebuilt in 1.5 ms a step;
# ResNet-50's 14x14 layers at batch 16, 29 MB each, are rebuilt).
_KEEP_COLUMNS_BYTES = 16 << 20
# NOTE: from this many output pixels the im2col forward runs one GEMM per sample, writing NCHW
# with no transposed copy (LeNet's first layer 2.1x, the 7x7 stem 1.75x; neutral at 14x14), bit
# for bit the batched GEMM's values. The weight gradient stays one GEMM: per-sample ones there
# were faster but small enough for OpenBLAS's unpacked small-matrix kernels, whose sums depend on
# the buffers' alignment, so seeded runs stopped repeating.
_PER_SAMPLE_COLUMNS_MIN = 784


def _pair(v, name: str) -> tuple:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or not all(isinstance(p, int) for p in pair):
        raise ValueError(f"conv2d: {name} must be an int or a pair of ints, got {v!r}")
    return pair


def conv_output_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv_output_size_2d(x_shape, W_shape, op) -> tuple:
    return tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                 zip(x_shape[2:], W_shape[2:], op.stride, op.padding, op.dilation))


def _offsets(kh, kw, sy, sx, oh, ow, dy, dx):
    """(i, j, rows, cols) for each kernel offset: the strided slices of the padded image."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i * dy, i * dy + sy * (oh - 1) + 1, sy), \
                slice(j * dx, j * dx + sx * (ow - 1) + 1, sx)


def im2col(x, kh, kw, sy, sx, ph, pw, dy, dx):
    """(n, c, h, w) -> (c, kh, kw, n, oh, ow) from kh*kw strided slices of the padded input.

    Channels lead so that the whole batch is one GEMM operand ``(c*kh*kw, n*oh*ow)``; the
    copies run over blocks of channels on both cores (``core/parallel.py``).
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh = conv_output_size(h, kh, sy, ph, dy)
    ow = conv_output_size(w, kw, sx, pw, dx)
    col = alloc.empty((c, kh, kw, n, oh, ow), x.dtype, xp)
    xt = x.transpose(1, 0, 2, 3)
    xpad = alloc.empty((c, n, h + 2 * ph, w + 2 * pw), x.dtype, xp) if ph or pw else None

    def fill(b):
        xb = xt[b]
        if xpad is not None:  # pad into a (reused) buffer: only the border is zeroed
            xb, inner = xpad[b], xb
            xb[:, :, :ph], xb[:, :, h + ph:], xb[:, :, :, :pw], xb[:, :, :, w + pw:] = 0, 0, 0, 0
            xb[:, :, ph:h + ph, pw:w + pw] = inner
        for i, j, rows, cols in _offsets(kh, kw, sy, sx, oh, ow, dy, dx):
            col[b, i, j] = xb[:, :, rows, cols]

    parallel.for_blocks(fill, c, col.size, xp)
    return col


def col2im(col, h, w, sy, sx, ph, pw, dy, dx):
    """The adjoint of im2col: sum each kernel offset's slice back; returns (n, c, h, w)."""
    xp = get_array_module(col)
    c, kh, kw, n, oh, ow = col.shape
    img = xp.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=col.dtype)

    def add(b):
        for i, j, rows, cols in _offsets(kh, kw, sy, sx, oh, ow, dy, dx):
            img[b, :, rows, cols] += col[b, i, j]

    parallel.for_blocks(add, c, col.size, xp)
    return xp.ascontiguousarray(img[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3))


class Conv2d(Function):
    """y = conv(x, W) + b with W of shape (out, in / groups, kh, kw), NCHW.

    One GEMM per group over the whole batch: W (o/g, cg*kh*kw) @ col (cg*kh*kw, n*oh*ow).
    For a 1x1 stride-1 convolution the columns are just the input with channels first.
    """

    def forward(self, x, W, b=None):
        xp = get_array_module(x)
        n = x.shape[0]
        o, cg, kh, kw = W.shape
        g = self.groups
        self.plain = (kh, kw, *self.stride, *self.padding) == (1, 1, 1, 1, 0, 0)
        self.shifted = conv_shifted.plan(x, W, self.stride, self.padding, self.dilation, g)
        oh, ow = conv_output_size_2d(x.shape, W.shape, self)
        W3 = W.reshape(g, o // g, cg * kh * kw)
        need = self.needs_input_grad or (False, False)
        cols = None  # the weight gradient's GEMM operand, where the forward builds it anyway
        if self.shifted is not None:
            cols = conv_shifted.padded(x, self.shifted)
            y = conv_shifted.forward(cols, W, self.shifted)
        elif self.plain and oh * ow >= _PER_SAMPLE_MIN:
            # NOTE: a 1x1 convolution over a large map is one GEMM per sample reading x[i] as
            # is and writing y[i] in place: no layout copies (measured 1.5-2.5x faster at the
            # ResNet-50 shapes of 14x14 and up; below that the small GEMMs lose).
            y = alloc.empty((n, o, oh, ow), x.dtype, xp)
            xp.matmul(W3, x.reshape(n, g, cg, oh * ow), out=y.reshape(n, g, o // g, oh * ow))
        else:
            cols = self._columns(x, W)
            y = alloc.empty((n, o, oh, ow), x.dtype, xp)
            if oh * ow >= _PER_SAMPLE_COLUMNS_MIN:
                per_sample = cols.reshape(g, cg * kh * kw, n, oh * ow).transpose(2, 0, 1, 3)
                xp.matmul(W3, per_sample, out=y.reshape(n, g, o // g, oh * ow))
            else:
                yt = alloc.empty((g, o // g, n * oh * ow), x.dtype, xp)
                xp.matmul(W3, cols, out=yt)
                parallel.copy(y, yt.reshape(o, n, oh, ow).transpose(1, 0, 2, 3), axis=1)
        if b is not None:
            parallel.ufunc(xp.add, y, b.reshape(1, o, 1, 1), out=y, axis=1)
        # the weight gradient needs the columns: the shifted path's padded input (the size of
        # x) and small im2col columns are kept, large im2col columns rebuilt from x
        keep = need[1] and cols is not None and (self.shifted is not None or
                                                 cols.nbytes <= _KEEP_COLUMNS_BYTES)
        self.cols = cols if keep else None
        self.x = x if need[1] and not keep else None
        self.x_shape, self.W = x.shape, W
        return y

    def _columns(self, x, W):
        """(groups, cg*kh*kw, n*oh*ow) columns of x."""
        xp = get_array_module(x)
        _, cg, kh, kw = W.shape
        if self.plain:
            col = alloc.empty((x.shape[1], x.shape[0]) + x.shape[2:], x.dtype, xp)
            col[...] = x.transpose(1, 0, 2, 3)
        else:
            col = im2col(x, kh, kw, *self.stride, *self.padding, *self.dilation)
        return col.reshape(self.groups, cg * kh * kw, -1)

    def backward(self, gy):
        xp = get_array_module(gy)
        need = self.needs_input_grad
        n, c, h, w = self.x_shape
        o, cg, kh, kw = self.W.shape
        g = self.groups
        oh, ow = gy.shape[-2:]
        gb = gy.sum(axis=(0, 2, 3)) if len(need) > 2 and need[2] else None
        if self.shifted is not None:
            gx, gW = conv_shifted.backward(self.cols, self.W, gy, self.shifted, need[0],
                                           need[1])
            return (gx, gW, gb)[:len(need)]
        if self.plain and g == 1 and oh * ow >= _PER_SAMPLE_MIN and blas.available(gy.dtype) \
                and isinstance(gy, numpy.ndarray):
            return (*self._plain_backward_per_sample(gy, need), gb)[:len(need)]
        gyt = xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(g, o // g, -1)
        gx = gW = None
        if need[1]:
            col = self._columns(self.x, self.W) if self.cols is None else self.cols
            gW = xp.matmul(gyt, col.transpose(0, 2, 1)).reshape(self.W.shape)
            del col
            self.cols = None
        if need[0]:
            gcol = xp.matmul(self.W.reshape(g, o // g, -1).transpose(0, 2, 1), gyt)
            if self.plain:
                gx = xp.ascontiguousarray(gcol.reshape(c, n, h, w).transpose(1, 0, 2, 3))
            else:
                gx = col2im(gcol.reshape(c, kh, kw, n, oh, ow), h, w, *self.stride,
                            *self.padding, *self.dilation)
        return (gx, gW, gb)[:len(need)]

    def _plain_backward_per_sample(self, gy, need):
        """(gx, gW) of a 1x1 convolution over a large map: per-sample GEMMs, no layout copies.

        gW accumulates ``gy[i] @ x[i]ᵀ`` over the batch in place (BLAS beta = 1); measured
        1.1-1.5x faster than the batched transposed copies at ResNet-50's 56x56 to 14x14."""
        n, c, h, w = self.x_shape
        o = self.W.shape[0]
        gy3 = numpy.ascontiguousarray(gy).reshape(n, o, h * w)
        gx = gW = None
        if need[1]:
            x3 = numpy.ascontiguousarray(self.x).reshape(n, c, h * w)
            gW = numpy.empty((o, c), gy.dtype)
            for i in range(n):
                blas.gemm(gy3[i], x3[i], gW, beta=1.0 if i else 0.0, trans_b=True)
            gW = gW.reshape(self.W.shape)
        if need[0]:
            gx = numpy.empty(self.x_shape, gy.dtype)
            numpy.matmul(self.W.reshape(o, c).T, gy3, out=gx.reshape(n, c, h * w))
        return gx, gW


def conv2d(x, W, b=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D convolution of NCHW ``x`` with ``W`` (out, in/groups, kh, kw) and optional bias.

    Example::

        y = npx.conv2d(x, W, b, stride=2, padding=1)
    """
    if x.ndim != 4 or W.ndim != 4:
        raise ValueError(f"conv2d expects a 4-D input (N, C, H, W) and a 4-D weight, got "
                         f"{tuple(x.shape)} and {tuple(W.shape)}")
    if groups < 1 or x.shape[1] % groups or W.shape[0] % groups:
        raise ValueError(f"conv2d: groups={groups} must divide input channels {x.shape[1]} and "
                         f"output channels {W.shape[0]}")
    if W.shape[1] * groups != x.shape[1]:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but the weight "
                         f"{tuple(W.shape)} with groups={groups} expects {W.shape[1] * groups}")
    if b is not None and tuple(b.shape) != (W.shape[0],):
        raise ValueError(f"conv2d: bias shape {tuple(b.shape)} must be ({W.shape[0]},)")
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    dilation = _pair(dilation, "dilation")
    for k, s, p, d, size in zip(W.shape[2:], stride, padding, dilation, x.shape[2:]):
        if conv_output_size(size, k, s, p, d) < 1:
            raise ValueError(f"conv2d: input {tuple(x.shape[2:])} is too small for kernel "
                             f"{tuple(W.shape[2:])} with padding {padding}, dilation {dilation}")
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return Conv2d.apply(x, W, **params) if b is None else Conv2d.apply(x, W, b, **params)

"""Matrix products: matmul (batched, broadcasting) and the fused affine map ``linear``."""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module
from .elementwise import _kind, conj, real_if, unbroadcast


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a, b).matmul(a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        a, b = self.a, self.b
        na, nb = self.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = gy
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if na:
            ga = xp.matmul(g, conj(xp.swapaxes(b2, -1, -2)))
            ga = real_if(unbroadcast(ga, a2.shape).reshape(a.shape), _kind(a))
        if nb:
            gb = xp.matmul(conj(xp.swapaxes(a2, -1, -2)), g)
            gb = real_if(unbroadcast(gb, b2.shape).reshape(b.shape), _kind(b))
        return ga, gb


class Linear(Function):
    """y = x W^T + b with W of shape (out, in); x may have any number of leading dims."""

    def forward(self, x, W, b=None):
        xp = get_array_module(x)
        if x.shape[-1] != W.shape[1]:
            raise ValueError(f"linear: input has {x.shape[-1]} features but the weight "
                             f"{tuple(W.shape)} expects {W.shape[1]} (weight is out x in)")
        self.x, self.W = x, W
        y = xp.matmul(x, W.T)
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        need = self.needs_input_grad
        x2 = self.x.reshape(-1, self.x.shape[-1])
        g2 = gy.reshape(-1, gy.shape[-1])
        gx = xp.matmul(gy, self.W) if need[0] else None
        gW = xp.matmul(g2.T, x2) if need[1] else None
        gb = g2.sum(axis=0) if len(need) > 2 and need[2] else None
        return (gx, gW, gb)[:len(need)]

"""Discrete Fourier transforms over ``axes`` with sizes ``s`` (the 1-D forms are the 1-axis case).

Each transform is linear, so its backward is its adjoint: the inverse transform with the dual
normalization ("backward" <-> "forward"), fitted back to the input's lengths.
"""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho", None: "forward"}


def _fit(xp, g, shape, axes):
    """Crop or zero-pad g along axes to shape (the adjoint of numpy.fft's crop/pad by s)."""
    for ax in axes:
        n, m = g.shape[ax], shape[ax]
        if n > m:
            g = xp.take(g, xp.arange(m), axis=ax)
        elif n < m:
            width = [(0, 0)] * g.ndim
            width[ax] = (0, m - n)
            g = xp.pad(g, width)
    return g


class FFT(Function):
    """``kind``: 'c2c' (``inverse`` picks ifftn), 'r2c' (rfftn) or 'c2r' (irfftn)."""

    def forward(self, x):
        fft = get_array_module(x).fft
        self.shape, self.src = x.shape, x.dtype
        if self.kind == "c2c":
            f = fft.ifftn if self.inverse else fft.fftn
        else:
            f = fft.rfftn if self.kind == "r2c" else fft.irfftn
        y = f(x, s=self.s, axes=self.axes, norm=self.norm)
        self.out_s = tuple(y.shape[a] for a in self.axes)
        return y.astype(_complex_of(x.dtype) if y.dtype.kind == "c" else _real_of(x.dtype),
                        copy=False)

    def backward(self, gy):
        fft = get_array_module(gy).fft
        xp = get_array_module(gy)
        dual = _DUAL[self.norm]
        if self.kind == "c2c":
            adjoint = fft.fftn if self.inverse else fft.ifftn
            g = adjoint(gy, s=self.out_s, axes=self.axes, norm=dual)
        elif self.kind == "r2c":
            full = list(self.out_s)
            full[-1] = self.s[-1] if self.s else self.shape[self.axes[-1]]
            g = fft.ifftn(_fit(xp, gy, _with(gy.shape, self.axes[-1], full[-1]), self.axes[-1:]),
                          s=full, axes=self.axes, norm=dual)
        else:
            n = self.out_s[-1]
            g = fft.rfftn(gy, s=self.out_s, axes=self.axes, norm=dual)
            scale = xp.full(g.shape[self.axes[-1]], 2.0)
            scale[0] = 1.0
            if n % 2 == 0:
                scale[-1] = 1.0
            g = g * scale.reshape([-1 if a == self.axes[-1] % g.ndim else 1
                                   for a in range(g.ndim)])
        g = _fit(xp, g, self.shape, self.axes)
        return ((g.real if self.src.kind != "c" else g).astype(self.src, copy=False),)


def _with(shape, axis, n):
    shape = list(shape)
    shape[axis] = n
    return tuple(shape)


def _complex_of(dtype):
    return {"float32": "complex64", "complex64": "complex64"}.get(str(dtype), "complex128")


def _real_of(dtype):
    return {"float32": "float32", "complex64": "float32"}.get(str(dtype), "float64")

"""Differentiable elementwise math beyond the arithmetic primitives: trigonometric, hyperbolic,
exponential and logarithmic forms, rounding, and the complex parts.

Each op is one line of table: the array-module function and dy/dx from (xp, x, y). For a complex
input the gradient is ``gy * conj(dy/dx)`` (PyTorch's convention: the gradient of a real loss is
dL/dRe + i dL/dIm).
"""
from __future__ import annotations

import math

from ..autograd import Function
from ..device import get_array_module


class _Unary(Function):
    """y = xp.<fn>(x); backward multiplies by ``deriv(xp, x, y)``."""

    fn = ""

    @staticmethod
    def deriv(xp, x, y):
        raise NotImplementedError

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.y = xp.asarray(getattr(xp, self.fn)(x))
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        d = self.deriv(xp, self.x, self.y)
        return (gy * (xp.conj(d) if d.dtype.kind == "c" else d),)


def _unary(name: str, fn: str, deriv) -> type:
    return type(name, (_Unary,), {"fn": fn, "deriv": staticmethod(deriv),
                                  "__doc__": f"Differentiable xp.{fn}."})


Sin = _unary("Sin", "sin", lambda xp, x, y: xp.cos(x))
Cos = _unary("Cos", "cos", lambda xp, x, y: -xp.sin(x))
Tan = _unary("Tan", "tan", lambda xp, x, y: 1 + y * y)
Arcsin = _unary("Arcsin", "arcsin", lambda xp, x, y: 1 / xp.sqrt(1 - x * x))
Arccos = _unary("Arccos", "arccos", lambda xp, x, y: -1 / xp.sqrt(1 - x * x))
Arctan = _unary("Arctan", "arctan", lambda xp, x, y: 1 / (1 + x * x))
Sinh = _unary("Sinh", "sinh", lambda xp, x, y: xp.cosh(x))
Cosh = _unary("Cosh", "cosh", lambda xp, x, y: xp.sinh(x))
Arcsinh = _unary("Arcsinh", "arcsinh", lambda xp, x, y: 1 / xp.sqrt(x * x + 1))
Arccosh = _unary("Arccosh", "arccosh", lambda xp, x, y: 1 / xp.sqrt(x * x - 1))
Arctanh = _unary("Arctanh", "arctanh", lambda xp, x, y: 1 / (1 - x * x))


class Expm1(_Unary):
    """exp(x) - 1, accurate near 0; complex x by (e^a cos b - 1) + i e^a sin b with the Array
    API's values at zeros and infinities (NumPy's complex expm1 misses them)."""

    fn = "expm1"

    @staticmethod
    def deriv(xp, x, y):
        return y + 1

    def forward(self, x):
        if x.dtype.kind != "c":
            return super().forward(x)
        xp = get_array_module(x)
        a, b = x.real, x.imag
        em1 = xp.expm1(a)
        re = xp.where(b == 0, em1 + 0.0, em1 * xp.cos(b) - 2 * xp.sin(b / 2) ** 2)
        im = xp.where(b == 0, b, xp.exp(a) * xp.sin(b))
        to_minus_one = a == -xp.inf
        blown = (a == xp.inf) & ~xp.isfinite(b)
        re = xp.where(to_minus_one, -1.0, xp.where(blown, xp.inf, re))
        im = xp.where(to_minus_one, 0.0, xp.where(blown, xp.nan, im))
        y = xp.empty_like(x)
        y.real[...], y.imag[...] = re, im  # NOTE: re + 1j * im turns inf + nan j into nan
        self.x, self.y = x, y
        return y


Exp2 = _unary("Exp2", "exp2", lambda xp, x, y: y * math.log(2))
Log1p = _unary("Log1p", "log1p", lambda xp, x, y: 1 / (1 + x))
Log2 = _unary("Log2", "log2", lambda xp, x, y: 1 / (x * math.log(2)))
Log10 = _unary("Log10", "log10", lambda xp, x, y: 1 / (x * math.log(10)))
Reciprocal = _unary("Reciprocal", "reciprocal", lambda xp, x, y: -y * y)
Cbrt = _unary("Cbrt", "cbrt", lambda xp, x, y: 1 / (3 * y * y))
Deg2rad = _unary("Deg2rad", "deg2rad", lambda xp, x, y: xp.full_like(y, math.pi / 180))
Rad2deg = _unary("Rad2deg", "rad2deg", lambda xp, x, y: xp.full_like(y, 180 / math.pi))
Sinc = _unary("Sinc", "sinc", lambda xp, x, y: xp.where(
    x == 0, 0, (xp.cos(math.pi * x) - y) / xp.where(x == 0, 1, x)))
# Piecewise constant: the derivative is zero wherever it exists.
Sign = _unary("Sign", "sign", lambda xp, x, y: xp.zeros_like(y))
Floor = _unary("Floor", "floor", lambda xp, x, y: xp.zeros_like(y))
Ceil = _unary("Ceil", "ceil", lambda xp, x, y: xp.zeros_like(y))
Trunc = _unary("Trunc", "trunc", lambda xp, x, y: xp.zeros_like(y))
Rint = _unary("Rint", "rint", lambda xp, x, y: xp.zeros_like(y))


class Round(Function):
    """Round half to even at ``decimals`` digits; zero gradient."""

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        return get_array_module(x).round(x, self.decimals)

    def backward(self, gy):
        return (get_array_module(gy).zeros(self.shape, gy.dtype),)


class Real(Function):
    def forward(self, z):
        self.src = z.dtype
        return get_array_module(z).real(z)

    def backward(self, gy):
        return (gy.astype(self.src),)


class Imag(Function):
    def forward(self, z):
        xp = get_array_module(z)
        self.complex = z.dtype.kind == "c"
        return xp.imag(z) if self.complex else xp.zeros_like(z)

    def backward(self, gy):
        return (gy * 1j if self.complex else gy * 0,)


class Conj(Function):
    def forward(self, z):
        return get_array_module(z).conj(z)

    def backward(self, gy):
        return (get_array_module(gy).conj(gy),)


class Angle(Function):
    """arg(z); for z = a + ib, d/da = -b / |z|^2 and d/db = a / |z|^2."""

    def forward(self, z):
        self.z = z
        return get_array_module(z).angle(z)

    def backward(self, gy):
        z = self.z
        if z.dtype.kind != "c":
            return (gy * 0,)
        return (gy * 1j * z / (z.real ** 2 + z.imag ** 2),)

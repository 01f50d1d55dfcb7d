"""Elementwise primitives: arithmetic, exp/log, activations, comparisons-by-mask ops.

Tier 1 of the op set (differentiable primitives). Binary ops broadcast; their backward sums each
gradient back to its input's shape with ``unbroadcast``.
"""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module


def unbroadcast(g, shape):
    """Sum a broadcast gradient back down to ``shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _shape(x):
    return getattr(x, "shape", ())


def _kind(x) -> str:
    """The dtype kind of an array or Python scalar ('c' for complex)."""
    return "c" if isinstance(x, complex) else getattr(getattr(x, "dtype", None), "kind", "f")


def conj(v):
    """conj(v) for a complex array or scalar, v itself otherwise (no copy).

    NOTE: for complex inputs the gradient of a real loss is dL/dRe + i dL/dIm (PyTorch's
    convention), so a product's backward multiplies by the *conjugate* of the other factor."""
    return v.conjugate() if _kind(v) == "c" else v


def real_if(g, kind: str):
    """A gradient in its input's domain: the real part when the input was real."""
    return g.real if kind != "c" and g.dtype.kind == "c" else g


class Add(Function):
    def forward(self, a, b):
        self.sa, self.sb = _shape(a), _shape(b)
        return a + b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy, self.sa) if na else None,
                unbroadcast(gy, self.sb) if nb else None)


class Sub(Function):
    def forward(self, a, b):
        self.sa, self.sb = _shape(a), _shape(b)
        return a - b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy, self.sa) if na else None,
                unbroadcast(-gy, self.sb) if nb else None)


class Mul(Function):
    def forward(self, a, b):
        need = self.needs_input_grad or (False, False)
        self.sa, self.sb = _shape(a), _shape(b)
        self.a = a if need[1] else None  # d/db needs a, d/da needs b
        self.b = b if need[0] else None
        self.ka = _kind(a) if need[0] else None
        self.kb = _kind(b) if need[1] else None
        return a * b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (real_if(unbroadcast(gy * conj(self.b), self.sa), self.ka) if na else None,
                real_if(unbroadcast(gy * conj(self.a), self.sb), self.kb) if nb else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = gy / conj(b)
        gb = real_if(unbroadcast(-ga * conj(a) / conj(b), _shape(b)), _kind(b)) if nb else None
        return (real_if(unbroadcast(ga, _shape(a)), _kind(a)) if na else None, gb)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return (-gy,)


class Pow(Function):
    """x ** y for arrays or scalars on either side."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        na, nb = self.needs_input_grad
        xp = get_array_module(gy)
        a, b = self.a, self.b
        ga = gb = None
        if na:
            ga = real_if(unbroadcast(gy * conj(b * a ** (b - 1)), _shape(a)), _kind(a))
        if nb:
            gb = real_if(unbroadcast(gy * conj(self.y * xp.log(a)), _shape(b)), _kind(b))
        return ga, gb


class Exp(Function):
    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return (gy * conj(self.y),)


class Log(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return (gy / conj(self.x),)


class Sqrt(Function):
    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return (gy / (2 * conj(self.y)),)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return abs(x)

    def backward(self, gy):
        return (gy * get_array_module(gy).sign(self.x),)


class Tanh(Function):
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return (gy * conj(1 - self.y * self.y),)


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # NOTE: tanh form avoids exp overflow warnings for large negative x.
        self.y = 0.5 * (xp.tanh(0.5 * x) + 1)
        return self.y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return (gy * self.y * (1 - self.y),)


class Relu(Function):
    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.maximum(x, 0)
        return self.y

    def backward(self, gy):
        return (gy * (self.y > 0),)


class Maximum(Function):
    """Elementwise max; ties send the gradient to the first input."""

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.sa, self.sb = _shape(a), _shape(b)
        self.mask = a >= b
        return xp.maximum(a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy * self.mask, self.sa) if na else None,
                unbroadcast(gy * ~self.mask, self.sb) if nb else None)


class Minimum(Function):
    """Elementwise min; ties send the gradient to the first input."""

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.sa, self.sb = _shape(a), _shape(b)
        self.mask = a <= b
        return xp.minimum(a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy * self.mask, self.sa) if na else None,
                unbroadcast(gy * ~self.mask, self.sb) if nb else None)


class Clip(Function):
    def forward(self, x):
        self.x = x
        self.lo, self.hi = self.a_min, self.a_max
        return get_array_module(x).clip(x, self.lo, self.hi)

    def backward(self, gy):
        inside = True
        if self.lo is not None:
            inside = inside & (self.x >= self.lo)
        if self.hi is not None:
            inside = inside & (self.x <= self.hi)
        return (gy * inside,)


class Where(Function):
    """where(cond, a, b); cond gets no gradient."""

    def forward(self, cond, a, b):
        xp = get_array_module(cond, a, b)
        self.cond, self.sa, self.sb = cond, _shape(a), _shape(b)
        return xp.where(cond, a, b)

    def backward(self, gy):
        _, na, nb = self.needs_input_grad
        zero = gy.dtype.type(0)
        get = get_array_module(gy).where
        return (None,
                unbroadcast(get(self.cond, gy, zero), self.sa) if na else None,
                unbroadcast(get(self.cond, zero, gy), self.sb) if nb else None)


class Cast(Function):
    def forward(self, x):
        self.src = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return (gy.astype(self.src),)


class Copy(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)


class StopGradient(Function):
    """The same data with no gradient (``x.detach()``): a graph node, so a trace keeps it."""

    differentiable = False

    def forward(self, x):
        return x


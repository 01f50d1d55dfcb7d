"""Differentiable binary elementwise math: atan2, hypot, logaddexp, copysign, remainder, fmod,
floor division, fmax/fmin. Inputs broadcast; gradients are summed back with ``unbroadcast``."""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module
from .elementwise import unbroadcast


def _shape(x):
    return getattr(x, "shape", ())


class _Binary(Function):
    """y = xp.<fn>(a, b); backward multiplies by the partials ``(da, db)`` from (xp, a, b, y)."""

    fn = ""

    @staticmethod
    def partials(xp, a, b, y):
        raise NotImplementedError

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.a, self.b = a, b
        self.y = xp.asarray(getattr(xp, self.fn)(a, b))
        return self.y

    def backward(self, gy):
        na, nb = self.needs_input_grad
        da, db = self.partials(get_array_module(gy), self.a, self.b, self.y)
        return (unbroadcast(gy * da, _shape(self.a)) if na else None,
                unbroadcast(gy * db, _shape(self.b)) if nb else None)


def _binary(name: str, fn: str, partials) -> type:
    return type(name, (_Binary,), {"fn": fn, "partials": staticmethod(partials),
                                   "__doc__": f"Differentiable xp.{fn}."})


def _zero(xp, y):
    return xp.zeros_like(y)


Arctan2 = _binary("Arctan2", "arctan2", lambda xp, a, b, y: (b / (a * a + b * b),
                                                             -a / (a * a + b * b)))
Hypot = _binary("Hypot", "hypot", lambda xp, a, b, y: (a / y, b / y))
Logaddexp = _binary("Logaddexp", "logaddexp", lambda xp, a, b, y: (xp.exp(a - y),
                                                                   xp.exp(b - y)))
Logaddexp2 = _binary("Logaddexp2", "logaddexp2", lambda xp, a, b, y: (
    xp.exp2(a - y), xp.exp2(b - y)))
# d/da copysign(a, b) = sign(a) * sign(b) (with the sign bit of b); b moves no value.
Copysign = _binary("Copysign", "copysign", lambda xp, a, b, y: (
    xp.copysign(1, a) * xp.copysign(1, b), _zero(xp, y)))
# a mod b = a - floor(a / b) * b and fmod(a, b) = a - trunc(a / b) * b, away from the jumps.
Remainder = _binary("Remainder", "remainder", lambda xp, a, b, y: (
    xp.ones_like(y), -xp.floor_divide(a, b)))
Fmod = _binary("Fmod", "fmod", lambda xp, a, b, y: (xp.ones_like(y), -xp.trunc(a / b)))


class FloorDivide(_Binary):
    """floor(a / b), with the Array API's values where one operand is infinite (NumPy gives
    NaN or -1 there: inf // 2 is inf, 1 // -inf is -0); zero gradient."""

    fn = "floor_divide"

    @staticmethod
    def partials(xp, a, b, y):
        return _zero(xp, y), _zero(xp, y)

    def forward(self, a, b):
        y = super().forward(a, b)
        if y.dtype.kind == "f":
            xp = get_array_module(a, b)
            y = xp.where(xp.isinf(a) ^ xp.isinf(b), xp.floor(xp.true_divide(a, b)), y)
            self.y = y
        return y


FloatPower = _binary("FloatPower", "float_power", lambda xp, a, b, y: (
    b * xp.float_power(a, b - 1), y * xp.log(xp.where(a > 0, a, 1))))


class _NanExtreme(Function):
    """fmax/fmin: the non-NaN input wins; ties send the gradient to the first input."""

    fn = ""

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.sa, self.sb = _shape(a), _shape(b)
        y = xp.asarray(getattr(xp, self.fn)(a, b))
        self.take_a = (y == a) | xp.isnan(b)
        return y

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy * self.take_a, self.sa) if na else None,
                unbroadcast(gy * ~self.take_a, self.sb) if nb else None)


class Fmax(_NanExtreme):
    fn = "fmax"


class Fmin(_NanExtreme):
    fn = "fmin"


class Ldexp(Function):
    """x * 2**n for integer n; n gets no gradient."""

    def forward(self, x, n):
        xp = get_array_module(x, n)
        self.sx, self.n = _shape(x), n
        return xp.asarray(xp.ldexp(x, n))

    def backward(self, gy):
        return (unbroadcast(get_array_module(gy).ldexp(gy, self.n), self.sx), None)

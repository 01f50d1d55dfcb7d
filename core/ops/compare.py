"""Non-differentiable elementwise ops: comparisons, logical and bitwise functions, predicates.

Each class calls the array module's function named by its ``op`` attribute, one of the names it
lists; none records a node for backward (their outputs are booleans or integers).
"""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module


class _XpElementwise(Function):
    """y = xp.<op>(*xs) for ``op`` in ``ops``; broadcasting and promotion as in NumPy."""

    differentiable = False
    ops: frozenset = frozenset()

    def forward(self, *xs):
        if self.op not in self.ops:
            raise ValueError(f"{type(self).__name__}: unknown op {self.op!r}; "
                             f"expected one of {sorted(self.ops)}")
        xp = get_array_module(*xs)
        return xp.asarray(getattr(xp, self.op)(*xs))


class Compare(_XpElementwise):
    """``Compare.apply(x, y, op='less')``: a boolean array."""

    ops = frozenset({"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"})


class Logical(_XpElementwise):
    ops = frozenset({"logical_and", "logical_or", "logical_xor", "logical_not"})


class Bitwise(_XpElementwise):
    ops = frozenset({"bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift",
                     "right_shift", "gcd", "lcm"})


class Predicate(_XpElementwise):
    """Tests on values: ``isnan``, ``isinf``, ``signbit``, ... and ``nextafter``/``heaviside``,
    whose derivative is zero or undefined everywhere it matters."""

    ops = frozenset({"isnan", "isinf", "isfinite", "signbit", "isposinf", "isneginf", "isreal",
                     "iscomplex", "nextafter", "heaviside"})


class IsClose(Function):
    """|x - y| <= atol + rtol * |y|, elementwise, as numpy.isclose."""

    differentiable = False

    def forward(self, x, y):
        xp = get_array_module(x, y)
        return xp.asarray(xp.isclose(x, y, rtol=self.rtol, atol=self.atol,
                                     equal_nan=self.equal_nan))

"""Elementwise functions with NumPy's names (and the Array API's aliases): arithmetic,
trigonometric, exponential, rounding, complex parts, comparisons, logical and bitwise.

Inputs broadcast and promote as in NumPy; each function is one op through ``Function.apply``.
NumPy's ufunc keywords (``out=``, ``where=``, ``casting=``...) are not supported and say so.
"""
from __future__ import annotations

import builtins

from ..ndarray import ndarray
from ..ops import binary as bn, compare as cmp, elementwise as ew, unary as un
from ._creation import asarray


def _no_kwargs(name: str, kw: dict):
    if all(v is None for v in kw.values()):  # out=None, dtype=None: NumPy's defaults
        return
    raise TypeError(f"gluonkit.np.{name}: argument(s) {', '.join(sorted(kw))} are not "
                    "supported (NumPy's ufunc keywords out=, where=, casting=, order= and "
                    "dtype=): assign the result, or call .astype() on it")


def _named(fn, name: str, doc: str):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _unary(name: str, call, doc: str):
    """A function of one array named ``name`` (its keywords are NumPy's ufunc ones: refused)."""
    def f(x, /, **kw):
        if kw:
            _no_kwargs(name, kw)
        return call(x)
    return _named(f, name, doc)


def _binary(name: str, call, doc: str):
    def f(x1, x2, /, **kw):
        if kw:
            _no_kwargs(name, kw)
        return call(x1, x2)
    return _named(f, name, doc)


# NOTE: look ``op.apply`` up at call time: a tracer that hooks Function.apply must see it.
def _op1(name, op, doc):
    return _unary(name, lambda x: op.apply(x), doc)


def _op2(name, op, doc):
    return _binary(name, lambda a, b: op.apply(a, b), doc)


def _xp1(name, op, fn, doc):
    return _unary(name, lambda x: op.apply(x, op=fn), doc)


def _xp2(name, op, fn, doc):
    return _binary(name, lambda a, b: op.apply(a, b, op=fn), doc)


# ---------------------------------------------------------------------- arithmetic
add = _op2("add", ew.Add, "x1 + x2, elementwise.")
subtract = _op2("subtract", ew.Sub, "x1 - x2, elementwise.")
multiply = _op2("multiply", ew.Mul, "x1 * x2, elementwise.")
divide = true_divide = _op2("divide", ew.Div, "x1 / x2 (true division), elementwise.")
power = pow = _op2("power", ew.Pow, "x1 ** x2, elementwise.")
float_power = _op2("float_power", bn.FloatPower, "x1 ** x2 computed in float64 (or complex).")
maximum = _op2("maximum", ew.Maximum, "Elementwise maximum (NaN propagates).")
minimum = _op2("minimum", ew.Minimum, "Elementwise minimum (NaN propagates).")
fmax = _op2("fmax", bn.Fmax, "Elementwise maximum ignoring NaN.")
fmin = _op2("fmin", bn.Fmin, "Elementwise minimum ignoring NaN.")
floor_divide = _op2("floor_divide", bn.FloorDivide, "floor(x1 / x2) (gradient zero).")
remainder = mod = _op2("remainder", bn.Remainder, "x1 mod x2 with the sign of x2.")
fmod = _op2("fmod", bn.Fmod, "x1 mod x2 with the sign of x1 (C fmod).")
arctan2 = atan2 = _op2("arctan2", bn.Arctan2, "The angle of the point (x2, x1).")
hypot = _op2("hypot", bn.Hypot, "sqrt(x1**2 + x2**2) without overflow.")
logaddexp = _op2("logaddexp", bn.Logaddexp, "log(exp(x1) + exp(x2)), stably.")
logaddexp2 = _op2("logaddexp2", bn.Logaddexp2, "log2(2**x1 + 2**x2), stably.")
copysign = _op2("copysign", bn.Copysign, "|x1| with the sign of x2.")
ldexp = _op2("ldexp", bn.Ldexp, "x1 * 2**x2 for integer x2.")
negative = _op1("negative", ew.Neg, "-x, elementwise.")
positive = _op1("positive", ew.Copy, "+x (a copy), elementwise.")
abs = absolute = fabs = _op1("abs", ew.Abs, "|x| (the modulus for complex x).")  # noqa: A001
sqrt = _op1("sqrt", ew.Sqrt, "The square root, elementwise.")
square = _unary("square", lambda x: ew.Mul.apply(x, x), "x * x, elementwise.")
reciprocal = _op1("reciprocal", un.Reciprocal, "1 / x, elementwise.")
cbrt = _op1("cbrt", un.Cbrt, "The cube root, elementwise.")

# ---------------------------------------------------------------------- exponential, log
exp = _op1("exp", ew.Exp, "e ** x, elementwise.")
expm1 = _op1("expm1", un.Expm1, "exp(x) - 1, accurate near 0.")
exp2 = _op1("exp2", un.Exp2, "2 ** x, elementwise.")
log = _op1("log", ew.Log, "The natural logarithm, elementwise.")
log1p = _op1("log1p", un.Log1p, "log(1 + x), accurate near 0.")
log2 = _op1("log2", un.Log2, "The base-2 logarithm, elementwise.")
log10 = _op1("log10", un.Log10, "The base-10 logarithm, elementwise.")

# ---------------------------------------------------------------------- trigonometric
sin = _op1("sin", un.Sin, "Sine, elementwise (radians).")
cos = _op1("cos", un.Cos, "Cosine, elementwise (radians).")
tan = _op1("tan", un.Tan, "Tangent, elementwise (radians).")
arcsin = asin = _op1("arcsin", un.Arcsin, "Inverse sine, elementwise.")
arccos = acos = _op1("arccos", un.Arccos, "Inverse cosine, elementwise.")
arctan = atan = _op1("arctan", un.Arctan, "Inverse tangent, elementwise.")
sinh = _op1("sinh", un.Sinh, "Hyperbolic sine, elementwise.")
cosh = _op1("cosh", un.Cosh, "Hyperbolic cosine, elementwise.")
tanh = _op1("tanh", ew.Tanh, "Hyperbolic tangent, elementwise.")
arcsinh = asinh = _op1("arcsinh", un.Arcsinh, "Inverse hyperbolic sine, elementwise.")
arccosh = acosh = _op1("arccosh", un.Arccosh, "Inverse hyperbolic cosine, elementwise.")
arctanh = atanh = _op1("arctanh", un.Arctanh, "Inverse hyperbolic tangent, elementwise.")
deg2rad = radians = _op1("deg2rad", un.Deg2rad, "Degrees to radians.")
rad2deg = degrees = _op1("rad2deg", un.Rad2deg, "Radians to degrees.")
sinc = _op1("sinc", un.Sinc, "sin(pi x) / (pi x), 1 at 0.")

# ---------------------------------------------------------------------- rounding, sign
sign = _op1("sign", un.Sign, "-1, 0 or 1 by the sign of x (z / |z| for complex).")
floor = _op1("floor", un.Floor, "The largest integer <= x (gradient zero).")
ceil = _op1("ceil", un.Ceil, "The smallest integer >= x (gradient zero).")
trunc = fix = _op1("trunc", un.Trunc, "x rounded toward zero (gradient zero).")
rint = _op1("rint", un.Rint, "x rounded to the nearest integer, half to even.")


def round(x, /, decimals: int = 0) -> ndarray:  # noqa: A001
    """x rounded to ``decimals`` digits, half to even (gradient zero)."""
    return un.Round.apply(x, decimals=decimals)


around = round

# ---------------------------------------------------------------------- complex parts
real = _op1("real", un.Real, "The real part (x itself for real x).")
imag = _op1("imag", un.Imag, "The imaginary part (zeros for real x).")
conj = conjugate = _op1("conj", un.Conj, "The complex conjugate.")


def angle(z, deg: builtins.bool = False) -> ndarray:
    """The argument of z, in radians (or degrees)."""
    out = un.Angle.apply(z)
    return rad2deg(out) if deg else out


# ---------------------------------------------------------------------- comparisons, logic
equal = _xp2("equal", cmp.Compare, "equal", "x1 == x2, elementwise (bool).")
not_equal = _xp2("not_equal", cmp.Compare, "not_equal", "x1 != x2, elementwise (bool).")
less = _xp2("less", cmp.Compare, "less", "x1 < x2, elementwise (bool).")
less_equal = _xp2("less_equal", cmp.Compare, "less_equal", "x1 <= x2, elementwise (bool).")
greater = _xp2("greater", cmp.Compare, "greater", "x1 > x2, elementwise (bool).")
greater_equal = _xp2("greater_equal", cmp.Compare, "greater_equal",
                     "x1 >= x2, elementwise (bool).")
logical_and = _xp2("logical_and", cmp.Logical, "logical_and", "x1 and x2, elementwise.")
logical_or = _xp2("logical_or", cmp.Logical, "logical_or", "x1 or x2, elementwise.")
logical_xor = _xp2("logical_xor", cmp.Logical, "logical_xor", "x1 xor x2, elementwise.")
logical_not = _xp1("logical_not", cmp.Logical, "logical_not", "not x, elementwise.")
bitwise_and = _xp2("bitwise_and", cmp.Bitwise, "bitwise_and", "x1 & x2 (integers, bools).")
bitwise_or = _xp2("bitwise_or", cmp.Bitwise, "bitwise_or", "x1 | x2 (integers, bools).")
bitwise_xor = _xp2("bitwise_xor", cmp.Bitwise, "bitwise_xor", "x1 ^ x2 (integers, bools).")
bitwise_invert = invert = bitwise_not = _xp1("bitwise_invert", cmp.Bitwise, "invert",
                                             "~x (integers, bools).")
bitwise_left_shift = left_shift = _xp2("bitwise_left_shift", cmp.Bitwise, "left_shift",
                                       "x1 << x2 (integers).")
bitwise_right_shift = right_shift = _xp2("bitwise_right_shift", cmp.Bitwise, "right_shift",
                                         "x1 >> x2 (integers).")
gcd = _xp2("gcd", cmp.Bitwise, "gcd", "Greatest common divisor (integers).")
lcm = _xp2("lcm", cmp.Bitwise, "lcm", "Least common multiple (integers).")
isnan = _xp1("isnan", cmp.Predicate, "isnan", "Whether x is NaN.")
isinf = _xp1("isinf", cmp.Predicate, "isinf", "Whether x is +-infinity.")
isfinite = _xp1("isfinite", cmp.Predicate, "isfinite", "Whether x is neither NaN nor infinite.")
isposinf = _xp1("isposinf", cmp.Predicate, "isposinf", "Whether x is +infinity.")
isneginf = _xp1("isneginf", cmp.Predicate, "isneginf", "Whether x is -infinity.")
signbit = _xp1("signbit", cmp.Predicate, "signbit", "Whether the sign bit of x is set.")
isreal = _xp1("isreal", cmp.Predicate, "isreal", "Whether the imaginary part of x is 0.")
iscomplex = _xp1("iscomplex", cmp.Predicate, "iscomplex", "Whether x has a nonzero imaginary part.")
nextafter = _xp2("nextafter", cmp.Predicate, "nextafter", "The next float after x1 toward x2.")
heaviside = _xp2("heaviside", cmp.Predicate, "heaviside", "0 below 0, x2 at 0, 1 above.")


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: builtins.bool = False) -> ndarray:
    """|a - b| <= atol + rtol * |b|, elementwise (bool)."""
    return cmp.IsClose.apply(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: builtins.bool = False) -> builtins.bool:
    """Whether isclose holds everywhere (a host read: a Python bool)."""
    return builtins.bool(isclose(a, b, rtol, atol, equal_nan).all())


def array_equal(a1, a2, equal_nan: builtins.bool = False) -> builtins.bool:
    """Whether a1 and a2 have the same shape and elements (a Python bool)."""
    a1, a2 = asarray(a1), asarray(a2)
    if a1.shape != a2.shape:
        return False
    same = equal(a1, a2)
    if equal_nan:
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return builtins.bool(same.all())


# ---------------------------------------------------------------------- selection
def where(condition, x1=None, x2=None, /):
    """x1 where condition holds, else x2 (differentiable in both); with condition alone, the
    indices of its nonzero elements (as ``nonzero``)."""
    if x1 is None and x2 is None:
        from ._search import nonzero
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither")
    return ew.Where.apply(condition, x1, x2)


def clip(x, /, min=None, max=None, *, a_min=None, a_max=None) -> ndarray:  # noqa: A002
    """x limited to [min, max] (scalars or arrays; None: no bound); differentiable in all."""
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    x = asarray(x)
    if not isinstance(lo, ndarray) and not isinstance(hi, ndarray) and \
            not hasattr(lo, "shape") and not hasattr(hi, "shape"):
        return ew.Clip.apply(x, a_min=lo, a_max=hi)
    out = x
    if lo is not None:
        out = ew.Maximum.apply(out, lo)
    if hi is not None:
        out = ew.Minimum.apply(out, hi)
    return out if out.dtype == x.dtype else out.astype(x.dtype)


def nan_to_num(x, copy: builtins.bool = True, nan: float = 0.0, posinf=None,
               neginf=None) -> ndarray:
    """NaN and infinities replaced by finite numbers; the gradient flows where x was finite."""
    x = asarray(x)
    if x.dtype.kind not in "fc":
        return x
    from ._dtypes import finfo
    info = finfo(x.dtype)
    out = where(isnan(x), nan, x)
    out = where(isposinf(out), info.max if posinf is None else posinf, out)
    return where(isneginf(out), info.min if neginf is None else neginf, out)

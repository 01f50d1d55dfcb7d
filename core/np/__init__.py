"""``gluonkit.np``: NumPy's everyday API and the Array API standard, on devices, differentiable.

Code written for NumPy runs with autograd (and on a GPU) by changing the import::

    from gluonkit import np
    x = np.linspace(0, 1, 5).attach_grad()
    with gluonkit.autograd.record():
        y = np.sin(x).sum()
    y.backward()            # x.grad == cos(x)

Every function is one op (or a composite of ops) through ``Function.apply``; creation functions
take ``dtype=`` and ``device=`` and default to float32. Names NumPy has and gluonkit lacks raise
an AttributeError saying so.
"""
from __future__ import annotations

import sys as _sys

import numpy as _numpy

from .. import ndarray_methods as _methods, np_random as random
from ..ndarray import ndarray
from . import fft, linalg
from ._creation import (arange, array, asanyarray, asarray, ascontiguousarray, copy, diag,
                        diagflat, empty, empty_like, eye, from_dlpack, full, full_like,
                        identity, linspace, logspace, meshgrid, ones, ones_like, tri, tril,
                        triu, zeros, zeros_like)
from ._dtypes import (__array_namespace_info__, astype, bool, bool_, can_cast, cdouble, complex64,
                      complex128, complexfloating, csingle, double, dtype, finfo, finfo_object,
                      float16,
                      float32, float64, floating, generic, half, iinfo, inexact, int8, int16,
                      int32, int64, integer, intp, iscomplexobj, isdtype, isrealobj, issubdtype,
                      number, promote_types, result_type, signedinteger, single, uint8, uint16,
                      uint32, uint64, uintp, unsignedinteger)
from ._manip import (array_split, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays,
                     broadcast_shapes, broadcast_to, column_stack, concat, concatenate, diagonal,
                     dstack, expand_dims, flip, fliplr, flipud, hsplit, hstack, matrix_transpose,
                     moveaxis, ndim, pad, permute_dims, ravel, repeat, reshape, roll, shape, size,
                     split, squeeze, stack, swapaxes, take, take_along_axis, tile, trace,
                     transpose, unstack, vsplit, vstack)
from ._math import (abs, absolute, acos, acosh, add, allclose, angle, arccos, arccosh, arcsin,
                    arcsinh, arctan, arctan2, arctanh, around, array_equal, asin, asinh, atan,
                    atan2, atanh, bitwise_and, bitwise_invert, bitwise_left_shift, bitwise_not,
                    bitwise_or, bitwise_right_shift, bitwise_xor, cbrt, ceil, clip, conj,
                    conjugate, copysign, cos, cosh, deg2rad, degrees, divide, equal, exp, exp2,
                    expm1, fabs, fix, float_power, floor, floor_divide, fmax, fmin, fmod, gcd,
                    greater, greater_equal, heaviside, hypot, imag, invert, isclose, iscomplex,
                    isfinite, isinf, isnan, isneginf, isposinf, isreal, lcm, ldexp, left_shift,
                    less, less_equal, log, log1p, log2, log10, logaddexp, logaddexp2,
                    logical_and, logical_not, logical_or, logical_xor, maximum, minimum, mod,
                    multiply, nan_to_num, negative, nextafter, not_equal, positive, pow, power,
                    rad2deg, radians, real, reciprocal, remainder, right_shift, rint, round,
                    sign, signbit, sin, sinc, sinh, sqrt, square, subtract, tan, tanh,
                    true_divide, trunc, where)
from ._products import (cross, dot, einsum, inner, kron, matmul, outer, polyfit, polyval,
                        tensordot, vander, vdot, vecdot)
from ._reduce import (all, amax, amin, any, average, count_nonzero, cumprod,
                      cumsum, cumulative_prod, cumulative_sum, diff, max, mean, median,
                      min, percentile, prod, ptp, quantile, std, sum, var)
from ._search import (argmax, argmin, argpartition, argsort, argwhere, bincount, digitize,
                      flatnonzero, histogram, isin, nonzero, partition, searchsorted, sort,
                      unique, unique_all, unique_counts, unique_inverse, unique_values)

__array_api_version__ = "2024.12"
e, pi, inf, nan, euler_gamma = _numpy.e, _numpy.pi, _numpy.inf, _numpy.nan, _numpy.euler_gamma
newaxis = None

_MODULES = ["fft", "linalg", "random"]
__all__ = sorted(name for name, value in list(globals().items())
                 if not name.startswith("_") and name not in ("annotations",)
                 and not type(value).__name__ == "module") + _MODULES + [
                     "__array_api_version__", "__array_namespace_info__"]


def __dir__():
    return list(__all__)


def __getattr__(name: str):
    """A clear error for the NumPy names gluonkit.np does not provide."""
    if name.startswith("__"):
        raise AttributeError(name)
    if hasattr(_numpy, name):
        raise AttributeError(
            f"gluonkit.np has no {name!r}: numpy.{name} is not supported on gluonkit arrays; "
            "compute it in NumPy on x.asnumpy() and wrap the result with gluonkit.np.array")
    raise AttributeError(f"module 'gluonkit.np' has no attribute {name!r}")


_methods.bind(_sys.modules[__name__])

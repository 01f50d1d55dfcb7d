"""Data types of ``gluonkit.np``: the dtype objects, finfo/iinfo, promotion and casting rules
(NumPy's), ``isdtype`` and the Array API's inspection namespace."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy

from ..device import Device, current_device

bool = numpy.bool_  # noqa: A001  (the Array API's name for the boolean dtype)
bool_ = numpy.bool_
int8, int16, int32, int64 = numpy.int8, numpy.int16, numpy.int32, numpy.int64
uint8, uint16, uint32, uint64 = numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64
float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
complex64, complex128 = numpy.complex64, numpy.complex128
intp, uintp = numpy.intp, numpy.uintp
half, single, double = float16, float32, float64
csingle, cdouble = complex64, complex128
dtype = numpy.dtype
# The abstract scalar types, for issubdtype(x.dtype, np.floating) and friends.
generic, number, integer, signedinteger = (numpy.generic, numpy.number, numpy.integer,
                                           numpy.signedinteger)
unsignedinteger, inexact, floating, complexfloating = (numpy.unsignedinteger, numpy.inexact,
                                                       numpy.floating, numpy.complexfloating)

_SUPPORTED = "biufc"  # bool, signed, unsigned, float, complex
_KINDS = {
    "bool": "b",
    "signed integer": "i",
    "unsigned integer": "u",
    "integral": "iu",
    "real floating": "f",
    "complex floating": "c",
    "numeric": "iufc",
}


def _dtype_of(x):
    """The dtype of an ndarray / raw array, or x itself as a dtype."""
    if isinstance(x, (type, numpy.dtype, str)) or not hasattr(x, "dtype"):
        return x
    return numpy.dtype(x.dtype)


def check_dtype(fn: str, d, arg: str = "dtype"):
    """``numpy.dtype(d)``, or a TypeError naming fn and arg for a dtype gluonkit lacks."""
    if d is None:
        return None
    try:
        d = numpy.dtype(d)
    except TypeError as e:
        raise TypeError(f"gluonkit.np.{fn}: argument {arg!r} is not a dtype: {d!r}") from e
    if d.kind not in _SUPPORTED and d.name != "bfloat16":  # ml_dtypes' bfloat16 (kind 'V')
        raise TypeError(f"gluonkit.np.{fn}: argument {arg!r} is {d} ({d.kind!r} kind); gluonkit "
                        "arrays hold bool, integer, float and complex values only (object, "
                        "string, datetime and structured arrays stay in NumPy)")
    return d


finfo_object = namedtuple("finfo_object", "bits eps max min smallest_normal tiny resolution "
                          "precision dtype")


def finfo(type, /) -> finfo_object:  # noqa: A002  (the Array API's parameter name)
    """Machine limits of a floating dtype (or an array's dtype), as Python floats."""
    f = numpy.finfo(_dtype_of(type))
    return finfo_object(int(f.bits), float(f.eps), float(f.max), float(f.min),
                        float(f.smallest_normal), float(f.tiny), float(f.resolution),
                        int(f.precision), f.dtype)


def iinfo(type, /):  # noqa: A002
    """Machine limits of an integer dtype (or an array's dtype), as numpy.iinfo."""
    return numpy.iinfo(_dtype_of(type))


def can_cast(from_, to, /, casting: str = "safe") -> builtins.bool:
    """Whether values of ``from_`` (a dtype or array) cast to ``to`` under ``casting``."""
    return builtins.bool(numpy.can_cast(_dtype_of(from_), to, casting=casting))


def result_type(*arrays_and_dtypes):
    """The dtype NumPy's promotion gives these arrays, dtypes and Python scalars."""
    return numpy.result_type(*[_dtype_of(a) for a in arrays_and_dtypes])


def promote_types(type1, type2):
    """The smallest dtype both type1 and type2 cast to safely."""
    return numpy.promote_types(type1, type2)


def issubdtype(arg1, arg2) -> builtins.bool:
    """Whether arg1's dtype is arg2 or below it in NumPy's type hierarchy."""
    return builtins.bool(numpy.issubdtype(_dtype_of(arg1), _dtype_of(arg2)))


def isdtype(dtype, kind) -> builtins.bool:  # noqa: A002
    """Whether dtype is of kind: a dtype, a kind name ('integral', 'real floating', ...) or a
    tuple of them (the Array API's isdtype)."""
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    d = numpy.dtype(dtype)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; expected a dtype or one of "
                             f"{sorted(_KINDS)}")
        return d.kind in _KINDS[kind]
    return d == numpy.dtype(kind)


def iscomplexobj(x) -> builtins.bool:
    """Whether x has a complex dtype."""
    return numpy.dtype(_dtype_of(x)).kind == "c" if hasattr(x, "dtype") else \
        numpy.iscomplexobj(x)


def isrealobj(x) -> builtins.bool:
    """Whether x has a non-complex dtype."""
    return not iscomplexobj(x)


def astype(x, dtype, /, *, copy: builtins.bool = True, device=None):
    """x converted to dtype (differentiable; the gradient returns in x's dtype); with
    ``copy=False`` x itself when nothing changes."""
    d = check_dtype("astype", dtype)
    out = x if d == x.dtype and not copy else x.astype(d)
    return out if device is None else out.to_device(device)


class _Info:
    """What ``__array_namespace_info__()`` returns: devices, default dtypes, capabilities."""

    def capabilities(self) -> dict:
        return {"boolean indexing": True, "data-dependent shapes": True,
                "max dimensions": 64}

    def default_device(self) -> Device:
        return current_device()

    def devices(self) -> list:
        from ..device import gpu, num_gpus
        return [Device("cpu", 0)] + [gpu(i) for i in range(num_gpus())]

    def default_dtypes(self, *, device=None) -> dict:
        return {"real floating": numpy.dtype(float32), "complex floating":
                numpy.dtype(complex64), "integral": numpy.dtype(int64),
                "indexing": numpy.dtype(int64)}

    def dtypes(self, *, device=None, kind=None) -> dict:
        names = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float32", "float64", "complex64", "complex128"]
        return {n: numpy.dtype(n) for n in names
                if kind is None or isdtype(numpy.dtype(n), kind)}


def __array_namespace_info__() -> _Info:
    """The Array API inspection namespace of gluonkit.np."""
    return _Info()

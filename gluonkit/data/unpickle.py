"""A restricted unpickler for CIFAR's python batch files.

A CIFAR batch is a dict of lists, bytes, ints and strings, except ``data``: a pickled NumPy uint8
array. Pickle rebuilds an array by calling three NumPy globals (``_reconstruct``, ``ndarray``,
``dtype``) and ``__setstate__``; they are mapped here to stand-ins that can only turn raw bytes
into a plain numeric array. Every other global is refused, so a malicious file fails before any
of its code runs.
"""
from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as onp

__all__ = ["restricted_loads", "RestrictedUnpickler"]

# Plain numeric dtypes only: no objects (which would unpickle more), no structured records.
_DTYPES = {"u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f2", "f4", "f8", "b1"}


class _Dtype:
    """Stand-in for ``numpy.dtype(code, align, copy)`` followed by ``__setstate__``."""

    def __init__(self, code: Any, align: Any = False, copy: Any = True):
        code = code.decode() if isinstance(code, bytes) else code
        if code not in _DTYPES:
            raise pickle.UnpicklingError(f"refusing array dtype {code!r}: only plain numbers")
        self.code, self.order = code, "|"

    def __setstate__(self, state: tuple) -> None:
        order = state[1].decode() if isinstance(state[1], bytes) else state[1]
        self.order = order if order in "<>" else "|"

    def numpy(self) -> onp.dtype:
        return onp.dtype(self.code if self.order == "|" else self.order + self.code)


class _Array:
    """Stand-in for an ndarray being rebuilt: ``_reconstruct`` makes it, ``__setstate__`` fills
    it with (version, shape, dtype, fortran_order, raw bytes)."""

    value: onp.ndarray | None = None

    def __setstate__(self, state: tuple) -> None:
        shape, dtype, fortran, raw = state[-4:]
        if not isinstance(dtype, _Dtype) or not isinstance(raw, (bytes, bytearray, str)):
            raise pickle.UnpicklingError("malformed pickled array state")
        raw = raw.encode("latin1") if isinstance(raw, str) else bytes(raw)
        flat = onp.frombuffer(raw, dtype=dtype.numpy())
        self.value = flat.reshape(shape, order="F" if fortran else "C").copy()


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> _Array:
    if cls is not _Array:
        raise pickle.UnpicklingError("_reconstruct may only build arrays")
    return _Array()


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> onp.ndarray:
    """Protocol-5 arrays (NumPy >= 1.16 writes them for ``protocol=5``)."""
    if not isinstance(dtype, _Dtype):
        raise pickle.UnpicklingError("malformed pickled array")
    flat = onp.frombuffer(bytes(buf), dtype=dtype.numpy())
    return flat.reshape(shape, order="F" if order == "F" else "C").copy()


def _encode(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode``: how Python 3 writes bytes in protocol 2."""
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("refusing _codecs.encode other than str -> latin1 bytes")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): _Array,
    ("numpy", "dtype"): _Dtype,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Admits dicts, lists, tuples, bytes, ints, floats, strings and plain numeric arrays."""

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: a CIFAR batch holds only dicts, lists, "
                "bytes, numbers, strings and uint8 arrays, so this file is not one (or has "
                "been tampered with)")
        return found


def _unwrap(obj: Any) -> Any:
    if isinstance(obj, _Array):
        if obj.value is None:
            raise pickle.UnpicklingError("a pickled array had no data")
        return obj.value
    if isinstance(obj, dict):
        return {k: _unwrap(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(v) for v in obj)
    return obj


def restricted_loads(data: bytes) -> Any:
    """Unpickle a CIFAR batch (Python 2 or 3 pickle); dict keys stay ``bytes`` for Python 2
    files, as ``pickle.loads(..., encoding="bytes")`` gives them."""
    return _unwrap(RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load())

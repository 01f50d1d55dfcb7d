"""The ndarray methods and protocols added for NumPy / Array API compatibility.

``ndarray`` inherits this mixin; each method calls the ``gluonkit.np`` function of the same
name (bound by ``bind`` once the namespace exists, as ``autograd._ndarray`` is), so every
method is an op through ``Function.apply``. Interop protocols (DLPack, CUDA array interface)
hand out the raw buffer without a copy.
"""
from __future__ import annotations

from .graph.tracer import check_host_read

_np = None  # gluonkit.np, set by bind()


def bind(namespace) -> None:
    """Give the mixin the namespace it calls (gluonkit.np)."""
    global _np
    _np = namespace


class NdarrayMethods:
    __slots__ = ()

    # ------------------------------------------------------------------ protocols
    def __array_namespace__(self, /, *, api_version: str | None = None):
        """The Array API namespace of this array: gluonkit.np."""
        if api_version not in (None, "2021.12", "2022.12", "2023.12", "2024.12"):
            raise ValueError(f"gluonkit.np implements the Array API 2024.12, not {api_version!r}")
        return _np

    def __dlpack__(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of the raw buffer (zero-copy): ``torch.from_dlpack(x)`` works."""
        kw = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                                ("dl_device", dl_device), ("copy", copy)) if v is not None}
        return self._data.__dlpack__(**kw)

    def __dlpack_device__(self, /) -> tuple:
        return self._data.__dlpack_device__()

    @property
    def __cuda_array_interface__(self) -> dict:
        """CuPy's / Numba's / PyTorch's view of a GPU array (GPU arrays only)."""
        if self.device.kind != "gpu":
            raise AttributeError("__cuda_array_interface__ exists on GPU arrays only; a CPU "
                                 "array offers __array__ and __dlpack__")
        return self._data.__cuda_array_interface__

    def __complex__(self) -> complex:
        check_host_read(self, "complex(x)")
        return complex(self._data)

    # ------------------------------------------------------------------ operators
    def __lshift__(self, o, /): return _np.bitwise_left_shift(self, o)
    def __rlshift__(self, o, /): return _np.bitwise_left_shift(o, self)
    def __rshift__(self, o, /): return _np.bitwise_right_shift(self, o)
    def __rrshift__(self, o, /): return _np.bitwise_right_shift(o, self)
    def __rand__(self, o, /): return _np.bitwise_and(o, self)
    def __ror__(self, o, /): return _np.bitwise_or(o, self)
    def __rxor__(self, o, /): return _np.bitwise_xor(o, self)
    def __rfloordiv__(self, o, /): return _np.floor_divide(o, self)
    def __rmod__(self, o, /): return _np.remainder(o, self)

    # ------------------------------------------------------------------ properties
    @property
    def mT(self):
        """The array with its last two axes swapped."""
        return _np.matrix_transpose(self)

    @property
    def real(self):
        return _np.real(self)

    @property
    def imag(self):
        return _np.imag(self)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    # ------------------------------------------------------------------ methods
    def conj(self): return _np.conj(self)
    def conjugate(self): return _np.conj(self)
    def round(self, decimals: int = 0): return _np.round(self, decimals)
    def cumsum(self, axis=None, dtype=None): return _np.cumsum(self, axis, dtype)
    def cumprod(self, axis=None, dtype=None): return _np.cumprod(self, axis, dtype)
    def argsort(self, axis=-1, kind=None): return _np.argsort(self, axis, kind)
    def argpartition(self, kth, axis=-1): return _np.argpartition(self, kth, axis)
    def nonzero(self): return _np.nonzero(self)
    def take(self, indices, axis=None): return _np.take(self, indices, axis)
    def repeat(self, repeats, axis=None): return _np.repeat(self, repeats, axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _np.diagonal(self, offset, axis1, axis2)

    def searchsorted(self, v, side="left", sorter=None):
        return _np.searchsorted(self, v, side, sorter)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None):
        return _np.trace(self, offset, axis1, axis2, dtype)

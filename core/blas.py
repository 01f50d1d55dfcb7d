"""Direct calls into the BLAS that NumPy itself loaded, for GEMMs ``numpy.matmul`` cannot express.

``numpy.matmul`` always overwrites its output. A convolution written as one GEMM per kernel
offset (core/ops/conv_shifted.py) needs ``C += A @ B`` over strided views of one padded buffer,
which is what BLAS's ``gemm`` does natively (``beta = 1``, leading dimensions). The library is
found with threadpoolctl (the same library NumPy calls for ``@``, so threads and numerics match);
only OpenBLAS is bound, its integer width read from its own build string. Where no such BLAS is
loaded (NumPy on MKL or Accelerate), ``available()`` is False and callers take their NumPy path.
"""
from __future__ import annotations

import ctypes
import functools

import numpy

__all__ = ["available", "gemm"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


@functools.lru_cache(maxsize=None)
def _routines() -> dict | None:
    """{dtype: cblas ?gemm} from NumPy's OpenBLAS, or None when it cannot be bound safely."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    libs = [i for i in threadpoolctl.threadpool_info()
            if i.get("user_api") == "blas" and i.get("internal_api") == "openblas"]
    if not libs:
        return None
    lib = ctypes.CDLL(libs[0]["filepath"])
    for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
        config = getattr(lib, f"{prefix}openblas_get_config{suffix}", None)
        sgemm = getattr(lib, f"{prefix}cblas_sgemm{suffix}", None)
        dgemm = getattr(lib, f"{prefix}cblas_dgemm{suffix}", None)
        if config is not None and sgemm is not None and dgemm is not None:
            break
    else:
        return None
    config.restype = ctypes.c_char_p
    index = ctypes.c_int64 if b"USE64BITINT" in config() else ctypes.c_int32
    routines = {}
    for dtype, fn, scalar in ((numpy.float32, sgemm, ctypes.c_float),
                              (numpy.float64, dgemm, ctypes.c_double)):
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, index, index, index, scalar,
                       ctypes.c_void_p, index, ctypes.c_void_p, index, scalar, ctypes.c_void_p,
                       index]
        fn.restype = None
        routines[numpy.dtype(dtype)] = fn
    return routines


def available(dtype) -> bool:
    """Whether ``gemm`` runs for arrays of ``dtype`` (float32/float64 on OpenBLAS)."""
    routines = _routines()
    return routines is not None and numpy.dtype(dtype) in routines


def _leading(a: numpy.ndarray, cols: int) -> int:
    """The leading dimension of a 2-D view with unit column stride, checked so BLAS stays inside."""
    if a.ndim != 2 or a.strides[1] != a.itemsize or a.strides[0] % a.itemsize:
        raise ValueError(f"blas.gemm needs 2-D views with unit column stride, got strides "
                         f"{a.strides} for shape {a.shape}")
    ld = a.strides[0] // a.itemsize
    if a.shape[0] > 1 and ld < cols:
        raise ValueError(f"blas.gemm: leading dimension {ld} < {cols} columns")
    return max(ld, cols, 1)


def gemm(a, b, c, beta: float = 0.0, trans_a: bool = False, trans_b: bool = False) -> None:
    """``c = op(a) @ op(b) + beta * c`` in place, where op transposes when asked.

    All three are 2-D NumPy views of one dtype whose rows may be strided (any leading
    dimension) but whose columns are contiguous, e.g. ``buf[:, off:off + n]``.

    Example::

        blas.gemm(W, x_padded[:, 3:3 + n], y, beta=1.0)   # y += W @ x_padded[:, 3:3 + n]
    """
    if not (a.dtype == b.dtype == c.dtype):
        raise TypeError(f"blas.gemm: dtypes differ ({a.dtype}, {b.dtype}, {c.dtype})")
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    if (a.shape[::-1] if trans_a else a.shape) != (m, k) or \
            (b.shape[::-1] if trans_b else b.shape) != (k, n):
        raise ValueError(f"blas.gemm: shapes {a.shape}{'ᵀ' if trans_a else ''} @ "
                         f"{b.shape}{'ᵀ' if trans_b else ''} -> {c.shape} do not match")
    fn = _routines()[c.dtype]
    fn(_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS, m, n, k,
       1.0, a.ctypes.data, _leading(a, a.shape[1]), b.ctypes.data, _leading(b, b.shape[1]),
       beta, c.ctypes.data, _leading(c, n))

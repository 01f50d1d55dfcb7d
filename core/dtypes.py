"""Low-precision dtypes for mixed precision: float16 (NumPy's) and bfloat16 (from ml_dtypes).

NumPy has no bfloat16; importing ``ml_dtypes`` registers it, so ``numpy.dtype("bfloat16")``,
``x.astype("bfloat16")`` and CuPy 14's bfloat16 arrays all work after this module is imported.
"""
from __future__ import annotations

import numpy

try:
    import ml_dtypes
    bfloat16 = numpy.dtype(ml_dtypes.bfloat16)
except ImportError:  # ml_dtypes ships with the gpu and onnx extras
    bfloat16 = None

__all__ = ["bfloat16", "is_low_precision", "resolve"]


def resolve(name) -> numpy.dtype:
    """``numpy.dtype(name)``, with a clear error when bfloat16 is asked for without ml_dtypes."""
    if str(name) == "bfloat16" and bfloat16 is None:
        raise TypeError("bfloat16 needs the ml_dtypes package: pip install ml_dtypes "
                        "(it comes with gluonkit[gpu])")
    return numpy.dtype(name)


def is_low_precision(dtype) -> bool:
    """True for the 16-bit floats that train with float32 master weights."""
    dt = numpy.dtype(dtype)
    return dt == bfloat16 or (dt.kind == "f" and dt.itemsize == 2)

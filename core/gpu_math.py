"""Math modes of the GPU's matrix units, as PyTorch's ``torch.backends.cuda.matmul.allow_tf32``.

cuBLAS runs float32 GEMMs in full float32 by default; ``allow_tf32(True)`` lets it use the TF32
tensor cores (10-bit mantissa inputs, float32 accumulation: ~3e-4 relative error, several times
the float32 rate). float16/bfloat16 GEMMs always use the tensor cores with float32 accumulation.
Tests compare against the CPU with TF32 off (the default).
"""
from __future__ import annotations

import numpy

from .device import DeviceError, _cupy, num_gpus

__all__ = ["allow_tf32", "tf32_allowed"]


def _linalg():
    return _cupy()._core._routines_linalg


def allow_tf32(flag: bool) -> None:
    """Let float32 matrix products on the GPU use TF32 tensor cores (or forbid it again)."""
    if num_gpus() == 0:
        raise DeviceError("allow_tf32: no CUDA device here; TF32 is a GPU matrix-unit mode")
    L = _linalg()
    L.set_compute_type(numpy.float32, L.COMPUTE_TYPE_TF32 if flag else L.COMPUTE_TYPE_DEFAULT)


def tf32_allowed() -> bool:
    """Whether float32 GEMMs on the GPU currently run in TF32."""
    try:
        L = _linalg()
    except DeviceError:
        return False
    return L.get_compute_type(numpy.float32) == L.COMPUTE_TYPE_TF32

"""gluonkit: a computer-vision model zoo and training toolkit on its own autograd core.

    import gluonkit as gk
    x = gk.np.ones((2, 3))
"""
import sys as _sys

from .core import (Device, DeviceError, autograd, cpu, current_device, device, gpu, ndarray, np,
                   npx, num_gpus, random)
from .predict import predict

# ``import gluonkit.np`` / ``from gluonkit.np import random`` work like real subpackages.
_sys.modules[__name__ + ".np"] = np
for _sub in ("fft", "linalg", "random"):
    _sys.modules[f"{__name__}.np.{_sub}"] = getattr(np, _sub)
del _sub
_sys.modules[__name__ + ".npx"] = npx
_sys.modules[__name__ + ".autograd"] = autograd
_sys.modules[__name__ + ".random"] = random

from . import onnx  # noqa: E402  (the onnx package itself is imported on first export)

__version__ = "0.1.0"
__all__ = ["np", "npx", "autograd", "random", "cpu", "gpu", "num_gpus", "device",
           "current_device", "Device", "DeviceError", "ndarray", "onnx", "predict"]

"""gluonkit.core: the tensor and autograd engine (NumPy on CPU, CuPy on GPU)."""
from . import autograd, dtypes, random
from . import np
from . import npx
from .device import (Device, DeviceError, cpu, current_device, device, get_array_module, gpu,
                     num_gpus)
from .ndarray import ndarray

__all__ = ["autograd", "dtypes", "random", "np", "npx", "Device", "DeviceError", "cpu", "gpu",
           "num_gpus", "device", "current_device", "get_array_module", "ndarray"]

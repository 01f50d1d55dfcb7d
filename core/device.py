"""Devices and the array module behind them: NumPy on the CPU, CuPy on NVIDIA GPUs.

CuPy is imported only when a GPU is asked for, so a CPU-only machine never needs it.
"""
from __future__ import annotations

import contextlib
import threading

import numpy

__all__ = ["Device", "DeviceError", "cpu", "gpu", "num_gpus", "device", "current_device",
           "get_array_module", "device_of", "on_device", "scope_of"]


class DeviceError(RuntimeError):
    """A device was asked for that this machine cannot provide."""


def _cupy():
    """Import CuPy on first use; raise DeviceError saying why it is unusable."""
    try:
        import cupy
    except ImportError as e:
        raise DeviceError(
            "a GPU was requested but CuPy is not installed: install it with "
            "`pip install gluonkit[gpu]` (cupy-cuda13x) on a machine with an NVIDIA GPU"
        ) from e
    return cupy


class Device:
    """One place arrays live: ``Device('cpu')`` or ``Device('gpu', i)``."""

    __slots__ = ("kind", "index")

    def __init__(self, kind: str = "cpu", index: int = 0):
        if kind not in ("cpu", "gpu"):
            raise ValueError(f"device kind must be 'cpu' or 'gpu', got {kind!r}")
        self.kind = kind
        self.index = int(index)

    @property
    def xp(self):
        """The array module of this device: numpy or cupy."""
        return numpy if self.kind == "cpu" else _cupy()

    def __eq__(self, other):
        return isinstance(other, Device) and (self.kind, self.index) == (other.kind, other.index)

    def __hash__(self):
        return hash((self.kind, self.index))

    def __repr__(self):
        return f"{self.kind}({self.index})"

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()


def cpu(i: int = 0) -> Device:
    return Device("cpu", 0)


def num_gpus() -> int:
    """Number of usable CUDA devices (0 when CuPy or a driver is missing)."""
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


def gpu(i: int = 0) -> Device:
    """The i-th GPU; raises DeviceError naming the reason when it cannot be used."""
    cupy = _cupy()
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # no driver, no device
        raise DeviceError(f"a GPU was requested but CUDA reports no usable device: {e}") from e
    if not 0 <= i < count:
        raise DeviceError(f"gpu({i}) requested but this machine has {count} GPU(s)")
    return Device("gpu", i)


_local = threading.local()


def _stack() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = [Device("cpu", 0)]
    return _local.stack


def current_device() -> Device:
    """The default device for new arrays (set with ``with gluonkit.device(d):``)."""
    return _stack()[-1]


def device(d: Device) -> Device:
    """``with gluonkit.device(gluonkit.gpu(0)):`` makes d the default device."""
    if not isinstance(d, Device):
        raise TypeError(f"expected a Device such as gluonkit.cpu(), got {d!r}")
    return d


def get_array_module(*arrays):
    """numpy or cupy, from the type of the first array that belongs to CuPy (Chainer's rule)."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            return _cupy()
    return numpy


def device_of(raw) -> Device:
    """The Device holding a raw numpy/cupy array."""
    if type(raw).__module__.startswith("cupy"):
        return Device("gpu", raw.device.id)
    return Device("cpu", 0)


_NO_SCOPE = contextlib.nullcontext()


def on_device(d: Device):
    """A context in which CuPy allocates and launches on ``d`` (a no-op for the CPU).

    The one device scope of the core: creation functions, transfers, generators and ops enter
    it, so an op on ``gpu(1)`` arrays runs on device 1 whatever CuPy's current device is.
    """
    if d.kind == "cpu":
        return _NO_SCOPE
    return _cupy().cuda.Device(d.index)


def scope_of(raws):
    """``on_device`` of the first CuPy array among ``raws`` (a shared no-op when there is none)."""
    for a in raws:
        if type(a).__module__.startswith("cupy"):
            return a.device  # a cupy.cuda.Device: entering it makes it current
    return _NO_SCOPE

"""Where a run trains: ``train.device`` read against the GPUs this machine really has."""
from __future__ import annotations

import contextlib
from typing import Callable

import gluonkit as gk
from gluonkit.core.device import DeviceError

from .config import ConfigError

__all__ = ["parse_device", "resolve_device", "blas_threads"]


def parse_device(name: str):
    """'cpu', 'gpu' or 'gpu:1' -> a gluonkit Device."""
    if name == "cpu":
        return gk.cpu()
    if name.startswith("gpu"):
        return gk.gpu(int(name.split(":")[1]) if ":" in name else 0)
    raise ConfigError(f"train.device must be 'cpu', 'gpu', 'gpu:N' or 'auto', got {name!r}")


def _no_gpu_reason() -> str | None:
    """None when a GPU works here, else why not (CuPy missing, no CUDA device...)."""
    if gk.num_gpus() > 0:
        return None
    try:
        gk.np.zeros(1, device=gk.gpu(0))
    except DeviceError as e:
        return str(e)
    return "no CUDA device found"


def resolve_device(name: str, dtype: str, log: Callable[[str], None]):
    """(device, dtype) to train with.

    'auto' takes the first GPU, else the CPU in float32 with one line saying so (a GPU recipe
    still runs, e.g. as a dry run). An explicit 'gpu' where there is none is an error naming
    the ``--set`` that runs on the CPU. float16 on the CPU runs (slowly, without BLAS) with a
    line saying how to avoid it.
    """
    if name == "auto" or name.startswith("gpu"):
        reason = _no_gpu_reason()
        if reason is None:
            return (gk.gpu(0) if name == "auto" else parse_device(name)), dtype
        if name != "auto":
            raise ConfigError(f"train.device={name}, but {reason}. To train on the CPU add "
                              "--set train.device=cpu train.dtype=float32 (or train.device=auto)")
        was = f" in float32 instead of {dtype}" if dtype != "float32" else ""
        log(f"note: the recipe asks for a GPU (train.device=auto) and this machine has none; "
            f"training on the CPU{was}")
        return gk.cpu(), "float32"
    device = parse_device(name)
    if dtype == "float16":
        log("note: float16 on the CPU runs without BLAS and is very slow; it is meant for GPUs "
            "(--set train.dtype=float32 to train in float32)")
    return device, dtype


def blas_threads(n: int | None):
    """A context in which the BLAS library runs ``n`` threads (``train.blas_threads``); None
    leaves it as it is. Through threadpoolctl, which finds OpenBLAS, MKL or BLIS at run time."""
    if n is None:
        return contextlib.nullcontext()
    if n < 1:
        raise ConfigError(f"train.blas_threads must be at least 1 (or null), got {n}")
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=n, user_api="blas")

"""One seeded generator per device; ``seed(n)`` makes CPU runs repeat bit for bit."""
from __future__ import annotations

import numpy

from .device import Device, current_device, on_device

__all__ = ["seed", "generator", "get_state", "set_state"]

_seed = None
_generators: dict = {}


def seed(n: int) -> None:
    """Seed the generators of every device (existing and future) and NumPy's global one."""
    global _seed
    _seed = int(n)
    _generators.clear()
    numpy.random.seed(_seed % 2**32)


def generator(device: Device | None = None):
    """The device's generator: ``numpy.random.Generator`` on CPU, ``cupy.random`` state on GPU."""
    device = device or current_device()
    gen = _generators.get(device)
    if gen is None:
        entropy = None if _seed is None else [_seed, device.index, device.kind == "gpu"]
        if device.kind == "cpu":
            gen = numpy.random.Generator(numpy.random.PCG64(numpy.random.SeedSequence(entropy)))
        else:
            cupy = device.xp
            with on_device(device):
                gen = cupy.random.Generator(cupy.random.XORWOW(
                    None if entropy is None else numpy.random.SeedSequence(entropy)
                    .generate_state(1)[0]))
        _generators[device] = gen
    return gen


def get_state() -> dict:
    """The CPU generator's state (JSON-able), for checkpoints."""
    return {"seed": _seed, "cpu": generator(Device("cpu")).bit_generator.state}


def set_state(state: dict) -> None:
    """Restore what ``get_state`` returned."""
    global _seed
    _seed = state["seed"]
    _generators.clear()
    generator(Device("cpu")).bit_generator.state = state["cpu"]

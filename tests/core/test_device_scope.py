"""The one device scope helper: a no-op on the CPU, the array's device for CuPy arrays."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import gluonkit as gk
dev = importlib.import_module("gluonkit.core.device")  # the module (core exports a device())


class _FakeCupyArray:
    """Looks like a CuPy array to the helpers (module name and ``.device``)."""

    __module__ = "cupy._core.core"

    def __init__(self, device):
        self.device = device


def test_cpu_scope_is_a_shared_no_op():
    assert dev.on_device(gk.cpu()) is dev.scope_of([np.zeros(2), 3.0, None])
    with dev.on_device(gk.cpu()):
        pass


def test_scope_of_takes_the_first_cupy_array():
    marker = object()
    assert dev.scope_of([np.zeros(1), _FakeCupyArray(marker), _FakeCupyArray(None)]) is marker


def test_no_copies_of_the_device_scope_remain():
    import pathlib
    import re
    root = pathlib.Path(dev.__file__).resolve().parents[1]
    hits = [str(p.relative_to(root)) for p in root.rglob("*.py")
            if ".venv" not in p.parts and p.name != "device.py"
            and re.search(r"cuda\.Device\(\w+\.index\)", p.read_text())]
    assert hits == [], f"use gluonkit.core.device.on_device instead in {hits}"


@pytest.mark.gpu
@pytest.mark.skipif(gk.num_gpus() < 2, reason="needs two CUDA devices")
def test_op_on_gpu1_runs_on_device_1():
    import cupy
    x = gk.np.ones((4, 4), device=gk.gpu(1))
    with cupy.cuda.Device(0):  # CuPy's current device is 0; the op must still run on 1
        y = gk.npx.relu(x @ x) + 1
        x.attach_grad()
        with gk.autograd.record():
            z = (x * 2).sum()
        z.backward()
    assert y.raw.device.id == 1 and x.grad.raw.device.id == 1
    np.testing.assert_allclose(y.asnumpy(), 5.0)

"""Shared fixtures: the devices every op table runs on (GPU rows skip without CuPy/CUDA)."""
import pytest

import gluonkit as gk


def _gpu_available() -> bool:
    return gk.num_gpus() > 0


DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("gpu", id="gpu", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not _gpu_available(), reason="needs CuPy and a CUDA device")]),
]


@pytest.fixture(params=DEVICES)
def device(request):
    """A gluonkit Device: cpu(), and gpu(0) where one exists."""
    return gk.cpu() if request.param == "cpu" else gk.gpu(0)

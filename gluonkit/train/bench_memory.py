"""Peak memory of one training step, gluonkit against PyTorch measured the same way.

The workload is docs/BENCHMARKS.md's ``resnet50_train`` step (ResNet-50 v1b, batch 16, 224x224,
forward + backward). Each framework is measured by the operating system, not by its own
allocator: after a warm-up step (gradients allocated, freed memory trimmed back to the OS), the
peak resident memory of the process (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``)
during one step, less the resident memory just before it. For gluonkit, tracemalloc also gives
the forward activations and what the graph saved: autograd frees each node's saved arrays once
its backward has run, so the peak should stay near the activations plus one layer's gradients.
"""
from __future__ import annotations

import ctypes
import gc
import tracemalloc

import numpy

import gluonkit as gk
from gluonkit import autograd
from gluonkit.loss import SoftmaxCrossEntropyLoss
from gluonkit.train.bench_models import require_torch
from gluonkit.utils.errors import UserError

__all__ = ["run", "step_peak_mb"]

_MB = 1 / 2**20


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise UserError(f"--workload memory: /proc/self/status has no {field} (needs Linux)")


def step_peak_mb(step) -> float:
    """Peak resident memory (MB) that ``step()`` adds to the process, from the kernel's count."""
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)  # hand freed heap pages back so they do not hide the peak
    before = _status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident size
    except OSError as e:
        raise UserError(f"--workload memory: cannot reset the peak resident size ({e}); it "
                        f"needs Linux's /proc/self/clear_refs") from e
    step()
    return (_status_kb("VmHWM") - before) / 1024


def _gluonkit(batch: int, size: int) -> dict:
    from gluonkit.model_zoo import get_model

    gk.random.seed(0)
    net = get_model("resnet50_v1b", classes=1000)
    x = gk.np.random.normal(size=(batch, 3, size, size)).astype("float32")
    y = gk.np.random.randint(0, 1000, size=(batch,))
    loss_fn = SoftmaxCrossEntropyLoss()

    def step():
        with autograd.record():
            loss = loss_fn(net(x), y).mean()
        loss.backward()

    step()  # warm-up: allocates the gradients once
    peak = step_peak_mb(step)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    with autograd.record():
        loss = loss_fn(net(x), y).mean()
    activations = tracemalloc.get_traced_memory()[0] - base
    saved = autograd.saved_bytes(loss)
    tracemalloc.reset_peak()
    loss.backward()
    traced_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {"peak_step_mb": round(peak, 1),
            "forward_activations_mb": round(activations * _MB, 1),
            "graph_saved_mb": round(saved * _MB, 1),
            "traced_peak_over_activations": round(traced_peak / max(activations, 1), 2)}


def _torch(batch: int, size: int) -> float:
    """torchvision's resnet50: the same layout as resnet50_v1b (stride on the 3x3)."""
    import torch
    import torchvision

    torch.manual_seed(0)
    net = torchvision.models.resnet50()
    x = torch.from_numpy(numpy.random.default_rng(0).standard_normal(
        (batch, 3, size, size), dtype=numpy.float32))
    y = torch.randint(0, 1000, (batch,))

    def step():
        torch.nn.functional.cross_entropy(net(x), y).backward()

    step()
    return step_peak_mb(step)


def run(batch: int = 16, size: int = 224, compare_torch: bool = False) -> dict:
    """One training step of ResNet-50 v1b; MB figures (and PyTorch's with ``compare_torch``)."""
    if compare_torch:  # before measuring: a missing PyTorch fails at once
        require_torch()
    row = {"workload": "memory", "model": "resnet50_v1b", "batch": batch, "size": size,
           **_gluonkit(batch, size)}
    if compare_torch:
        row["torch_peak_step_mb"] = round(_torch(batch, size), 1)
        row["peak_vs_torch"] = round(row["peak_step_mb"] / row["torch_peak_step_mb"], 2)
    return row

"""Peak memory of one training step against the size of the forward activations.

Autograd frees each node's saved arrays as soon as its backward has run, so the peak of a step
should stay near the forward activations plus one layer's gradients, not twice the graph.
NumPy reports its allocations to ``tracemalloc``, which measures them here.
"""
from __future__ import annotations

import tracemalloc

import gluonkit as gk
from gluonkit import autograd
from gluonkit.loss import SoftmaxCrossEntropyLoss


def run(model: str = "cifar_resnet20_v1", batch: int = 128, size: int = 32) -> dict:
    """One forward + backward of ``model``; returns MB figures."""
    from gluonkit.model_zoo import get_model

    gk.random.seed(0)
    net = get_model(model, classes=10)
    x = gk.np.random.normal(size=(batch, 3, size, size))
    y = gk.np.random.randint(0, 10, size=(batch,))
    loss_fn = SoftmaxCrossEntropyLoss()
    with autograd.record():  # warm-up step: allocates gradients once
        loss_fn(net(x), y).backward()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    with autograd.record():
        loss = loss_fn(net(x), y).mean()
    after_forward = tracemalloc.get_traced_memory()[0] - base
    saved = autograd.saved_bytes(loss)
    tracemalloc.reset_peak()
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    mb = 1 / 2**20
    return {"workload": "memory", "model": model, "batch": batch,
            "forward_activations_mb": round(after_forward * mb, 1),
            "graph_saved_mb": round(saved * mb, 1), "peak_step_mb": round(peak * mb, 1),
            "peak_over_activations": round(peak / max(after_forward, 1), 2)}

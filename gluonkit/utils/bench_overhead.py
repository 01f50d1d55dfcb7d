"""Per-op Python overhead: the end-to-end cost of an op on tiny arrays, where compute is nil."""
from __future__ import annotations

import time

import numpy as onp

import gluonkit as gk
from gluonkit import autograd


def _median_us(fn, repeat: int = 2000, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(repeat):
            fn()
        times.append((time.perf_counter() - t) / repeat)
    return float(onp.median(times)) * 1e6


def run(device=None, **_) -> list:
    """Median microseconds of: a NumPy add, a gluonkit add (not recording / recording), and a
    recorded multiply + sum with its backward, all on 4x4 float32 arrays."""
    a = onp.ones((4, 4), onp.float32)
    x, y = gk.np.ones((4, 4)), gk.np.ones((4, 4))
    w = gk.np.ones((4, 4)).attach_grad()

    def recorded():
        with autograd.record():
            w + y

    def forward_backward():
        with autograd.record():
            z = (w * y).sum()
        z.backward()

    def record_scope():
        with autograd.record():
            pass

    scope = _median_us(record_scope)
    return [{"workload": "overhead", "numpy_add_us": round(_median_us(lambda: a + a), 2),
             "add_us": round(_median_us(lambda: x + y), 2),
             "recorded_add_us": round(_median_us(recorded) - scope, 2),
             "mul_sum_backward_us": round(_median_us(forward_backward, repeat=500), 2)}]

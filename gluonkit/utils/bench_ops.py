"""The ``ops`` benchmark: conv2d and batch norm + ReLU at ResNet-50's layer shapes.

Every distinct convolution of ResNet-50 v1b (stride on the 3x3, torchvision's layout) runs
forward and backward through autograd, with the image gradient skipped for the stem as in
training. Batch norm + ReLU runs at each conv's output shape. The float32 GEMM rate of the same
array library, measured in the same run, is the yardstick for the convolution rate.
"""
from __future__ import annotations

import time
from collections import Counter

import numpy

import gluonkit as gk
from gluonkit import autograd, np, npx
from gluonkit.core.ops.batchnorm import batch_norm_relu

__all__ = ["resnet50_conv_shapes", "gemm_gflops", "run"]


def resnet50_conv_shapes(image: int = 224) -> Counter:
    """(c_in, c_out, kernel, stride, input size) -> how often it occurs in ResNet-50 v1b."""
    shapes: Counter = Counter()
    size = image // 2
    shapes[(3, 64, 7, 2, image)] += 1
    size //= 2  # max pool
    c_in = 64
    for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            s = stride if i == 0 else 1
            shapes[(c_in, planes, 1, 1, size)] += 1
            shapes[(planes, planes, 3, s, size)] += 1
            shapes[(planes, planes * 4, 1, 1, size // s)] += 1
            if i == 0:
                shapes[(c_in, planes * 4, 1, s, size)] += 1
            c_in, size = planes * 4, size // s
    return shapes


def _sync(device) -> None:
    if device.kind == "gpu":
        device.xp.cuda.get_current_stream().synchronize()


def _best_ms(step, device, steps: int) -> float:
    """Fastest of ``steps`` timed calls after one warm-up call, in milliseconds."""
    step()
    _sync(device)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return 1e3 * min(times)


def gemm_gflops(device, dtype: str = "float32", n: int = 2048, steps: int = 3) -> float:
    """The array library's own matmul rate on two n x n matrices."""
    xp = device.xp
    with device:
        a = xp.asarray(numpy.random.default_rng(0).standard_normal((n, n)), dtype=dtype)
    ms = _best_ms(lambda: xp.matmul(a, a), device, steps)
    return 2 * n ** 3 / ms / 1e6


def _conv_step(x, W, stride: int, padding: int):
    def step():
        with autograd.record():
            y = npx.conv2d(x, W, stride=stride, padding=padding)
        y.backward()
    return step


def _bn_relu_step(y, gamma, beta, rm, rv):
    def step():
        with autograd.record():
            z = batch_norm_relu(y, gamma, beta, rm, rv, training=True)
        z.backward()
    return step


def _conv_row(shape, count, batch, device, dtype, steps) -> dict:
    c_in, c_out, k, s, size = shape
    rand = lambda *sh: np.random.normal(size=sh, dtype=dtype, device=device)  # noqa: E731
    x, W = rand(batch, c_in, size, size), rand(c_out, c_in, k, k) * 0.05
    if c_in != 3:  # the stem's image needs no gradient
        x.attach_grad()
    W.attach_grad()
    out = (size + 2 * (k // 2) - k) // s + 1
    conv_ms = _best_ms(_conv_step(x, W, s, k // 2), device, steps)
    passes = 3 if c_in != 3 else 2  # forward, weight gradient, image gradient
    flops = passes * 2 * batch * c_out * out * out * c_in * k * k
    y = rand(batch, c_out, out, out)
    y.attach_grad()
    gamma, beta = np.ones(c_out, dtype, device), np.zeros(c_out, dtype, device)
    rm, rv = np.zeros(c_out, dtype, device), np.ones(c_out, dtype, device)
    bn_ms = _best_ms(_bn_relu_step(y, gamma, beta, rm, rv), device, steps)
    return {"shape": f"{c_in}->{c_out} {k}x{k}/{s} @{size}", "count": count,
            "conv_ms": round(conv_ms, 2), "conv_gflops": round(flops / conv_ms / 1e6, 1),
            "bn_relu_ms": round(bn_ms, 2), "bn_relu_vs_conv": round(bn_ms / conv_ms, 3),
            "flops": flops}


def run(device=None, steps: int = 3, dtype: str = "float32", batch: int = 16) -> list[dict]:
    """Benchmark rows: one per distinct conv shape, then a total weighted by occurrence.

    Example::

        for row in run(gk.cpu(), steps=2, batch=4): print(row)
    """
    device = device or gk.cpu()
    gemm = gemm_gflops(device, dtype)
    rows = [_conv_row(shape, count, batch, device, dtype, steps)
            for shape, count in resnet50_conv_shapes().items()]
    conv_ms = sum(r["conv_ms"] * r["count"] for r in rows)
    bn_ms = sum(r["bn_relu_ms"] * r["count"] for r in rows)
    flops = sum(r.pop("flops") * r["count"] for r in rows)
    conv_gflops = flops / conv_ms / 1e6
    rows.append({"shape": "total (ResNet-50, weighted by occurrence)", "batch": batch,
                 "device": str(device), "dtype": dtype, "gemm_gflops": round(gemm, 1),
                 "conv_ms": round(conv_ms, 1), "conv_gflops": round(conv_gflops, 1),
                 "conv_vs_gemm": round(conv_gflops / gemm, 3), "bn_relu_ms": round(bn_ms, 1),
                 "bn_relu_vs_conv": round(bn_ms / conv_ms, 3)})
    return rows

"""Fused softmax cross-entropy (hard labels with label smoothing, or soft targets) on CuPy.

Replaces ``core/ops/softmax.py``'s NumPy formula::

    logp = x - logsumexp(x, axis=1)
    loss = -sum(t' * logp, axis=1)              # t' the smoothed one-hot or soft target
    gx   = (exp(logp) - t') * scale              # scale = gy / n, gy, or gy[:, None]

Forward is one block per row (``softmax_ce.cu``: max, exp-sum and target sums in shared memory)
and saves only the row's log-sum-exp; backward is one elementwise pass. float16/bfloat16
logits are reduced in float32 (as mixed precision keeps losses in float32).
"""
from __future__ import annotations

import numpy

from .build import Elementwise, RawTemplate, check_launch, ctype

__all__ = ["forward", "backward", "BLOCK"]

BLOCK = 256  # threads per row: a power of two (block_reduce halves it)

_fwd = RawTemplate("softmax_ce.cu", ("softmax_ce_fwd",), ("float", "double"))

# gx[i, j] = (exp(x - lse[i]) - t'[i, j]) * scale[i]; t' from the label (hard) or soft target.
_bwd_hard = Elementwise(
    "raw T x, raw T lse, raw int64 label, raw T scale, T eps, int32 c", "T gx",
    "int r = i / c, j = i % c;"
    "T t = (j == label[r] ? T(1) - eps : T(0)) + eps / c;"
    "gx = (exp(x[i] - lse[r]) - t) * scale[r];",
    "softmax_ce_bwd_hard")
_bwd_soft = Elementwise(
    "raw T x, raw T lse, raw T soft, raw T scale, T eps, int32 c", "T gx",
    "int r = i / c;"
    "T t = (T(1) - eps) * soft[i] + eps / c;"
    "gx = (exp(x[i] - lse[r]) - t) * scale[r];",
    "softmax_ce_bwd_soft")


def _work_dtype(x):
    return x.dtype if x.dtype in (numpy.float32, numpy.float64) else numpy.dtype("float32")


def forward(x, target, eps: float):
    """Per-row losses and log-sum-exps of (N, C) logits ``x`` (both in the work dtype)."""
    import cupy

    dt = _work_dtype(x)
    x = cupy.ascontiguousarray(x, dtype=dt)
    n, c = x.shape
    hard = target.ndim == 1
    label = cupy.ascontiguousarray(target, dtype=numpy.int64) if hard else None
    soft = None if hard else cupy.ascontiguousarray(target, dtype=dt)
    loss, lse = cupy.empty(n, dt), cupy.empty(n, dt)
    args = [("x", x), ("loss", loss), ("lse", lse)]
    args.append(("label", label) if hard else ("soft", soft))
    check_launch("softmax_ce_fwd", {"x": dt, "loss": dt, "lse": dt, "label": numpy.int64,
                                    "soft": dt}, *args)
    kernel = _fwd.get("softmax_ce_fwd", ctype(dt))
    # NOTE: a null pointer is passed as 0 for the operand this launch does not use.
    kernel((n,), (BLOCK,), (x, label if hard else 0, 0 if hard else soft, numpy.int32(n),
                            numpy.int32(c), dt.type(eps), loss, lse),
           shared_mem=BLOCK * dt.itemsize)
    return x, loss, lse


def backward(x, lse, target, eps: float, scale):
    """Gradient of the per-row losses for logits ``x`` (work dtype), ``scale`` per row."""
    import cupy

    n, c = x.shape
    scale = cupy.ascontiguousarray(cupy.broadcast_to(scale, (n,)), dtype=x.dtype)
    gx = cupy.empty_like(x)
    if target.ndim == 1:
        _bwd_hard(x, lse, cupy.ascontiguousarray(target, dtype=numpy.int64), scale,
                  x.dtype.type(eps), numpy.int32(c), gx)
    else:
        _bwd_soft(x, lse, cupy.ascontiguousarray(target, dtype=x.dtype), scale,
                  x.dtype.type(eps), numpy.int32(c), gx)
    return gx

"""Batch-level mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) with soft targets.

Both take a NumPy batch (N, C, H, W) with integer labels (or (N, classes) soft labels) and return
the mixed batch and (N, classes) float32 targets for the soft-label softmax cross-entropy.
"""
from __future__ import annotations

import math

import numpy as onp

__all__ = ["mixup", "cutmix", "one_hot"]


def one_hot(labels: onp.ndarray, classes: int) -> onp.ndarray:
    """(N,) integer labels -> (N, classes) float32; (N, classes) soft labels pass through."""
    labels = onp.asarray(labels)
    if labels.ndim == 2:
        if labels.shape[1] != classes:
            raise ValueError(f"soft labels have {labels.shape[1]} classes, expected {classes}")
        return labels.astype(onp.float32)
    return onp.eye(classes, dtype=onp.float32)[labels.astype(onp.int64)]


def _draw(alpha: float, n: int, rng: onp.random.Generator) -> tuple[float, onp.ndarray]:
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    lam = float(rng.beta(alpha, alpha)) if alpha > 0 else 1.0
    return lam, rng.permutation(n)


def mixup(x: onp.ndarray, labels: onp.ndarray, classes: int, alpha: float,
          rng: onp.random.Generator | None = None) -> tuple[onp.ndarray, onp.ndarray]:
    """``x' = lam x + (1 - lam) x[perm]``, ``y'`` likewise, ``lam ~ Beta(alpha, alpha)``.

    Example: ``x, target = mixup(x, y, 10, alpha=0.2, rng=numpy.random.default_rng(0))``.
    """
    rng = rng if rng is not None else onp.random.default_rng()
    lam, perm = _draw(alpha, len(x), rng)
    y = one_hot(labels, classes)
    mixed = (lam * x + (1 - lam) * x[perm]).astype(x.dtype, copy=False)
    return mixed, (lam * y + (1 - lam) * y[perm]).astype(onp.float32)


def cutmix(x: onp.ndarray, labels: onp.ndarray, classes: int, alpha: float,
           rng: onp.random.Generator | None = None) -> tuple[onp.ndarray, onp.ndarray]:
    """Paste a box of ``x[perm]`` into ``x``; the box covers about ``1 - lam`` of the image
    (``lam ~ Beta(alpha, alpha)``) around a uniform centre, clipped at the border, and the
    targets mix by the area actually pasted."""
    rng = rng if rng is not None else onp.random.default_rng()
    lam, perm = _draw(alpha, len(x), rng)
    h, w = x.shape[-2:]
    cut = math.sqrt(1 - lam)
    ch, cw = int(h * cut), int(w * cut)
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
    x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, w)
    out = x.copy()
    out[..., y0:y1, x0:x1] = x[perm, ..., y0:y1, x0:x1]
    kept = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    y = one_hot(labels, classes)
    return out, (kept * y + (1 - kept) * y[perm]).astype(onp.float32)


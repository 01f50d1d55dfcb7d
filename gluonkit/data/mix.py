"""Batch-level mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) with soft targets.

Both take a NumPy batch (N, C, H, W) with integer labels and return the mixed batch and (N, classes)
soft targets for ``SoftmaxCrossEntropyLoss(sparse_label=False)``.
"""
from __future__ import annotations

import numpy as onp

__all__ = ["mixup", "cutmix", "one_hot"]


def one_hot(labels, classes: int) -> onp.ndarray:
    return onp.eye(classes, dtype=onp.float32)[onp.asarray(labels, dtype=onp.int64)]


def mixup(x, labels, classes: int, alpha: float, rng: onp.random.Generator | None = None):
    """x' = lam x + (1 - lam) x[perm], y' = lam y + (1 - lam) y[perm], lam ~ Beta(alpha, alpha)."""
    rng = rng or onp.random.default_rng()
    lam = float(rng.beta(alpha, alpha)) if alpha > 0 else 1.0
    perm = rng.permutation(len(x))
    y = one_hot(labels, classes)
    mixed = (lam * x + (1 - lam) * x[perm]).astype(x.dtype, copy=False)
    return mixed, (lam * y + (1 - lam) * y[perm]).astype(onp.float32)


def cutmix(x, labels, classes: int, alpha: float, rng: onp.random.Generator | None = None):
    """Paste a random box from x[perm]; targets mix by the pasted area fraction."""
    rng = rng or onp.random.default_rng()
    lam = float(rng.beta(alpha, alpha)) if alpha > 0 else 1.0
    perm = rng.permutation(len(x))
    h, w = x.shape[-2:]
    cut = (1 - lam) ** 0.5
    ch, cw = int(h * cut), int(w * cut)
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
    x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, w)
    out = x.copy()
    out[..., y0:y1, x0:x1] = x[perm][..., y0:y1, x0:x1]
    kept = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    y = one_hot(labels, classes)
    return out, (kept * y + (1 - kept) * y[perm]).astype(onp.float32)

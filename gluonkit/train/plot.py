"""A PNG of the training curves drawn with OpenCV (no plotting library needed)."""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ["plot_curves"]

_COLORS = [(200, 80, 30), (40, 140, 230), (60, 170, 60), (30, 30, 200), (150, 60, 150)]


def _panel(img, box, series: dict, title: str):
    x0, y0, x1, y1 = box
    cv2.rectangle(img, (x0, y0), (x1, y1), (180, 180, 180), 1)
    cv2.putText(img, title, (x0 + 6, y0 - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                cv2.LINE_AA)
    values = [v for ys in series.values() for v in ys if v is not None and np.isfinite(v)]
    if not values:
        return
    lo, hi = min(values), max(values)
    hi = hi if hi > lo else lo + 1.0
    n = max(len(ys) for ys in series.values())
    for k, (name, ys) in enumerate(series.items()):
        pts = [(x0 + int((x1 - x0) * (i / max(n - 1, 1))),
                y1 - int((y1 - y0) * ((v - lo) / (hi - lo))))
               for i, v in enumerate(ys) if v is not None and np.isfinite(v)]
        color = _COLORS[k % len(_COLORS)]
        if len(pts) > 1:
            cv2.polylines(img, [np.array(pts, np.int32)], False, color, 2, cv2.LINE_AA)
        for p in pts:
            cv2.circle(img, p, 3, color, -1, cv2.LINE_AA)
        cv2.putText(img, name, (x0 + 8, y0 + 18 + 16 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    color, 1, cv2.LINE_AA)
    for v, y in ((hi, y0), (lo, y1)):
        cv2.putText(img, f"{v:.4g}", (x0 - 58, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (80, 80, 80), 1, cv2.LINE_AA)


def plot_curves(records: list[dict], path: str) -> None:
    """Loss and accuracy per epoch from the JSON-lines records, side by side, as a PNG."""
    img = np.full((360, 900, 3), 255, np.uint8)
    get = lambda key: [r.get(key) for r in records]  # noqa: E731
    _panel(img, (70, 40, 430, 320), {"train_loss": get("train_loss"),
                                     "val_loss": get("val_loss")}, "loss")
    _panel(img, (520, 40, 880, 320), {"train_acc": get("train_acc"),
                                      "val_top1": get("val_top1"),
                                      "val_top5": get("val_top5")}, "accuracy")
    cv2.putText(img, "epoch", (430, 350), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                cv2.LINE_AA)
    if not cv2.imwrite(path, img):
        raise OSError(f"could not write the curve plot to {path}")

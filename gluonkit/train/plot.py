"""``curves.png``: loss, accuracy and learning rate per epoch, drawn with OpenCV (no plotting
library needed). Each panel has its own labelled axes with tick values, epoch ticks, and a
legend under it (never over the curves); the accuracy axis spans the values seen, not 0 to 1.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["plot_curves", "nice_ticks"]

_BLUE, _ORANGE, _GREEN, _RED, _GREY = ((200, 80, 30), (40, 140, 230), (60, 170, 60),
                                       (30, 30, 200), (90, 90, 90))
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_PANELS = (  # title, y label, [(key, legend, color)], is accuracy
    ("loss", "loss", [("train_loss", "train", _BLUE), ("val_loss", "val", _ORANGE)], False),
    ("accuracy", "accuracy (%)", [("train_acc", "train", _BLUE), ("val_top1", "val top-1",
                                                                   _ORANGE),
                                  ("val_top5", "val top-5", _GREEN)], True),
    ("learning rate", "lr (end of epoch)", [("lr", "lr", _RED)], False),
)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count - 1, 1)
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int(math.ceil((hi - first) / step - 1e-9)) + 1)]


def _text(img, text, org, scale=0.42, color=(0, 0, 0), thickness=1):
    cv2.putText(img, text, org, _FONT, scale, color, thickness, cv2.LINE_AA)


def _label(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.2e}"


def _y_range(values: list[float], accuracy: bool) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if accuracy:  # the region that matters: from the lowest value after the first epoch
        later = values if len(values) < 3 else sorted(values)[len(values) // 10:]
        lo = min(later)
        lo, hi = max(lo - 0.1 * (hi - lo + 1e-3), 0.0), min(hi + 0.05 * (hi - lo + 1e-3), 1.0)
    pad = 0.05 * (hi - lo) if hi > lo else (abs(hi) or 1.0) * 0.1
    return (lo if accuracy else lo - pad), (hi if accuracy else hi + pad)


def _panel(img, box, records, panel) -> None:
    title, ylabel, series, accuracy = panel
    x0, y0, x1, y1 = box
    epochs = [r["epoch"] for r in records]
    lines = [(legend, color, [(r["epoch"], r[key]) for r in records
                              if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])])
             for key, legend, color in series]
    lines = [(legend, color, pts) for legend, color, pts in lines if pts]
    _text(img, title, ((x0 + x1) // 2 - 5 * len(title), y0 - 10), 0.55)
    cv2.rectangle(img, (x0, y0), (x1, y1), (160, 160, 160), 1)
    if not lines:
        return
    ys = [v for _, _, pts in lines for _, v in pts]
    lo, hi = _y_range(ys, accuracy)
    e_lo, e_hi = min(epochs), max(epochs)
    px = lambda e: x0 + int((x1 - x0) * ((e - e_lo) / max(e_hi - e_lo, 1)))  # noqa: E731
    py = lambda v: y1 - int((y1 - y0) * ((v - lo) / (hi - lo)))  # noqa: E731
    for v in nice_ticks(lo, hi):
        if lo - 1e-12 <= v <= hi + 1e-12:
            cv2.line(img, (x0, py(v)), (x1, py(v)), (232, 232, 232), 1)
            _text(img, f"{100 * v:.3g}" if accuracy else _label(v), (x0 - 52, py(v) + 4),
                  0.38, _GREY)
    for e in nice_ticks(e_lo, e_hi, count=min(8, e_hi - e_lo + 1)):
        if e_lo <= e <= e_hi and float(e).is_integer():
            cv2.line(img, (px(e), y1), (px(e), y1 + 4), _GREY, 1)
            _text(img, str(int(e)), (px(e) - 6, y1 + 17), 0.38, _GREY)
    _text(img, "epoch", ((x0 + x1) // 2 - 20, y1 + 34), 0.42)
    _text(img, ylabel, (x0 - 52, y0 - 30), 0.38, _GREY)
    inside = img[y0:y1 + 1, x0:x1 + 1]  # drawing on this view clips the curves to the panel
    for k, (legend, color, pts) in enumerate(lines):
        xy = np.array([(px(e) - x0, py(v) - y0) for e, v in pts], np.int32)
        if len(xy) > 1:
            cv2.polylines(inside, [xy], False, color, 2, cv2.LINE_AA)
        for p in xy:
            cv2.circle(inside, (int(p[0]), int(p[1])), 3, color, -1, cv2.LINE_AA)
        lx = x0 + k * ((x1 - x0) // max(len(lines), 1))
        cv2.line(img, (lx, y1 + 52), (lx + 18, y1 + 52), color, 2, cv2.LINE_AA)
        _text(img, legend, (lx + 24, y1 + 56), 0.4, color)


def plot_curves(records: list[dict], path: str, title: str = "") -> None:
    """The per-epoch records of ``log.jsonl`` as a PNG: loss, accuracy, learning rate."""
    width, height = 1200, 440
    img = np.full((height, width, 3), 255, np.uint8)
    _text(img, title or "training curves", (20, 28), 0.65, thickness=2)
    left, gap, top, bottom = 70, 75, 90, height - 80
    w = (width - left - 30 - 2 * gap) // 3
    for i, panel in enumerate(_PANELS):
        x0 = left + i * (w + gap)
        _panel(img, (x0, top, x0 + w, bottom), records, panel)
    if not cv2.imwrite(path, img):
        raise OSError(f"could not write the curve plot to {path}")

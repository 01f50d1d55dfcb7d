"""A picture of a prediction: the image beside a bar chart of its top-k, drawn with OpenCV.

OpenCV rather than matplotlib: it is already a runtime dependency (headless, no display or
font cache needed), and an image with a few labelled bars needs nothing more.
"""
from __future__ import annotations

import cv2
import numpy as onp

__all__ = ["prediction_card", "save_png"]

_BAR = (66, 133, 244)  # RGB
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def prediction_card(img: onp.ndarray, names: list, probs: list, height: int = 256,
                    chart_width: int = 360) -> onp.ndarray:
    """An HxWx3 uint8 RGB image: ``img`` scaled to ``height`` rows, then one bar per class."""
    img = onp.asarray(img)
    if img.ndim == 2 or img.shape[2] == 1:
        img = onp.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=2)
    scale = height / img.shape[0]
    photo = cv2.resize(onp.ascontiguousarray(img[:, :, :3]),
                       (max(int(round(img.shape[1] * scale)), 1), height),
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    chart = onp.full((height, chart_width, 3), 255, onp.uint8)
    row = height // max(len(names), 1)
    for i, (name, p) in enumerate(zip(names, probs)):
        y = i * row
        cv2.rectangle(chart, (8, y + row // 2), (8 + int((chart_width - 16) * p), y + row - 4),
                      _BAR, thickness=-1)
        label = f"{name[:32]}  {100 * p:.1f}%"
        cv2.putText(chart, label, (8, y + row // 2 - 4), _FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return onp.concatenate([photo, chart], axis=1)


def save_png(path: str, rgb: onp.ndarray) -> None:
    """Write an RGB uint8 image as PNG; fails loudly when OpenCV cannot write ``path``."""
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path} (does its folder exist, does it end in .png?)")

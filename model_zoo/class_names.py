"""Class names that weights carry: ImageNet's 1,000 (shipped as ``classes/imagenet.txt``, in the
order of torchvision's and GluonCV's ImageNet weights), the digits, CIFAR-10's ten.

A weight file may carry its own names (``class_names`` in the safetensors metadata, written by
training and fine-tuning checkpoints); ``read_class_names`` returns them.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

__all__ = ["imagenet_classes", "DIGITS", "CIFAR10_CLASSES", "read_class_names",
           "CLASS_NAMES_KEY"]

CLASS_NAMES_KEY = "class_names"
DIGITS = tuple(str(d) for d in range(10))
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


@functools.lru_cache(maxsize=None)
def imagenet_classes() -> tuple:
    """ImageNet-1k's names, index 0 ('tench') to 999 ('toilet tissue')."""
    path = Path(__file__).parent / "classes" / "imagenet.txt"
    names = tuple(path.read_text(encoding="utf-8").splitlines())
    if len(names) != 1000:
        raise RuntimeError(f"{path} holds {len(names)} names, not 1000: the installation is "
                           "damaged; reinstall gluonkit")
    return names


def read_class_names(path) -> tuple | None:
    """The class names stored in a ``.safetensors`` file's metadata, or None."""
    path = str(path)
    if not path.endswith(".safetensors"):
        return None
    from safetensors import safe_open
    with safe_open(path, framework="numpy") as f:
        raw = (f.metadata() or {}).get(CLASS_NAMES_KEY)
    if raw is None:
        return None
    names = json.loads(raw)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{path}: metadata {CLASS_NAMES_KEY!r} must be a JSON list of strings")
    return tuple(names)

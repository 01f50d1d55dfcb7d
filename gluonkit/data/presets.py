"""Standard train/eval pipelines (GluonCV's presets) built from the transforms, and a model's own
eval pipeline (``for_model``) from the input size, crop and mean/std stored with its weights."""
from __future__ import annotations

import numpy as onp

from .transforms import (CenterCrop, Compose, Grayscale, Normalize, RandomColorJitter,
                         RandomCrop, RandomFlipLeftRight, RandomLighting, RandomResizedCrop,
                         Resize, ToTensor)

__all__ = ["imagenet_train", "imagenet_eval", "cifar_train", "cifar_eval", "mnist", "for_model",
           "eval_preset", "to_uint8_image", "IMAGENET_MEAN", "IMAGENET_STD", "CIFAR_MEAN",
           "CIFAR_STD"]

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)


def imagenet_train(size: int = 224, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> Compose:
    """Random-resized crop, flip, color jitter 0.4, PCA lighting 0.1, normalize."""
    return Compose([RandomResizedCrop(size), RandomFlipLeftRight(),
                    RandomColorJitter(0.4, 0.4, 0.4), RandomLighting(0.1), ToTensor(),
                    Normalize(mean, std)])


def imagenet_eval(size: int = 224, crop_ratio: float = 0.875, mean=IMAGENET_MEAN,
                  std=IMAGENET_STD) -> Compose:
    """Resize the shorter side to size / crop_ratio, center-crop size, normalize."""
    return Compose([Resize(int(round(size / crop_ratio))), CenterCrop(size), ToTensor(),
                    Normalize(mean, std)])


def cifar_train() -> Compose:
    """4-pixel padded random crop and flip (GluonCV's CIFAR recipe)."""
    return Compose([RandomCrop(32, pad=4), RandomFlipLeftRight(), ToTensor(),
                    Normalize(CIFAR_MEAN, CIFAR_STD)])


def cifar_eval() -> Compose:
    """ToTensor and normalize with the CIFAR-10 channel statistics."""
    return Compose([ToTensor(), Normalize(CIFAR_MEAN, CIFAR_STD)])


def mnist(train: bool = False) -> Compose:
    """Normalize; with ``train=True`` also shift by up to 2 pixels (padded random crop)."""
    steps = [RandomCrop(28, pad=2)] if train else []
    return Compose(steps + [ToTensor(), Normalize(MNIST_MEAN, MNIST_STD)])


def to_uint8_image(img, channels: int = 3) -> onp.ndarray:
    """An image as HxWx``channels`` uint8: uint8 or float in [0, 1], gray (HxW, HxWx1), RGB or
    RGBA (alpha dropped); gray is repeated to RGB, RGB reduced to luma for one channel."""
    img = onp.asarray(img)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4) or min(img.shape[:2]) < 1:
        raise ValueError(f"an image must be HxW (gray), HxWx1, HxWx3 (RGB) or HxWx4 (RGBA); "
                         f"got shape {img.shape}")
    if img.dtype.kind == "f":
        lo, hi = float(img.min()), float(img.max())
        if not (onp.isfinite(lo) and onp.isfinite(hi) and lo >= 0.0 and hi <= 1.0):
            raise ValueError(f"a float image must hold values in [0, 1], found [{lo:g}, {hi:g}];"
                             " pass 0..255 pixels as uint8")
        img = onp.rint(img * 255.0).astype(onp.uint8)
    elif img.dtype != onp.uint8:
        raise ValueError(f"an image must be uint8 (0..255) or float (0..1), got {img.dtype}")
    img = img[:, :, :3]
    if channels == 1:
        return img if img.shape[2] == 1 else Grayscale()(img)
    return onp.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


class _ToChannels:
    def __init__(self, channels: int):
        self.channels = channels

    def __call__(self, img) -> onp.ndarray:
        return to_uint8_image(img, self.channels)

    def __repr__(self) -> str:
        return f"ToChannels({self.channels})"


def eval_preset(input_size, mean, std, crop_pct: float) -> Compose:
    """Resize the shorter side to size / crop_pct, center-crop the input size, normalize; any
    uint8/float, gray/RGB image is first brought to the model's channels (``to_uint8_image``)."""
    channels, h, w = input_size
    return Compose([_ToChannels(channels), Resize(int(round(max(h, w) / crop_pct))),
                    CenterCrop((h, w)), ToTensor(), Normalize(mean, std)])


def for_model(net) -> Compose:
    """The eval pipeline of a zoo model, from the metadata of its weights (``net.default_cfg``):
    HxWxC image in, normalized CHW float32 out.

    Example::

        net = get_model("resnet50_v1b", pretrained=True)
        x = presets.for_model(net)(img)         # (3, 224, 224)
    """
    cfg = getattr(net, "default_cfg", None)
    if not cfg or "input_size" not in cfg:
        raise ValueError(f"{type(net).__name__} has no default_cfg (input size, mean/std, crop): "
                         "build it with gluonkit.model_zoo.get_model, or use eval_preset(...)")
    return eval_preset(cfg["input_size"], cfg["mean"], cfg["std"], cfg["crop_pct"])

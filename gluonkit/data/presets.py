"""Standard train/eval pipelines (GluonCV's presets) built from the transforms."""
from __future__ import annotations

from .transforms import (CenterCrop, Compose, Normalize, RandomColorJitter, RandomCrop,
                         RandomFlipLeftRight, RandomLighting, RandomResizedCrop, Resize, ToTensor)

__all__ = ["imagenet_train", "imagenet_eval", "cifar_train", "cifar_eval", "mnist",
           "IMAGENET_MEAN", "IMAGENET_STD", "CIFAR_MEAN", "CIFAR_STD"]

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

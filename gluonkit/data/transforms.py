"""Image transforms on HWC uint8 NumPy arrays, done with OpenCV (Pillow where OpenCV is missing).

Random transforms take a ``numpy.random.Generator`` as their second argument; the DataLoader
passes one derived from (seed, epoch, sample position), so augmentation repeats for a seed whatever
the number of workers. Called with the image alone they draw from a fresh generator.

The standard CIFAR/MNIST steps (``RandomCrop``, ``RandomFlipLeftRight``, ``ToTensor``,
``Normalize``) also have a batch form, ``batch(images, streams)`` on NHWC uint8 batches, drawing the
same values from ``SampleStreams`` (one generator per sample, in lockstep) and giving the very
arrays the per-sample form gives; ``has_batch_form(t)`` says whether a transform has one.

Example::

    t = Compose([RandomResizedCrop(224), RandomFlipLeftRight(), ToTensor(),
                 Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    x = t(img, numpy.random.default_rng(0))      # float32 (3, 224, 224)
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Callable, Sequence

import numpy as onp
from numpy.lib.stride_tricks import sliding_window_view

try:
    import cv2
except ImportError:  # pragma: no cover - exercised only where OpenCV is absent
    cv2 = None

__all__ = ["Compose", "Resize", "CenterCrop", "RandomResizedCrop", "RandomFlipLeftRight",
           "RandomColorJitter", "RandomLighting", "RandomCrop", "Grayscale", "ToTensor",
           "Normalize", "RandomTransform", "has_batch_form", "IMAGENET_EIGVAL",
           "IMAGENET_EIGVEC"]

# AlexNet's PCA of ImageNet RGB pixels (Krizhevsky et al. 2012), as GluonCV and fb.resnet use.
IMAGENET_EIGVAL = onp.array([0.2175, 0.0188, 0.0045], dtype=onp.float32)
IMAGENET_EIGVEC = onp.array([[-0.5675, 0.7192, 0.4009],
                             [-0.5808, -0.0045, -0.8140],
                             [-0.5836, -0.6948, 0.4203]], dtype=onp.float32)
_GRAY = (0.299, 0.587, 0.114)  # ITU-R 601 luma, as OpenCV, Pillow and torchvision use


def _pair(size: int | Sequence[int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _resize(img: onp.ndarray, w: int, h: int) -> onp.ndarray:
    """Resize an HWC (or HW) image to (h, w): area averaging when shrinking, bilinear otherwise."""
    if img.shape[1] == w and img.shape[0] == h:
        return img
    if cv2 is not None:
        shrink = w <= img.shape[1] and h <= img.shape[0]
        out = cv2.resize(onp.ascontiguousarray(img), (w, h),
                         interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return out.reshape(h, w, -1) if img.ndim == 3 else out
    from PIL import Image  # pragma: no cover - Pillow fallback
    squeeze = img.ndim == 3 and img.shape[2] == 1
    out = onp.asarray(Image.fromarray(img[:, :, 0] if squeeze else img).resize((w, h),
                                                                               Image.BILINEAR))
    return out[:, :, None] if squeeze else out


class RandomTransform(ABC):
    """Base of random transforms: ``t(img)`` or ``t(img, rng)``."""

    takes_rng = True

    def __call__(self, img: onp.ndarray, rng: onp.random.Generator | None = None):
        return self.apply(img, rng if rng is not None else onp.random.default_rng())

    @abstractmethod
    def apply(self, img: onp.ndarray, rng: onp.random.Generator) -> onp.ndarray: ...


def has_batch_form(t: Callable) -> bool:
    """Whether ``t.batch`` makes what ``t`` makes per sample. A subclass that does not define its
    own ``batch`` may have changed what a sample gets, so it has none."""
    if isinstance(t, Compose) and "batch" in type(t).__dict__:
        return all(has_batch_form(step) for step in t.transforms)
    return "batch" in type(t).__dict__


class Compose(RandomTransform):
    """Applies transforms in order, passing the generator to the random ones."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def apply(self, img, rng):
        for t in self.transforms:
            img = t(img, rng) if getattr(t, "takes_rng", False) else t(img)
        return img

    def batch(self, images: onp.ndarray, streams) -> onp.ndarray:
        """The steps' batch forms in order (all must have one: ``has_batch_form``)."""
        for t in self.transforms:
            images = t.batch(images, streams)
        return images

    def __repr__(self) -> str:
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class Resize:
    """Resize so the shorter side is ``size`` (an int; the longer side keeps the aspect ratio,
    rounded), or to exactly ``(w, h)`` (a pair)."""

    def __init__(self, size: int | Sequence[int]):
        self.size = size

    def __call__(self, img: onp.ndarray) -> onp.ndarray:
        h, w = img.shape[:2]
        if isinstance(self.size, int):
            scale = self.size / min(h, w)
            return _resize(img, max(round(w * scale), 1), max(round(h * scale), 1))
        return _resize(img, *_pair(self.size))

    def __repr__(self) -> str:
        return f"Resize({self.size})"


class CenterCrop:
    """Crop the central ``size`` = (h, w) region (an int for a square)."""

    def __init__(self, size: int | Sequence[int]):
        self.size = _pair(size)

    def __call__(self, img: onp.ndarray) -> onp.ndarray:
        ch, cw = self.size
        h, w = img.shape[:2]
        if h < ch or w < cw:
            raise ValueError(f"CenterCrop{self.size}: image {h}x{w} is smaller than the crop; "
                             "Resize first")
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        return img[y0:y0 + ch, x0:x0 + cw]


class RandomResizedCrop(RandomTransform):
    """Inception-style crop: an area fraction uniform in ``scale`` and an aspect ratio (w/h)
    log-uniform in ``ratio``, resized to ``size`` = (h, w). After 10 misses, the largest central
    crop whose ratio is within ``ratio`` (torchvision's rule)."""

    def __init__(self, size: int | Sequence[int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3 / 4, 4 / 3)):
        self.size, self.scale, self.ratio = _pair(size), scale, ratio

    def box(self, h: int, w: int, rng: onp.random.Generator) -> tuple[int, int, int, int]:
        """(y0, x0, crop height, crop width)."""
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            area = h * w * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(*log_ratio))
            cw, ch = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
        aspect = w / h
        if aspect < min(self.ratio):
            cw, ch = w, int(round(w / min(self.ratio)))
        elif aspect > max(self.ratio):
            cw, ch = int(round(h * max(self.ratio))), h
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def apply(self, img, rng):
        y0, x0, ch, cw = self.box(*img.shape[:2], rng)
        return _resize(img[y0:y0 + ch, x0:x0 + cw], self.size[1], self.size[0])


class RandomFlipLeftRight(RandomTransform):
    """Mirror the image horizontally with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def apply(self, img, rng):
        return img[:, ::-1] if rng.random() < self.p else img

    def batch(self, images, streams):
        """Mirror the NHWC images whose sample draws under ``p``."""
        flip = streams.random() < self.p
        return onp.where(flip.reshape((-1,) + (1,) * (images.ndim - 1)), images[:, :, ::-1],
                         images)


def _luma(img: onp.ndarray) -> onp.ndarray:
    """Per-pixel luma of a uint8 HWC image, rounded, shaped like the image (HxWxC)."""
    if img.shape[2] == 1:
        return img
    if cv2 is not None and img.shape[2] == 3:
        gray = cv2.cvtColor(onp.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    x = img.astype(onp.float32)
    gray = _to_uint8(x[:, :, 0] * _GRAY[0] + x[:, :, 1] * _GRAY[1] + x[:, :, 2] * _GRAY[2])
    return onp.repeat(gray[:, :, None], img.shape[2], axis=2)


def _mean_luma(img: onp.ndarray) -> float:
    """The mean of the per-pixel luma (luma is linear, so: the luma of the channel means)."""
    if cv2 is not None and img.shape[2] <= 4:
        means = onp.array(cv2.mean(onp.ascontiguousarray(img))[:img.shape[2]])
    else:
        means = img.reshape(-1, img.shape[2]).mean(axis=0, dtype=onp.float64)
    return float(means[0]) if img.shape[2] == 1 else float(onp.dot(means[:3], _GRAY))


def _to_uint8(x: onp.ndarray) -> onp.ndarray:
    return onp.clip(onp.rint(x), 0, 255).astype(onp.uint8)


def _lut(img: onp.ndarray, table: onp.ndarray) -> onp.ndarray:
    """Map each uint8 value through ``table``: (256,) for all channels or (256, C) per channel;
    entries are rounded and clipped to [0, 255]. One pass over the image."""
    t = _to_uint8(table)
    if cv2 is not None:
        out = cv2.LUT(onp.ascontiguousarray(img), t if t.ndim == 1 else t[:, None, :])
        return out.reshape(img.shape)
    return t[img] if t.ndim == 1 else t[img, onp.arange(img.shape[2])]


def _check_uint8(name: str, img: onp.ndarray) -> None:
    if img.dtype != onp.uint8 or img.ndim != 3:
        raise TypeError(f"{name} works on HxWxC uint8 images (before ToTensor), got "
                        f"{img.dtype} {img.shape}")


class RandomColorJitter(RandomTransform):
    """Brightness, contrast and saturation, each scaled by a factor uniform in
    [max(0, 1 - v), 1 + v], applied in random order to a uint8 image, rounded and clipped to
    [0, 255] after each: brightness ``x f``; contrast ``(x - m) f + m`` with m the image's mean
    luma; saturation ``(x - g) f + g`` with g each pixel's luma (0.299 R + 0.587 G + 0.114 B)."""

    def __init__(self, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0):
        self.brightness, self.contrast, self.saturation = brightness, contrast, saturation

    def apply(self, img, rng):
        _check_uint8("RandomColorJitter", img)
        ops = [(kind, v) for kind, v in (("b", self.brightness), ("c", self.contrast),
                                         ("s", self.saturation)) if v > 0]
        factors = [rng.uniform(max(0.0, 1 - v), 1 + v) for _, v in ops]
        values = onp.arange(256, dtype=onp.float64)
        for i in rng.permutation(len(ops)) if ops else ():
            kind, f = ops[i][0], factors[i]
            if kind == "b":
                img = _lut(img, values * f)
            elif kind == "c":
                m = _mean_luma(img)
                img = _lut(img, (values - m) * f + m)
            elif img.shape[2] > 1 and cv2 is not None:
                img = cv2.addWeighted(onp.ascontiguousarray(img), f, _luma(img), 1 - f, 0)
            elif img.shape[2] > 1:
                img = _to_uint8(img * f + _luma(img) * (1 - f))
        return img


class RandomLighting(RandomTransform):
    """AlexNet PCA lighting noise: add ``eigvec @ (alpha * eigval) * 255`` to every RGB pixel of
    a uint8 image (rounded, clipped), alpha ~ N(0, alphastd) per image."""

    def __init__(self, alphastd: float = 0.1, eigval: onp.ndarray = IMAGENET_EIGVAL,
                 eigvec: onp.ndarray = IMAGENET_EIGVEC):
        self.alphastd, self.eigval, self.eigvec = alphastd, eigval, eigvec

    def apply(self, img, rng):
        _check_uint8("RandomLighting", img)
        if self.alphastd <= 0:
            return img
        alpha = rng.normal(0.0, self.alphastd, 3)
        rgb = self.eigvec.astype(onp.float64) @ (alpha * self.eigval) * 255.0
        return _lut(img, onp.arange(256, dtype=onp.float64)[:, None] + rgb[None, :])


class RandomCrop(RandomTransform):
    """Zero-pad by ``pad`` pixels on each side, then crop ``size`` = (h, w) at a random place
    (the CIFAR and MNIST shift augmentation)."""

    def __init__(self, size: int | Sequence[int], pad: int = 0):
        self.size, self.pad = _pair(size), pad

    def apply(self, img, rng):
        if self.pad:
            width = ((self.pad, self.pad), (self.pad, self.pad)) + ((0, 0),) * (img.ndim - 2)
            img = onp.pad(img, width)
        h, w = img.shape[:2]
        ch, cw = self.size
        if h < ch or w < cw:
            raise ValueError(f"RandomCrop{self.size}: image {h}x{w} is smaller than the crop")
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        return img[y0:y0 + ch, x0:x0 + cw]

    def batch(self, images, streams):
        """Pad the NHWC batch once, then gather each sample's window from a strided view of
        all windows (one copy)."""
        n, h, w = images.shape[:3]
        p, (ch, cw) = self.pad, self.size
        if h + 2 * p < ch or w + 2 * p < cw:
            raise ValueError(f"RandomCrop{self.size}: image {h + 2 * p}x{w + 2 * p} is smaller "
                             "than the crop")
        if p:
            padded = onp.zeros((n, h + 2 * p, w + 2 * p) + images.shape[3:], images.dtype)
            padded[:, p:p + h, p:p + w] = images
            images = padded
        y0 = streams.integers(images.shape[1] - ch + 1)
        x0 = streams.integers(images.shape[2] - cw + 1)
        windows = sliding_window_view(images, (ch, cw), axis=(1, 2))  # (n, y, x, [c,] ch, cw)
        return onp.moveaxis(windows[onp.arange(n), y0, x0], (-2, -1), (1, 2))


class Grayscale:
    """RGB HWC uint8 -> HxWx1 luma (0.299 R + 0.587 G + 0.114 B, rounded)."""

    def __call__(self, img: onp.ndarray) -> onp.ndarray:
        _check_uint8("Grayscale", img)
        return _luma(img)[:, :, :1]


class ToTensor:
    """HWC uint8 in [0, 255] -> CHW float32 in [0, 1]."""

    def __call__(self, img: onp.ndarray) -> onp.ndarray:
        if img.ndim == 2:
            img = img[:, :, None]
        x = onp.ascontiguousarray(img.transpose(2, 0, 1), dtype=onp.float32)
        x *= onp.float32(1 / 255.0)
        return x

    def batch(self, images, streams):
        """NHWC (or NHW) uint8 -> NCHW float32 in [0, 1]."""
        if images.ndim == 3:
            images = images[:, :, :, None]
        x = onp.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=onp.float32)
        x *= onp.float32(1 / 255.0)
        return x


class Normalize:
    """``(x - mean) / std`` per channel of a CHW float array."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        self.mean = onp.asarray(mean, onp.float32).reshape(-1, 1, 1)
        self.std = onp.asarray(std, onp.float32).reshape(-1, 1, 1)
        if (self.std <= 0).any():
            raise ValueError(f"Normalize needs positive std, got {std}")
        self._inv_std = 1 / self.std

    def __call__(self, x: onp.ndarray) -> onp.ndarray:
        if x.ndim != 3 or self.mean.shape[0] not in (1, x.shape[0]):
            raise ValueError(f"Normalize with {self.mean.shape[0]} channel(s) needs a CHW array "
                             f"(after ToTensor), got shape {x.shape}")
        out = x - self.mean
        out *= self._inv_std
        return out

    def batch(self, x, streams):
        """``(x - mean) / std`` per channel of an NCHW batch."""
        if x.ndim != 4 or self.mean.shape[0] not in (1, x.shape[1]):
            raise ValueError(f"Normalize with {self.mean.shape[0]} channel(s) needs an NCHW "
                             f"batch (after ToTensor), got shape {x.shape}")
        out = x - self.mean
        out *= self._inv_std
        return out

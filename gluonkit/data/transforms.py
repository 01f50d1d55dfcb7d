"""Image transforms on HWC uint8 NumPy arrays, done with OpenCV (Pillow where OpenCV is missing).

Random transforms take a ``numpy.random.Generator`` as their second argument; the DataLoader
passes one derived from (seed, epoch, sample index), so augmentation repeats for a seed whatever
the number of workers. Called with one argument they draw from a fresh generator.
"""
from __future__ import annotations

import math

import numpy as onp

try:
    import cv2
except ImportError:  # pragma: no cover - exercised only where OpenCV is absent
    cv2 = None

__all__ = ["Compose", "Resize", "CenterCrop", "RandomResizedCrop", "RandomFlipLeftRight",
           "RandomColorJitter", "RandomLighting", "RandomCrop", "Grayscale", "ToTensor", "Normalize",
           "IMAGENET_EIGVAL", "IMAGENET_EIGVEC"]

# AlexNet's PCA of ImageNet RGB pixels (Krizhevsky et al. 2012), as used by GluonCV and fb.resnet.
IMAGENET_EIGVAL = onp.array([0.2175, 0.0188, 0.0045], dtype=onp.float32)
IMAGENET_EIGVEC = onp.array([[-0.5675, 0.7192, 0.4009],
                             [-0.5808, -0.0045, -0.8140],
                             [-0.5836, -0.6948, 0.4203]], dtype=onp.float32)


def _resize(img, w: int, h: int):
    """Bilinear resize (area when shrinking a lot) of an HWC image to (h, w)."""
    if img.shape[1] == w and img.shape[0] == h:
        return img
    if cv2 is not None:
        shrink = w < img.shape[1] / 2 and h < img.shape[0] / 2
        out = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return out.reshape(h, w, -1) if img.ndim == 3 else out
    from PIL import Image
    squeeze = img.ndim == 3 and img.shape[2] == 1
    pil = Image.fromarray(img[:, :, 0] if squeeze else img)
    out = onp.asarray(pil.resize((w, h), Image.BILINEAR))
    return out[:, :, None] if squeeze else out


class _Random:
    """Base of random transforms: ``t(img)`` or ``t(img, rng)``."""

    takes_rng = True

    def __call__(self, img, rng=None):
        return self.apply(img, rng if rng is not None else onp.random.default_rng())

    def apply(self, img, rng):
        raise NotImplementedError(f"{type(self).__name__} must define apply")


class Compose(_Random):
    """Applies transforms in order, passing the generator to the random ones."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def apply(self, img, rng):
        for t in self.transforms:
            img = t(img, rng) if getattr(t, "takes_rng", False) else t(img)
        return img

    def __repr__(self):
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class Resize:
    """Resize so the shorter side is ``size`` (an int), or to exactly (w, h) (a pair)."""

    def __init__(self, size):
        self.size = size

    def __call__(self, img):
        h, w = img.shape[:2]
        if isinstance(self.size, int):
            scale = self.size / min(h, w)
            return _resize(img, max(round(w * scale), 1), max(round(h * scale), 1))
        return _resize(img, *self.size)


class CenterCrop:
    """Crop the central (h, w) = size region; an image smaller than it fails clearly."""

    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, img):
        ch, cw = self.size
        h, w = img.shape[:2]
        if h < ch or w < cw:
            raise ValueError(f"CenterCrop{self.size}: image {h}x{w} is smaller than the crop")
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        return img[y0:y0 + ch, x0:x0 + cw]


class RandomResizedCrop(_Random):
    """Inception-style crop: random area fraction in ``scale`` and aspect ratio in ``ratio``
    (log-uniform), resized to ``size``; falls back to a center crop after 10 tries."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.scale, self.ratio = scale, ratio

    def apply(self, img, rng):
        h, w = img.shape[:2]
        area = h * w
        for _ in range(10):
            target = area * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1])))
            cw = int(round(math.sqrt(target * aspect)))
            ch = int(round(math.sqrt(target / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                y0 = int(rng.integers(0, h - ch + 1))
                x0 = int(rng.integers(0, w - cw + 1))
                return _resize(img[y0:y0 + ch, x0:x0 + cw], self.size[1], self.size[0])
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        return _resize(img[y0:y0 + side, x0:x0 + side], self.size[1], self.size[0])


class RandomFlipLeftRight(_Random):
    def __init__(self, p: float = 0.5):
        self.p = p

    def apply(self, img, rng):
        return img[:, ::-1] if rng.random() < self.p else img


class RandomColorJitter(_Random):
    """Brightness, contrast and saturation factors drawn from [1 - v, 1 + v], in random order."""

    def __init__(self, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0):
        self.brightness, self.contrast, self.saturation = brightness, contrast, saturation

    def apply(self, img, rng):
        out = img.astype(onp.float32)
        gray_w = onp.array([0.299, 0.587, 0.114], onp.float32)
        ops = []
        if self.brightness:
            ops.append(("b", rng.uniform(1 - self.brightness, 1 + self.brightness)))
        if self.contrast:
            ops.append(("c", rng.uniform(1 - self.contrast, 1 + self.contrast)))
        if self.saturation:
            ops.append(("s", rng.uniform(1 - self.saturation, 1 + self.saturation)))
        for i in rng.permutation(len(ops)):
            kind, f = ops[i]
            if kind == "b":
                out = out * f
            elif kind == "c":
                mean = (out @ gray_w).mean() if out.shape[2] == 3 else out.mean()
                out = (out - mean) * f + mean
            else:
                gray = (out @ gray_w)[:, :, None] if out.shape[2] == 3 else out
                out = (out - gray) * f + gray
        return onp.clip(out, 0, 255).astype(onp.uint8)


class RandomLighting(_Random):
    """AlexNet PCA lighting noise: add eigvec @ (alpha * eigval) * 255, alpha ~ N(0, alphastd)."""

    def __init__(self, alphastd: float = 0.1):
        self.alphastd = alphastd

    def apply(self, img, rng):
        if self.alphastd <= 0:
            return img
        alpha = rng.normal(0.0, self.alphastd, 3).astype(onp.float32)
        rgb = IMAGENET_EIGVEC @ (alpha * IMAGENET_EIGVAL) * 255.0
        return onp.clip(img.astype(onp.float32) + rgb, 0, 255).astype(onp.uint8)


class RandomCrop(_Random):
    """Zero-pad by ``pad`` on each side, then crop ``size`` at a random place (CIFAR/MNIST)."""

    def __init__(self, size, pad: int = 0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.pad = pad

    def apply(self, img, rng):
        if self.pad:
            width = ((self.pad, self.pad), (self.pad, self.pad)) + ((0, 0),) * (img.ndim - 2)
            img = onp.pad(img, width)
        h, w = img.shape[:2]
        ch, cw = self.size
        if h < ch or w < cw:
            raise ValueError(f"RandomCrop{self.size}: image {h}x{w} is smaller than the crop")
        y0 = int(rng.integers(0, h - ch + 1))
        x0 = int(rng.integers(0, w - cw + 1))
        return img[y0:y0 + ch, x0:x0 + cw]


class Grayscale:
    """RGB HWC uint8 -> HxWx1 luminance (ITU-R 601 weights, as OpenCV and Pillow use)."""

    def __call__(self, img):
        if img.ndim == 3 and img.shape[2] == 1:
            return img
        if cv2 is not None:
            return cv2.cvtColor(onp.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)[:, :, None]
        gray = img.astype(onp.float32) @ onp.array([0.299, 0.587, 0.114], onp.float32)
        return onp.clip(onp.round(gray), 0, 255).astype(onp.uint8)[:, :, None]


class ToTensor:
    """HWC uint8 in [0, 255] -> CHW float32 in [0, 1]."""

    def __call__(self, img):
        if img.ndim == 2:
            img = img[:, :, None]
        return onp.ascontiguousarray(img.transpose(2, 0, 1), dtype=onp.float32) * (1 / 255.0)


class Normalize:
    """(x - mean) / std per channel of a CHW float array."""

    def __init__(self, mean, std):
        self.mean = onp.asarray(mean, onp.float32).reshape(-1, 1, 1)
        self.std = onp.asarray(std, onp.float32).reshape(-1, 1, 1)

    def __call__(self, x):
        return (x - self.mean) / self.std

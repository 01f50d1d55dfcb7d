"""Image files on disk: an ImageNet-style folder of class folders, or a list file.

Files are listed once and decoded on access (OpenCV; Pillow where OpenCV is missing). Files whose
first bytes are not an image format's signature are skipped at listing, with one warning that
counts them. A file that passes that check but still fails to decode is replaced by the next
decodable file and counted in ``skipped``.
"""
from __future__ import annotations

import os
import warnings

import numpy as onp

from .dataset import Dataset

try:
    import cv2
except ImportError:  # pragma: no cover - exercised only where OpenCV is absent
    cv2 = None

__all__ = ["ImageFolderDataset", "ImageListDataset", "decode_image", "list_classes",
           "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pbm", ".tif", ".tiff",
                    ".webp")


def _is_image_header(head: bytes) -> bool:
    """True when ``head`` (a file's first 12 bytes) starts like a format OpenCV decodes."""
    return (head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00",
                             b"MM\x00*"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (len(head) > 2 and head[:1] == b"P" and head[1:2] in b"123456"
                and head[2:3].isspace()))


def decode_image(path: str, flag: int = 1) -> onp.ndarray | None:
    """An HxWx3 RGB (``flag=1``) or HxWx1 gray (``flag=0``) uint8 array; None if undecodable."""
    if cv2 is not None:
        try:
            raw = onp.fromfile(path, dtype=onp.uint8)
        except OSError:
            return None
        img = cv2.imdecode(raw, cv2.IMREAD_COLOR if flag else cv2.IMREAD_GRAYSCALE)
        if img is None:
            return None
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if flag else img[:, :, None]
    from PIL import Image  # pragma: no cover - Pillow fallback
    try:
        with Image.open(path) as im:
            return onp.asarray(im.convert("RGB")) if flag \
                else onp.asarray(im.convert("L"))[:, :, None]
    except OSError:
        return None


def list_classes(root: str) -> list[str]:
    """The class names of an image folder: its sub-folder names, sorted (label order)."""
    return sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))


class _FileDataset(Dataset):
    """``items``: a list of (path, label); subclasses fill it through ``_set_items``."""

    root: str
    items: list[tuple[str, int]]
    flag: int
    skipped: list[str]

    def _set_items(self, items: list[tuple[str, int]], verify: bool) -> None:
        self.skipped = []
        if verify:
            kept = []
            for path, label in items:
                try:
                    with open(path, "rb") as f:
                        ok = _is_image_header(f.read(12))
                except OSError:
                    ok = False
                (kept if ok else self.skipped).append((path, label))
            self.skipped = [p for p, _ in self.skipped]
            if self.skipped:
                warnings.warn(f"{type(self).__name__}: skipped {len(self.skipped)} of {len(items)}"
                              f" files under {self.root} that are not images (first: "
                              f"{self.skipped[0]})", RuntimeWarning, stacklevel=3)
            items = kept
        if not items:
            raise ValueError(f"{self.root} holds no decodable images")
        self.items = items
        self._warned = False

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, idx: int) -> tuple[onp.ndarray, int]:
        for offset in range(len(self.items)):
            path, label = self.items[(idx + offset) % len(self.items)]
            img = decode_image(path, self.flag)
            if img is not None:
                return img, label
            self.skipped.append(path)
            if not self._warned:
                self._warned = True
                warnings.warn(f"{path} could not be decoded; the next image stands in for it "
                              "(the dataset's `skipped` list counts such files)", RuntimeWarning,
                              stacklevel=2)
        raise RuntimeError(f"no image under {self.root} could be decoded")


class ImageFolderDataset(_FileDataset):
    """``root/<class>/<image>``: labels index the sorted class folder names (``classes``, also
    ``synsets``), the ImageNet layout. Files are checked for an image signature unless
    ``verify=False`` (one small read per file).

    Example::

        ds = ImageFolderDataset("~/data/imagenet/train")
        img, label = ds[0]          # HxWx3 uint8 RGB, int
    """

    def __init__(self, root: str, extensions: tuple[str, ...] = IMAGE_EXTENSIONS, flag: int = 1,
                 verify: bool = True):
        root = os.path.expanduser(root)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"image folder not found: {root}")
        self.root, self.flag = root, flag
        self.classes = list_classes(root)
        self.synsets = self.classes
        if not self.classes:
            raise ValueError(f"{root} has no class sub-folders (expected root/<class>/<image>)")
        exts = tuple(e.lower() for e in extensions)
        items = []
        for label, cls in enumerate(self.classes):
            folder = os.path.join(root, cls)
            files = sorted(f for f in os.listdir(folder) if f.lower().endswith(exts))
            if not files:
                raise ValueError(f"class folder {folder} holds no files with extensions {exts}")
            items.extend((os.path.join(folder, f), label) for f in files)
        self._set_items(items, verify)


class ImageListDataset(_FileDataset):
    """A text file of ``relative/path label`` lines; paths are relative to ``root`` (by default
    the list file's folder). ``classes`` are the label numbers as strings."""

    def __init__(self, list_file: str, root: str | None = None, flag: int = 1,
                 verify: bool = True):
        list_file = os.path.expanduser(list_file)
        self.root = os.path.expanduser(root) if root is not None \
            else os.path.dirname(os.path.abspath(list_file))
        self.flag = flag
        items = []
        with open(list_file) as f:
            for n, line in enumerate(f, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                parts = line.strip().rsplit(maxsplit=1)
                if len(parts) != 2 or not parts[1].isdigit():
                    raise ValueError(f"{list_file}:{n}: expected 'relative/path label' with a "
                                     f"non-negative integer label, got {line.strip()!r}")
                items.append((os.path.join(self.root, parts[0]), int(parts[1])))
        if not items:
            raise ValueError(f"{list_file} lists no images")
        self.classes = [str(i) for i in range(max(label for _, label in items) + 1)]
        self._set_items(items, verify)

"""Image datasets: MNIST/FashionMNIST (IDX), CIFAR-10/100 (python pickle batches, read with a
restricted unpickler), an ImageNet-style folder of class folders, and an image list file."""
from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile
import warnings

import numpy as onp

from .dataset import Dataset
from .download import data_home, download

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageFolderDataset",
           "ImageListDataset", "read_idx", "restricted_loads", "decode_image"]

BUNDLED = os.path.join(os.path.dirname(__file__), "bundled")


def read_idx(path: str) -> onp.ndarray:
    """An IDX file (gzipped or not) as a NumPy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if zero != 0 or dtype_code not in dtypes:
        raise ValueError(f"{path} is not an IDX file (magic {data[:4].hex()})")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    array = onp.frombuffer(data, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    if array.size != int(onp.prod(shape)):
        raise ValueError(f"{path}: header says {shape} but holds {array.size} values")
    return array.reshape(shape).astype(dtypes[dtype_code].lstrip(">"))


class _IDXDataset(Dataset):
    """28x28 grayscale images as HxWx1 uint8 with integer labels."""

    base_url: str = ""
    files: dict = {}
    name = ""

    def __init__(self, root: str | None = None, train: bool = True, download: bool = False):
        split = "train" if train else "t10k"
        names = (f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz")
        if root is None and not download:
            root = self._default_root()
        root = os.path.expanduser(root or os.path.join(data_home(), self.name))
        paths = []
        for n in names:
            path = self._find(root, n)
            if path is None:
                if not download:
                    raise FileNotFoundError(f"{self.name}: {n} not found in {root}; pass "
                                            "download=True to fetch it")
                path = download_file(self.base_url + n, root, self.files[n])
            paths.append(path)
        self.root = root
        self._images = read_idx(paths[0])[..., None]
        self._labels = read_idx(paths[1]).astype(onp.int64)
        if len(self._images) != len(self._labels):
            raise ValueError(f"{root}: {len(self._images)} images but {len(self._labels)} labels")

    def _default_root(self):
        raise FileNotFoundError(f"{self.name} has no bundled copy: give root= or download=True")

    @staticmethod
    def _find(root, name):
        for candidate in (name, name[:-3]):
            path = os.path.join(root, candidate)
            if os.path.exists(path):
                return path
        return None

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, idx):
        return self._images[idx], int(self._labels[idx])


def download_file(url, folder, sha256):
    return download(url, folder, sha256)


class MNIST(_IDXDataset):
    """MNIST digits. ``MNIST()`` (no root) reads the 4,000/1,000 subset bundled in the package."""

    name = "mnist"
    base_url = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    files = {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }

    def _default_root(self):
        return BUNDLED


class FashionMNIST(_IDXDataset):
    name = "fashion_mnist"
    base_url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    files = {
        "train-images-idx3-ubyte.gz":
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        "train-labels-idx1-ubyte.gz":
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        "t10k-images-idx3-ubyte.gz":
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        "t10k-labels-idx1-ubyte.gz":
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    }


class _RestrictedUnpickler(pickle.Unpickler):
    """Admits only the built-in containers CIFAR batches use; any global is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: CIFAR batch files hold only dicts, lists, "
            "bytes, ints and strings, so this file is not one (or has been tampered with)")


def restricted_loads(data: bytes):
    """Unpickle CIFAR's dict/list/bytes/int/str data; anything that names a global fails."""
    return _RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


class _CIFAR(Dataset):
    archive = ""
    sha256 = ""
    folder = ""
    url_base = "https://www.cs.toronto.edu/~kriz/"

    def __init__(self, root: str | None = None, train: bool = True, download: bool = False):
        root = os.path.expanduser(root or os.path.join(data_home(), self.folder))
        batch_dir = os.path.join(root, self.folder)
        if not os.path.isdir(batch_dir):
            if not download:
                raise FileNotFoundError(f"{batch_dir} not found; pass download=True or extract "
                                        f"{self.archive} into {root}")
            path = download_file(self.url_base + self.archive, root, self.sha256)
            with tarfile.open(path) as tar:
                tar.extractall(root, filter="data")
        images, labels = [], []
        for name in self._batch_names(train):
            path = os.path.join(batch_dir, name)
            if not os.path.exists(path):
                raise FileNotFoundError(f"CIFAR batch file missing: {path}")
            with open(path, "rb") as f:
                batch = {_text(k): v for k, v in restricted_loads(f.read()).items()}
            images.append(onp.asarray(batch["data"], dtype=onp.uint8).reshape(-1, 3, 32, 32))
            labels.extend(batch[self._label_key()])
        self.root = root
        self._images = onp.concatenate(images).transpose(0, 2, 3, 1)
        self._labels = onp.asarray(labels, dtype=onp.int64)

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, idx):
        return self._images[idx], int(self._labels[idx])


class CIFAR10(_CIFAR):
    archive = "cifar-10-python.tar.gz"
    sha256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    folder = "cifar-10-batches-py"

    def _batch_names(self, train):
        return [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]

    def _label_key(self):
        return "labels"


class CIFAR100(_CIFAR):
    archive = "cifar-100-python.tar.gz"
    sha256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
    folder = "cifar-100-python"

    def __init__(self, root=None, train=True, download=False, fine_label: bool = True):
        self._fine = fine_label
        super().__init__(root, train, download)

    def _batch_names(self, train):
        return ["train"] if train else ["test"]

    def _label_key(self):
        return "fine_labels" if self._fine else "coarse_labels"


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def decode_image(path: str):
    """An HxWx3 RGB uint8 array, or None when the file cannot be decoded."""
    try:
        import cv2
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        return None if img is None else img[:, :, ::-1]
    except ImportError:  # pragma: no cover - Pillow fallback where OpenCV is absent
        from PIL import Image
        try:
            with Image.open(path) as im:
                return onp.asarray(im.convert("RGB"))
        except OSError:
            return None


class _FileDataset(Dataset):
    """Decodes files on access; an undecodable file is replaced by the next one, and counted."""

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        for offset in range(len(self.items)):
            path, label = self.items[(idx + offset) % len(self.items)]
            img = decode_image(path)
            if img is not None:
                return img, label
            self._bad.add(path)
            if len(self._bad) == 1 or len(self._bad) % 100 == 0:
                warnings.warn(f"{len(self._bad)} image file(s) could not be decoded and were "
                              f"skipped (latest: {path})", RuntimeWarning, stacklevel=2)
        raise RuntimeError(f"no image in {self.root} could be decoded")

    @property
    def skipped(self) -> int:
        """How many undecodable files were met so far."""
        return len(self._bad)


class ImageFolderDataset(_FileDataset):
    """root/<class>/<image>: classes are the sorted folder names (``synsets``/``classes``)."""

    def __init__(self, root: str, extensions=IMAGE_EXTENSIONS, flag: int = 1):
        root = os.path.expanduser(root)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"image folder not found: {root}")
        self.root, self._bad = root, set()
        self.classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        self.synsets = self.classes
        if not self.classes:
            raise ValueError(f"{root} has no class sub-folders (expected root/<class>/<image>)")
        self.items = []
        exts = tuple(e.lower() for e in extensions)
        for label, cls in enumerate(self.classes):
            folder = os.path.join(root, cls)
            files = sorted(f for f in os.listdir(folder) if f.lower().endswith(exts))
            if not files:
                raise ValueError(f"class folder {folder} holds no images with extensions {exts}")
            self.items.extend((os.path.join(folder, f), label) for f in files)


class ImageListDataset(_FileDataset):
    """A text file of "relative/path label" lines, paths relative to ``root``."""

    def __init__(self, list_file: str, root: str = "."):
        self.root, self._bad, self.items = root, set(), []
        with open(list_file) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                parts = line.rsplit(maxsplit=1)
                if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                    raise ValueError(f"{list_file}:{n}: expected 'relative/path label', "
                                     f"got {line.strip()!r}")
                self.items.append((os.path.join(root, parts[0]), int(parts[1])))
        if not self.items:
            raise ValueError(f"{list_file} lists no images")

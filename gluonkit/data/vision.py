"""MNIST and Fashion-MNIST (IDX files) and CIFAR-10/100 (python pickle batches, read with a
restricted unpickler). Samples are ``(HxWxC uint8 image, int label)``."""
from __future__ import annotations

import gzip
import os
import shutil
import struct
import tarfile
import tempfile

import numpy as onp

from .dataset import Dataset
from .download import data_home
from .download import download as fetch_file
from .unpickle import restricted_loads

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "read_idx", "BUNDLED_MNIST"]

BUNDLED_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bundled")

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> onp.ndarray:
    """An IDX file (gzipped when the name ends in .gz) as a native-endian NumPy array.

    IDX: two zero bytes, a dtype code, the number of dimensions, big-endian uint32 sizes, data.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path} is too short to be an IDX file")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (magic bytes {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = onp.dtype(_IDX_DTYPES[code])
    body = len(data) - 4 - 4 * ndim
    if body != int(onp.prod(shape)) * dtype.itemsize:
        raise ValueError(f"{path}: header says shape {shape} but the file holds {body} bytes "
                         "of data (truncated or corrupt)")
    array = onp.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class _IDXDataset(Dataset):
    """28x28 grayscale images as 28x28x1 uint8 with integer labels."""

    name = ""
    base_url = ""
    files: dict[str, str] = {}  # file name -> SHA-256
    classes: list[str] = []

    def __init__(self, root: str | None = None, train: bool = True, download: bool = False):
        split = "train" if train else "t10k"
        names = (f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz")
        root = self._resolve_root(root, download)
        paths = [self._find(root, n) or self._fetch(root, n, download) for n in names]
        self.root, self.train = root, train
        self._images = read_idx(paths[0])[..., None]
        self._labels = read_idx(paths[1]).astype(onp.int64)
        if self._images.ndim != 4 or len(self._images) != len(self._labels):
            raise ValueError(f"{root}: images {self._images.shape[:-1]} do not match labels "
                             f"{self._labels.shape}")

    def _resolve_root(self, root: str | None, download: bool) -> str:
        if root is None:
            return os.path.join(data_home(), self.name)
        return os.path.expanduser(root)

    def _fetch(self, root: str, name: str, allowed: bool) -> str:
        if not allowed:
            raise FileNotFoundError(f"{type(self).__name__}: {name} (or {name[:-3]}) not found "
                                    f"in {root}; pass download=True to fetch it")
        return fetch_file(self.base_url + name, root, self.files[name])

    @staticmethod
    def _find(root: str, name: str) -> str | None:
        for candidate in (name, name[:-3]):
            path = os.path.join(root, candidate)
            if os.path.exists(path):
                return path
        return None

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, idx: int) -> tuple[onp.ndarray, int]:
        return self._images[idx], int(self._labels[idx])

    def sample_batch(self, indices: onp.ndarray, streams) -> tuple[onp.ndarray, onp.ndarray]:
        """(NHWC uint8 images, int64 labels) at ``indices``: the set is in memory."""
        return self._images[indices], self._labels[indices]


class MNIST(_IDXDataset):
    """MNIST handwritten digits (Y. LeCun, C. Cortes, C. Burges).

    ``MNIST()`` with no root, or ``root="bundled"``, reads the 4,000/1,000 real-image subset that
    ships inside the package (so training runs offline); ``download=True`` fetches the full
    60,000/10,000 set into ``$GLUONKIT_HOME/datasets/mnist``.
    """

    name = "mnist"
    base_url = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    files = {  # SHA-256 of the canonical files (the same on yann.lecun.com and its mirrors)
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    classes = [str(d) for d in range(10)]

    def _resolve_root(self, root: str | None, download: bool) -> str:
        if root == "bundled" or (root is None and not download):
            return BUNDLED_MNIST
        return super()._resolve_root(root, download)


class FashionMNIST(_IDXDataset):
    """Zalando's Fashion-MNIST (H. Xiao, K. Rasul, R. Vollgraf), MNIST's format and sizes."""

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
    classes = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
               "sneaker", "bag", "ankle boot"]


def _extract(archive: str, root: str, folder: str) -> None:
    """Extract ``folder`` from a tarball next to it, atomically: a crash leaves no half folder."""
    tmp = tempfile.mkdtemp(prefix=".extract-", dir=root)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")  # refuses absolute paths and links out of tmp
        os.replace(os.path.join(tmp, folder), os.path.join(root, folder))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _text(v: object) -> object:
    return v.decode("latin1") if isinstance(v, bytes) else v


class _CIFAR(Dataset):
    """32x32x3 uint8 images from the python-pickle batches (``root/<folder>/<batch>``)."""

    archive = ""
    sha256 = ""
    folder = ""
    url_base = "https://www.cs.toronto.edu/~kriz/"
    meta_file, names_key, label_key = "", "", ""

    def __init__(self, root: str | None = None, train: bool = True, download: bool = False):
        root = os.path.expanduser(root or os.path.join(data_home(), self.folder))
        batch_dir = os.path.join(root, self.folder)
        if not os.path.isdir(batch_dir):
            if not download:
                raise FileNotFoundError(f"{batch_dir} not found: pass download=True, or extract "
                                        f"{self.archive} into {root}")
            path = fetch_file(self.url_base + self.archive, root, self.sha256)
            _extract(path, root, self.folder)
        images, labels = [], []
        for name in self._batch_names(train):
            batch = self._load(os.path.join(batch_dir, name))
            data = onp.asarray(batch["data"], dtype=onp.uint8)
            if data.ndim != 2 or data.shape[1] != 3072:
                raise ValueError(f"{batch_dir}/{name}: data has shape {data.shape}, expected "
                                 "(N, 3072)")
            images.append(data.reshape(-1, 3, 32, 32))
            labels.extend(batch[self.label_key])
        self.root, self.train = root, train
        self._images = onp.ascontiguousarray(onp.concatenate(images).transpose(0, 2, 3, 1))
        self._labels = onp.asarray(labels, dtype=onp.int64)
        if len(self._images) != len(self._labels):
            raise ValueError(f"{batch_dir}: {len(self._images)} images, {len(self._labels)} labels")
        meta = os.path.join(batch_dir, self.meta_file)
        self.classes = [_text(c) for c in self._load(meta)[self.names_key]] \
            if os.path.exists(meta) else []

    @staticmethod
    def _load(path: str) -> dict:
        if not os.path.exists(path):
            raise FileNotFoundError(f"CIFAR batch file missing: {path}")
        with open(path, "rb") as f:
            return {_text(k): v for k, v in restricted_loads(f.read()).items()}

    def _batch_names(self, train: bool) -> list[str]:
        return ["train"] if train else ["test"]

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, idx: int) -> tuple[onp.ndarray, int]:
        return self._images[idx], int(self._labels[idx])

    def sample_batch(self, indices: onp.ndarray, streams) -> tuple[onp.ndarray, onp.ndarray]:
        """(NHWC uint8 images, int64 labels) at ``indices``: the set is in memory."""
        return self._images[indices], self._labels[indices]


class CIFAR10(_CIFAR):
    """CIFAR-10 (A. Krizhevsky, 2009): 50,000 training and 10,000 test images, 10 classes."""

    archive = "cifar-10-python.tar.gz"
    sha256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    folder = "cifar-10-batches-py"
    meta_file, names_key, label_key = "batches.meta", "label_names", "labels"

    def _batch_names(self, train: bool) -> list[str]:
        return [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]


class CIFAR100(_CIFAR):
    """CIFAR-100: 100 fine classes, or the 20 coarse superclasses with ``fine_label=False``."""

    archive = "cifar-100-python.tar.gz"
    sha256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
    folder = "cifar-100-python"
    meta_file = "meta"

    def __init__(self, root: str | None = None, train: bool = True, download: bool = False,
                 fine_label: bool = True):
        self.fine_label = fine_label
        self.label_key = "fine_labels" if fine_label else "coarse_labels"
        self.names_key = "fine_label_names" if fine_label else "coarse_label_names"
        super().__init__(root, train, download)

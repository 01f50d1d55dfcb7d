"""Datasets and loaders for a Config: the named dataset with its presets, or synthetic images."""
from __future__ import annotations

import os

import numpy as onp

import gluonkit as gk
from gluonkit import data as gdata
from gluonkit.dist.sampler import DistributedSampler

from .config import ConfigError

__all__ = ["build_loaders", "to_device", "SyntheticDataset", "class_names"]

_CLASSES = {"mnist": 10, "fashion_mnist": 10, "cifar10": 10, "cifar100": 100}
_NAMED = {"mnist": gdata.MNIST, "fashion_mnist": gdata.FashionMNIST, "cifar10": gdata.CIFAR10,
          "cifar100": gdata.CIFAR100}


class SyntheticDataset(gdata.Dataset):
    """Random uint8 images of a fixed shape with random labels, seeded: a dry run of a recipe."""

    def __init__(self, size: int, shape: tuple, classes: int, seed: int = 0):
        self._size, self._shape, self._classes, self._seed = size, shape, classes, seed

    def __len__(self):
        return self._size

    def __getitem__(self, i):
        rng = onp.random.default_rng([self._seed, i])
        return (rng.integers(0, 256, self._shape, dtype=onp.uint8),
                int(rng.integers(0, self._classes)))


def _model_presets(cfg):
    """Train/eval pipelines from the model's own input size, mean/std and crop (transfer)."""
    from gluonkit.model_zoo import model_entry

    meta = model_entry(cfg.model.name).metadata
    channels, size = meta["input_size"][0], meta["input_size"][1]
    mean, std, crop = meta["mean"], meta["std"], meta["crop_pct"]
    if channels == 1:
        tf = gdata.transforms
        base = [tf.Grayscale(), tf.Resize((size, size))]
        train = tf.Compose(base + ([tf.RandomCrop(size, pad=2)] if cfg.data.augment else [])
                           + [tf.ToTensor(), tf.Normalize(mean, std)])
        return train, tf.Compose(base + [tf.ToTensor(), tf.Normalize(mean, std)])
    evaluation = gdata.presets.imagenet_eval(size, crop, mean, std)
    train = gdata.presets.imagenet_train(size, mean, std) if cfg.data.augment else evaluation
    return train, evaluation


def _presets(cfg):
    d = cfg.data
    if d.dataset == "folder":
        return _model_presets(cfg)
    if d.dataset in ("mnist", "fashion_mnist"):
        train = gdata.presets.mnist(train=d.augment)
        return train, gdata.presets.mnist(train=False)
    if d.dataset in ("cifar10", "cifar100"):
        return (gdata.presets.cifar_train() if d.augment else gdata.presets.cifar_eval(),
                gdata.presets.cifar_eval())
    return (gdata.presets.imagenet_train(size=d.image_size) if d.augment
            else gdata.presets.imagenet_eval(size=d.image_size, crop_ratio=d.crop_ratio),
            gdata.presets.imagenet_eval(size=d.image_size, crop_ratio=d.crop_ratio))


def _datasets(cfg, train: bool = True):
    """(train set or None, validation set, number of classes)."""
    d = cfg.data
    if d.synthetic:
        classes = cfg.model.classes
        shape = {"mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1), "cifar10": (32, 32, 3),
                 "cifar100": (32, 32, 3)}.get(d.dataset, (d.image_size + 32,) * 2 + (3,))
        return (SyntheticDataset(d.synthetic_size, shape, classes, cfg.train.seed),
                SyntheticDataset(max(d.synthetic_size // 4, 1), shape, classes,
                                 cfg.train.seed + 1), classes)
    root = None if d.root is None else os.path.expanduser(d.root)
    if d.dataset in _NAMED:
        make = lambda split: _named(_NAMED[d.dataset], root, split, d.download)  # noqa: E731
    else:
        if root is None:
            raise ConfigError(f"data.root must point at the {d.dataset} folder (train/ and val/ "
                             "sub-folders of class folders), or set data.synthetic: true")
        if os.path.isdir(os.path.join(root, "train")):
            make = lambda split: _folder(  # noqa: E731
                os.path.join(root, "train" if split else "val"))
        else:
            full = _folder(root)
            parts = gdata.split_dataset(full, d.val_split, seed=cfg.train.seed)
            make = lambda split: parts[0] if split else parts[1]  # noqa: E731
    val = make(False)
    classes = _CLASSES.get(d.dataset) or len(val.classes)
    return (make(True) if train else None), val, classes


def class_names(config: dict) -> list | None:
    """The class names of a resolved config's dataset (a folder's sub-folders, the digits, the
    named sets' labels), without reading any image; None when unknown (synthetic, CIFAR-100)."""
    d = config.get("data", {})
    if d.get("synthetic"):
        return None
    if d.get("dataset") == "folder" and d.get("root"):
        root = os.path.expanduser(d["root"])
        folder = os.path.join(root, "val") if os.path.isdir(os.path.join(root, "train")) else root
        return gdata.list_classes(folder) if os.path.isdir(folder) else None
    if d.get("dataset") == "cifar10":
        from gluonkit.model_zoo.class_names import CIFAR10_CLASSES
        return list(CIFAR10_CLASSES)
    named = _NAMED.get(d.get("dataset"))
    return list(named.classes) if named is not None and named.classes else None


def _named(cls, root, train: bool, download: bool):
    try:
        return cls(root, train=train, download=download)
    except FileNotFoundError as e:  # files not there and no download asked: the user's to fix
        raise ConfigError(f"{e} (in a recipe: data.download: true, or data.root: the folder "
                          "that holds them)") from None


def _folder(root: str):
    try:
        return gdata.ImageFolderDataset(root)
    except (FileNotFoundError, ValueError) as e:  # a missing or empty folder: the user's to fix
        raise ConfigError(f"data.root: {e}") from None


def build_loaders(cfg, train: bool = True, rank: int = 0, ranks: int = 1):
    """(train_loader, val_loader, classes) for the config's data and train sections; with
    ``train=False`` only the validation split is read (the first item is None).

    With ``ranks > 1`` both loaders read rank ``rank``'s shard (``DistributedSampler``); a
    training sample is augmented from its place in the order all ranks share, as one process
    with the global batch would augment it.
    """
    train_ds, val_ds, classes = _datasets(cfg, train)
    train_tf, eval_tf = _presets(cfg)
    d, t = cfg.data, cfg.train
    shard = ranks > 1
    val = gdata.DataLoader(val_ds.transform_first(eval_tf), batch_size=cfg.eval.batch_size,
                           shuffle=False, last_batch="keep", num_workers=d.num_workers,
                           seed=t.seed, sampler=DistributedSampler(
                               len(val_ds), ranks, rank, shuffle=False, pad=False)
                           if shard else None)
    if not train:
        return None, val, classes
    sampler = DistributedSampler(len(train_ds), ranks, rank, seed=t.seed) if shard else None
    # A batch larger than the whole set shrinks to it (the engine says so): never zero steps.
    batch = max(min(t.batch_size, len(train_ds)), 1)
    train_loader = gdata.DataLoader(train_ds.transform_first(train_tf), batch_size=batch,
                                    shuffle=not shard, sampler=sampler, last_batch=t.last_batch,
                                    num_workers=d.num_workers, seed=t.seed)
    return train_loader, val, classes


def to_device(batch, device, dtype: str | None = None):
    """A NumPy batch as a gluonkit array on ``device`` (floats cast to ``dtype`` if given)."""
    arr = onp.asarray(batch)
    if dtype is not None and arr.dtype.kind == "f":
        arr = arr.astype(dtype, copy=False)
    return gk.np.array(arr, device=device, copy=False)

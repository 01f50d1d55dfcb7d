"""Dataset bases: random access ``(image, label)`` pairs, composable with ``transform_first``."""
from __future__ import annotations

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "Subset", "split_dataset"]


class Dataset:
    """Subclasses define ``__len__`` and ``__getitem__``."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, idx):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def transform(self, fn) -> "Dataset":
        """A dataset whose samples are ``fn(*sample)``."""
        return _Transformed(self, fn, first_only=False)

    def transform_first(self, fn) -> "Dataset":
        """A dataset applying ``fn`` to the first element (the image) of each sample.

        ``fn`` may take a second argument, a ``numpy.random.Generator`` supplied by the loader
        so random augmentation repeats for a seed.
        """
        return _Transformed(self, fn, first_only=True)


def _call(fn, x, rng):
    return fn(x, rng) if getattr(fn, "takes_rng", False) else fn(x)


class _Transformed(Dataset):
    def __init__(self, base: Dataset, fn, first_only: bool):
        self._base, self._fn, self._first = base, fn, first_only

    def __len__(self):
        return len(self._base)

    def get(self, idx, rng=None):
        sample = self._base.get(idx, rng) if isinstance(self._base, _Transformed) \
            else self._base[idx]
        if self._first:
            return (_call(self._fn, sample[0], rng),) + tuple(sample[1:])
        return self._fn(*sample)

    def __getitem__(self, idx):
        return self.get(idx)

    def __getattr__(self, name):
        return getattr(self._base, name)


class SimpleDataset(Dataset):
    """Wraps any sequence."""

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class ArrayDataset(Dataset):
    """Zips equally long arrays: sample i is (a[i], b[i], ...)."""

    def __init__(self, *arrays):
        n = {len(a) for a in arrays}
        if len(n) != 1:
            raise ValueError(f"ArrayDataset needs arrays of one length, got lengths {sorted(n)}")
        self._arrays = arrays

    def __len__(self):
        return len(self._arrays[0])

    def __getitem__(self, idx):
        return tuple(a[idx] for a in self._arrays)


class Subset(Dataset):
    """The samples of ``base`` at ``indices``; other attributes (``classes``) pass through."""

    def __init__(self, base: Dataset, indices):
        self._base, self.indices = base, list(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, idx):
        return self._base[self.indices[idx]]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._base, name)


def split_dataset(dataset: Dataset, val_fraction: float, seed: int = 0):
    """(train, val) subsets; stratified by label when the dataset lists ``items`` of
    (path, label), so each class keeps the same share in both."""
    import numpy as onp

    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    rng = onp.random.default_rng(seed)
    labels = [label for _, label in dataset.items] if hasattr(dataset, "items") \
        else [0] * len(dataset)
    train, val = [], []
    for label in sorted(set(labels)):
        idx = rng.permutation([i for i, lab in enumerate(labels) if lab == label])
        n_val = max(1, int(round(len(idx) * val_fraction))) if len(idx) > 1 else 0
        val.extend(idx[:n_val].tolist())
        train.extend(idx[n_val:].tolist())
    return Subset(dataset, sorted(train)), Subset(dataset, sorted(val))

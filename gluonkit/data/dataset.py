"""Dataset bases: random-access ``(image, label)`` samples, composable with ``transform_first``.

A random transform takes its randomness from a ``numpy.random.Generator``: ``sample(idx, rng)``
threads the loader's per-sample generator down to the transforms; ``ds[idx]`` draws a fresh one.
A dataset held in memory as arrays may also make a whole batch at once, ``sample_batch(indices,
streams)``, with transforms that have a batch form; the loader uses it when it can.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence

import numpy as onp

from .transforms import has_batch_form

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "Subset", "split_dataset"]


class Dataset(ABC):
    """Subclasses define ``__len__`` and ``__getitem__``."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, idx: int) -> Any: ...

    def sample(self, idx: int, rng: onp.random.Generator | None = None) -> Any:
        """Sample ``idx`` with random transforms drawing from ``rng`` (the loader's hook)."""
        return self[idx]

    def sample_batch(self, indices: onp.ndarray, streams: Any) -> tuple | None:
        """Samples ``indices`` as one batch, columns stacked as ``default_batchify`` stacks
        them, random transforms drawing from ``streams`` (``SampleStreams``, one generator per
        sample); None when this dataset has no batch form (the loader samples one by one)."""
        return None

    def transform(self, fn: Callable) -> "Dataset":
        """A dataset whose samples are ``fn(*sample)``."""
        return _Transformed(self, fn, first_only=False)

    def transform_first(self, fn: Callable) -> "Dataset":
        """A dataset applying ``fn`` to the first element (the image) of each sample.

        ``fn`` gets the loader's generator as a second argument when it has ``takes_rng = True``
        (every random transform and ``Compose`` does). Example::

            train = MNIST().transform_first(presets.mnist(train=True))
        """
        return _Transformed(self, fn, first_only=True)


def _call(fn: Callable, args: tuple, rng: onp.random.Generator | None) -> Any:
    return fn(*args, rng) if getattr(fn, "takes_rng", False) else fn(*args)


class _Transformed(Dataset):
    def __init__(self, base: Dataset, fn: Callable, first_only: bool):
        self._base, self._fn, self._first = base, fn, first_only

    def __len__(self) -> int:
        return len(self._base)

    def sample(self, idx: int, rng: onp.random.Generator | None = None) -> Any:
        item = self._base.sample(idx, rng)
        if self._first:
            return (_call(self._fn, (item[0],), rng),) + tuple(item[1:])
        return _call(self._fn, tuple(item), rng)

    def __getitem__(self, idx: int) -> Any:
        return self.sample(idx)

    def sample_batch(self, indices: onp.ndarray, streams: Any) -> tuple | None:
        if not (self._first and has_batch_form(self._fn)):
            return None
        batch = self._base.sample_batch(indices, streams)
        if batch is None:
            return None
        return (self._fn.batch(batch[0], streams),) + tuple(batch[1:])

    def __getattr__(self, name: str) -> Any:
        # Attributes such as ``classes`` and ``items`` pass through from the wrapped dataset.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._base, name)


class SimpleDataset(Dataset):
    """Wraps any sequence."""

    def __init__(self, data: Sequence):
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class ArrayDataset(Dataset):
    """Zips equally long arrays: sample i is ``(a[i], b[i], ...)``."""

    def __init__(self, *arrays: Sequence):
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"ArrayDataset needs arrays of one length, got {sorted(lengths)}")
        self._arrays = arrays

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, idx: int) -> tuple:
        return tuple(a[idx] for a in self._arrays)


class Subset(Dataset):
    """The samples of ``base`` at ``indices``; other attributes (``classes``) pass through."""

    def __init__(self, base: Dataset, indices: Sequence[int]):
        self._base, self.indices = base, [int(i) for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> Any:
        return self._base[self.indices[idx]]

    def sample(self, idx: int, rng: onp.random.Generator | None = None) -> Any:
        return self._base.sample(self.indices[idx], rng)

    def sample_batch(self, indices: onp.ndarray, streams: Any) -> tuple | None:
        return self._base.sample_batch(onp.asarray(self.indices)[indices], streams)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._base, name)


def split_dataset(dataset: Dataset, val_fraction: float, seed: int = 0) -> tuple[Subset, Subset]:
    """(train, val) subsets. Stratified by label when the dataset lists ``items`` of
    (path, label), so each class keeps the same share in both; a random split otherwise."""
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

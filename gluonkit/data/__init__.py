"""Datasets, the DataLoader, OpenCV transforms, presets and batch mixing. Pure NumPy: batches
are NumPy arrays that the training engine moves to a device."""
from . import presets, transforms
from .dataset import ArrayDataset, Dataset, SimpleDataset, Subset, split_dataset
from .download import DatasetDownloadError
from .loader import DataLoader, WorkerError, default_batchify
from .mix import cutmix, mixup
from .vision import (CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset, ImageListDataset,
                     read_idx, restricted_loads)

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "Subset", "split_dataset", "DataLoader", "WorkerError",
           "default_batchify", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100",
           "ImageFolderDataset", "ImageListDataset", "read_idx", "restricted_loads", "mixup",
           "cutmix", "transforms", "presets", "DatasetDownloadError"]

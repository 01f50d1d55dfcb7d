"""Datasets, the DataLoader, OpenCV transforms, presets and batch mixing. Pure NumPy: batches
are NumPy arrays that the training engine moves to a device."""
from . import presets, transforms
from .dataset import ArrayDataset, Dataset, SimpleDataset, Subset, split_dataset
from .download import DatasetDownloadError
from .folder import ImageFolderDataset, ImageListDataset, decode_image, list_classes
from .loader import DataLoader, WorkerError, default_batchify
from .mix import cutmix, mixup, one_hot
from .unpickle import restricted_loads
from .vision import BUNDLED_MNIST, CIFAR10, CIFAR100, MNIST, FashionMNIST, read_idx

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "Subset", "split_dataset", "DataLoader",
           "WorkerError", "default_batchify", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100",
           "BUNDLED_MNIST", "ImageFolderDataset", "ImageListDataset", "decode_image",
           "list_classes", "read_idx", "restricted_loads", "mixup", "cutmix", "one_hot",
           "transforms", "presets", "DatasetDownloadError"]

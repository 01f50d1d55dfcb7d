"""Read PyTorch ``.pth``/``.pt`` zip checkpoints into NumPy arrays without PyTorch.

The pickle inside is read by an unpickler that admits only what a state dict needs (tensor
rebuilding, storages of known dtypes, OrderedDict) and rebuilds each tensor as a NumPy array
from the zip's raw storage bytes. Any other global is refused before anything runs.
"""
from __future__ import annotations

import collections
import pickle
import zipfile

import numpy as onp

__all__ = ["load_pth", "UnsafeCheckpointError"]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The checkpoint's pickle asks for something a plain state dict never needs."""


_STORAGE_DTYPES = {
    "FloatStorage": onp.float32, "DoubleStorage": onp.float64, "HalfStorage": onp.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": onp.int64, "IntStorage": onp.int32,
    "ShortStorage": onp.int16, "CharStorage": onp.int8, "ByteStorage": onp.uint8,
    "BoolStorage": onp.bool_,
}


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None,
                       metadata=None):
    """A NumPy copy of the strided view (storage, offset, size, stride) in elements."""
    if not size:
        return storage[offset].copy()
    itemsize = storage.itemsize
    view = onp.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                            strides=tuple(s * itemsize for s in stride))
    return onp.array(view)


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self._archive, self._prefix = archive, prefix

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafeCheckpointError(
            f"refusing to load {module}.{name}: a state dict checkpoint never needs it, so this "
            "file may run code when unpickled; nothing was executed")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise UnsafeCheckpointError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, _numel = pid
        if not isinstance(storage_type, _StorageType):
            raise UnsafeCheckpointError(f"unexpected storage type {storage_type!r}")
        raw = self._archive.read(f"{self._prefix}data/{key}")
        if storage_type.dtype == "bfloat16":  # widen to float32: bfloat16 is float32's top half
            bits = onp.frombuffer(raw, dtype="<u2").astype(onp.uint32) << 16
            return bits.view(onp.float32)
        return onp.frombuffer(raw, dtype=onp.dtype(storage_type.dtype).newbyteorder("<")).copy()


def load_pth(path) -> dict:
    """The (possibly nested) object saved by ``torch.save`` with tensors as NumPy arrays."""
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a zip-format PyTorch checkpoint (saved by torch >= 1.6); "
                         "re-save it with torch.save(..., _use_new_zipfile_serialization=True)")
    with zipfile.ZipFile(path) as archive:
        pkl = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pkl) != 1:
            raise ValueError(f"{path}: expected one data.pkl in the archive, found {pkl}")
        prefix = pkl[0][:-len("data.pkl")]
        with archive.open(pkl[0]) as f:
            return _Unpickler(f, archive, prefix).load()

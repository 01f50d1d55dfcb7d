"""Read PyTorch ``.pth``/``.pt`` checkpoints into NumPy arrays without PyTorch.

Both ``torch.save`` formats are read: the zip archive (torch >= 1.6) and the older plain stream.
The pickle inside is read by an unpickler that admits only what a state dict needs (tensor
rebuilding, storages of known dtypes, OrderedDict) and rebuilds each tensor as a NumPy array
from the raw storage bytes. Any other global is refused before anything runs.
"""
from __future__ import annotations

import collections
import pickle
import struct
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
    """A NumPy copy of the strided view (storage, offset, size, stride) in elements.

    The view is bounds-checked first: a crafted file must not read memory past its storage.
    """
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise UnsafeCheckpointError(f"invalid tensor view: offset {offset}, size {size}, "
                                    f"stride {stride}")
    if 0 in size:
        return onp.empty(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise UnsafeCheckpointError(f"tensor view {size} (stride {stride}, offset {offset}) "
                                    f"reaches past its storage of {storage.size} elements")
    view = onp.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                            strides=tuple(s * storage.itemsize for s in stride))
    return onp.array(view)


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
}


class _Unpickler(pickle.Unpickler):
    """Admits only the globals in ``_ALLOWED`` and storages; ``storage(key, dtype)`` reads one.

    ``rebuild`` replaces the tensor-rebuilding functions (a pass that only records storages).
    """

    def __init__(self, file, storage=None, rebuild=None):
        super().__init__(file)
        self._storage, self._rebuild = storage, rebuild

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            fn = _ALLOWED[(module, name)]
            return self._rebuild if self._rebuild and module == "torch._utils" else fn
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafeCheckpointError(
            f"refusing to load {module}.{name}: a state dict checkpoint never needs it, so this "
            "file may run code when unpickled; nothing was executed (if you trust it, load it "
            "with PyTorch and re-save only its state_dict)")

    def persistent_load(self, pid):
        # zip format: ('storage', type, key, location, numel); legacy adds view_metadata
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and self._storage is not None):
            raise UnsafeCheckpointError(f"unexpected persistent id {pid!r}")
        storage_type, key = pid[1], pid[2]
        if not isinstance(storage_type, _StorageType):
            raise UnsafeCheckpointError(f"unexpected storage type {storage_type!r}")
        return self._storage(str(key), storage_type.dtype)


def _decode(raw: bytes, dtype, byteorder: str = "<") -> onp.ndarray:
    """Storage bytes as a 1-D array; bfloat16 is widened to float32 (it is float32's top half)."""
    if dtype == "bfloat16":
        bits = onp.frombuffer(raw, dtype=byteorder + "u2").astype(onp.uint32) << 16
        return bits.view(onp.float32)
    return onp.frombuffer(raw, dtype=onp.dtype(dtype).newbyteorder(byteorder)).astype(dtype)


def load_pth(path) -> dict:
    """The (possibly nested) object saved by ``torch.save`` with tensors as NumPy arrays."""
    if not zipfile.is_zipfile(path):
        return _load_legacy(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = [n for n in names if n.endswith("data.pkl")]
        if len(pkl) != 1:
            raise ValueError(f"{path}: expected one data.pkl in the archive, found {pkl}")
        prefix = pkl[0][:-len("data.pkl")]
        byteorder = "<"
        if prefix + "byteorder" in names:
            byteorder = "<" if archive.read(prefix + "byteorder").strip() == b"little" else ">"

        def storage(key, dtype):
            return _decode(archive.read(f"{prefix}data/{key}"), dtype, byteorder)

        with archive.open(pkl[0]) as f:
            return _Unpickler(f, storage).load()


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _skip(*args, **kwargs) -> None:
    return None


def _load_legacy(path) -> dict:
    """The pre-1.6 stream: magic, version, sys info, the object, its storage keys, then each
    storage as an int64 element count and its bytes. The storages follow the object, so a
    first pass over the object (building nothing) learns each storage's dtype."""
    with open(path, "rb") as f:
        try:
            magic = _Unpickler(f).load()
        except UnsafeCheckpointError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, IndexError, KeyError) as e:
            raise ValueError(f"{path} is not a PyTorch checkpoint ({e!r})") from None
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{path} is not a PyTorch checkpoint (no torch.save magic number)")
        _Unpickler(f).load()  # protocol version
        sys_info = _Unpickler(f).load()
        order = "<" if isinstance(sys_info, dict) and sys_info.get("little_endian", True) else ">"
        start = f.tell()
        dtypes = {}

        def record(key, dtype):
            dtypes[key] = dtype

        _Unpickler(f, record, rebuild=_skip).load()
        keys = _Unpickler(f).load()
        storages = {}
        for key in map(str, keys):
            header = f.read(8)
            dtype = dtypes.get(key)
            if len(header) != 8 or dtype is None:
                raise ValueError(f"{path} is truncated or inconsistent at storage {key}")
            itemsize = 2 if dtype == "bfloat16" else onp.dtype(dtype).itemsize
            nbytes = struct.unpack(order + "q", header)[0] * itemsize
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise ValueError(f"{path} is truncated at storage {key}")
            storages[key] = _decode(raw, dtype, order)
        f.seek(start)
        return _Unpickler(f, lambda key, dtype: storages[key]).load()

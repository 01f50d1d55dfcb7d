"""Read MXNet's NDArray list files (GluonCV's ``.params``) without MXNet, bounds-checked.

The format (``NDArray::Save``/``Load`` in apache/mxnet ``src/ndarray/ndarray.cc``), little
endian: ``uint64 0x112`` (list magic), ``uint64 0`` (reserved), ``uint64 n`` arrays, each
``uint32 magic`` (``0xF993fac9`` V2, ``0xF993faca`` V3 with NumPy shapes; ``0xF993fac8`` V1 or a
bare legacy ``uint32 ndim``), ``int32 storage type`` (V2/V3; 0 = dense), the shape (``uint32
ndim`` then ``int64`` dims; legacy: ``uint32`` dims), ``int32 dev_type, dev_id``, ``int32 dtype
flag`` and the raw data; then ``uint64 m`` names, each ``uint64 length`` and UTF-8 bytes.

Every length is checked against the bytes left before anything is allocated, so a truncated or
hostile file fails with a ``ParamsFormatError`` that says where, never with a huge allocation.
"""
from __future__ import annotations

import struct

import numpy as onp

__all__ = ["load_ndarray_list", "ParamsFormatError"]

LIST_MAGIC = 0x112
V1_MAGIC, V2_MAGIC, V3_MAGIC = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
_DTYPES = {0: "<f4", 1: "<f8", 2: "<f2", 3: "|u1", 4: "<i4", 5: "|i1", 6: "<i8"}
_MAX_NDIM = 32


class ParamsFormatError(ValueError):
    """The file is not a well-formed MXNet NDArray list (or uses a feature not supported)."""


class _Cursor:
    def __init__(self, data: bytes, path: str):
        self.data, self.pos, self.path = memoryview(data), 0, path

    def fail(self, what: str):
        raise ParamsFormatError(f"{self.path}: {what} (at byte {self.pos} of {len(self.data)}); "
                                "is this a GluonCV/MXNet .params file?")

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or n > len(self.data) - self.pos:
            self.fail(f"{what} needs {n} bytes, {len(self.data) - self.pos} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def _read_shape(cur: _Cursor, dim_fmt: str, ndim: int | None = None) -> tuple | None:
    """A shape, or None for an empty (uninitialized) array."""
    if ndim is None:
        (ndim,) = cur.unpack("i", "shape rank")
    if ndim < 0:  # V3 (NumPy semantics): unknown shape
        return None
    if ndim > _MAX_NDIM:
        cur.fail(f"shape rank {ndim} exceeds {_MAX_NDIM}")
    dims = cur.unpack(dim_fmt * ndim, "shape")
    if any(d < 0 for d in dims):
        cur.fail(f"negative dimension in shape {dims}")
    return tuple(dims)


def _read_array(cur: _Cursor, index: int) -> onp.ndarray | None:
    (magic,) = cur.unpack("I", f"array {index} magic")
    if magic in (V2_MAGIC, V3_MAGIC):
        (stype,) = cur.unpack("i", f"array {index} storage type")
        if stype != 0:
            cur.fail(f"array {index} has sparse storage (type {stype}); only dense arrays are "
                     "supported: save the parameters with default storage")
        shape = _read_shape(cur, "q")
        if shape is None or (magic == V2_MAGIC and len(shape) == 0):
            return None
    elif magic == V1_MAGIC:
        shape = _read_shape(cur, "q")
    elif magic <= _MAX_NDIM:  # legacy: the magic is the rank, dims are uint32
        shape = _read_shape(cur, "I", ndim=magic)
    else:
        cur.fail(f"array {index} starts with {magic:#x}, not an NDArray magic")
    if shape is None or (magic not in (V2_MAGIC, V3_MAGIC) and len(shape) == 0):
        return None
    cur.unpack("ii", f"array {index} device")
    (flag,) = cur.unpack("i", f"array {index} dtype")
    if flag not in _DTYPES:
        cur.fail(f"array {index} has dtype flag {flag}, not one of {sorted(_DTYPES)}")
    dtype = onp.dtype(_DTYPES[flag])
    count = 1
    for d in shape:
        count *= d
    raw = cur.take(count * dtype.itemsize, f"array {index} data of shape {shape}")
    return onp.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def load_ndarray_list(path) -> dict:
    """name -> NumPy array of an MXNet ``nd.save`` / Gluon ``save_parameters`` file.

    Example::

        state = load_ndarray_list("cifar_resnet20_v1.params")
        state["features.0.weight"].shape        # (16, 3, 3, 3)
    """
    path = str(path)
    with open(path, "rb") as f:
        cur = _Cursor(f.read(), path)
    magic, _ = cur.unpack("QQ", "header")
    if magic != LIST_MAGIC:
        cur.fail(f"header magic {magic:#x} is not MXNet's NDArray list magic {LIST_MAGIC:#x}")
    (n,) = cur.unpack("Q", "array count")
    if n > len(cur.data) // 16:  # every array takes at least 16 bytes
        cur.fail(f"array count {n} is larger than the file can hold")
    arrays = [_read_array(cur, i) for i in range(n)]
    (m,) = cur.unpack("Q", "name count")
    if m != n:
        cur.fail(f"{n} arrays but {m} names (an unnamed list is not a parameter file)")
    names = []
    for i in range(m):
        (length,) = cur.unpack("Q", f"name {i} length")
        try:
            names.append(bytes(cur.take(length, f"name {i}")).decode("utf-8"))
        except UnicodeDecodeError:
            cur.fail(f"name {i} is not UTF-8")
    if cur.pos != len(cur.data):
        cur.fail(f"{len(cur.data) - cur.pos} bytes follow the last name")
    if len(set(names)) != len(names):
        cur.fail("a parameter name appears twice")
    return {name: a for name, a in zip(names, arrays) if a is not None}

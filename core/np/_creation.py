"""Array creation: from data, filled shapes, ranges, grids, triangles and DLPack capsules.

Creation functions take ``dtype=`` and ``device=`` (default: the current device); Python floats
default to float32 and complex numbers to complex64 (the namespace's default dtypes).
"""
from __future__ import annotations

import builtins

import numpy

from ..device import Device, current_device, device_of, on_device
from ..graph.tracer import is_tracing
from ..ndarray import as_raw, ndarray
from ..ops import elementwise as ew, manip
from ._dtypes import check_dtype

_DEFAULT = {numpy.dtype("float64"): numpy.float32, numpy.dtype("complex128"): numpy.complex64}
_DLPACK_CPU, _DLPACK_CUDA = 1, 2


def _device(d) -> Device | None:
    """A Device from a Device, a string ('cpu', 'gpu', 'gpu(1)', 'cuda:1') or None."""
    if d is None or isinstance(d, Device):
        return d
    if isinstance(d, str):
        from ..device import gpu
        kind, _, rest = d.replace("(", ":").rstrip(")").partition(":")
        if kind == "cpu":
            return Device("cpu", 0)
        if kind in ("gpu", "cuda"):
            return gpu(int(rest or 0))
    raise TypeError(f"device must be a gluonkit Device (gluonkit.cpu(), gluonkit.gpu(i)) or a "
                    f"string such as 'cpu' or 'gpu(0)', got {d!r}")


def _on(device, make):
    d = _device(device) or current_device()
    with on_device(d):
        return ndarray._wrap(make(d.xp))


def _default_float(obj, dtype):
    """float32/complex64 for Python numbers and lists (MXNet's default), else the source dtype."""
    if dtype is not None:
        return dtype
    if isinstance(obj, (ndarray, numpy.ndarray, numpy.generic)) or \
            type(obj).__module__.startswith("cupy"):
        return None
    return _DEFAULT.get(numpy.asarray(obj).dtype)


def _holds_ndarray(obj) -> builtins.bool:
    return isinstance(obj, (list, tuple)) and builtins.any(
        isinstance(o, ndarray) or _holds_ndarray(o) for o in obj)


def array(obj, dtype=None, device=None, copy: builtins.bool | None = True,
          ndmin: int = 0) -> ndarray:
    """A new array from a list, scalar, NumPy/CuPy array or ndarray.

    A list of ndarrays is stacked (differentiably). ``copy=None`` copies only when needed,
    ``copy=False`` never copies (ValueError when it would have to).

    >>> np.array([[1, 2], [3, 4]], dtype="float32").shape
    (2, 2)
    """
    dtype = check_dtype("array", dtype)
    device = _device(device)
    if isinstance(obj, ndarray) and is_tracing() and device in (None, obj.device):
        if copy is not True and dtype in (None, obj.dtype):
            return obj  # asarray of an array: no node, no copy in the replay
        return obj.astype(obj.dtype if dtype is None else dtype)  # an op: the trace keeps it
    if _holds_ndarray(obj):
        from ._manip import stack
        parts = [o if isinstance(o, ndarray) else array(o, dtype=dtype, device=device)
                 for o in obj]
        out = stack([p if dtype is None or p.dtype == dtype else p.astype(dtype)
                     for p in parts])
        return out if ndmin <= out.ndim else out.reshape((1,) * (ndmin - out.ndim) + out.shape)
    if isinstance(obj, ndarray) and device in (None, obj.device) and ndmin <= obj.ndim:
        return _from_ndarray(obj, dtype, copy)
    dtype = _default_float(obj, dtype)
    raw = as_raw(obj)
    if device is None and isinstance(obj, ndarray):
        device = obj.device
    if device is None:
        device = device_of(raw) if hasattr(raw, "__array__") else current_device()
    if device.kind == "cpu":
        if type(raw).__module__.startswith("cupy"):
            if copy is False:
                raise ValueError("array: copy=False but the data is on a GPU; moving it to the "
                                 "CPU copies it")
            raw = raw.get()
        out = numpy.array(raw, dtype=dtype, copy=copy if copy is False else (copy or None),
                          ndmin=ndmin)
    else:
        xp = device.xp
        with on_device(device):
            out = xp.array(raw, dtype=dtype, copy=builtins.bool(copy is not False), ndmin=ndmin)
    check_dtype("array", out.dtype, "obj")
    return ndarray._wrap(out)


def _from_ndarray(x: ndarray, dtype, copy) -> ndarray:
    """x itself, a copy or a cast, each differentiable (the graph stays connected)."""
    if dtype is None or dtype == x.dtype:
        return ew.Copy.apply(x) if copy else x
    if copy is False:
        raise ValueError(f"array: copy=False but casting {x.dtype} to {dtype} needs a copy")
    return ew.Cast.apply(x, dtype=dtype)


def asarray(obj, /, dtype=None, device=None, copy: builtins.bool | None = None) -> ndarray:
    """obj as an ndarray, copying only when dtype, device or ``copy=True`` ask for it."""
    return array(obj, dtype=dtype, device=device, copy=copy)


asanyarray = ascontiguousarray = asarray


def copy(a, /) -> ndarray:
    """A copy of a (differentiable)."""
    return ew.Copy.apply(asarray(a))


def _filled(name, fill):
    def make(shape, dtype=None, device=None, **kw):
        dtype = check_dtype(name, dtype) or numpy.float32
        if kw:
            raise TypeError(f"gluonkit.np.{name}: unsupported argument(s) {sorted(kw)}")
        return _on(device, lambda xp: fill(xp, shape, dtype))
    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A new array of the given shape filled by {name} (default float32)."
    return make


zeros = _filled("zeros", lambda xp, s, d: xp.zeros(s, d))
ones = _filled("ones", lambda xp, s, d: xp.ones(s, d))
empty = _filled("empty", lambda xp, s, d: xp.empty(s, d))


def full(shape, fill_value, dtype=None, device=None) -> ndarray:
    """A new array of the given shape filled with fill_value (Python float: float32)."""
    dtype = check_dtype("full", dtype)
    if dtype is None:
        dtype = _DEFAULT.get(numpy.asarray(as_raw(fill_value)).dtype) if not isinstance(
            fill_value, ndarray) else fill_value.dtype
    return _on(device, lambda xp: xp.full(shape, as_raw(fill_value), dtype))


def _like(name, fn):
    def like(x, /, dtype=None, device=None, **kw):
        return fn(x.shape, dtype=dtype or x.dtype, device=device or x.device, **kw)
    like.__name__ = like.__qualname__ = name + "_like"
    like.__doc__ = f"``{name}`` with the shape, dtype and device of x."
    return like


zeros_like, ones_like, empty_like = _like("zeros", zeros), _like("ones", ones), \
    _like("empty", empty)


def full_like(x, /, fill_value, dtype=None, device=None) -> ndarray:
    """``full`` with the shape, dtype and device of x."""
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device)


def arange(start, /, stop=None, step=1, dtype=None, device=None) -> ndarray:
    """Evenly spaced values in [start, stop); float arguments give float32 by default."""
    dtype = check_dtype("arange", dtype)
    if dtype is None and builtins.any(isinstance(v, float) for v in (start, stop, step)):
        dtype = numpy.float32
    return _on(device, lambda xp: xp.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, /, num=50, *, dtype=None, device=None, endpoint=True) -> ndarray:
    """num evenly spaced samples over [start, stop] (float32 unless dtype or complex ends)."""
    dtype = check_dtype("linspace", dtype) or (
        numpy.complex64 if builtins.any(isinstance(v, complex) for v in (start, stop))
        else numpy.float32)
    return _on(device, lambda xp: xp.linspace(start, stop, num, endpoint=endpoint).astype(dtype))


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, device=None) -> ndarray:
    """base ** linspace(start, stop, num)."""
    dtype = check_dtype("logspace", dtype) or numpy.float32
    return _on(device, lambda xp: xp.logspace(start, stop, num, endpoint, base).astype(dtype))


def eye(n_rows, n_cols=None, /, k=0, dtype=None, device=None) -> ndarray:
    """A 2-D array with ones on the k-th diagonal."""
    dtype = check_dtype("eye", dtype) or numpy.float32
    return _on(device, lambda xp: xp.eye(n_rows, n_cols, k, dtype=dtype))


def identity(n, dtype=None, device=None) -> ndarray:
    """The n x n identity matrix."""
    return eye(n, dtype=dtype, device=device)


def tri(N, M=None, k=0, dtype=None, device=None) -> ndarray:
    """Ones at and below the k-th diagonal of an N x M array."""
    dtype = check_dtype("tri", dtype) or numpy.float32
    return _on(device, lambda xp: xp.tri(N, M, k, dtype=dtype))


def tril(x, /, k=0) -> ndarray:
    """The lower triangle of the last two axes (zeros above diagonal k); differentiable."""
    return manip.Tri.apply(asarray(x), upper=False, k=k)


def triu(x, /, k=0) -> ndarray:
    """The upper triangle of the last two axes (zeros below diagonal k); differentiable."""
    return manip.Tri.apply(asarray(x), upper=True, k=k)


def meshgrid(*arrays, indexing: str = "xy", sparse: builtins.bool = False) -> list:
    """Coordinate grids from 1-D arrays ('xy': Cartesian, 'ij': matrix indexing)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    arrays = [asarray(a).reshape(-1) for a in arrays]
    n = len(arrays)
    shape = [a.shape[0] for a in arrays]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, a in enumerate(arrays):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and n > 1 else i
        view = a.reshape([-1 if j == axis else 1 for j in range(n)])
        out.append(view if sparse else view.broadcast_to(tuple(shape)))
    return out


def diag(v, k: int = 0) -> ndarray:
    """The k-th diagonal of a 2-D array, or a 2-D array with the 1-D v on it; differentiable."""
    from ._manip import diagonal
    v = asarray(v)
    if v.ndim == 1:
        return manip.DiagFlat.apply(v, k=k)
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError(f"diag: input must be 1-D or 2-D, got shape {v.shape}")


def diagflat(v, k: int = 0) -> ndarray:
    """A 2-D array with the flattened v on its k-th diagonal."""
    return manip.DiagFlat.apply(asarray(v).reshape(-1), k=k)


def from_dlpack(x, /, *, device=None, copy: builtins.bool | None = None) -> ndarray:
    """An ndarray sharing the memory of any DLPack producer (PyTorch, CuPy, NumPy, JAX...).

    Zero-copy when the producer lives on the same device; ``device=`` moves it (a copy)."""
    kind, index = x.__dlpack_device__()
    if kind == _DLPACK_CPU:
        raw = numpy.from_dlpack(x, copy=copy)
    elif kind == _DLPACK_CUDA:
        import cupy
        with on_device(Device("gpu", index)):
            raw = cupy.from_dlpack(x)
        if copy:
            raw = raw.copy()
    else:
        raise ValueError(f"from_dlpack: DLPack device type {kind} is not supported (only CPU "
                         "and CUDA)")
    out = ndarray._wrap(raw)
    device = _device(device)
    return out if device is None or device == out.device else out.to_device(device)

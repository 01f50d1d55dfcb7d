"""``gluonkit.np``: NumPy-compatible functions returning differentiable ``ndarray``s.

Code written for NumPy runs with autograd by changing the import. Creation functions take
``dtype=`` and ``device=`` (default: the current device); floats default to float32.
"""
from __future__ import annotations

import builtins

import numpy

from . import np_random as random  # noqa: F401  (gluonkit.np.random)
from .device import Device, current_device, on_device
from .ndarray import as_raw, ndarray
from .ops import elementwise as ew, linalg, shape as sh

float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
int8, int32, int64, uint8, bool_ = numpy.int8, numpy.int32, numpy.int64, numpy.uint8, numpy.bool_
pi, e, inf, nan, newaxis = numpy.pi, numpy.e, numpy.inf, numpy.nan, None
dtype = numpy.dtype


def _xp(device: Device | None):
    d = device or current_device()
    return d, d.xp


def _on(device: Device | None, make):
    d, xp = _xp(device)
    with on_device(d):
        return ndarray._wrap(make(xp))


def _default_float(obj, dtype):
    """float32 for Python floats (MXNet's default), the source dtype for arrays."""
    if dtype is not None:
        return dtype
    if isinstance(obj, (ndarray, numpy.ndarray)) or type(obj).__module__.startswith("cupy"):
        return None
    probe = numpy.asarray(obj)
    return numpy.float32 if probe.dtype == numpy.float64 else None


def array(obj, dtype=None, device: Device | None = None, copy: bool = True) -> ndarray:
    """A new array from a list, scalar, NumPy/CuPy array or ndarray."""
    dtype = _default_float(obj, dtype)
    raw = as_raw(obj)
    if device is None and isinstance(obj, ndarray):
        device = obj.device
    if device is None or device.kind == "cpu":
        if type(raw).__module__.startswith("cupy"):
            raw = raw.get()
        return ndarray._wrap(numpy.array(raw, dtype=dtype, copy=copy or None))
    return _on(device, lambda xp: xp.array(raw, dtype=dtype))


def asarray(obj, dtype=None, device: Device | None = None) -> ndarray:
    if isinstance(obj, ndarray) and dtype in (None, obj.dtype) and device in (None, obj.device):
        return obj
    return array(obj, dtype=dtype, device=device, copy=False)


def zeros(shape, dtype="float32", device=None):
    return _on(device, lambda xp: xp.zeros(shape, dtype))


def ones(shape, dtype="float32", device=None):
    return _on(device, lambda xp: xp.ones(shape, dtype))


def empty(shape, dtype="float32", device=None):
    return _on(device, lambda xp: xp.empty(shape, dtype))


def full(shape, fill_value, dtype=None, device=None):
    dtype = dtype or (numpy.float32 if isinstance(fill_value, float) else None)
    return _on(device, lambda xp: xp.full(shape, fill_value, dtype))


def _like(fn):
    def like(a, dtype=None, device=None, **kw):
        return fn(a.shape, dtype=dtype or a.dtype, device=device or a.device, **kw)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape, dtype and device of ``a``."
    return like


zeros_like, ones_like, empty_like = _like(zeros), _like(ones), _like(empty)


def full_like(a, fill_value, dtype=None, device=None):
    return full(a.shape, fill_value, dtype=dtype or a.dtype, device=device or a.device)


def arange(start, stop=None, step=1, dtype=None, device=None):
    if dtype is None and builtins.any(isinstance(v, float) for v in (start, stop, step)):
        dtype = numpy.float32
    return _on(device, lambda xp: xp.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, dtype="float32", device=None):
    return _on(device, lambda xp: xp.linspace(start, stop, num, endpoint=endpoint, dtype=dtype))


def eye(N, M=None, k=0, dtype="float32", device=None):
    return _on(device, lambda xp: xp.eye(N, M, k, dtype=dtype))


# ---------------------------------------------------------------------- combining / shape
def concatenate(arrays, axis: int = 0) -> ndarray:
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate needs at least one array")
    return sh.Concatenate.apply(*arrays, axis=axis % builtins.max(asarray(arrays[0]).ndim, 1))


def stack(arrays, axis: int = 0) -> ndarray:
    arrays = [asarray(a) for a in arrays]
    axis = axis % (arrays[0].ndim + 1)
    return concatenate([a.expand_dims(axis) for a in arrays], axis=axis)


def split(a, indices_or_sections, axis: int = 0) -> list:
    n = a.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"array of size {n} on axis {axis} does not split into "
                             f"{indices_or_sections} equal parts")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [n]
    index = [slice(None)] * a.ndim
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index[axis] = slice(lo, hi)
        out.append(a[tuple(index)])
    return out


def reshape(a, newshape): return asarray(a).reshape(newshape)
def transpose(a, axes=None): return asarray(a).transpose(axes) if axes else asarray(a).transpose()
def swapaxes(a, a1, a2): return asarray(a).swapaxes(a1, a2)
def expand_dims(a, axis): return asarray(a).expand_dims(axis)
def squeeze(a, axis=None): return asarray(a).squeeze(axis)
def broadcast_to(a, shape): return asarray(a).broadcast_to(shape)
def ravel(a): return asarray(a).reshape(-1)


def pad(a, pad_width, mode: str = "constant", constant_values=0) -> ndarray:
    if mode != "constant":
        raise ValueError(f"pad supports mode='constant' only, got {mode!r}")
    a = asarray(a)
    width = numpy.broadcast_to(numpy.asarray(pad_width, dtype=int), (a.ndim, 2))
    return sh.Pad.apply(a, pad_width=tuple(map(tuple, width.tolist())), value=constant_values)


# ---------------------------------------------------------------------- elementwise
def where(condition, x=None, y=None):
    if x is None and y is None:
        return tuple(ndarray._wrap(i) for i in as_raw(condition).nonzero())
    return ew.Where.apply(as_raw(condition), x, y)


def maximum(a, b): return ew.Maximum.apply(a, b)
def minimum(a, b): return ew.Minimum.apply(a, b)
def clip(a, a_min=None, a_max=None): return asarray(a).clip(a_min, a_max)
def exp(x): return ew.Exp.apply(x)
def log(x): return ew.Log.apply(x)
def sqrt(x): return ew.Sqrt.apply(x)
def square(x): return ew.Mul.apply(x, x)
def abs(x): return ew.Abs.apply(x)
def tanh(x): return ew.Tanh.apply(x)
def power(x, y): return ew.Pow.apply(x, y)
def add(a, b): return ew.Add.apply(a, b)
def subtract(a, b): return ew.Sub.apply(a, b)
def multiply(a, b): return ew.Mul.apply(a, b)
def divide(a, b): return ew.Div.apply(a, b)
def negative(x): return ew.Neg.apply(x)


def log1p(x): return log(1 + asarray(x))
def sign(x): return ndarray._wrap(asarray(x)._xp.sign(as_raw(x)))
def floor(x): return ndarray._wrap(asarray(x)._xp.floor(as_raw(x)))
def isnan(x): return ndarray._wrap(asarray(x)._xp.isnan(as_raw(x)))
def isfinite(x): return ndarray._wrap(asarray(x)._xp.isfinite(as_raw(x)))


# ---------------------------------------------------------------------- reductions
def sum(a, axis=None, keepdims=False, dtype=None): return asarray(a).sum(axis, keepdims, dtype)
def mean(a, axis=None, keepdims=False): return asarray(a).mean(axis, keepdims)
def max(a, axis=None, keepdims=False): return asarray(a).max(axis, keepdims)
def min(a, axis=None, keepdims=False): return asarray(a).min(axis, keepdims)
def prod(a, axis=None, keepdims=False): return asarray(a).prod(axis, keepdims)
def var(a, axis=None, keepdims=False, ddof=0): return asarray(a).var(axis, keepdims, ddof)
def std(a, axis=None, keepdims=False, ddof=0): return asarray(a).std(axis, keepdims, ddof)
def argmax(a, axis=None): return asarray(a).argmax(axis)
def argmin(a, axis=None): return asarray(a).argmin(axis)
amax, amin = max, min


# ---------------------------------------------------------------------- linear algebra
def matmul(a, b): return linalg.MatMul.apply(a, b)


def dot(a, b) -> ndarray:
    """numpy.dot for scalars, vectors and matrices."""
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"dot supports up to 2-D operands, got {a.shape} and {b.shape}; "
                         "use matmul for batched products")
    return matmul(a, b)


def allclose(a, b, rtol=1e-5, atol=1e-8) -> bool:
    return bool(numpy.allclose(numpy.asarray(_host(a)), numpy.asarray(_host(b)), rtol, atol))


def _host(a):
    return a.asnumpy() if isinstance(a, ndarray) else a

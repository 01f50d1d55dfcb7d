"""``ndarray``: a NumPy-compatible array on a device, with autograd.

A thin wrapper over a raw numpy/cupy array (``_data``). Operators dispatch to the differentiable
primitives in ``core/ops``; under ``autograd.record()`` they record nodes for backward.
"""
from __future__ import annotations

import numpy

from . import autograd
from .device import Device, device_of, get_array_module, on_device
from .graph.tracer import check_host_read, is_tracing
from .ndarray_methods import NdarrayMethods
from .ops import binary as bn, compare as cmp, elementwise as ew, linalg, reduce as rd
from .ops import shape as sh, sorting as so

__all__ = ["ndarray", "as_raw"]


def as_raw(x):
    """The raw array behind x (ndarray), or x itself (scalar, numpy/cupy array)."""
    return x._data if isinstance(x, ndarray) else x


def _raw_key(key):
    if isinstance(key, tuple):
        return tuple(as_raw(k) for k in key)
    return as_raw(key)


_new = object.__new__


class ndarray(NdarrayMethods):
    """A device array with autograd. Create one with ``gluonkit.np.array``."""

    __slots__ = ("_data", "_node", "_requires_grad", "_grad", "_grad_req", "_fresh",
                 "__weakref__")
    __array_priority__ = 100
    # NumPy defers its operators to ours (``numpy_array + x`` gives an ndarray).
    __array_ufunc__ = None

    def __init__(self, data):
        self._data = data
        self._node = None
        self._requires_grad = False
        self._grad = None
        self._grad_req = "null"

    @classmethod
    def _wrap(cls, raw):
        out = _new(cls)
        out._data = raw
        out._node = None
        out._requires_grad = False
        out._grad = None
        out._grad_req = "null"
        out._fresh = False
        return out

    # ------------------------------------------------------------------ properties
    @property
    def raw(self):
        """The backing numpy/cupy array (no copy). Writing into it bypasses autograd."""
        return self._data

    @property
    def _xp(self):
        return get_array_module(self._data)

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def device(self) -> Device:
        return device_of(self._data)

    ctx = device

    @property
    def T(self) -> "ndarray":
        return self.transpose()

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        if is_tracing():
            return f"array(<traced> shape={self.shape}, dtype={self.dtype})"
        body = repr(self.asnumpy()).replace("array(", "").rstrip(")")
        return f"array({body}, device={self.device})"

    def __array__(self, dtype=None, copy=None):
        check_host_read(self, "numpy.asarray(x)")
        if self.device.kind != "cpu":
            raise TypeError("numpy.asarray needs a CPU array: call .asnumpy() on a GPU array")
        return self._data if dtype is None else self._data.astype(dtype)

    def __bool__(self):
        check_host_read(self, "bool(x)")
        return bool(self._data)

    def __float__(self):
        check_host_read(self, "float(x)")
        return float(self._data)

    def __int__(self):
        check_host_read(self, "int(x)")
        return int(self._data)

    def __index__(self):
        check_host_read(self, "an index x")
        return int(self._data)

    def __hash__(self):
        return id(self)

    # ------------------------------------------------------------------ conversion
    def asnumpy(self) -> numpy.ndarray:
        """A NumPy copy (CPU) of the data."""
        check_host_read(self, "x.asnumpy()")
        if self.device.kind == "cpu":
            return numpy.array(self._data)
        return self._data.get()

    def item(self):
        check_host_read(self, "x.item()")
        return self._data.item()

    def tolist(self):
        return self.asnumpy().tolist()

    def to_device(self, d: Device, /, *, stream=None) -> "ndarray":
        """A copy on device d (differentiable)."""
        if d == self.device:
            return self
        return _ToDevice.apply(self, target=d)

    as_in_context = copyto = to_device

    def astype(self, dtype, copy: bool = True) -> "ndarray":
        dtype = numpy.dtype(dtype)
        if dtype == self.dtype and not copy:
            return self
        return ew.Cast.apply(self, dtype=dtype)

    def copy(self) -> "ndarray":
        return ew.Copy.apply(self)

    def detach(self) -> "ndarray":
        """The same data, cut from the graph."""
        return ew.StopGradient.apply(self)

    # ------------------------------------------------------------------ autograd
    def attach_grad(self, grad_req: str = "write") -> "ndarray":
        """Make this array a leaf whose gradient backward stores in ``.grad``."""
        if grad_req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        self._node = None
        self._grad_req = grad_req
        self._requires_grad = grad_req != "null"
        self._grad = self._xp.zeros_like(self._data) if self._requires_grad else None
        self._fresh = False
        return self

    @property
    def grad(self):
        return None if self._grad is None else ndarray._wrap(self._grad)

    def _accumulate_grad(self, g):
        """Write (or add) a backward's gradient into this leaf's own buffer.

        NOTE: copying into the buffer, never keeping ``g`` itself, matters: backward may hand
        the same array (or a read-only broadcast view) to several leaves.
        """
        if self._grad is None:
            return
        if self._grad_req == "add":
            self._grad += g
        else:
            self._grad[...] = g
        self._fresh = True

    @property
    def requires_grad(self) -> bool:
        """True for a leaf with ``attach_grad()`` and for arrays recorded from one."""
        return self._requires_grad

    @property
    def grad_is_fresh(self) -> bool:
        """True when a backward wrote ``.grad`` since ``mark_grad_consumed()`` (the Trainer
        skips parameters whose gradient is stale, as Gluon does)."""
        return self._fresh

    def mark_grad_consumed(self) -> None:
        self._fresh = False

    def backward(self, out_grad=None, retain_graph: bool = False):
        """Backpropagate from this array; the head gradient defaults to ones."""
        autograd.backward([self], None if out_grad is None else [out_grad], retain_graph)

    # ------------------------------------------------------------------ operators
    def __add__(self, o): return ew.Add.apply(self, o)
    def __radd__(self, o): return ew.Add.apply(o, self)
    def __sub__(self, o): return ew.Sub.apply(self, o)
    def __rsub__(self, o): return ew.Sub.apply(o, self)
    def __mul__(self, o): return ew.Mul.apply(self, o)
    def __rmul__(self, o): return ew.Mul.apply(o, self)
    def __truediv__(self, o): return ew.Div.apply(self, o)
    def __rtruediv__(self, o): return ew.Div.apply(o, self)
    def __pow__(self, o): return ew.Pow.apply(self, o)
    def __rpow__(self, o): return ew.Pow.apply(o, self)
    def __matmul__(self, o): return linalg.MatMul.apply(self, o)
    def __rmatmul__(self, o): return linalg.MatMul.apply(o, self)
    def __neg__(self): return ew.Neg.apply(self)
    def __pos__(self): return self
    def __abs__(self): return ew.Abs.apply(self)

    def __floordiv__(self, o): return bn.FloorDivide.apply(self, o)
    def __rfloordiv__(self, o): return bn.FloorDivide.apply(o, self)
    def __mod__(self, o): return bn.Remainder.apply(self, o)
    def __rmod__(self, o): return bn.Remainder.apply(o, self)
    def __lt__(self, o): return cmp.Compare.apply(self, o, op="less")
    def __le__(self, o): return cmp.Compare.apply(self, o, op="less_equal")
    def __gt__(self, o): return cmp.Compare.apply(self, o, op="greater")
    def __ge__(self, o): return cmp.Compare.apply(self, o, op="greater_equal")
    def __eq__(self, o): return cmp.Compare.apply(self, o, op="equal")
    def __ne__(self, o): return cmp.Compare.apply(self, o, op="not_equal")
    def __invert__(self): return cmp.Bitwise.apply(self, op="invert")
    def __and__(self, o): return cmp.Bitwise.apply(self, o, op="bitwise_and")
    def __or__(self, o): return cmp.Bitwise.apply(self, o, op="bitwise_or")
    def __xor__(self, o): return cmp.Bitwise.apply(self, o, op="bitwise_xor")

    def _inplace(self, ufunc: str, o):
        if autograd.is_recording() and self._requires_grad:
            raise RuntimeError("in-place update of an array that needs a gradient while recording; "
                               "write `x = x + y` instead of `x += y`")
        if is_tracing():  # the graph holds a new value; the eager array still changes in place
            y = _INPLACE_OPS[ufunc].apply(self, o)
            self._data[...] = y._data
            autograd._state.tracer.alias(self, y)
            return self
        getattr(self._xp, ufunc)(self._data, as_raw(o), out=self._data)
        return self

    def __iadd__(self, o): return self._inplace("add", o)
    def __isub__(self, o): return self._inplace("subtract", o)
    def __imul__(self, o): return self._inplace("multiply", o)
    def __itruediv__(self, o): return self._inplace("divide", o)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        template, arrays = sh.split_key(key)
        return sh.GetItem.apply(self, *arrays, key=template)

    def __setitem__(self, key, value):
        if autograd.is_recording() and self._requires_grad:
            raise RuntimeError("cannot write into an array that needs a gradient while recording "
                               "(autograd.record()); build a new array instead")
        if is_tracing():  # traced as a functional write; the eager array still changes in place
            template, arrays = sh.split_key(key)
            y = sh.SetItem.apply(self, value, *arrays, key=template)
            self._data[...] = y._data
            autograd._state.tracer.alias(self, y)
            return
        self._data[_raw_key(key)] = as_raw(value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ------------------------------------------------------------------ shape methods
    def reshape(self, *shape, **kw) -> "ndarray":
        shape = kw.get("shape", shape[0] if len(shape) == 1 and not isinstance(shape[0], int)
                       else shape)
        return sh.Reshape.apply(self, shape=tuple(shape))

    def transpose(self, *axes) -> "ndarray":
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return sh.Transpose.apply(self, axes=tuple(axes) if axes else None)

    def swapaxes(self, a: int, b: int) -> "ndarray":
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def flatten(self) -> "ndarray":
        return self.reshape(-1)

    def ravel(self) -> "ndarray":
        return self.reshape(-1)

    def squeeze(self, axis=None) -> "ndarray":
        if axis is None:
            shape = [n for n in self.shape if n != 1]
        else:
            axes = {a % self.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
            for a in axes:
                if self.shape[a] != 1:
                    raise ValueError(f"cannot squeeze axis {a} of size {self.shape[a]}")
            shape = [n for i, n in enumerate(self.shape) if i not in axes]
        return self.reshape(shape)

    def expand_dims(self, axis: int) -> "ndarray":
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def broadcast_to(self, shape) -> "ndarray":
        return sh.BroadcastTo.apply(self, shape=tuple(shape))

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False, dtype=None):
        out = rd.Sum.apply(self, axis=axis, keepdims=keepdims)
        return out if dtype is None else out.astype(dtype)

    def mean(self, axis=None, keepdims=False):
        return rd.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return rd.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return rd.Min.apply(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return rd.Prod.apply(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        mu = self.mean(axis=axis, keepdims=True)
        d = self - mu
        n = self.size if axis is None else numpy.prod(
            [self.shape[a] for a in ((axis,) if isinstance(axis, int) else axis)])
        return (d * d).sum(axis=axis, keepdims=keepdims) / (n - ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return ew.Sqrt.apply(self.var(axis=axis, keepdims=keepdims, ddof=ddof))

    def argmax(self, axis=None):
        return so.ArgReduce.apply(self, op="argmax", axis=axis, keepdims=False)

    def argmin(self, axis=None):
        return so.ArgReduce.apply(self, op="argmin", axis=axis, keepdims=False)

    def clip(self, a_min=None, a_max=None):
        return ew.Clip.apply(self, a_min=a_min, a_max=a_max)

    def dot(self, o):
        from .np import dot
        return dot(self, o)

    def exp(self): return ew.Exp.apply(self)
    def log(self): return ew.Log.apply(self)
    def sqrt(self): return ew.Sqrt.apply(self)
    def tanh(self): return ew.Tanh.apply(self)
    def abs(self): return ew.Abs.apply(self)
    def square(self): return ew.Mul.apply(self, self)

    def all(self, axis=None): return so.AllAny.apply(self, op="all", axis=axis, keepdims=False)
    def any(self, axis=None): return so.AllAny.apply(self, op="any", axis=axis, keepdims=False)


autograd._ndarray = ndarray
_INPLACE_OPS = {"add": ew.Add, "subtract": ew.Sub, "multiply": ew.Mul, "divide": ew.Div}


class _ToDevice(ew.Function):
    """Copy between devices; the gradient travels back."""

    def forward(self, x):
        self.src = device_of(x)
        return _move(x, self.target)

    def backward(self, gy):
        return (_move(gy, self.src),)


def _move(raw, d: Device):
    if d.kind == "cpu":
        return raw.get() if type(raw).__module__.startswith("cupy") else raw
    with on_device(d):
        return d.xp.asarray(raw)


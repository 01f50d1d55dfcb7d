"""Shape primitives: reshape, transpose, broadcast, indexing, concatenation, padding."""
from __future__ import annotations

import numpy

from .. import alloc
from ..autograd import Function
from ..device import get_array_module


class Reshape(Function):
    """``keep_batch``: the first entry of ``shape`` is the input's own (a graph made at one batch
    size runs at any; set by the export pass, never by eager code)."""

    keep_batch = False

    def forward(self, x):
        self.src = x.shape
        return x.reshape((x.shape[0],) + tuple(self.shape[1:]) if self.keep_batch else self.shape)

    def backward(self, gy):
        return (gy.reshape(self.src),)


class Transpose(Function):
    def forward(self, x):
        xp = get_array_module(x)
        self.inverse = None if self.axes is None else tuple(
            sorted(range(len(self.axes)), key=lambda i: self.axes[i]))
        return xp.transpose(x, self.axes)

    def backward(self, gy):
        return (get_array_module(gy).transpose(gy, self.inverse),)


class BroadcastTo(Function):
    def forward(self, x):
        self.src = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        from .elementwise import unbroadcast
        return (unbroadcast(gy, self.src),)


def _is_basic(key):
    """True when the index uses only ints, slices, None and Ellipsis (a view, no duplicates)."""
    items = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, slice)) or k is None or k is Ellipsis for k in items)


def split_key(key):
    """An index as (template, arrays): each array in the key becomes ``{'index': k}`` (the k-th
    array input of the op), so the key itself is a static attribute a graph can write down."""
    items = key if isinstance(key, tuple) else (key,)
    template, arrays = [], []
    for k in items:
        if isinstance(k, list):  # x[[0, 2]] indexes by an array, unlike x[(0, 2)]
            k = numpy.asarray(k)
        if hasattr(k, "shape"):
            template.append({"index": len(arrays)})
            arrays.append(k)
        else:
            template.append(k)
    return (tuple(template) if isinstance(key, tuple) else template[0]), arrays


def _fill_key(template, arrays):
    if not arrays:
        return template
    items = template if isinstance(template, tuple) else (template,)
    out = tuple(arrays[k["index"]] if isinstance(k, dict) else k for k in items)
    return out if isinstance(template, tuple) else out[0]


class GetItem(Function):
    """x[key] for basic, integer-array and boolean indices (index arrays are inputs)."""

    def forward(self, x, *arrays):
        self.src_shape, self.index = x.shape, _fill_key(self.key, arrays)
        return x[self.index]

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.src_shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy
        else:  # repeated integer indices must accumulate
            xp.add.at(gx, self.index, gy)
        return (gx,) + (None,) * (len(self.needs_input_grad) - 1)


class SetItem(Function):
    """A copy of x with ``x[key] = value``: how a trace writes down an in-place assignment."""

    differentiable = False

    def forward(self, x, value, *arrays):
        y = x.copy()
        y[_fill_key(self.key, arrays)] = value
        return y


class Concatenate(Function):
    def forward(self, *xs):
        xp = get_array_module(*xs)
        self.sizes = [x.shape[self.axis] for x in xs]
        shape = list(xs[0].shape)
        shape[self.axis] = sum(self.sizes)
        dtype = xp.result_type(*xs)
        return xp.concatenate(xs, axis=self.axis, out=alloc.empty(tuple(shape), dtype, xp))

    def backward(self, gy):
        xp = get_array_module(gy)
        cuts, total = [], 0
        for n in self.sizes[:-1]:
            total += n
            cuts.append(total)
        parts = xp.split(gy, cuts, axis=self.axis)
        return tuple(p if need else None for p, need in zip(parts, self.needs_input_grad))


class Pad(Function):
    """Constant padding; ``pad_width`` as in numpy.pad."""

    def forward(self, x):
        xp = get_array_module(x)
        self.src = x.shape
        return xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(lo, lo + n) for (lo, _), n in zip(self.pad_width, self.src))
        return (gy[index],)

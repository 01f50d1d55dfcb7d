"""Shape primitives: reshape, transpose, broadcast, indexing, concatenation, padding."""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module


class Reshape(Function):
    def forward(self, x):
        self.src = x.shape
        return x.reshape(self.shape)

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


class GetItem(Function):
    """x[key] for basic, integer-array and boolean indices."""

    def forward(self, x):
        self.src_shape, self.dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.src_shape, dtype=gy.dtype)
        if _is_basic(self.key):
            gx[self.key] = gy
        else:  # repeated integer indices must accumulate
            xp.add.at(gx, self.key, gy)
        return (gx,)


class Concatenate(Function):
    def forward(self, *xs):
        xp = get_array_module(*xs)
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

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

"""Small neural-network ops: dropout (seeded per device) and one-hot encoding."""
from __future__ import annotations

from ..autograd import Function
from ..device import device_of, get_array_module
from .. import random


class Dropout(Function):
    """Inverted dropout: kept units are scaled by 1 / (1 - p) at training time."""

    def forward(self, x):
        gen = random.generator(device_of(x))
        keep = 1.0 - self.p
        self.mask = (gen.random(x.shape, dtype=x.dtype if x.dtype.kind == "f" and x.itemsize >= 4
                                else "float32") < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self.mask

    def backward(self, gy):
        return (gy * self.mask,)


def one_hot_raw(indices, depth: int, dtype="float32"):
    """A (..., depth) one-hot array of integer indices on their own device."""
    xp = get_array_module(indices)
    idx = indices.reshape(-1).astype("int64")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= depth):
        raise ValueError(f"one_hot: indices must lie in [0, {depth}), got "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    out = xp.zeros((idx.size, depth), dtype=dtype)
    out[xp.arange(idx.size), idx] = 1
    return out.reshape(indices.shape + (depth,))

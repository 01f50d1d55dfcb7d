"""Containers and simple layers: Sequential, Dense, Activation, Dropout, Flatten, Identity."""
from __future__ import annotations

from gluonkit import npx

from .block import Block, HybridBlock
from .parameter import Parameter

__all__ = ["Sequential", "HybridSequential", "Dense", "Activation", "Dropout", "Flatten",
           "Identity", "Lambda"]


class Sequential(HybridBlock):
    """Runs children in order; they are named '0', '1', ... (as in torchvision)."""

    def __init__(self, *blocks: Block):
        super().__init__()
        self.add(*blocks)

    def add(self, *blocks: Block) -> "Sequential":
        for b in blocks:
            if not isinstance(b, Block):
                raise TypeError(f"Sequential.add takes Blocks, got {type(b).__name__}")
            setattr(self, str(len(self._children)), b)
        return self

    def forward(self, x):
        for block in self._children.values():
            x = block(x)
        return x

    def __getitem__(self, i):
        blocks = list(self._children.values())
        return Sequential(*blocks[i]) if isinstance(i, slice) else blocks[i]

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children.values())


HybridSequential = Sequential


def _activation(name):
    if name is None:
        return None
    return Activation(name)


class Activation(HybridBlock):
    """An activation by name: 'relu', 'sigmoid' or 'tanh'."""

    def __init__(self, activation: str):
        super().__init__()
        if activation not in ("relu", "sigmoid", "tanh"):
            raise ValueError(f"unknown activation {activation!r}; use 'relu', 'sigmoid' or 'tanh'")
        self._act = activation

    def forward(self, x):
        return npx.activation(x, self._act)

    def extra_repr(self):
        return self._act


class Dense(HybridBlock):
    """y = x W^T + b, W of shape (units, in_units); ``flatten`` folds all but the first axis."""

    def __init__(self, units: int, use_bias: bool = True, flatten: bool = True, in_units: int = 0,
                 activation: str | None = None, weight_initializer=None, bias_initializer="zeros",
                 dtype="float32"):
        super().__init__()
        if units <= 0:
            raise ValueError(f"Dense: units must be positive, got {units}")
        self._units, self._flatten = units, flatten
        self.weight = Parameter((units, in_units), dtype, init=weight_initializer)
        self.bias = Parameter((units,), dtype, init=bias_initializer) if use_bias else None
        self.act = _activation(activation)

    def forward(self, x):
        if self._flatten and x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if not self.weight.is_initialized:
            self.weight._finish_deferred_init((self._units, x.shape[-1]))
        b = None if self.bias is None else self.bias.data()
        y = npx.linear(x, self.weight.data(), b)
        return y if self.act is None else self.act(y)

    def extra_repr(self):
        shape = self.weight.shape
        s = f"{shape[1] if shape[1] else None} -> {self._units}"
        if self.bias is None:
            s += ", use_bias=False"
        if not self._flatten:
            s += ", flatten=False"
        return s


class Dropout(HybridBlock):
    """Drops units with probability ``rate`` in training mode (inside ``autograd.record()``)."""

    def __init__(self, rate: float):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self._rate = rate

    def forward(self, x):
        return npx.dropout(x, self._rate)

    def extra_repr(self):
        return f"p={self._rate}"


class Flatten(HybridBlock):
    """(N, ...) -> (N, prod(...))."""

    def forward(self, x):
        return npx.flatten(x)


class Identity(HybridBlock):
    """Returns its input (a placeholder for a removed layer, e.g. a classifier)."""

    def forward(self, x):
        return x


class Lambda(Block):
    """Wraps a function of the input as a block."""

    def __init__(self, fn):
        super().__init__()
        self._fn = fn

    def forward(self, x):
        return self._fn(x)

    def extra_repr(self):
        return getattr(self._fn, "__name__", "fn")

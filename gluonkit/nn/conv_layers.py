"""The convolution layer with Gluon's constructor and torchvision's parameter names."""
from __future__ import annotations

from gluonkit import npx

from .basic_layers import _activation
from .block import HybridBlock
from .parameter import Parameter

__all__ = ["Conv2D"]


def to_pair(v, name: str) -> tuple:
    """An int or a pair of ints as a pair, checked (kernel sizes, strides, padding)."""
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or any(not isinstance(i, int) or i < 0 for i in pair):
        raise ValueError(f"{name} must be a non-negative int or a pair of them, got {v!r}")
    return pair


class Conv2D(HybridBlock):
    """2-D convolution over NCHW; ``in_channels=0`` is inferred at the first forward."""

    def __init__(self, channels: int, kernel_size, strides=1, padding=0, dilation=1,
                 groups: int = 1, use_bias: bool = True, in_channels: int = 0,
                 activation: str | None = None, weight_initializer=None,
                 bias_initializer="zeros", dtype="float32"):
        super().__init__()
        if channels <= 0 or channels % groups:
            raise ValueError(f"Conv2D: channels={channels} must be positive and divisible by "
                             f"groups={groups}")
        if in_channels % groups:
            raise ValueError(f"Conv2D: in_channels={in_channels} is not divisible by "
                             f"groups={groups}")
        self._channels, self._groups = channels, groups
        self._kernel = to_pair(kernel_size, "kernel_size")
        self._strides = to_pair(strides, "strides")
        if 0 in self._kernel or 0 in self._strides:
            raise ValueError(f"Conv2D: kernel_size {self._kernel} and strides {self._strides} "
                             "must be positive")
        self._padding = to_pair(padding, "padding")
        self._dilation = to_pair(dilation, "dilation")
        self.weight = Parameter((channels, in_channels // groups) + self._kernel, dtype,
                                init=weight_initializer)
        self.bias = Parameter((channels,), dtype, init=bias_initializer) if use_bias else None
        self.act = _activation(activation)

    def forward(self, x):
        if not self.weight.is_initialized:
            if x.ndim != 4 or x.shape[1] % self._groups:
                raise ValueError(f"Conv2D expects (N, C, H, W) with C divisible by groups="
                                 f"{self._groups}, got {tuple(x.shape)}")
            self.weight._finish_deferred_init(
                (self._channels, x.shape[1] // self._groups) + self._kernel)
        b = None if self.bias is None else self.bias.data()
        y = npx.conv2d(x, self.weight.data(), b, self._strides, self._padding, self._dilation,
                       self._groups)
        return y if self.act is None else self.act(y)

    def extra_repr(self):
        cin = self.weight.shape[1] * self._groups or None
        s = f"{cin} -> {self._channels}, kernel_size={self._kernel}"
        if self._strides != (1, 1):
            s += f", stride={self._strides}"
        if self._padding != (0, 0):
            s += f", padding={self._padding}"
        if self._dilation != (1, 1):
            s += f", dilation={self._dilation}"
        if self._groups != 1:
            s += f", groups={self._groups}"
        if self.bias is None:
            s += ", bias=False"
        return s

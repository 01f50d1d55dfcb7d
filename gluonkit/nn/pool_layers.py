"""Pooling layers with Gluon's constructors: ``strides`` default to ``pool_size``."""
from __future__ import annotations

from gluonkit import npx

from .block import HybridBlock
from .conv_layers import to_pair

__all__ = ["MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D"]


class _Pool(HybridBlock):
    def __init__(self, pool_size=2, strides=None, padding=0, ceil_mode=False):
        super().__init__()
        self._kernel = to_pair(pool_size, "pool_size")
        self._strides = self._kernel if strides is None else to_pair(strides, "strides")
        if 0 in self._kernel or 0 in self._strides:
            raise ValueError(f"pool_size {self._kernel} and strides {self._strides} must be "
                             "positive")
        self._padding = to_pair(padding, "padding")
        self._ceil = ceil_mode

    def extra_repr(self):
        s = f"pool_size={self._kernel}"
        if self._strides != self._kernel:
            s += f", strides={self._strides}"
        if self._padding != (0, 0):
            s += f", padding={self._padding}"
        if self._ceil:
            s += ", ceil_mode=True"
        return s


class MaxPool2D(_Pool):
    """Max over ``pool_size`` windows; ``strides`` default to ``pool_size`` (Gluon)."""

    def forward(self, x):
        return npx.max_pool2d(x, self._kernel, self._strides, self._padding, self._ceil)


class AvgPool2D(_Pool):
    def __init__(self, pool_size=2, strides=None, padding=0, ceil_mode=False,
                 count_include_pad: bool = True):
        super().__init__(pool_size, strides, padding, ceil_mode)
        self._count_include_pad = count_include_pad

    def forward(self, x):
        return npx.avg_pool2d(x, self._kernel, self._strides, self._padding, self._ceil,
                              self._count_include_pad)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self._count_include_pad else s + ", count_include_pad=False"


class GlobalAvgPool2D(HybridBlock):
    """(N, C, H, W) -> (N, C, 1, 1) averages."""

    def forward(self, x):
        return npx.adaptive_avg_pool2d(x, 1)


class GlobalMaxPool2D(HybridBlock):
    """(N, C, H, W) -> (N, C, 1, 1) maxima."""

    def forward(self, x):
        return x.max(axis=(2, 3), keepdims=True)

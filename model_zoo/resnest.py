"""ResNeSt (Zhang et al. 2020): the split-attention bottleneck plugged into the ResNet backbone.

Deep stem (width 32 up to ResNeSt-50, 64 beyond), average-pool shortcut, radix 2, cardinality 1,
bottleneck width 64, and "avd": the stride of a downsampling block moves from the 3x3 conv to a
3x3 average pool after the split attention. Names follow timm's ``resnest*`` models.
"""
from __future__ import annotations

from gluonkit import nn, npx

from .registry import register_model
from .resnet import ResNet, _bn, _conv

__all__ = ["SplitAttention", "ResNestBottleneck"]


def _attn_channels(channels: int, radix: int, ratio: float = 0.25, floor: int = 32,
                   divisor: int = 8) -> int:
    """Width of the attention MLP: channels * radix * ratio, at least 32, a multiple of 8."""
    v = max(floor, int(channels * radix * ratio + divisor / 2) // divisor * divisor)
    return v + divisor if v < 0.9 * channels * radix * ratio else v


class SplitAttention(nn.HybridBlock):
    """A grouped 3x3 conv producing ``radix`` splits, then attention across the splits.

    conv -> bn0 -> relu; gap(sum of splits) -> fc1 -> bn1 -> relu -> fc2 -> softmax over the
    radix (a sigmoid when radix is 1) -> weighted sum of the splits.
    """

    def __init__(self, cin, channels, stride=1, groups=1, radix=2, norm_layer=nn.BatchNorm):
        super().__init__()
        self.radix, self.groups, self.channels = radix, groups, channels
        attn = _attn_channels(cin, radix)
        self.conv = _conv(cin, channels * radix, 3, stride, 1, groups=groups * radix)
        self.bn0 = _bn(channels * radix, norm_layer=norm_layer, act="relu")
        self.fc1 = nn.Conv2D(attn, 1, groups=groups, in_channels=channels)
        self.bn1 = _bn(attn, norm_layer=norm_layer, act="relu")
        self.fc2 = nn.Conv2D(channels * radix, 1, groups=groups, in_channels=attn)

    def forward(self, x):
        x = self.bn0(self.conv(x))
        n, _, h, w = x.shape
        r, g, c = self.radix, self.groups, self.channels
        if r == 1:
            gap = npx.adaptive_avg_pool2d(x, 1)
            return x * npx.sigmoid(self.fc2(self.bn1(self.fc1(gap))))
        splits = x.reshape(n, r, c, h, w)
        gap = npx.adaptive_avg_pool2d(splits.sum(axis=1), 1)
        attn = self.fc2(self.bn1(self.fc1(gap)))
        # NOTE: fc2's channels are laid out (group, radix, c / group); the softmax runs over the
        # radix, and the weights are reordered to (radix, c) to match the splits (rSoftMax).
        attn = npx.softmax(attn.reshape(n, g, r, c // g), axis=2)
        attn = attn.transpose(0, 2, 1, 3).reshape(n, r, c, 1, 1)
        return (splits * attn).sum(axis=1)


class ResNestBottleneck(nn.HybridBlock):
    """1x1 -> split attention 3x3 -> 1x1 (x4), with a residual connection.

    "avd": in a downsampling block the stride moves from the 3x3 conv to a 3x3 average pool,
    after the split attention (``avd_first=False``, ResNeSt's default) or before it.
    """

    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None, last_gamma=False, radix=2,
                 cardinality=1, base_width=64, avd=True, avd_first=False,
                 norm_layer=nn.BatchNorm):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * cardinality
        self._avd_stride = stride if avd and stride > 1 else 0
        self._avd_first = avd_first
        self.conv1 = _conv(cin, width, 1)
        self.bn1 = _bn(width, norm_layer=norm_layer, act="relu")
        self.conv2 = SplitAttention(width, width, 1 if self._avd_stride else stride, cardinality,
                                    radix, norm_layer)
        self.conv3 = _conv(width, planes * 4, 1)
        self.bn3 = _bn(planes * 4, zero=last_gamma, norm_layer=norm_layer, act="relu")
        self.downsample = downsample

    def _avd(self, x):
        return npx.avg_pool2d(x, 3, self._avd_stride, 1)

    def forward(self, x):
        out = self.bn1(self.conv1(x))
        if self._avd_stride and self._avd_first:
            out = self._avd(out)
        out = self.conv2(out)
        if self._avd_stride and not self._avd_first:
            out = self._avd(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.bn3(self.conv3(out), identity)  # relu(bn3(.) + identity), one fused op


_CONFIGS = {
    14: ((1, 1, 1, 1), 32, 10611688, 75.51, "timm resnest14d.gluon_in1k", 224),
    26: ((2, 2, 2, 2), 32, 17069448, 78.48, "timm resnest26d.gluon_in1k", 224),
    50: ((3, 4, 6, 3), 32, 27483240, 80.97, "timm resnest50d.in1k", 224),
    101: ((3, 4, 23, 3), 64, 48275016, 82.88, "timm resnest101e.in1k", 256),
    200: ((3, 24, 36, 3), 64, 70201544, 83.85, "timm resnest200e.in1k", 320),
    269: ((3, 30, 48, 8), 64, 110929480, 84.53, "timm resnest269e.in1k", 416),
}


def _register(depth: int):
    layers, stem_width, params, top1, source, size = _CONFIGS[depth]
    name = f"resnest{depth}"

    def entry(classes: int = 1000, **kwargs) -> ResNet:
        block_args = {"radix": 2, "cardinality": 1, "base_width": 64, "avd": True}
        block_args.update(kwargs.pop("block_args", {}))
        return ResNet(ResNestBottleneck, layers, classes, stem="deep", stem_width=stem_width,
                      avg_down=True, block_args=block_args, **kwargs)

    entry.__name__ = entry.__qualname__ = name
    entry.__doc__ = f"ResNeSt-{depth} (timm's {source.split()[1].split('.')[0]} layout)."
    crop = {224: 0.875, 256: 0.875, 320: 0.909, 416: 0.928}[size]
    register_model(input_size=(3, size, size), crop_pct=crop, first_conv="conv1.0",
                   num_params=params, top1=top1, top1_source=source)(entry)
    return entry


for _depth in _CONFIGS:
    globals()[f"resnest{_depth}"] = _register(_depth)

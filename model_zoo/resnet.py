"""The ResNet family (He et al. 2016) with the "Bag of Tricks" tweaks, in one backbone.

Variants, by flags of ``ResNet``:

- ``_v1``  (``stride_in_1x1=True``): the original, stride in the bottleneck's first 1x1.
- ``_v1b`` (defaults): ResNet-B, stride in the 3x3; torchvision's layout and names.
- ``_v1c`` (``stem='deep', stem_width=32``): ResNet-C, three 3x3 convs (32-32-64) for the 7x7.
- ``_v1d`` (``stem='deep', stem_width=32, avg_down=True``): ResNet-D, plus a 2x2 average pool
  (ceil mode, padding excluded) before the shortcut's 1x1 conv.
- ``_v1s`` (``stem='deep', stem_width=64``): deep stem 64-64-128.
- ``_v2``  (``preact=True``): pre-activation blocks (He et al. 2016b), GluonCV's ResNetV2.
- ``cifar_resnet*`` (``stem='cifar'``): 3x3 stem, three stages of 16/32/64 channels; exactly
  GluonCV's CIFARResNetV1/V2 (no ReLU after the stem; v2 projects the raw input), so its
  ``.params`` files load and give its logits.

``last_gamma=True`` zero-initializes the last batch norm gamma of each residual branch, so every
block starts as the identity ("zero gamma"). Names match torchvision (v1b) and timm (c/d/s).
"""
from __future__ import annotations

import difflib
import inspect

from gluonkit import nn, npx

from .base import ModelArgumentError, ZooModel
from .class_names import CIFAR10_CLASSES
from .registry import register_model
from .store import WeightFile

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "PreActBasicBlock", "PreActBottleneck",
           "conv_init"]


def conv_init():
    """torchvision's conv init: Kaiming normal, fan_out, for ReLU."""
    return nn.init.KaimingNormal("fan_out")


def _conv(cin, cout, k, stride=1, padding=0, groups=1, bias=False):
    return nn.Conv2D(cout, k, stride, padding, groups=groups, use_bias=bias, in_channels=cin,
                     weight_initializer=conv_init())


def _bn(c, zero=False, norm_layer=nn.BatchNorm, act=None):
    """``norm_layer(in_channels=c, ...)``: nn.BatchNorm or a layer with its arguments
    (gluonkit.dist.SyncBatchNorm); ``act='relu'`` fuses the ReLU (and a residual add) into it."""
    kw = {"act": act} if act else {}
    return norm_layer(in_channels=c, gamma_initializer="zeros" if zero else "ones", **kw)


def _downsample(cin, cout, stride, avg_down, preact=False, norm_layer=nn.BatchNorm):
    """The projection shortcut: 1x1 conv (+BN), with ResNet-D's average pool first."""
    layers = []
    if avg_down:
        layers.append(nn.AvgPool2D(2, stride, ceil_mode=True, count_include_pad=False)
                      if stride > 1 else nn.Identity())
        stride = 1
    layers.append(_conv(cin, cout, 1, stride))
    if not preact:
        layers.append(_bn(cout, norm_layer=norm_layer))
    return nn.Sequential(*layers)


class BasicBlock(nn.HybridBlock):
    """Two 3x3 convs; used by ResNet-18/34 and the CIFAR ResNets."""

    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None, last_gamma=False,
                 norm_layer=nn.BatchNorm):
        super().__init__()
        self.conv1 = _conv(cin, planes, 3, stride, 1)
        self.bn1 = _bn(planes, norm_layer=norm_layer, act="relu")
        self.conv2 = _conv(planes, planes, 3, 1, 1)
        self.bn2 = _bn(planes, zero=last_gamma, norm_layer=norm_layer, act="relu")
        self.downsample = downsample

    def forward(self, x):
        out = self.bn1(self.conv1(x))
        identity = x if self.downsample is None else self.downsample(x)
        return self.bn2(self.conv2(out), identity)  # relu(bn2(.) + identity), one fused op


class Bottleneck(nn.HybridBlock):
    """1x1 reduce, 3x3, 1x1 expand (x4); the stride sits in the 3x3 unless stride_in_1x1."""

    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None, last_gamma=False,
                 stride_in_1x1=False, norm_layer=nn.BatchNorm):
        super().__init__()
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = _conv(cin, planes, 1, s1)
        self.bn1 = _bn(planes, norm_layer=norm_layer, act="relu")
        self.conv2 = _conv(planes, planes, 3, s3, 1)
        self.bn2 = _bn(planes, norm_layer=norm_layer, act="relu")
        self.conv3 = _conv(planes, planes * 4, 1)
        self.bn3 = _bn(planes * 4, zero=last_gamma, norm_layer=norm_layer, act="relu")
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.bn1(self.conv1(x))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.bn3(self.conv3(out), identity)  # relu(bn3(.) + identity), one fused op


class PreActBasicBlock(nn.HybridBlock):
    """BN-ReLU-conv twice; the shortcut projects the pre-activated input (GluonCV's ImageNet
    ResNetV2), or the raw input with ``raw_shortcut=True`` (GluonCV's CIFARBasicBlockV2)."""

    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None, last_gamma=False,
                 raw_shortcut=False, norm_layer=nn.BatchNorm):
        super().__init__()
        self._raw_shortcut = raw_shortcut
        self.bn1 = _bn(cin, norm_layer=norm_layer, act="relu")
        self.conv1 = _conv(cin, planes, 3, stride, 1)
        self.bn2 = _bn(planes, norm_layer=norm_layer, act="relu")
        self.conv2 = _conv(planes, planes, 3, 1, 1)
        if last_gamma:  # no BN ends the branch: zero its last conv instead
            self.conv2.weight.init = nn.init.Zero()
        self.downsample = downsample

    def forward(self, x):
        act = self.bn1(x)
        identity = x if self.downsample is None else \
            self.downsample(x if self._raw_shortcut else act)
        out = self.conv1(act)
        out = self.conv2(self.bn2(out))
        return out + identity


class PreActBottleneck(nn.HybridBlock):
    """BN-ReLU-conv 1x1, BN-ReLU-conv 3x3 (stride), BN-ReLU-conv 1x1 (x4)."""

    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None, last_gamma=False,
                 norm_layer=nn.BatchNorm):
        super().__init__()
        self.bn1 = _bn(cin, norm_layer=norm_layer, act="relu")
        self.conv1 = _conv(cin, planes, 1)
        self.bn2 = _bn(planes, norm_layer=norm_layer, act="relu")
        self.conv2 = _conv(planes, planes, 3, stride, 1)
        self.bn3 = _bn(planes, norm_layer=norm_layer, act="relu")
        self.conv3 = _conv(planes, planes * 4, 1)
        if last_gamma:
            self.conv3.weight.init = nn.init.Zero()
        self.downsample = downsample

    def forward(self, x):
        act = self.bn1(x)
        identity = x if self.downsample is None else self.downsample(act)
        out = self.conv2(self.bn2(self.conv1(act)))
        out = self.conv3(self.bn3(out))
        return out + identity


_BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck, "preact_basic": PreActBasicBlock,
           "preact_bottleneck": PreActBottleneck}


def _check_block_args(block, args: dict) -> None:
    """Arguments a block does not take fail here, listing those it does (no silent typo)."""
    params = inspect.signature(block.__init__).parameters
    valid = [n for n in params if n not in ("self", "cin", "planes", "stride", "downsample")]
    unknown = sorted(set(args) - set(valid))
    if unknown:
        close = {n: difflib.get_close_matches(n, valid, n=1) for n in unknown}
        hints = "".join(f"; {n!r}: did you mean {c[0]!r}?" for n, c in close.items() if c)
        names = ", ".join(map(repr, unknown))
        raise ModelArgumentError(f"{block.__name__} got unknown argument(s) {names}{hints} "
                                 f"(valid: {', '.join(valid)})")


class ResNet(ZooModel):
    """One configurable ResNet backbone (see the module docstring for the variants).

    Args:
        block: 'basic', 'bottleneck', 'preact_basic', 'preact_bottleneck', or a block class.
        layers: blocks per stage.
        stem: 'plain' (7x7/2 + max pool), 'deep' (three 3x3 + max pool) or 'cifar' (one 3x3).
        stem_width: width of the plain stem's 7x7 conv (default: ``channels[0]``), or of the deep
            stem's first two convs (default 32; its output is twice this).
        avg_down: average-pool shortcut (ResNet-D).
        channels: stage widths before expansion.
        block_args: extra keyword arguments for every block (ResNeSt's radix, avd...).
        norm_layer: the normalization layer, called as ``norm_layer(in_channels=c, ...)`` with
            nn.BatchNorm's arguments (timm's ``norm_layer``; gluonkit.dist.SyncBatchNorm).
    """

    def __init__(self, block="bottleneck", layers=(3, 4, 6, 3), classes=1000, stem="plain",
                 stem_width=None, avg_down=False, stride_in_1x1=False, last_gamma=False,
                 channels=(64, 128, 256, 512), drop_rate=0.0, block_args=None, in_channels=3,
                 norm_layer=nn.BatchNorm):
        super().__init__()
        block = _BLOCKS[block] if isinstance(block, str) else block
        self.preact = block in (PreActBasicBlock, PreActBottleneck)
        self.drop_rate = drop_rate
        self._stem_type = stem
        if self.preact:
            self.bn_data = norm_layer(in_channels=in_channels, center=False, scale=False)
        cin = self._make_stem(stem, stem_width, channels[0], in_channels, norm_layer)
        strides = (1,) + (2,) * (len(layers) - 1)
        args = dict(block_args or {}, last_gamma=last_gamma, norm_layer=norm_layer)
        if "stride_in_1x1" in inspect.signature(block.__init__).parameters:
            args["stride_in_1x1"] = stride_in_1x1  # a basic block has no 1x1 to stride
        _check_block_args(block, args)
        for i, (n, planes, stride) in enumerate(zip(layers, channels, strides)):
            stage = nn.Sequential()
            for b in range(n):
                s = stride if b == 0 else 1
                cout = planes * block.expansion
                down = None
                if b == 0 and (s != 1 or cin != cout):
                    down = _downsample(cin, cout, s, avg_down, self.preact, norm_layer)
                stage.add(block(cin, planes, s, down, **args))
                cin = cout
            setattr(self, f"layer{i + 1}", stage)
        self._num_stages = len(layers)
        if self.preact:
            self.bn_final = _bn(cin, norm_layer=norm_layer, act="relu")
        self.fc = nn.Dense(classes, in_units=cin)

    def _make_stem(self, stem, stem_width, width, cin, norm_layer):
        if stem == "plain":
            width = stem_width or width
            self.conv1 = _conv(cin, width, 7, 2, 3)
            self.bn1 = _bn(width, norm_layer=norm_layer, act="relu")
            return width
        if stem == "cifar":
            self.conv1 = _conv(cin, width, 3, 1, 1)
            if not self.preact:  # GluonCV's CIFAR v2: the first block pre-activates the conv
                self.bn1 = _bn(width, norm_layer=norm_layer)
            return width
        if stem != "deep":
            raise ValueError(f"stem must be 'plain', 'deep' or 'cifar', got {stem!r}")
        stem_width = stem_width or 32
        out = stem_width * 2
        self.conv1 = nn.Sequential(
            _conv(cin, stem_width, 3, 2, 1), _bn(stem_width, norm_layer=norm_layer),
            nn.Activation("relu"),
            _conv(stem_width, stem_width, 3, 1, 1), _bn(stem_width, norm_layer=norm_layer),
            nn.Activation("relu"),
            _conv(stem_width, out, 3, 1, 1))
        self.bn1 = _bn(out, norm_layer=norm_layer, act="relu")
        return out

    def _stem(self, x):
        if self.preact:
            x = self.bn_data(x)
        x = self.conv1(x)
        if self._stem_type == "cifar":  # GluonCV's CIFAR stems: conv (v2), conv-BN (v1), no ReLU
            return x if self.preact else self.bn1(x)
        return npx.max_pool2d(self.bn1(x), 3, 2, 1)

    def _post(self, x):
        return self.bn_final(x) if self.preact else x

    def feature_stages(self):
        stages = [("stem", self._stem)]
        for i in range(1, self._num_stages + 1):
            stages.append((f"layer{i}", getattr(self, f"layer{i}")))
        if self.preact:
            stages[-1] = (stages[-1][0], lambda x, last=stages[-1][1]: self._post(last(x)))
        return stages


# ---------------------------------------------------------------------- registry
_DEPTHS = {18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)),
           50: ("bottleneck", (3, 4, 6, 3)), 101: ("bottleneck", (3, 4, 23, 3)),
           152: ("bottleneck", (3, 8, 36, 3))}

_VARIANTS = {
    "v1": dict(stride_in_1x1=True),
    "v1b": dict(),
    "v1c": dict(stem="deep", stem_width=32),
    "v1d": dict(stem="deep", stem_width=32, avg_down=True),
    "v1s": dict(stem="deep", stem_width=64),
    "v2": dict(preact=True),
}

# Published ImageNet top-1 of the reference weights each layout loads (torchvision, timm and
# GluonCV model-zoo tables).
_TOP1 = {
    "resnet18_v1b": (69.758, "torchvision ResNet18_Weights.IMAGENET1K_V1"),
    "resnet34_v1b": (73.314, "torchvision ResNet34_Weights.IMAGENET1K_V1"),
    "resnet50_v1b": (76.130, "torchvision ResNet50_Weights.IMAGENET1K_V1"),
    "resnet101_v1b": (77.374, "torchvision ResNet101_Weights.IMAGENET1K_V1"),
    "resnet152_v1b": (78.312, "torchvision ResNet152_Weights.IMAGENET1K_V1"),
    "resnet50_v1c": (78.03, "GluonCV resnet50_v1c"),
    "resnet50_v1d": (79.15, "GluonCV resnet50_v1d"),
    "resnet50_v1s": (78.93, "GluonCV resnet50_v1s"),
    "resnet101_v1d": (80.51, "GluonCV resnet101_v1d"),
    "resnet152_v1d": (80.61, "GluonCV resnet152_v1d"),
    "resnet101_v1c": (79.60, "GluonCV resnet101_v1c"),
    "resnet152_v1c": (80.01, "GluonCV resnet152_v1c"),
    "resnet18_v1": (70.93, "GluonCV resnet18_v1"),
    "resnet34_v1": (74.37, "GluonCV resnet34_v1"),
    "resnet50_v1": (77.36, "GluonCV resnet50_v1"),
    "resnet101_v1": (78.34, "GluonCV resnet101_v1"),
    "resnet152_v1": (79.22, "GluonCV resnet152_v1"),
    "resnet18_v2": (71.00, "GluonCV resnet18_v2"),
    "resnet34_v2": (74.40, "GluonCV resnet34_v2"),
    "resnet50_v2": (77.11, "GluonCV resnet50_v2"),
    "resnet101_v2": (78.53, "GluonCV resnet101_v2"),
    "resnet152_v2": (79.21, "GluonCV resnet152_v2"),
}

# Trainable parameters at the default classes (computed from the architecture; the v1b, c, d
# and s counts equal torchvision's and timm's published ones).
_PARAMS = {"cifar_resnet110_v1": 1730714, "cifar_resnet110_v2": 1730522,
           "cifar_resnet20_v1": 272474, "cifar_resnet20_v2": 272282, "cifar_resnet56_v1": 855770,
           "cifar_resnet56_v2": 855578, "resnet101_v1": 44549160, "resnet101_v1b": 44549160,
           "resnet101_v1c": 44568392, "resnet101_v1d": 44568392, "resnet101_v1s": 44672936,
           "resnet101_v2": 44541608, "resnet152_v1": 60192808, "resnet152_v1b": 60192808,
           "resnet152_v1c": 60212040, "resnet152_v1d": 60212040, "resnet152_v1s": 60316584,
           "resnet152_v2": 60185256, "resnet18_v1": 11689512, "resnet18_v1b": 11689512,
           "resnet18_v1c": 11708744, "resnet18_v1d": 11708744, "resnet18_v1s": 11837992,
           "resnet18_v2": 11687848, "resnet34_v1": 21797672, "resnet34_v1b": 21797672,
           "resnet34_v1c": 21816904, "resnet34_v1d": 21816904, "resnet34_v1s": 21946152,
           "resnet34_v2": 21796008, "resnet50_v1": 25557032, "resnet50_v1b": 25557032,
           "resnet50_v1c": 25576264, "resnet50_v1d": 25576264, "resnet50_v1s": 25680808,
           "resnet50_v2": 25549480}


# torchvision's ImageNet weights for the v1b layout. torchvision publishes only the first hex
# digits of each file's SHA-256 (in its name); the store checks that prefix and records the full
# digest at the first download.
_TORCHVISION = {18: "resnet18-f37072fd.pth", 34: "resnet34-b627a593.pth",
                50: "resnet50-0676ba61.pth", 101: "resnet101-63fe2227.pth",
                152: "resnet152-394f9c45.pth"}


def torchvision_weights(filename: str, **metadata) -> WeightFile:
    """A WeightFile for a checkpoint on download.pytorch.org (read directly, no PyTorch)."""
    prefix = filename.rsplit("-", 1)[1].split(".")[0]
    return WeightFile(filename, prefix, urls=(f"https://download.pytorch.org/models/{filename}",),
                      format="pth", metadata={"source": "torchvision", **metadata})


def _imagenet_resnet(depth: int, variant: str, classes: int, **kwargs) -> ResNet:
    kind, layers = _DEPTHS[depth]
    flags = dict(_VARIANTS[variant])
    if flags.pop("preact", False):
        kind = "preact_" + kind
    return ResNet(kind, layers, classes, **{**flags, **kwargs})


def _register_imagenet(depth: int, variant: str):
    name = f"resnet{depth}_{variant}"
    top1 = _TOP1.get(name, (None, None))
    first_conv = "conv1.0" if _VARIANTS[variant].get("stem") == "deep" else "conv1"

    def entry(classes: int = 1000, **kwargs) -> ResNet:
        return _imagenet_resnet(depth, variant, classes, **kwargs)

    entry.__name__ = entry.__qualname__ = name
    entry.__doc__ = f"ResNet-{depth} {variant} (see gluonkit.model_zoo.resnet)."
    weights = {"default": torchvision_weights(_TORCHVISION[depth])} if variant == "v1b" else {}
    register_model(first_conv=first_conv, num_params=_PARAMS.get(name), top1=top1[0],
                   top1_source=top1[1], weights=weights)(entry)
    return entry


for _depth in _DEPTHS:
    for _variant in _VARIANTS:
        globals()[f"resnet{_depth}_{_variant}"] = _register_imagenet(_depth, _variant)


def _cifar_resnet(depth: int, preact: bool, classes: int, **kwargs) -> ResNet:
    if (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNet depth must be 6n + 2, got {depth}")
    n = (depth - 2) // 6
    kind = "preact_basic" if preact else "basic"
    block_args = {"raw_shortcut": True} if preact else None
    return ResNet(kind, (n, n, n), classes, stem="cifar", channels=(16, 32, 64),
                  block_args=block_args, **kwargs)


_CIFAR_TOP1 = {"cifar_resnet20_v1": 92.1, "cifar_resnet56_v1": 93.6,
               "cifar_resnet110_v1": 93.0, "cifar_resnet20_v2": 92.1,
               "cifar_resnet56_v2": 93.7, "cifar_resnet110_v2": 94.3}


def _register_cifar(depth: int, version: str):
    name = f"cifar_resnet{depth}_{version}"

    def entry(classes: int = 10, **kwargs) -> ResNet:
        return _cifar_resnet(depth, version == "v2", classes, **kwargs)

    entry.__name__ = entry.__qualname__ = name
    entry.__doc__ = f"CIFAR ResNet-{depth} {version} (GluonCV's layout)."
    register_model(input_size=(3, 32, 32), mean=(0.4914, 0.4822, 0.4465),
                   std=(0.2023, 0.1994, 0.2010), crop_pct=1.0, num_classes=10,
                   num_params=_PARAMS[name],
                   top1=_CIFAR_TOP1[name], top1_source=f"GluonCV {name} (CIFAR-10)",
                   class_names=CIFAR10_CLASSES)(entry)
    return entry


for _depth in (20, 56, 110):
    for _version in ("v1", "v2"):
        globals()[f"cifar_resnet{_depth}_{_version}"] = _register_cifar(_depth, _version)

"""GoogLeNet / Inception v1 (Szegedy et al. 2015) with batch norm, in torchvision's layout.

As in torchvision, the "5x5" branch uses a 3x3 convolution (the layout its weights were trained
with), max pools run in ceil mode, and ``aux_logits=True`` adds the two auxiliary heads whose
outputs ``forward`` returns beside the logits in training mode.
"""
from __future__ import annotations

from functools import partial

from gluonkit import autograd, nn, np, npx

from .base import ZooModel
from .registry import register_model
from .store import WeightFile

__all__ = ["GoogLeNet", "BasicConv2d", "transform_input"]


class BasicConv2d(nn.HybridBlock):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU, the last two one fused op."""

    def __init__(self, cin, cout, kernel_size, stride=1, padding=0, norm_layer=nn.BatchNorm):
        super().__init__()
        self.conv = nn.Conv2D(cout, kernel_size, stride, padding, use_bias=False,
                              in_channels=cin, weight_initializer=nn.init.Normal(0.01))
        self.bn = norm_layer(in_channels=cout, epsilon=1e-3, act="relu")

    def forward(self, x):
        return self.bn(self.conv(x))


class _MaxPool(nn.HybridBlock):
    def __init__(self, k, s, p=0):
        super().__init__()
        self._args = (k, s, p)

    def forward(self, x):
        return npx.max_pool2d(x, *self._args, ceil_mode=True)


class Inception(nn.HybridBlock):
    """Four branches: 1x1; 1x1 -> 3x3; 1x1 -> 3x3; 3x3 max pool -> 1x1; concatenated."""

    def __init__(self, cin, ch1, ch3red, ch3, ch5red, ch5, pool_proj, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.branch1 = conv(cin, ch1, 1)
        self.branch2 = nn.Sequential(conv(cin, ch3red, 1), conv(ch3red, ch3, 3, 1, 1))
        self.branch3 = nn.Sequential(conv(cin, ch5red, 1), conv(ch5red, ch5, 3, 1, 1))
        self.branch4 = nn.Sequential(_MaxPool(3, 1, 1), conv(cin, pool_proj, 1))

    def forward(self, x):
        return np.concatenate([self.branch1(x), self.branch2(x), self.branch3(x),
                               self.branch4(x)], axis=1)


class InceptionAux(nn.HybridBlock):
    """4x4 adaptive average pool -> 1x1 conv -> fc 2048-1024 -> dropout 0.7 -> fc."""

    def __init__(self, cin, classes, dropout=0.7, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.conv = conv(cin, 128, 1)
        self.fc1 = nn.Dense(1024, in_units=2048)
        self.fc2 = nn.Dense(classes, in_units=1024)
        self._dropout = dropout

    def forward(self, x):
        x = self.conv(npx.adaptive_avg_pool2d(x, 4))
        x = npx.relu(self.fc1(x.reshape(x.shape[0], -1)))
        return self.fc2(npx.dropout(x, self._dropout))


def transform_input(x):
    """torchvision's ``transform_input``: ImageNet-normalized input to (x - 0.5) / 0.5 per channel,
    the input the torchvision GoogLeNet and Inception v3 weights were trained on."""
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    chans = [x[:, i:i + 1] * (std[i] / 0.5) + (mean[i] - 0.5) / 0.5 for i in range(3)]
    return np.concatenate(chans, axis=1)


class GoogLeNet(ZooModel):
    """Inception v1 with BN; returns (logits, aux2, aux1) in training mode when aux_logits.

    ``norm_layer`` builds every batch norm, each followed by ReLU:
    ``norm_layer(in_channels=c, epsilon=1e-3, act="relu")``.
    """

    def __init__(self, classes=1000, aux_logits=False, transform_input=False, drop_rate=0.2,
                 norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.aux_logits, self.transform_input = aux_logits, transform_input
        self.drop_rate = drop_rate
        self.conv1 = conv(3, 64, 7, 2, 3)
        self.conv2 = conv(64, 64, 1)
        self.conv3 = conv(64, 192, 3, 1, 1)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32, norm_layer=norm_layer)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64, norm_layer=norm_layer)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64, norm_layer=norm_layer)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64, norm_layer=norm_layer)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64, norm_layer=norm_layer)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64, norm_layer=norm_layer)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128, norm_layer=norm_layer)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128, norm_layer=norm_layer)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128, norm_layer=norm_layer)
        if aux_logits:
            self.aux1 = InceptionAux(512, classes, norm_layer=norm_layer)
            self.aux2 = InceptionAux(528, classes, norm_layer=norm_layer)
        self.fc = nn.Dense(classes, in_units=1024)

    def _stem(self, x):
        if self.transform_input:
            x = transform_input(x)
        x = npx.max_pool2d(self.conv1(x), 3, 2, ceil_mode=True)
        return npx.max_pool2d(self.conv3(self.conv2(x)), 3, 2, ceil_mode=True)

    def feature_stages(self):
        pool = lambda x: npx.max_pool2d(x, 3, 2, ceil_mode=True)  # noqa: E731
        return [("stem", self._stem),
                ("inception3", lambda x: self.inception3b(self.inception3a(x))),
                ("inception4", lambda x: self.inception4e(self.inception4d(self.inception4c(
                    self.inception4b(self.inception4a(pool(x))))))),
                ("inception5", lambda x: self.inception5b(self.inception5a(
                    npx.max_pool2d(x, 2, 2, ceil_mode=True))))]

    def forward(self, x):
        if not (self.aux_logits and autograd.is_training()):
            return super().forward(x)
        x = self.inception3b(self.inception3a(self._stem(x)))
        x = self.inception4a(npx.max_pool2d(x, 3, 2, ceil_mode=True))
        aux1 = self.aux1(x)
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x)
        x = self.inception4e(x)
        x = self.inception5b(self.inception5a(npx.max_pool2d(x, 2, 2, ceil_mode=True)))
        return self.forward_head(x), aux2, aux1

    def reset_classifier(self, classes: int) -> None:
        super().reset_classifier(classes)
        if self.aux_logits:
            for name in ("aux1", "aux2"):
                head = getattr(self, name)
                fc = nn.Dense(classes, in_units=1024)
                fc.initialize(device=head.fc2.weight.data().device)
                head.fc2 = fc


_WEIGHTS = {"default": WeightFile(
    "googlenet-1378be20.pth", "1378be20",
    urls=("https://download.pytorch.org/models/googlenet-1378be20.pth",), format="pth",
    metadata={"source": "torchvision", "model_kwargs": {"transform_input": True}})}


# aux_loss_weight: each auxiliary head's loss weight in training (Szegedy et al. 2015: 0.3).
@register_model(first_conv="conv1.conv", num_params=6624904, top1=69.778, aux_loss_weight=0.3,
                top1_source="torchvision GoogLeNet_Weights.IMAGENET1K_V1", weights=_WEIGHTS)
def googlenet(classes: int = 1000, **kwargs) -> GoogLeNet:
    """GoogLeNet (Inception v1) with batch norm; ``aux_logits=True`` adds the aux heads."""
    return GoogLeNet(classes, **kwargs)

"""Inception v3 (Szegedy et al. 2016) in torchvision's layout, for 299x299 inputs.

``aux_logits=True`` adds the auxiliary classifier on Mixed_6e, whose output ``forward`` returns
beside the logits in training mode.
"""
from __future__ import annotations

from functools import partial

from gluonkit import autograd, nn, np, npx

from .base import ZooModel
from .googlenet import BasicConv2d, transform_input
from .registry import register_model
from .store import WeightFile

__all__ = ["Inception3"]


def _cat(*xs):
    return np.concatenate(list(xs), axis=1)


def _avg3(x):
    return npx.avg_pool2d(x, 3, 1, 1)


class InceptionA(nn.HybridBlock):
    def __init__(self, cin, pool_features, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.branch1x1 = conv(cin, 64, 1)
        self.branch5x5_1 = conv(cin, 48, 1)
        self.branch5x5_2 = conv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = conv(cin, 64, 1)
        self.branch3x3dbl_2 = conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = conv(96, 96, 3, padding=1)
        self.branch_pool = conv(cin, pool_features, 1)

    def forward(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return _cat(self.branch1x1(x), b5, b3, self.branch_pool(_avg3(x)))


class InceptionB(nn.HybridBlock):
    def __init__(self, cin, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.branch3x3 = conv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = conv(cin, 64, 1)
        self.branch3x3dbl_2 = conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = conv(96, 96, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return _cat(self.branch3x3(x), b3, npx.max_pool2d(x, 3, 2))


class InceptionC(nn.HybridBlock):
    def __init__(self, cin, c7, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.branch1x1 = conv(cin, 192, 1)
        self.branch7x7_1 = conv(cin, c7, 1)
        self.branch7x7_2 = conv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = conv(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = conv(cin, c7, 1)
        self.branch7x7dbl_2 = conv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = conv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = conv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = conv(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = conv(cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            bd = layer(bd)
        return _cat(self.branch1x1(x), b7, bd, self.branch_pool(_avg3(x)))


class InceptionD(nn.HybridBlock):
    def __init__(self, cin, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.branch3x3_1 = conv(cin, 192, 1)
        self.branch3x3_2 = conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = conv(cin, 192, 1)
        self.branch7x7x3_2 = conv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = conv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = conv(192, 192, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return _cat(b3, b7, npx.max_pool2d(x, 3, 2))


class InceptionE(nn.HybridBlock):
    def __init__(self, cin, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.branch1x1 = conv(cin, 320, 1)
        self.branch3x3_1 = conv(cin, 384, 1)
        self.branch3x3_2a = conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = conv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = conv(cin, 448, 1)
        self.branch3x3dbl_2 = conv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = conv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = conv(cin, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = _cat(self.branch3x3_2a(b3), self.branch3x3_2b(b3))
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = _cat(self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd))
        return _cat(self.branch1x1(x), b3, bd, self.branch_pool(_avg3(x)))


class InceptionAux(nn.HybridBlock):
    """5x5/3 average pool -> 1x1 conv 128 -> 5x5 conv 768 -> global pool -> fc."""

    def __init__(self, cin, classes, norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.conv0 = conv(cin, 128, 1)
        self.conv1 = conv(128, 768, 5)
        self.fc = nn.Dense(classes, in_units=768, weight_initializer=nn.init.Normal(0.001))

    def forward(self, x):
        x = self.conv1(self.conv0(npx.avg_pool2d(x, 5, 3)))
        return self.fc(npx.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1))


class Inception3(ZooModel):
    """Inception v3; returns (logits, aux) in training mode when aux_logits.

    ``norm_layer`` builds every batch norm, each followed by ReLU:
    ``norm_layer(in_channels=c, epsilon=1e-3, act="relu")``.
    """

    def __init__(self, classes=1000, aux_logits=False, transform_input=False, drop_rate=0.5,
                 norm_layer=nn.BatchNorm):
        super().__init__()
        conv = partial(BasicConv2d, norm_layer=norm_layer)
        self.aux_logits, self.transform_input = aux_logits, transform_input
        self.drop_rate = drop_rate
        self.Conv2d_1a_3x3 = conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = conv(32, 32, 3)
        self.Conv2d_2b_3x3 = conv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = conv(64, 80, 1)
        self.Conv2d_4a_3x3 = conv(80, 192, 3)
        self.Mixed_5b = InceptionA(192, 32, norm_layer=norm_layer)
        self.Mixed_5c = InceptionA(256, 64, norm_layer=norm_layer)
        self.Mixed_5d = InceptionA(288, 64, norm_layer=norm_layer)
        self.Mixed_6a = InceptionB(288, norm_layer=norm_layer)
        self.Mixed_6b = InceptionC(768, 128, norm_layer=norm_layer)
        self.Mixed_6c = InceptionC(768, 160, norm_layer=norm_layer)
        self.Mixed_6d = InceptionC(768, 160, norm_layer=norm_layer)
        self.Mixed_6e = InceptionC(768, 192, norm_layer=norm_layer)
        if aux_logits:
            self.AuxLogits = InceptionAux(768, classes, norm_layer=norm_layer)
        self.Mixed_7a = InceptionD(768, norm_layer=norm_layer)
        self.Mixed_7b = InceptionE(1280, norm_layer=norm_layer)
        self.Mixed_7c = InceptionE(2048, norm_layer=norm_layer)
        self.fc = nn.Dense(classes, in_units=2048)

    def _stem(self, x):
        if self.transform_input:
            x = transform_input(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_3b_1x1(npx.max_pool2d(x, 3, 2))
        return npx.max_pool2d(self.Conv2d_4a_3x3(x), 3, 2)

    def _mixed6(self, x):
        x = self.Mixed_6a(x)
        return self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))

    def feature_stages(self):
        return [("stem", self._stem),
                ("mixed5", lambda x: self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))),
                ("mixed6", self._mixed6),
                ("mixed7", lambda x: self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x))))]

    def forward(self, x):
        if not (self.aux_logits and autograd.is_training()):
            return super().forward(x)
        stages = dict(self.feature_stages())
        x = stages["mixed6"](stages["mixed5"](stages["stem"](x)))
        aux = self.AuxLogits(x)
        return self.forward_head(stages["mixed7"](x)), aux

    def reset_classifier(self, classes: int) -> None:
        super().reset_classifier(classes)
        if self.aux_logits:
            fc = nn.Dense(classes, in_units=768, weight_initializer=nn.init.Normal(0.001))
            fc.initialize(device=self.AuxLogits.fc.weight.data().device)
            self.AuxLogits.fc = fc


_WEIGHTS = {"default": WeightFile(
    "inception_v3_google-0cc3c7bd.pth", "0cc3c7bd",
    urls=("https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth",), format="pth",
    metadata={"source": "torchvision", "model_kwargs": {"transform_input": True}})}


@register_model(weights=_WEIGHTS, input_size=(3, 299, 299), mean=(0.485, 0.456, 0.406),
                std=(0.229, 0.224, 0.225), crop_pct=0.875, first_conv="Conv2d_1a_3x3.conv",
                num_params=23834568, top1=77.294, aux_loss_weight=0.4,  # Szegedy et al. 2016
                top1_source="torchvision Inception_V3_Weights.IMAGENET1K_V1")
def inceptionv3(classes: int = 1000, **kwargs) -> Inception3:
    """Inception v3 for 299x299 inputs; ``aux_logits=True`` adds the auxiliary head."""
    return Inception3(classes, **kwargs)

"""LeNet-5 (LeCun et al. 1998) in its modern form: ReLU and max pooling; ``classic=True`` gives
the 1998 tanh / average-pooling form. 61,706 parameters at 10 classes."""
from __future__ import annotations

from gluonkit import nn, npx

from .base import ZooModel
from .class_names import DIGITS
from .registry import register_model
from .store import WeightFile

__all__ = ["LeNet", "lenet"]


class LeNet(ZooModel):
    """conv(1->6, 5x5, pad 2), pool, conv(6->16, 5x5), pool, fc 400-120-84-classes."""

    classifier_name = "fc3"

    def __init__(self, classes: int = 10, in_channels: int = 1, classic: bool = False):
        super().__init__()
        self._act = npx.tanh if classic else npx.relu
        self._pool = npx.avg_pool2d if classic else npx.max_pool2d
        self.conv1 = nn.Conv2D(6, 5, padding=2, in_channels=in_channels)
        self.conv2 = nn.Conv2D(16, 5, in_channels=6)
        self.fc1 = nn.Dense(120, in_units=400)
        self.fc2 = nn.Dense(84, in_units=120)
        self.fc3 = nn.Dense(classes, in_units=84)

    def feature_stages(self):
        return [("conv1", lambda x: self._stage(self.conv1(x))),
                ("conv2", lambda x: self._stage(self.conv2(x)))]

    def _stage(self, x):
        if self._act is npx.relu:
            # relu(max_pool(x)) == max_pool(relu(x)) in value and gradient (ReLU is monotone,
            # and a window whose maximum is <= 0 passes no gradient either way); the ReLU then
            # runs on a quarter of the values
            return self._act(self._pool(x, 2))
        return self._pool(self._act(x), 2)

    def forward_head(self, x, pre_logits: bool = False):
        x = self._act(self.fc2(self._act(self.fc1(x.reshape(x.shape[0], -1)))))
        return x if pre_logits else self.fc3(x)

    @property
    def num_features(self) -> int:
        return 84


# Trained by gluonkit itself: `python scripts/train.py --config configs/lenet_mnist.yaml`
# (seed 0, 30 epochs), converted with scripts/convert_weights.py; shipped in the package.
_WEIGHTS = {"default": WeightFile(
    "lenet_mnist.safetensors",
    "b4aa887a81aca80271eaec71e8f5e8776b2e260cdfb4f65fda03500d2146bd42", bundled=True,
    metadata={"recipe": "configs/lenet_mnist.yaml", "seed": 0, "test_top1": 0.988,
              "test_set": "bundled MNIST subset (1,000 images)"})}


@register_model(input_size=(1, 28, 28), mean=(0.1307,), std=(0.3081,), crop_pct=1.0,
                num_classes=10, first_conv="conv1", classifier="fc3", num_params=61706,
                top1=None, top1_source="MNIST digits: 98.8% on the bundled test subset",
                weights=_WEIGHTS, class_names=DIGITS)
def lenet(classes: int = 10, **kwargs) -> LeNet:
    """LeNet-5 for 28x28 grayscale digits."""
    return LeNet(classes, **kwargs)
